import { known } from '../azure-property.js';
import { messages, text } from '../messages.js';
import { CONTROLS, defineCheck, postgresSlots } from '../types.js';

const t = messages('pgflex-backup-retention', {
  tooShort: text<{ server: string; days: number; min: number }>(
    (p) => `Flexible Server ${p.server} keeps backups ${p.days} days; expected at least ${p.min}.`,
    (p) => `Le Flexible Server ${p.server} conserve ses sauvegardes ${p.days} jours ; au moins ${p.min} attendus.`,
  ),
  enough: text<{ server: string; days: number; min: number }>(
    (p) => `Flexible Server ${p.server} keeps backups ${p.days} days (at least ${p.min} required).`,
    (p) => `Le Flexible Server ${p.server} conserve ses sauvegardes ${p.days} jours (au moins ${p.min} exigés).`,
  ),
  // Azure keeps point-in-time backups 7 to 35 days (az postgres flexible-server update --backup-retention): a minimum
  // above 35 cannot be reached with that command, so it is not offered as such.
  beyondAzure: text<{ resourceGroup: string; server: string; min: number }>(
    (p) =>
      `Azure keeps point-in-time backups at most 35 days, less than the ${p.min} days required: set the maximum ` +
      `(\`az postgres flexible-server update -g ${p.resourceGroup} -n ${p.server} --backup-retention 35\`) and keep older backups with long-term ` +
      'retention (Azure Backup) or archives of your own, or lower azure.postgres.minRetentionDays to 35.',
    (p) =>
      `Azure conserve les sauvegardes de restauration à un point dans le temps 35 jours au plus, moins que les ${p.min} jours exigés : régler le maximum ` +
      `(\`az postgres flexible-server update -g ${p.resourceGroup} -n ${p.server} --backup-retention 35\`) et conserver les sauvegardes plus anciennes par la ` +
      'rétention à long terme (Azure Backup) ou par vos propres archives, ou ramener azure.postgres.minRetentionDays à 35.',
  ),
});

// A.8.13: the retention is how far back a backup can bring data.
export const pgflexBackupRetention = defineCheck({
  id: 'pgflex-backup-retention',
  title: 'Flexible Server backups are kept at least the required number of days',
  severity: 'high',
  description: "Compares the server's backupRetentionDays (Resource Manager) with azure.postgres.minRetentionDays.",
  risk: 'A short retention means a corruption or deletion noticed late can no longer be undone from backup.',
  remediation:
    'Raise the retention: `az postgres flexible-server update -g <resource-group> -n <server> --backup-retention <days>` (7 to 35 days; longer needs long-term retention).',
  fr: {
    title: 'Les sauvegardes du Flexible Server sont conservées au moins le nombre de jours exigé',
    description: 'Compare la rétention des sauvegardes du serveur (backupRetentionDays, Resource Manager) à azure.postgres.minRetentionDays.',
    risk: 'Avec une rétention courte, une corruption ou une suppression découverte tard ne peut plus être réparée à partir des sauvegardes.',
    remediation:
      'Allonger la rétention : `az postgres flexible-server update -g <resource-group> -n <server> --backup-retention <days>` (7 à 35 jours ; au-delà, il faut la rétention à long terme).',
  },
  slots: postgresSlots,
  controls: [CONTROLS.backup],
  needs: ['azurePostgres'],
  command: 'check',
  async run(ctx) {
    const { resourceGroup, server, minRetentionDays } = ctx.config.azure.postgres;
    const found = await ctx.gateways.azurePostgres().getServer(resourceGroup, server);
    const backupRetentionDays = known(found.backupRetentionDays, `backupRetentionDays of Flexible Server ${server}`);
    const evidence = { backupRetentionDays, minRetentionDays };
    const params = { server, days: backupRetentionDays, min: minRetentionDays };
    if (backupRetentionDays < minRetentionDays) {
      const beyond = minRetentionDays > 35 ? { remediation: t.beyondAzure({ resourceGroup, server, min: minRetentionDays }) } : {};
      return { status: 'fail', message: t.tooShort(params), evidence, ...beyond };
    }
    return { status: 'pass', message: t.enough(params), evidence };
  },
});
