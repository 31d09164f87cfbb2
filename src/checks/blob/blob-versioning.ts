import { documentedDefault } from '../azure-property.js';
import { CONTROLS, defineCheck } from '../types.js';

export const blobVersioning = defineCheck({
  id: 'blob-versioning',
  title: 'Blob versioning is enabled',
  severity: 'high',
  description: "Reads isVersioningEnabled of the storage account's blob service from Resource Manager; evaluated when azure.storage.requireVersioning is true.",
  risk: 'Without versioning, an overwritten signed document loses its signed content for good.',
  remediation: 'Enable it: `az storage account blob-service-properties update -g RG -n ACCOUNT --enable-versioning true`.',
  controls: [CONTROLS.backup, CONTROLS.hdsIntegrity],
  needs: ['azureStorage'],
  command: 'check',
  notApplicable: (config) => (config.azure?.storage?.requireVersioning === false ? 'azure.storage.requireVersioning is false' : undefined),
  async run(ctx) {
    const { resourceGroup, account } = ctx.config.azure.storage;
    const settings = await ctx.gateways.azureStorage().getBlobServiceSettings(resourceGroup, account);
    // A fresh account's answer has no isVersioningEnabled: Azure's documented default, off, applies (contract.md).
    const { value: enabled, neverConfigured } = documentedDefault(settings.isVersioningEnabled, false);
    if (neverConfigured) {
      // A variable, not a literal: TypeScript would widen the other returns' evidence with `neverConfigured?: undefined`.
      const evidence = { enabled, neverConfigured: true };
      return {
        status: 'fail',
        message: `Blob versioning was never configured on storage account ${account} (Azure's default: disabled); expected enabled.`,
        evidence,
      };
    }
    if (!enabled) return { status: 'fail', message: `Blob versioning is disabled on storage account ${account}; expected enabled.`, evidence: { enabled } };
    return { status: 'pass', message: `Blob versioning is enabled on storage account ${account}.`, evidence: { enabled } };
  },
});
