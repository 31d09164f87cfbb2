import { documentedDefault, known } from '../azure-property.js';
import { messages, text } from '../messages.js';
import { CONTROLS, defineCheck, storageSlots } from '../types.js';

const t = messages('blob-soft-delete', {
  neverConfigured: text<{ account: string; min: number }>(
    (p) => `Blob soft delete was never configured on storage account ${p.account} (Azure's default: disabled); expected enabled for at least ${p.min} days.`,
    (p) =>
      `La suppression réversible (soft delete) des blobs n’a jamais été configurée sur le compte de stockage ${p.account} (valeur par défaut d’Azure : désactivée) ; ` +
      `activée pour au moins ${p.min} jours attendue.`,
  ),
  disabled: text<{ account: string; min: number }>(
    (p) => `Blob soft delete is disabled on storage account ${p.account}; expected enabled for at least ${p.min} days.`,
    (p) =>
      `La suppression réversible (soft delete) des blobs est désactivée sur le compte de stockage ${p.account} ; activée pour au moins ${p.min} jours attendue.`,
  ),
  tooShort: text<{ account: string; days: number; min: number }>(
    (p) => `Blob soft delete on storage account ${p.account} keeps deleted blobs ${p.days} days; expected at least ${p.min}.`,
    (p) => `La suppression réversible du compte de stockage ${p.account} conserve les blobs supprimés ${p.days} jours ; au moins ${p.min} attendus.`,
  ),
  enough: text<{ account: string; days: number; min: number }>(
    (p) => `Blob soft delete on storage account ${p.account} keeps deleted blobs ${p.days} days (at least ${p.min} required).`,
    (p) => `La suppression réversible du compte de stockage ${p.account} conserve les blobs supprimés ${p.days} jours (au moins ${p.min} exigés).`,
  ),
});

// A.8.13 (a deleted blob can be brought back) and A.5.33 (signed documents are records, protected from loss).
export const blobSoftDelete = defineCheck({
  id: 'blob-soft-delete',
  title: 'Blob soft delete is enabled for at least the required days',
  severity: 'high',
  description:
    "Reads deleteRetentionPolicy of the storage account's blob service from Resource Manager and compares its days with azure.storage.minSoftDeleteDays.",
  risk: 'Without soft delete, a deleted or overwritten signed document is gone at once, with no way back.',
  remediation:
    'Enable it: `az storage account blob-service-properties update -g <resource-group> -n <account> --enable-delete-retention true --delete-retention-days <days>`.',
  fr: {
    title: 'La suppression réversible (soft delete) des blobs est activée pour au moins la durée exigée',
    description:
      'Lit deleteRetentionPolicy du service blob du compte de stockage dans Resource Manager et compare sa durée en jours à azure.storage.minSoftDeleteDays.',
    risk: 'Sans suppression réversible, un document signé supprimé ou écrasé est perdu immédiatement, sans retour possible.',
    remediation:
      'L’activer : `az storage account blob-service-properties update -g <resource-group> -n <account> --enable-delete-retention true --delete-retention-days <days>`.',
  },
  slots: storageSlots,
  controls: [CONTROLS.backup, CONTROLS.records],
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
      return { status: 'fail', message: t.neverConfigured({ account, min: minSoftDeleteDays }), evidence };
    }
    const enabled = known(policy.enabled, `whether blob soft delete is enabled on storage account ${account}`);
    if (!enabled) {
      return {
        status: 'fail',
        message: t.disabled({ account, min: minSoftDeleteDays }),
        evidence: { enabled, days: policy.days ?? null, minSoftDeleteDays },
      };
    }
    const days = known(policy.days, `the blob soft delete retention days of storage account ${account}`);
    const evidence = { enabled, days, minSoftDeleteDays };
    if (days < minSoftDeleteDays) return { status: 'fail', message: t.tooShort({ account, days, min: minSoftDeleteDays }), evidence };
    return { status: 'pass', message: t.enough({ account, days, min: minSoftDeleteDays }), evidence };
  },
});
