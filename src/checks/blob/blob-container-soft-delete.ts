import { documentedDefault, known } from '../azure-property.js';
import { messages, text } from '../messages.js';
import { CONTROLS, defineCheck, storageSlots } from '../types.js';

const t = messages('blob-container-soft-delete', {
  neverConfigured: text<{ account: string }>(
    (p) => `Container soft delete was never configured on storage account ${p.account} (Azure's default: disabled); expected enabled.`,
    (p) =>
      `La suppression réversible (soft delete) des conteneurs n’a jamais été configurée sur le compte de stockage ${p.account} ` +
      '(valeur par défaut d’Azure : désactivée) ; activée attendue.',
  ),
  disabled: text<{ account: string }>(
    (p) => `Container soft delete is disabled on storage account ${p.account}; expected enabled.`,
    (p) => `La suppression réversible (soft delete) des conteneurs est désactivée sur le compte de stockage ${p.account} ; activée attendue.`,
  ),
  enabled: text<{ account: string; days: number | null }>(
    (p) => `Container soft delete is enabled on storage account ${p.account}${p.days ? ` (${p.days} days)` : ''}.`,
    (p) => `La suppression réversible (soft delete) des conteneurs est activée sur le compte de stockage ${p.account}${p.days ? ` (${p.days} jours)` : ''}.`,
  ),
});

// A.8.13 (a deleted container can be brought back) and A.5.33 (the records it holds are protected from loss).
export const blobContainerSoftDelete = defineCheck({
  id: 'blob-container-soft-delete',
  title: 'Container soft delete is enabled',
  severity: 'medium',
  description: "Reads containerDeleteRetentionPolicy of the storage account's blob service from Resource Manager.",
  risk: 'Deleting a whole container deletes every document in it at once; blob soft delete does not bring a deleted container back.',
  // The days are the blob soft-delete minimum (azure.storage.minSoftDeleteDays): the configuration has no separate minimum for containers.
  remediation:
    'Enable it: `az storage account blob-service-properties update -g <resource-group> -n <account> --enable-container-delete-retention true ' +
    '--container-delete-retention-days <days>`.',
  fr: {
    title: 'La suppression réversible (soft delete) des conteneurs est activée',
    description: 'Lit containerDeleteRetentionPolicy du service blob du compte de stockage dans Resource Manager.',
    risk: 'Supprimer un conteneur supprime d’un coup tous les documents qu’il contient ; la suppression réversible des blobs ne ramène pas un conteneur supprimé.',
    remediation:
      'L’activer : `az storage account blob-service-properties update -g <resource-group> -n <account> --enable-container-delete-retention true ' +
      '--container-delete-retention-days <days>`.',
  },
  slots: storageSlots,
  controls: [CONTROLS.backup, CONTROLS.records],
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
      return { status: 'fail', message: t.neverConfigured({ account }), evidence };
    }
    const enabled = known(policy.enabled, `whether container soft delete is enabled on storage account ${account}`);
    const evidence = { enabled, days: policy.days ?? null };
    if (!enabled) return { status: 'fail', message: t.disabled({ account }), evidence };
    return { status: 'pass', message: t.enabled({ account, days: policy.days ?? null }), evidence };
  },
});
