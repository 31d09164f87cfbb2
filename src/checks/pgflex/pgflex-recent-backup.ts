import { clockSkewMs, futureTimestampMessage, judgeTimestamp } from '../../clock-rule.js';
import type { FlexibleServerGateway } from '../../azure/types.js';
import { EvaluationError, describeError } from '../../errors.js';
import { daysBetween } from '../azure-property.js';
import { CONTROLS, defineCheck } from '../types.js';
import type { Evidence } from '../../vocabulary.js';
import type { AzureConfig } from '../../config/schema.js';

/**
 * Why an old snapshot alone is not "backups stopped". Microsoft, "Backup and restore in Azure Database for PostgreSQL -
 * Flexible Server" (learn.microsoft.com/azure/postgresql/flexible-server/concepts-backup-restore, "Backup frequency"):
 *   "Snapshot backups are currently taken once daily. If none of the databases in the server receive any further
 *    modifications after the last snapshot backup is taken, snapshot backups are suspended until new modifications are
 *    made in any of the databases, point at which a new snapshot is immediately taken."
 * and ("Backup retention"): "All backups required to perform a PITR within the backup retention period are retained".
 * So on a quiet server the newest snapshot ages while the restore window (earliestRestoreDate → now) keeps reaching back
 * the retention period. When backups stop, the window is what Azure cannot keep up: it no longer reaches back (or Azure
 * has no earliest restore point at all).
 */
async function restoreWindow(
  gateway: FlexibleServerGateway,
  postgres: NonNullable<AzureConfig['postgres']>,
  now: Date,
  skewMs: number,
): Promise<{ reaches: boolean; why: string; evidence: Evidence }> {
  const { resourceGroup, server, minRetentionDays, restoreWindowSlackDays } = postgres;
  const found = await gateway.getServer(resourceGroup, server).catch((error: unknown) => describeError(error));
  // Unread, the window proves nothing: the old snapshot stands as the finding (fail), with the reason beside it.
  if (typeof found === 'string') return { reaches: false, why: 'its restore window could not be read', evidence: { restoreWindowUnavailable: found } };
  // The server's own retention, not minRetentionDays: the question here is whether backups continue, not whether the retention
  // is long enough (pgflex-backup-retention and pgflex-restore-window judge that).
  const retentionDays = found.backupRetentionDays ?? minRetentionDays;
  const requiredDays = retentionDays - restoreWindowSlackDays;
  const base = { earliestRestoreDate: found.earliestRestoreDate ?? null, backupRetentionDays: retentionDays, requiredWindowDays: requiredDays };
  if (!found.earliestRestoreDate) return { reaches: false, why: 'Azure gives no earliest restore point for it', evidence: base };
  const earliest = new Date(found.earliestRestoreDate);
  const judged = Number.isNaN(earliest.getTime()) ? undefined : judgeTimestamp(earliest, now, skewMs);
  if (!judged || judged.kind === 'future') {
    return { reaches: false, why: `its earliest restore point ${found.earliestRestoreDate} is unreadable or in the future`, evidence: base };
  }
  const windowDays = judged.kind === 'past' ? daysBetween(earliest, now) : 0;
  const evidence = { ...base, restoreWindowDays: windowDays };
  const window = `its point-in-time restore window reaches back ${windowDays} days (earliestRestoreDate ${found.earliestRestoreDate})`;
  const retention = `its ${retentionDays}-day retention less ${restoreWindowSlackDays} day(s) of slack`;
  if (windowDays < requiredDays) return { reaches: false, why: `${window}, less than ${retention}`, evidence };
  return { reaches: true, why: `${window}: ${retention}`, evidence };
}

export const pgflexRecentBackup = defineCheck({
  id: 'pgflex-recent-backup',
  title: 'The newest completed Flexible Server backup is recent',
  severity: 'critical',
  description:
    "Lists the server's automatic and on-demand backups (every page of backupsAutomaticAndOnDemand.listByServer) and compares the newest " +
    'completion time with azure.postgres.maxBackupAgeHours. Azure suspends the daily snapshot while no database changes (Microsoft, ' +
    '"Backup frequency"), so an older newest snapshot is judged with the restore window: when earliestRestoreDate still reaches back the ' +
    "server's backupRetentionDays less azure.postgres.restoreWindowSlackDays, the backups a point-in-time restore needs are kept and the " +
    'server is taken for quiet (warn, the reasoning in the evidence, never fail); when it does not (or Azure gives no earliest restore ' +
    'point), backups look stopped (fail). Long-term retention backups are listed as evidence when available.',
  risk: 'Backups that silently stopped leave a growing window of data that no restore can bring back.',
  remediation:
    "Look at the server's backups (`az postgres flexible-server backup list -g RG -n SERVER`) and the Azure service health; take an on-demand " +
    'backup (`az postgres flexible-server backup create -g RG -n SERVER --backup-name NAME`) and open a support request if automatic backups stopped. ' +
    'For a quiet server (warn), a `restorecheck restore-test` with restoreTest.freshnessQuery proves the restore and measures its RPO.',
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
      const old = `The newest completed backup of Flexible Server ${server} is ${ageHours} h old (${latest}), more than ${maxBackupAgeHours} h`;
      const window = await restoreWindow(gateway, ctx.config.azure.postgres, ctx.now(), clockSkewMs(ctx.config.limits));
      Object.assign(evidence, window.evidence, { quietDatabase: window.reaches });
      if (!window.reaches) {
        evidence.reasoning = `An old newest snapshot and a restore window that does not reach back: ${window.why}; backups look stopped.`;
        return { status: 'fail', message: `${old}, and ${window.why}: backups look stopped.`, evidence };
      }
      evidence.reasoning =
        'Azure suspends the daily snapshot while no database changes and keeps every backup a point-in-time restore within the retention ' +
        `needs; ${window.why}: consistent with a quiet database whose backups continue, not with stopped backups. Azure exposes nothing ` +
        'that tells the two apart for certain: a restore test (restore-test with restoreTest.freshnessQuery) does.';
      return {
        status: 'warn',
        message:
          `${old}, but ${window.why}: consistent with Azure suspending snapshots while nothing changes (a quiet database), ` +
          'not with stopped backups; a restore test confirms it.',
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
