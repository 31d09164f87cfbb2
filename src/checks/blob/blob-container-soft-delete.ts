import { documentedDefault, known } from '../azure-property.js';
import { CONTROLS, defineCheck } from '../types.js';

export const blobContainerSoftDelete = defineCheck({
  id: 'blob-container-soft-delete',
  title: 'Container soft delete is enabled',
  severity: 'medium',
  description: "Reads containerDeleteRetentionPolicy of the storage account's blob service from Resource Manager.",
  risk: 'Deleting a whole container deletes every document in it at once; blob soft delete does not bring a deleted container back.',
  remediation:
    'Enable it: `az storage account blob-service-properties update -g RG -n ACCOUNT --enable-container-delete-retention true --container-delete-retention-days DAYS`.',
  controls: [CONTROLS.backup, CONTROLS.hdsIntegrity],
  needs: ['azureStorage'],
  command: 'check',
  async run(ctx) {
    const { resourceGroup, account } = ctx.config.azure.storage;
    const settings = await ctx.gateways.azureStorage().getBlobServiceSettings(resourceGroup, account);
    // A fresh account's answer has no containerDeleteRetentionPolicy: Azure's documented default, off, applies (contract.md).
    const { value: policy, neverConfigured } = documentedDefault(settings.containerDeleteRetentionPolicy, { enabled: false });
    if (neverConfigured) {
      // A variable, not a literal: TypeScript would widen the other returns' evidence with `neverConfigured?: undefined`.
      const evidence = { enabled: false, days: null, neverConfigured: true };
      return {
        status: 'fail',
        message: `Container soft delete was never configured on storage account ${account} (Azure's default: disabled); expected enabled.`,
        evidence,
      };
    }
    const enabled = known(policy.enabled, `whether container soft delete is enabled on storage account ${account}`);
    const evidence = { enabled, days: policy.days ?? null };
    if (!enabled) return { status: 'fail', message: `Container soft delete is disabled on storage account ${account}; expected enabled.`, evidence };
    return {
      status: 'pass',
      message: `Container soft delete is enabled on storage account ${account}${policy.days ? ` (${policy.days} days)` : ''}.`,
      evidence,
    };
  },
});
