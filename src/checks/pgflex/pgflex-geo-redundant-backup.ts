import { EvaluationError } from '../../errors.js';
import { known } from '../azure-property.js';
import { messages, text } from '../messages.js';
import { CONTROLS, defineCheck, postgresSlots } from '../types.js';

const t = messages('pgflex-geo-redundant-backup', {
  enabled: text<{ server: string }>(
    (p) => `Flexible Server ${p.server} has geo-redundant backup Enabled.`,
    (p) => `Le Flexible Server ${p.server} a la sauvegarde géo-redondante activée (Enabled).`,
  ),
  disabled: text<{ server: string }>(
    (p) => `Flexible Server ${p.server} has geo-redundant backup Disabled; expected Enabled.`,
    (p) => `Le Flexible Server ${p.server} a la sauvegarde géo-redondante désactivée (Disabled) ; Enabled attendu.`,
  ),
  notRequired: text(
    () => 'azure.postgres.requireGeoRedundantBackup is false',
    () => 'azure.postgres.requireGeoRedundantBackup vaut false',
  ),
});

// A.8.13 (backup), A.8.14 (redundancy: a copy outside the region), A.5.30 (continuity when the region is lost).
export const pgflexGeoRedundantBackup = defineCheck({
  id: 'pgflex-geo-redundant-backup',
  title: 'Flexible Server backups are geo-redundant',
  severity: 'high',
  description: 'Reads backup.geoRedundantBackup of the server from Resource Manager; evaluated when azure.postgres.requireGeoRedundantBackup is true.',
  risk: 'Without geo-redundant backups, the loss of the region loses the backups together with the server.',
  // Geo-redundancy is chosen when a server is created (Microsoft: "only allowed during server create"): a point-in-time
  // restore creates that new server, in the same region, from the existing backups.
  remediation:
    'Geo-redundancy can only be chosen when a server is created: restore the server into a new one with geo-redundant backup (`az postgres ' +
    'flexible-server restore -g <resource-group> -n <new-server> --source-server <server> --geo-redundant-backup Enabled`), move the application to it, ' +
    'then delete <server>. Check with azure.allowedRegions that the paired region is allowed (pgflex-data-residency).',
  fr: {
    title: 'Les sauvegardes du Flexible Server sont géo-redondantes',
    description: 'Lit backup.geoRedundantBackup du serveur dans Resource Manager ; évalué quand azure.postgres.requireGeoRedundantBackup vaut true.',
    risk: 'Sans sauvegarde géo-redondante, la perte de la région emporte les sauvegardes avec le serveur.',
    remediation:
      'La géo-redondance ne se choisit qu’à la création d’un serveur : restaurer le serveur dans un nouveau serveur avec sauvegarde géo-redondante (`az postgres ' +
      'flexible-server restore -g <resource-group> -n <new-server> --source-server <server> --geo-redundant-backup Enabled`), y basculer l’application, ' +
      'puis supprimer <server>. Vérifier avec azure.allowedRegions que la région appairée est autorisée (pgflex-data-residency).',
  },
  slots: postgresSlots,
  controls: [CONTROLS.backup, CONTROLS.redundancy, CONTROLS.continuity],
  needs: ['azurePostgres'],
  command: 'check',
  notApplicable: (config) => (config.azure?.postgres?.requireGeoRedundantBackup === false ? t.notRequired({}) : undefined),
  async run(ctx) {
    const { resourceGroup, server } = ctx.config.azure.postgres;
    const found = await ctx.gateways.azurePostgres().getServer(resourceGroup, server);
    const geoRedundantBackup = known(found.geoRedundantBackup, `geoRedundantBackup of Flexible Server ${server}`);
    const evidence = { geoRedundantBackup, location: found.location ?? null };
    if (geoRedundantBackup === 'Enabled') return { status: 'pass', message: t.enabled({ server }), evidence };
    if (geoRedundantBackup === 'Disabled') return { status: 'fail', message: t.disabled({ server }), evidence };
    throw new EvaluationError(
      'invalid-response',
      `geoRedundantBackup of Flexible Server ${server} is "${geoRedundantBackup}", neither Enabled nor Disabled`,
      `check the server with \`az postgres flexible-server show -g ${resourceGroup} -n ${server} --query backup\``,
    );
  },
});
