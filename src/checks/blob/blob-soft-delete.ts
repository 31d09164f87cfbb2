import { documentedDefault, known } from '../azure-property.js';
import { CONTROLS, defineCheck } from '../types.js';

export const blobSoftDelete = defineCheck({
  id: 'blob-soft-delete',
  title: 'Blob soft delete is enabled for at least the required days',
  severity: 'high',
  description:
    "Reads deleteRetentionPolicy of the storage account's blob service from Resource Manager and compares its days with azure.storage.minSoftDeleteDays.",
  risk: 'Without soft delete, a deleted or overwritten signed document is gone at once, with no way back.',
  remediation: 'Enable it: `az storage account blob-service-properties update -g RG -n ACCOUNT --enable-delete-retention true --delete-retention-days DAYS`.',
  controls: [CONTROLS.backup, CONTROLS.hdsIntegrity],
  needs: ['azureStorage'],
  command: 'check',
  async run(ctx) {
    const { resourceGroup, account, minSoftDeleteDays } = ctx.config.azure.storage;
    const settings = await ctx.gateways.azureStorage().getBlobServiceSettings(resourceGroup, account);
    // Blob soft delete is off until someone turns it on (the portal does so explicitly when it creates an account, and
    // then Azure returns it): an absent policy is that default (contract.md). An enabled policy without days has none.
    const { value: policy, neverConfigured } = documentedDefault(settings.deleteRetentionPolicy, { enabled: false });
    if (neverConfigured) {
      // A variable, not a literal: TypeScript would widen the other returns' evidence with `neverConfigured?: undefined`.
      const evidence = { enabled: false, days: null, minSoftDeleteDays, neverConfigured: true };
      return {
        status: 'fail',
        message:
          `Blob soft delete was never configured on storage account ${account} (Azure's default: disabled); ` +
          `expected enabled for at least ${minSoftDeleteDays} days.`,
        evidence,
      };
    }
    const enabled = known(policy.enabled, `whether blob soft delete is enabled on storage account ${account}`);
    if (!enabled) {
      return {
        status: 'fail',
        message: `Blob soft delete is disabled on storage account ${account}; expected enabled for at least ${minSoftDeleteDays} days.`,
        evidence: { enabled, days: policy.days ?? null, minSoftDeleteDays },
      };
    }
    const days = known(policy.days, `the blob soft delete retention days of storage account ${account}`);
    const evidence = { enabled, days, minSoftDeleteDays };
    if (days < minSoftDeleteDays) {
      return {
        status: 'fail',
        message: `Blob soft delete on storage account ${account} keeps deleted blobs ${days} days; expected at least ${minSoftDeleteDays}.`,
        evidence,
      };
    }
    return {
      status: 'pass',
      message: `Blob soft delete on storage account ${account} keeps deleted blobs ${days} days (at least ${minSoftDeleteDays} required).`,
      evidence,
    };
  },
});
