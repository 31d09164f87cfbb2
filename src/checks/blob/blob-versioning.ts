import { documentedDefault } from '../azure-property.js';
import { messages, text } from '../messages.js';
import { CONTROLS, defineCheck, storageSlots } from '../types.js';

const t = messages('blob-versioning', {
  neverConfigured: text<{ account: string }>(
    (p) => `Blob versioning was never configured on storage account ${p.account} (Azure's default: disabled); expected enabled.`,
    (p) =>
      `La gestion des versions des blobs n’a jamais été configurée sur le compte de stockage ${p.account} (valeur par défaut d’Azure : désactivée) ; activée attendue.`,
  ),
  disabled: text<{ account: string }>(
    (p) => `Blob versioning is disabled on storage account ${p.account}; expected enabled.`,
    (p) => `La gestion des versions des blobs est désactivée sur le compte de stockage ${p.account} ; activée attendue.`,
  ),
  enabled: text<{ account: string }>(
    (p) => `Blob versioning is enabled on storage account ${p.account}.`,
    (p) => `La gestion des versions des blobs est activée sur le compte de stockage ${p.account}.`,
  ),
  notRequired: text(
    () => 'azure.storage.requireVersioning is false',
    () => 'azure.storage.requireVersioning vaut false',
  ),
});

// A.8.13 (an earlier version can be restored) and A.5.33 (a signed record cannot be silently overwritten).
export const blobVersioning = defineCheck({
  id: 'blob-versioning',
  title: 'Blob versioning is enabled',
  severity: 'high',
  description: "Reads isVersioningEnabled of the storage account's blob service from Resource Manager; evaluated when azure.storage.requireVersioning is true.",
  risk: 'Without versioning, an overwritten signed document loses its signed content for good.',
  remediation: 'Enable it: `az storage account blob-service-properties update -g <resource-group> -n <account> --enable-versioning true`.',
  fr: {
    title: 'La gestion des versions des blobs est activée',
    description:
      'Lit isVersioningEnabled du service blob du compte de stockage dans Resource Manager ; évalué quand azure.storage.requireVersioning vaut true.',
    risk: 'Sans gestion des versions, un document signé écrasé perd définitivement son contenu signé.',
    remediation: 'L’activer : `az storage account blob-service-properties update -g <resource-group> -n <account> --enable-versioning true`.',
  },
  slots: storageSlots,
  controls: [CONTROLS.backup, CONTROLS.records],
  needs: ['azureStorage'],
  command: 'check',
  notApplicable: (config) => (config.azure?.storage?.requireVersioning === false ? t.notRequired({}) : undefined),
  async run(ctx) {
    const { resourceGroup, account } = ctx.config.azure.storage;
    const settings = await ctx.gateways.azureStorage().getBlobServiceSettings(resourceGroup, account);
    // A fresh account's answer has no isVersioningEnabled: Azure's documented default, off, applies (contract.md).
    const { value: enabled, neverConfigured } = documentedDefault(settings.isVersioningEnabled, false);
    if (neverConfigured) {
      // A variable, not a literal: TypeScript would widen the other returns' evidence with `neverConfigured?: undefined`.
      const evidence = { enabled, neverConfigured: true };
      return { status: 'fail', message: t.neverConfigured({ account }), evidence };
    }
    if (!enabled) return { status: 'fail', message: t.disabled({ account }), evidence: { enabled } };
    return { status: 'pass', message: t.enabled({ account }), evidence: { enabled } };
  },
});
