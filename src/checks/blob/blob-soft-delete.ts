import type { LifecycleRule } from '../../azure/types.js';
import { documentedDefault, known } from '../azure-property.js';
import { type LocalText, asParam, fromParam, messages, text } from '../messages.js';
import type { JsonValue } from '../../vocabulary.js';
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
  permanentDelete: text<{ account: string }>(
    (p) =>
      `allowPermanentDelete is on for storage account ${p.account}: whoever may delete a blob may also purge its soft-deleted versions and snapshots at once, before the retention ends.`,
    (p) =>
      `allowPermanentDelete est activé sur le compte de stockage ${p.account} : quiconque peut supprimer un blob peut aussi purger aussitôt ses versions et instantanés supprimés, avant la fin de la rétention.`,
  ),
  lifecycleBase: text<{ rule: string; days: number; basis: string; min: number }>(
    (p) =>
      `Lifecycle rule "${p.rule}" deletes blobs ${p.days} days after their ${p.basis}, sooner than the ${p.min} days during which a deleted document must be recoverable.`,
    (p) =>
      `La règle de cycle de vie « ${p.rule} » supprime les blobs ${p.days} jours après leur ${FR_BASIS[p.basis] ?? p.basis}, avant les ${p.min} jours pendant lesquels un document supprimé doit pouvoir être récupéré.`,
  ),
  lifecycleVersions: text<{ rule: string; days: number; what: string; min: number }>(
    (p) =>
      `Lifecycle rule "${p.rule}" deletes ${p.what} ${p.days} days after their creation: an overwritten document can be brought back for ${p.days} days only, not ${p.min}.`,
    (p) =>
      `La règle de cycle de vie « ${p.rule} » supprime les ${p.what === 'previous versions' ? 'versions précédentes' : 'instantanés'} ${p.days} jours après leur création : ` +
      `un document écrasé ne peut être récupéré que pendant ${p.days} jours, et non ${p.min}.`,
  ),
  /** Several findings, each its own sentence, in the order found. */
  several: text<{ parts: JsonValue[] }>(
    (p) => p.parts.map((part) => fromParam(part, 'en')).join(' '),
    (p) => p.parts.map((part) => fromParam(part, 'fr')).join(' '),
  ),
});

const FR_BASIS: Record<string, string> = { modification: 'dernière modification', creation: 'création', 'last access': 'dernier accès' };

/** The enabled rules that reach the documents container (no prefix, or one naming it), or any container when none is configured. */
function rulesOn(rules: LifecycleRule[], container: string | undefined): LifecycleRule[] {
  return rules.filter(
    (rule) =>
      rule.enabled &&
      (!container ||
        rule.prefixMatch.length === 0 ||
        rule.prefixMatch.some((prefix) => {
          // prefixMatch is `container/blob-prefix`; a bare prefix matches every container whose name starts with it.
          const [first = '', ...rest] = prefix.split('/');
          return rest.length === 0 ? container.toLowerCase().startsWith(first.toLowerCase()) : first.toLowerCase() === container.toLowerCase();
        })),
  );
}

// A.8.13 (a deleted blob can be brought back) and A.5.33 (signed documents are records, protected from loss).
export const blobSoftDelete = defineCheck({
  id: 'blob-soft-delete',
  title: 'Blob soft delete is enabled for at least the required days',
  severity: 'high',
  description:
    "Reads deleteRetentionPolicy of the storage account's blob service from Resource Manager and compares its days with azure.storage.minSoftDeleteDays; " +
    'then the account lifecycle rules (ManagementPolicies_Get) that reach the documents container: one deleting blobs sooner than that fails, one deleting ' +
    'previous versions or snapshots sooner warns, and so does allowPermanentDelete (soft-deleted versions can be purged).',
  risk: 'Without soft delete, a deleted or overwritten signed document is gone at once, with no way back.',
  remediation:
    'Enable it: `az storage account blob-service-properties update -g <resource-group> -n <account> --enable-delete-retention true --delete-retention-days <days>`.',
  fr: {
    title: 'La suppression réversible (soft delete) des blobs est activée pour au moins la durée exigée',
    description:
      'Lit deleteRetentionPolicy du service blob du compte de stockage dans Resource Manager et compare sa durée en jours à azure.storage.minSoftDeleteDays ; ' +
      'puis les règles de cycle de vie du compte (ManagementPolicies_Get) qui touchent le conteneur des documents : une règle qui supprime les blobs plus tôt échoue, ' +
      'une règle qui supprime plus tôt les versions précédentes ou les instantanés avertit, de même que allowPermanentDelete (les versions supprimées peuvent être purgées).',
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

    // A setting is not a recovery (issue 18): a purge right, or a lifecycle rule deleting sooner than the retention,
    // still makes a deleted or overwritten document unrecoverable. Each is a finding with the rule's name.
    const rules = rulesOn(await ctx.gateways.azureStorage().getLifecycleRules(resourceGroup, account), ctx.config.azure.storage.container);
    const fails: LocalText[] = [];
    const warns: LocalText[] = [];
    const early: { rule: string; action: string; days: number }[] = [];
    for (const rule of rules) {
      if (rule.baseBlobDeleteAfterDays !== undefined && rule.baseBlobDeleteAfterDays < minSoftDeleteDays) {
        early.push({ rule: rule.name, action: 'baseBlob.delete', days: rule.baseBlobDeleteAfterDays });
        fails.push(
          t.lifecycleBase({ rule: rule.name, days: rule.baseBlobDeleteAfterDays, basis: rule.baseBlobDeleteBasis ?? 'modification', min: minSoftDeleteDays }),
        );
      }
      for (const [what, action, after] of [
        ['previous versions', 'version.delete', rule.versionDeleteAfterDays],
        ['snapshots', 'snapshot.delete', rule.snapshotDeleteAfterDays],
      ] as const) {
        if (after === undefined || after >= minSoftDeleteDays) continue;
        early.push({ rule: rule.name, action, days: after });
        warns.push(t.lifecycleVersions({ rule: rule.name, days: after, what, min: minSoftDeleteDays }));
      }
    }
    const allowPermanentDelete = policy.allowPermanentDelete === true;
    if (allowPermanentDelete) warns.push(t.permanentDelete({ account }));
    const full = { ...evidence, allowPermanentDelete, lifecycleRulesDeletingEarly: early };
    if (fails.length || warns.length) {
      return { status: fails.length ? 'fail' : 'warn', message: t.several({ parts: [...fails, ...warns].map(asParam) }), evidence: full };
    }
    return { status: 'pass', message: t.enough({ account, days, min: minSoftDeleteDays }), evidence: full };
  },
});
