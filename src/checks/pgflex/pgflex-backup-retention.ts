import { known } from '../azure-property.js';
import { CONTROLS, defineCheck } from '../types.js';

export const pgflexBackupRetention = defineCheck({
  id: 'pgflex-backup-retention',
  title: 'Flexible Server backups are kept at least the required number of days',
  severity: 'high',
  description: "Compares the server's backupRetentionDays (Resource Manager) with azure.postgres.minRetentionDays.",
  risk: 'A short retention means a corruption or deletion noticed late can no longer be undone from backup.',
  remediation:
    'Raise the retention: `az postgres flexible-server update -g RG -n SERVER --backup-retention DAYS` (7 to 35 days; longer needs long-term retention).',
  controls: [CONTROLS.backup, CONTROLS.hdsBackup],
  needs: ['azurePostgres'],
  command: 'check',
  async run(ctx) {
    const { resourceGroup, server, minRetentionDays } = ctx.config.azure.postgres;
    const found = await ctx.gateways.azurePostgres().getServer(resourceGroup, server);
    const backupRetentionDays = known(found.backupRetentionDays, `backupRetentionDays of Flexible Server ${server}`);
    const evidence = { backupRetentionDays, minRetentionDays };
    if (backupRetentionDays < minRetentionDays) {
      return {
        status: 'fail',
        message: `Flexible Server ${server} keeps backups ${backupRetentionDays} days; expected at least ${minRetentionDays}.`,
        evidence,
      };
    }
    return {
      status: 'pass',
      message: `Flexible Server ${server} keeps backups ${backupRetentionDays} days (at least ${minRetentionDays} required).`,
      evidence,
    };
  },
});
