import { clockSkewMs, futureTimestampMessage, judgeTimestamp } from '../../clock-rule.js';
import { EvaluationError } from '../../errors.js';
import { CONTROLS, defineCheck } from '../types.js';
import type { Evidence } from '../../vocabulary.js';

export const pgflexRecentBackup = defineCheck({
  id: 'pgflex-recent-backup',
  title: 'The newest completed Flexible Server backup is recent',
  severity: 'critical',
  description:
    "Lists the server's automatic and on-demand backups (every page of backupsAutomaticAndOnDemand.listByServer) and compares the newest " +
    'completion time with azure.postgres.maxBackupAgeHours. Long-term retention backups are listed as evidence when available.',
  risk: 'Backups that silently stopped leave a growing window of data that no restore can bring back.',
  remediation:
    "Look at the server's backups (`az postgres flexible-server backup list -g RG -n SERVER`) and the Azure service health; take an on-demand " +
    'backup (`az postgres flexible-server backup create -g RG -n SERVER --backup-name NAME`) and open a support request if automatic backups stopped.',
  controls: [CONTROLS.backup, CONTROLS.hdsBackup],
  needs: ['azurePostgres'],
  command: 'check',
  async run(ctx) {
    const { resourceGroup, server, maxBackupAgeHours } = ctx.config.azure.postgres;
    const gateway = ctx.gateways.azurePostgres();
    const { backups, pages } = await gateway.listBackups(resourceGroup, server);
    // Sorted by the instant, not the text: Azure may write offsets differently. An unreadable time is an error, never a
    // pass (NaN compares false with every limit).
    const completed = backups
      .map((b) => b.completedTime)
      .filter((t): t is string => Boolean(t))
      .map((text) => {
        const ms = Date.parse(text);
        if (Number.isNaN(ms)) {
          const message = `Resource Manager gave the unreadable completion time "${text}" for a backup of Flexible Server ${server}`;
          throw new EvaluationError('invalid-response', message, 'run the check again later; if it persists, report it with this message');
        }
        return { text, ms };
      })
      .sort((a, b) => a.ms - b.ms)
      .map((t) => t.text);
    const evidence: Evidence = { backupCount: backups.length, completedCount: completed.length, pages, maxBackupAgeHours };

    // Long-term retention is extra evidence, never the verdict: many servers have none, and its absence must not hide the answer above.
    try {
      const ltr = await gateway.listLongTermRetentionOperations(resourceGroup, server);
      const done = ltr.flatMap((op) => (op.status === 'Succeeded' && op.endTime ? [op.endTime] : [])).sort();
      evidence.longTermRetentionBackups = ltr.length;
      evidence.latestLongTermRetentionBackupAt = done.at(-1) ?? null;
    } catch (error) {
      evidence.longTermRetentionBackups = null;
      evidence.longTermRetentionUnavailable = error instanceof Error ? error.message : String(error);
    }

    const latest = completed.at(-1);
    if (!latest) {
      return {
        status: 'fail',
        message: `Flexible Server ${server} has no completed backup (${backups.length} listed); expected one younger than ${maxBackupAgeHours} h.`,
        evidence: { ...evidence, latestBackupAt: null, ageHours: null },
      };
    }
    // The one clock rule: a backup from the future (this machine's clock behind Azure's, or bad data) is never fresh.
    const judged = judgeTimestamp(new Date(latest), ctx.now(), clockSkewMs(ctx.config.limits));
    if (judged.kind === 'future') {
      Object.assign(evidence, { latestBackupAt: latest, ageHours: null, aheadHours: Math.round((judged.aheadMs / 3_600_000) * 10) / 10 });
      const message = futureTimestampMessage(`The newest completed backup of Flexible Server ${server}`, new Date(latest), judged.aheadMs);
      return { status: 'fail', message, evidence };
    }
    const ageHours = Math.round((judged.ageMs / 3_600_000) * 10) / 10;
    Object.assign(evidence, { latestBackupAt: latest, ageHours });
    if (ageHours > maxBackupAgeHours) {
      return {
        status: 'fail',
        message: `The newest completed backup of Flexible Server ${server} is ${ageHours} h old (${latest}); expected less than ${maxBackupAgeHours} h.`,
        evidence,
      };
    }
    return {
      status: 'pass',
      message: `The newest completed backup of Flexible Server ${server} is ${ageHours} h old (${latest}), within ${maxBackupAgeHours} h; ${backups.length} backups listed.`,
      evidence,
    };
  },
});
