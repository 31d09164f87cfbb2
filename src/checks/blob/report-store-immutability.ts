import type { Config } from '../../config/schema.js';
import { EvaluationError } from '../../errors.js';
import { messages, text } from '../messages.js';
import { CONTROLS, defineCheck } from '../types.js';

type Where = { container: string; account: string };
const t = messages('report-store-immutability', {
  neverConfigured: text<Where & { minDays: number; versionLevel: boolean }>(
    (p) =>
      `The report store's container ${p.container} of storage account ${p.account} has no time-based retention policy (never configured)` +
      `${p.versionLevel ? ', only version-level immutability, which protects no blob by itself' : ''}; expected a locked policy of at least ${p.minDays} days.`,
    (p) =>
      `Le conteneur ${p.container} du compte de stockage ${p.account} (magasin des rapports) n’a aucune stratégie de rétention limitée dans le temps (jamais configurée)` +
      `${p.versionLevel ? ', seulement l’immuabilité au niveau des versions, qui ne protège aucun blob à elle seule' : ''} ; ` +
      `une stratégie verrouillée d’au moins ${p.minDays} jours est attendue.`,
  ),
  unlocked: text<Where & { state: string; days: number; minDays: number }>(
    (p) =>
      `The report store's container ${p.container} of storage account ${p.account} has an ${p.state.toLowerCase()} retention policy of ${p.days} days: ` +
      `it can still be shortened or deleted; expected locked, at least ${p.minDays} days.`,
    (p) =>
      `Le conteneur ${p.container} du compte de stockage ${p.account} (magasin des rapports) a une stratégie de rétention de ${p.days} jours non verrouillée ` +
      `(état ${p.state}) : elle peut encore être raccourcie ou supprimée ; verrouillée, d’au moins ${p.minDays} jours, attendue.`,
  ),
  tooShort: text<Where & { days: number; minDays: number }>(
    (p) =>
      `The report store's container ${p.container} of storage account ${p.account} keeps blobs for ${p.days} days under its locked policy; ` +
      `expected at least ${p.minDays} days.`,
    (p) =>
      `Le conteneur ${p.container} du compte de stockage ${p.account} (magasin des rapports) conserve les blobs ${p.days} jours sous sa stratégie verrouillée ; ` +
      `au moins ${p.minDays} jours attendus.`,
  ),
  locked: text<Where & { days: number; minDays: number }>(
    (p) =>
      `The report store's container ${p.container} of storage account ${p.account} has a locked retention policy of ${p.days} days (at least ${p.minDays}).`,
    (p) =>
      `Le conteneur ${p.container} du compte de stockage ${p.account} (magasin des rapports) a une stratégie de rétention verrouillée de ${p.days} jours ` +
      `(au moins ${p.minDays}).`,
  ),
  noStore: text(
    () => 'no report.store in the configuration',
    () => 'pas de report.store dans la configuration',
  ),
  noAzure: text(
    () => 'no azure section in the configuration (azure.subscriptionId, to read the container through Resource Manager)',
    () => 'pas de section azure dans la configuration (azure.subscriptionId, pour lire le conteneur par Resource Manager)',
  ),
});

function storeSlots(config: Config): Record<string, string | number | undefined> {
  const store = config.report?.store;
  return {
    'resource-group': store?.resourceGroup ?? config.azure?.storage?.resourceGroup,
    account: store?.account,
    container: store?.container,
    days: config.report?.minRetentionDays ?? 365,
  };
}

/**
 * The report store (report.store) is the record an auditor relies on for 12 months and more: it must be kept where nobody,
 * restorecheck's own identity included, can rewrite or delete it. Azure's answer is a container-level time-based retention
 * policy in the Locked state: while it runs, no blob can be overwritten or deleted, and a locked policy can be extended
 * but never shortened or removed. An unlocked policy can be shortened or deleted by anyone with write access to the
 * account, so it proves nothing.
 *
 * Version-level immutability (immutableStorageWithVersioning) alone does not pass: it lets policies be set per blob
 * version, but restorecheck sets none, and a blob without one is not protected. The container's default policy, which new
 * versions inherit, is what the check reads in both cases, so the same rule applies; the evidence says which mode it is.
 */
