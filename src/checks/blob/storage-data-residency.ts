import { EvaluationError } from '../../errors.js';
import { isAllowedRegion, normalizeRegion } from '../../residency/azure-regions.js';
import { known } from '../azure-property.js';
import { CONTROLS, defineCheck } from '../types.js';

/** SKUs that keep a copy in a secondary region (GRS, RA-GRS, GZRS, RA-GZRS). */
const GEO_SKU = /GRS|GZRS/i;

export const storageDataResidency = defineCheck({
  id: 'storage-data-residency',
  title: "The storage account's primary and secondary locations are in the allowed regions",
  severity: 'critical',
  description:
    'Reads primaryLocation, secondaryLocation and the replication SKU of the storage account from Resource Manager and checks them against azure.allowedRegions (default: the EEA regions).',
  risk: 'HDS requires health data, geo-replicated copies included, to stay in the European Economic Area.',
  remediation:
    'Keep the data in allowed regions: change replication to one that stays in the region (`az storage account update -g RG -n ACCOUNT --sku ' +
    'Standard_ZRS`), or move the documents to an account created in an allowed region (`az storage account create -g RG -n NEW --location francecentral --sku Standard_GZRS`, then `azcopy copy`).',
  controls: [CONTROLS.dataLocation, CONTROLS.hdsLocation],
  needs: ['azureStorage'],
  command: 'check',
  async run(ctx) {
    const azure = ctx.config.azure;
    const { resourceGroup, account } = azure.storage;
    const info = await ctx.gateways.azureStorage().getAccount(resourceGroup, account);
    const primary = normalizeRegion(known(info.primaryLocation ?? info.location, `the primary location of storage account ${account}`));
    const regions: Array<[string, string]> = [['primary', primary]];
    let secondary: string | null = null;
    if (info.secondaryLocation) {
      secondary = normalizeRegion(info.secondaryLocation);
      regions.push(['secondary', secondary]);
    } else if (!info.skuName || GEO_SKU.test(info.skuName)) {
      // A geo-replicated account always has a secondary; without it (or without the SKU) we cannot tell where the copy lives.
      throw new EvaluationError(
        'invalid-response',
        `the secondary location of storage account ${account} (replication ${info.skuName ?? 'unknown'}) is unknown: Azure did not return it`,
        'check it with `az storage account show -g RG -n ACCOUNT --query "{sku:sku.name, primary:primaryLocation, secondary:secondaryLocation}"`',
      );
    }
    const outside = regions.filter(([, region]) => !isAllowedRegion(region, azure.allowedRegions));
    const evidence = { primaryLocation: primary, secondaryLocation: secondary, sku: info.skuName ?? null, allowedRegions: azure.allowedRegions };
    if (outside.length > 0) {
      return {
        status: 'fail',
        message: `Storage account ${account}: ${outside.map(([what, region]) => `${what} location ${region}`).join(', ')} outside the allowed regions (${azure.allowedRegions.join(', ')}).`,
        evidence,
      };
    }
    return {
      status: 'pass',
      message: `Storage account ${account}: ${regions.map(([what, region]) => `${what} in ${region}`).join(', ')}, within the allowed regions.`,
      evidence,
    };
  },
});
