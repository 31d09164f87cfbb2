import { EvaluationError } from '../../errors.js';
import { known } from '../azure-property.js';
import { CONTROLS, defineCheck } from '../types.js';

export const pgflexGeoRedundantBackup = defineCheck({
  id: 'pgflex-geo-redundant-backup',
  title: 'Flexible Server backups are geo-redundant',
  severity: 'high',
  description: 'Reads backup.geoRedundantBackup of the server from Resource Manager; evaluated when azure.postgres.requireGeoRedundantBackup is true.',
  risk: 'Without geo-redundant backups, the loss of the region loses the backups together with the server.',
  remediation:
    'Geo-redundancy can only be chosen when a server is created: restore the server to a new one with geo-redundant backup (`az postgres ' +
    'flexible-server geo-restore` or `az postgres flexible-server restore` … then `az postgres flexible-server create … --geo-redundant-backup Enabled`) and move the application to it.',
  controls: [CONTROLS.backup, CONTROLS.redundancy, CONTROLS.hdsBackup],
  needs: ['azurePostgres'],
  command: 'check',
  notApplicable: (config) => (config.azure?.postgres?.requireGeoRedundantBackup === false ? 'azure.postgres.requireGeoRedundantBackup is false' : undefined),
  async run(ctx) {
    const { resourceGroup, server } = ctx.config.azure.postgres;
    const found = await ctx.gateways.azurePostgres().getServer(resourceGroup, server);
    const geoRedundantBackup = known(found.geoRedundantBackup, `geoRedundantBackup of Flexible Server ${server}`);
    const evidence = { geoRedundantBackup, location: found.location ?? null };
    if (geoRedundantBackup === 'Enabled') {
      return { status: 'pass', message: `Flexible Server ${server} has geo-redundant backup Enabled.`, evidence };
    }
    if (geoRedundantBackup === 'Disabled') {
      return { status: 'fail', message: `Flexible Server ${server} has geo-redundant backup Disabled; expected Enabled.`, evidence };
    }
    throw new EvaluationError(
      'invalid-response',
      `geoRedundantBackup of Flexible Server ${server} is "${geoRedundantBackup}", neither Enabled nor Disabled`,
      'check the server with `az postgres flexible-server show -g RG -n SERVER --query backup`',
    );
  },
});
