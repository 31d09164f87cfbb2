import type { BlobDrillOutcome } from '../../restore/blob-drill-outcome.js';
import { EvaluationError } from '../../errors.js';
import { english, messages, text } from '../messages.js';
import { CONTROLS, defineCheck } from '../types.js';

const HOW_FR: Record<string, string> = { undelete: 'restauration (Undelete Blob)', 'promote-version': 'promotion de sa version précédente' };
const HOW_EN: Record<string, string> = { undelete: 'Undelete Blob', 'promote-version': 'promoting its previous version' };
const STEP_FR: Record<string, string> = {
  upload: 'déposer le témoin',
  overwrite: 'écraser le témoin',
  delete: 'supprimer le témoin',
  list: 'lister les blobs supprimés et les versions',
  recover: 'récupérer le témoin',
  verify: 'relire le témoin',
};
const STEP_EN: Record<string, string> = {
  upload: 'upload the canary',
  overwrite: 'overwrite the canary',
  delete: 'delete the canary',
  list: 'list deleted blobs and versions',
  recover: 'bring the canary back',
  verify: 'read the canary back',
};

/** `container X of storage account Y`, in French. */
const frWhere = (where: string) => where.replace(/^container (.*) of storage account (.*)$/, 'le conteneur $1 du compte de stockage $2');

type CleanupParams = { cleanup: string; days: number | null; remaining: number };
const cleanupEn = (p: CleanupParams) =>
  p.cleanup === 'deleted'
    ? 'the canary and its versions were then deleted for good'
    : p.cleanup === 'left-to-expire'
      ? `the canary was then deleted; soft delete keeps ${p.remaining} entr${p.remaining === 1 ? 'y' : 'ies'} of it, which expire${p.days ? ` in ${p.days} days` : ' with the retention'} (the account does not allow a permanent delete)`
      : 'but the canary could not be deleted afterwards: delete it by hand';
const cleanupFr = (p: CleanupParams) =>
  p.cleanup === 'deleted'
    ? 'le témoin et ses versions ont ensuite été supprimés définitivement'
    : p.cleanup === 'left-to-expire'
      ? `le témoin a ensuite été supprimé ; la suppression réversible en garde ${p.remaining} entrée(s), qui expirent${p.days ? ` dans ${p.days} jours` : ' avec la rétention'} (le compte n’autorise pas la suppression définitive)`
      : 'mais le témoin n’a pas pu être supprimé ensuite : le supprimer à la main';

const t = messages('blob-recovery-drill', {
  notConfigured: text(
    () => 'azure.storage.drill is not configured (the drill needs a dedicated container).',
    () => 'azure.storage.drill n’est pas configuré (l’exercice demande un conteneur dédié).',
  ),
  recovered: text<{ where: string; canary: string; how: string; sha: string; seconds: number } & CleanupParams>(
    (p) =>
      `A canary deleted in ${p.where} came back by ${HOW_EN[p.how] ?? p.how} with the content it had (SHA-256 ${p.sha.slice(0, 16)}…); ${cleanupEn(p)}. ` +
      `The drill took ${p.seconds} s.`,
    (p) =>
      `Un témoin supprimé dans ${frWhere(p.where)} est revenu par ${HOW_FR[p.how] ?? p.how} ` +
      `avec le contenu qu’il avait (SHA-256 ${p.sha.slice(0, 16)}…) ; ${cleanupFr(p)}. L’exercice a duré ${p.seconds} s.`,
  ),
  gone: text<{ where: string }>(
    (p) =>
      `A canary deleted in ${p.where} was gone at once: listed with deleted blobs and versions included, nothing of it is left ` +
      '(blob soft delete and versioning are off, or someone purged it). A deleted document would be lost the same way.',
    (p) =>
      `Un témoin supprimé dans ${frWhere(p.where)} a disparu aussitôt : la liste avec les blobs supprimés et les versions n’en montre rien ` +
      '(suppression réversible et versionnage désactivés, ou purge). Un document supprimé serait perdu de la même façon.',
  ),
  notRestorable: text<{ where: string }>(
    (p) => `A canary deleted in ${p.where} was listed as deleted, but could not be brought back.`,
    (p) => `Un témoin supprimé dans ${frWhere(p.where)} apparaissait comme supprimé, mais n’a pas pu être récupéré.`,
  ),
  mismatch: text<{ where: string; got: string; want: string }>(
    (p) =>
      `The canary brought back in ${p.where} does not hold the content it had when deleted (SHA-256 ${p.got.slice(0, 16)}… instead of ${p.want.slice(0, 16)}…).`,
    (p) =>
      `Le témoin récupéré dans ${frWhere(p.where)} n’a pas le contenu qu’il avait à sa suppression (SHA-256 ${p.got.slice(0, 16)}… au lieu de ${p.want.slice(0, 16)}…).`,
  ),
  overwrittenLost: text<{ where: string }>(
    (p) => `The canary came back in ${p.where}, but its overwritten content is not kept as a previous version, although versioning is on.`,
    (p) =>
      `Le témoin est revenu dans ${frWhere(p.where)}, mais son contenu écrasé n’est pas conservé comme version précédente, bien que le versionnage soit activé.`,
  ),
  failed: text<{ where: string; step: string; reason: string }>(
    (p) => `The blob drill could not ${STEP_EN[p.step] ?? p.step} in ${p.where}: ${p.reason}`,
    (p) => `L’exercice n’a pas pu ${STEP_FR[p.step] ?? p.step} dans ${frWhere(p.where)} : ${p.reason}`,
  ),
});