export const reportStoreImmutability = defineCheck({
  id: 'report-store-immutability',
  title: 'The report store keeps its records under a locked retention policy',
  severity: 'high',
  description:
    "Reads the time-based retention (immutability) policy of report.store's container from Resource Manager (BlobContainers_Get): " +
    'it must be Locked, with a retention period of at least report.minRetentionDays (default 365).',
  risk: 'Without a locked policy the stored reports and audit lines can be overwritten or deleted: the record of the restore tests is not a record an auditor can rely on.',
  remediation:
    'Set a policy and lock it (locking cannot be undone): `az storage container immutability-policy create -g <resource-group> --account-name <account> ' +
    '-c <container> --period <days>`, then `az storage container immutability-policy lock -g <resource-group> --account-name <account> -c <container> ' +
    '--if-match <etag>`.',
  fr: {
    title: 'Le magasin des rapports conserve ses enregistrements sous une stratégie de rétention verrouillée',
    description:
      'Lit dans Resource Manager (BlobContainers_Get) la stratégie de rétention limitée dans le temps (immuabilité) du conteneur de report.store : ' +
      'elle doit être verrouillée (Locked), avec une durée de rétention d’au moins report.minRetentionDays (365 par défaut).',
    risk:
      'Sans stratégie verrouillée, les rapports et les lignes du journal d’audit conservés peuvent être écrasés ou supprimés : ' +
      'l’enregistrement des tests de restauration n’est pas une preuve sur laquelle un auditeur peut s’appuyer.',
    remediation:
      'Créer une stratégie puis la verrouiller (le verrouillage est irréversible) : `az storage container immutability-policy create -g <resource-group> ' +
      '--account-name <account> -c <container> --period <days>`, puis `az storage container immutability-policy lock -g <resource-group> ' +
      '--account-name <account> -c <container> --if-match <etag>`.',
  },
  slots: storeSlots,
  // A.8.15 (the log of what was run) and A.5.33 (records protected from falsification and deletion).
  controls: [CONTROLS.logging, CONTROLS.records],
  needs: [],
  command: 'check',
  notApplicable: (config) => {
    if (!config.report?.store) return t.noStore({});
    if (!config.azure) return t.noAzure({});
    return undefined;
  },
  async run(ctx) {
    const store = ctx.config.report?.store;
    const resourceGroup = store?.resourceGroup ?? ctx.config.azure?.storage?.resourceGroup;
    if (!store) throw new EvaluationError('internal', 'report.store is not configured', 'report-store-immutability runs only with report.store');
    if (!resourceGroup) {
      throw new EvaluationError(
        'config',
        `no resource group for the report store's storage account ${store.account}`,
        'set report.store.resourceGroup (or azure.storage.resourceGroup when the store is in that account)',
      );
    }
    const minDays = ctx.config.report?.minRetentionDays ?? 365;
    const { account, container } = store;
    const found = await ctx.gateways.reportStore().getContainerImmutability(resourceGroup, account, container);
    const where = `container ${container} of storage account ${account}`;
    const names = { container, account, minDays };
    const versionLevelImmutability = found.versionLevelImmutability ?? false;
    const policy = found.policy;
    if (!policy) {
      const evidence = { policy: null, neverConfigured: true, versionLevelImmutability, minRetentionDays: minDays };
      return {
        status: 'fail',
        message: t.neverConfigured({ ...names, versionLevel: versionLevelImmutability }),
        evidence,
      };
    }
    const { state, immutabilityPeriodSinceCreationInDays: days } = policy;
    if (state === undefined || days === undefined) {
      throw new EvaluationError(
        'invalid-response',
        `the immutability policy of ${where} is unknown: Resource Manager did not say its ${state === undefined ? 'state' : 'retention period'}`,
        'check the container in the Azure portal (Data management → Immutability policies)',
      );
    }
    const evidence = { state, retentionDays: days, minRetentionDays: minDays, versionLevelImmutability };
    if (state.toLowerCase() !== 'locked') {
      return {
        status: 'fail',
        message: t.unlocked({ ...names, state, days }),
        evidence,
      };
    }
    if (days < minDays) {
      return {
        status: 'fail',
        message: t.tooShort({ ...names, days }),
        evidence,
      };
    }
    return { status: 'pass', message: t.locked({ ...names, days }), evidence };
  },
});
