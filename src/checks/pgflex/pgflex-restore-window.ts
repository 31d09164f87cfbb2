import { clockSkewMs, futureTimestampMessage, judgeTimestamp } from '../../clock-rule.js';
import { daysBetween, known } from '../azure-property.js';
import { CONTROLS, defineCheck } from '../types.js';

export const pgflexRestoreWindow = defineCheck({
  id: 'pgflex-restore-window',
  title: 'The point-in-time restore window reaches back the retention period',
  severity: 'high',
  description:
    "Compares the server's earliestRestoreDate (Resource Manager) with now: the window must reach back azure.postgres.minRetentionDays, less azure.postgres.restoreWindowSlackDays.",
  risk: 'A retention setting is only a promise; the earliest restore point shows how far back a restore can really go.',
  remediation:
    'Check the retention (`az postgres flexible-server show -g RG -n SERVER --query backup`) and raise it (`az postgres flexible-server update ' +
    '-g RG -n SERVER --backup-retention DAYS`); a recently created or restored server needs time to build its window.',
  controls: [CONTROLS.backup, CONTROLS.continuity, CONTROLS.hdsBackup],
  needs: ['azurePostgres'],
  command: 'check',
  async run(ctx) {
    const { resourceGroup, server, minRetentionDays, restoreWindowSlackDays } = ctx.config.azure.postgres;
    const found = await ctx.gateways.azurePostgres().getServer(resourceGroup, server);
    const earliestRestoreDate = known(found.earliestRestoreDate, `earliestRestoreDate of Flexible Server ${server}`);
    const earliest = new Date(earliestRestoreDate);
    const requiredDays = minRetentionDays - restoreWindowSlackDays;
    // The one clock rule: an earliest restore point in the future names a clock or data anomaly, not a short window.
    const judged = judgeTimestamp(earliest, ctx.now(), clockSkewMs(ctx.config.limits));
    if (judged.kind === 'future') {
      const message = futureTimestampMessage(`The earliest restore point of Flexible Server ${server}`, earliest, judged.aheadMs);
      return {
        status: 'fail',
        message,
        evidence: { earliestRestoreDate, windowDays: null, requiredDays, minRetentionDays, slackDays: restoreWindowSlackDays },
      };
    }
    const windowDays = judged.kind === 'past' ? daysBetween(earliest, ctx.now()) : 0;
    const evidence = { earliestRestoreDate, windowDays, requiredDays, minRetentionDays, slackDays: restoreWindowSlackDays };
    if (windowDays < requiredDays) {
      return {
        status: 'fail',
        message: `Flexible Server ${server} can be restored back to ${earliestRestoreDate} (${windowDays} days); expected at least ${requiredDays} days.`,
        evidence,
      };
    }
    return {
      status: 'pass',
      message: `Flexible Server ${server} can be restored back to ${earliestRestoreDate} (${windowDays} days, at least ${requiredDays} required).`,
      evidence,
    };
  },
});
