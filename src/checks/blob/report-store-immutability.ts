import { EvaluationError } from '../../errors.js';
import { CONTROLS, defineCheck } from '../types.js';

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
    'Set a policy and lock it (locking cannot be undone): `az storage container immutability-policy create -g RG --account-name ACCOUNT -c CONTAINER ' +
    '--period 365`, then `az storage container immutability-policy lock -g RG --account-name ACCOUNT -c CONTAINER --if-match ETAG`.',
  // A.5.33 (protection of records) is cited inline: it is this check's alone.
  controls: [CONTROLS.logging, { framework: 'ISO27001:2022', control: 'A.5.33' }, CONTROLS.hdsIntegrity],
  needs: [],
  command: 'check',
  notApplicable: (config) => {
    if (!config.report?.store) return 'no report.store in the configuration';
    if (!config.azure) return 'no azure section in the configuration (azure.subscriptionId, to read the container through Resource Manager)';
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
    const versionLevelImmutability = found.versionLevelImmutability ?? false;
    const policy = found.policy;
    if (!policy) {
      const evidence = { policy: null, neverConfigured: true, versionLevelImmutability, minRetentionDays: minDays };
      return {
        status: 'fail',
        message:
          `The report store's ${where} has no time-based retention policy (never configured)` +
          `${versionLevelImmutability ? ', only version-level immutability, which protects no blob by itself' : ''}; ` +
          `expected a locked policy of at least ${minDays} days.`,
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
        message:
          `The report store's ${where} has an ${state.toLowerCase()} retention policy of ${days} days: it can still be shortened or deleted; ` +
          `expected locked, at least ${minDays} days.`,
        evidence,
      };
    }
    if (days < minDays) {
      return {
        status: 'fail',
        message: `The report store's ${where} keeps blobs for ${days} days under its locked policy; expected at least ${minDays} days.`,
        evidence,
      };
    }
    return { status: 'pass', message: `The report store's ${where} has a locked retention policy of ${days} days (at least ${minDays}).`, evidence };
  },
});
