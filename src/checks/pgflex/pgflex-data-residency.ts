import { EvaluationError } from '../../errors.js';
import { isAllowedRegion, normalizeRegion, pairedRegion } from '../../residency/azure-regions.js';
import { known } from '../azure-property.js';
import { CONTROLS, defineCheck } from '../types.js';

export const pgflexDataResidency = defineCheck({
  id: 'pgflex-data-residency',
  title: 'The Flexible Server and its geo-redundant backups stay in the allowed regions',
  severity: 'critical',
  description:
    "Checks the server's region and, when geo-redundant backup is on, the paired region that receives the backups (Azure's region pairs, or " +
    'azure.postgres.pairedRegion) against azure.allowedRegions (default: the EEA regions).',
  risk: 'HDS requires health data, backups included, to stay in the European Economic Area; a copy outside it is a compliance breach.',
  remediation:
    'Move the server to an allowed region: restore it there (`az postgres flexible-server geo-restore -g RG -n NEW --source-server SERVER ' +
    '--location francecentral`) and retire the old one; geo-redundancy and its paired region are fixed at creation.',
  controls: [CONTROLS.dataLocation, CONTROLS.hdsLocation],
  needs: ['azurePostgres'],
  command: 'check',
  async run(ctx) {
    const azure = ctx.config.azure;
    const { resourceGroup, server, pairedRegion: configuredPair } = azure.postgres;
    const found = await ctx.gateways.azurePostgres().getServer(resourceGroup, server);
    const location = normalizeRegion(known(found.location, `the region of Flexible Server ${server}`));
    const geo = known(found.geoRedundantBackup, `geoRedundantBackup of Flexible Server ${server}`);
    const regions: Array<[string, string]> = [['server', location]];
    let backupRegion: string | null = null;
    if (geo === 'Enabled') {
      const pair = configuredPair ? normalizeRegion(configuredPair) : pairedRegion(location);
      if (!pair) {
        throw new EvaluationError(
          'invalid-response',
          `the region receiving geo-redundant backups of Flexible Server ${server} (in ${location}) is unknown`,
          'Azure publishes no pair for this region: set azure.postgres.pairedRegion to the region that holds the backups',
        );
      }
      backupRegion = pair;
      regions.push(['geo-redundant backups', pair]);
    }
    const outside = regions.filter(([, region]) => !isAllowedRegion(region, azure.allowedRegions));
    const evidence = { location, geoRedundantBackup: geo, backupRegion, allowedRegions: azure.allowedRegions };
    const where = regions.map(([what, region]) => `${what} in ${region}`).join(', ');
    if (outside.length > 0) {
      return {
        status: 'fail',
        message: `Flexible Server ${server}: ${outside.map(([what, region]) => `${what} in ${region}`).join(', ')}, outside the allowed regions (${azure.allowedRegions.join(', ')}).`,
        evidence,
      };
    }
    return { status: 'pass', message: `Flexible Server ${server}: ${where}, all within the allowed regions.`, evidence };
  },
});