const scope =
  '/subscriptions/<subscription>/resourceGroups/<resource-group>/providers/Microsoft.Storage/storageAccounts/<account>/blobServices/default/containers/<container>';

/** The evidence: every step with its time, the canary, what was listed, how it came back, the hashes and the cleanup. */
function evidenceOf(drill: BlobDrillOutcome) {
  return {
    where: drill.where,
    canary: drill.canary,
    versioning: drill.versioning,
    seconds: drill.seconds,
    steps: drill.steps.map((s) => ({ ...s })),
    listed: drill.listed ?? null,
    recovery: drill.recovery ?? null,
    sha256: { ...drill.sha256 },
    verdict: drill.verdict ?? null,
    cleanup: drill.cleanup ?? null,
  };
}

// A.8.13 (a backup is only as good as the restore it allows: here, of a deleted document) and A.5.33 (signed
// documents are records, protected from loss).
export const blobRecoveryDrill = defineCheck({
  id: 'blob-recovery-drill',
  title: 'A deleted blob really comes back (soft delete and versioning drill)',
  severity: 'high',
  description:
    'In the dedicated container azure.storage.drill.container, uploads a random canary, overwrites it, deletes it, lists the container with deleted blobs ' +
    'and versions, brings the canary back (its previous version when versioning is on, else Undelete Blob), compares its SHA-256, then deletes it.',
  risk: 'Soft delete that is on but does not work (a purge right, a lifecycle rule, a missing permission) leaves a deleted signed document unrecoverable.',
  remediation:
    'Turn blob soft delete on (`az storage account blob-service-properties update -g <resource-group> -n <account> --enable-delete-retention true ' +
    '--delete-retention-days <days>`), and give the identity Storage Blob Data Contributor on the drill container only: ' +
    `\`az role assignment create --assignee <identity object id> --role "Storage Blob Data Contributor" --scope ${scope}\`.`,
  fr: {
    title: 'Un blob supprimé revient réellement (exercice de suppression réversible et de versionnage)',
    description:
      'Dans le conteneur dédié azure.storage.drill.container, dépose un témoin aléatoire, l’écrase, le supprime, liste le conteneur avec les blobs supprimés ' +
      'et les versions, récupère le témoin (sa version précédente si le versionnage est activé, sinon Undelete Blob), compare son SHA-256, puis le supprime.',
    risk: 'Une suppression réversible activée mais inopérante (droit de purge, règle de cycle de vie, permission manquante) rend un document signé supprimé irrécupérable.',
    remediation:
      'Activer la suppression réversible des blobs (`az storage account blob-service-properties update -g <resource-group> -n <account> --enable-delete-retention true ' +
      '--delete-retention-days <days>`), et donner à l’identité le rôle Storage Blob Data Contributor sur le seul conteneur de l’exercice : ' +
      `\`az role assignment create --assignee <identity object id> --role "Storage Blob Data Contributor" --scope ${scope}\`.`,
  },
  slots: (config) => {
    const st = config.azure?.storage;
    return { 'resource-group': st?.resourceGroup, account: st?.account, container: st?.drill?.container, days: st?.minSoftDeleteDays };
  },
  controls: [CONTROLS.backup, CONTROLS.records],
  needs: ['azureStorage'],
  uses: ['blobDrill'],
  command: 'restore-test',
  notApplicable: (config) => (config.azure?.storage?.drill ? undefined : t.notConfigured({})),
  async run(ctx) {
    const drill = ctx.blobDrill;
    const evidence = evidenceOf(drill);
    const where = drill.where;
    if (drill.failure) {
      // Not evaluated (a refusal, a network error): `error`, with the step, Azure's words and the role to grant.
      const { kind, message, hint, requestId, step } = drill.failure;
      throw new EvaluationError(
        kind === 'restore-failed' ? 'invalid-response' : kind,
        english(t.failed({ where, step, reason: message })),
        hint,
        // The steps that ran stay in the report beside the error.
        { ...(requestId ? { requestId } : {}), evidence: { ...evidence, failure: { ...drill.failure } } },
      );
    }
    if (drill.verdict === 'gone') return { status: 'fail', message: t.gone({ where }), evidence };
    if (drill.verdict === 'not-restorable' || !drill.verdict) return { status: 'fail', message: t.notRestorable({ where }), evidence };
    if (drill.verdict === 'mismatch') {
      const got = drill.sha256.recovered ?? '';
      if (got !== drill.sha256.expected) return { status: 'fail', message: t.mismatch({ where, got, want: drill.sha256.expected }), evidence };
      return { status: 'fail', message: t.overwrittenLost({ where }), evidence };
    }
    const cleanup = drill.cleanup ?? { status: 'failed', remaining: -1 };
    const params = {
      where,
      canary: drill.canary,
      how: drill.recovery?.by ?? 'undelete',
      sha: drill.sha256.recovered ?? '',
      seconds: drill.seconds,
      cleanup: cleanup.status,
      days: cleanup.remainingRetentionDays ?? null,
      remaining: cleanup.remaining,
    };
    // Recovered, but the canary stayed: the drill container keeps a test blob nobody asked for.
    return { status: cleanup.status === 'failed' ? 'warn' : 'pass', message: t.recovered(params), evidence };
  },
});
