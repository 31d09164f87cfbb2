import { CONTROLS, defineCheck } from '../types.js';

export const restoreCleanup = defineCheck({
  id: 'restore-cleanup',
  title: 'Everything the restore test created was deleted',
  severity: 'high',
  description:
    'Deletes what the restore test created (the new server, or the throwaway database) and waits for the deletion; with --keep the target stays and this check is warn.',
  risk: 'A forgotten restored copy is a second, unmonitored copy of patient data (and a bill).',
  remediation:
    "Delete the leftover now: `restorecheck restore-test cleanup --config FILE` deletes expired servers that carry restorecheck's tags and " +
    'ledger entry, or `az postgres flexible-server delete -g RG -n NAME --yes`.',
  controls: [CONTROLS.backup, CONTROLS.hdsBackup],
  needs: [],
  uses: ['restore'],
  command: 'restore-test',
  async run(ctx) {
    const { cleanup, target } = ctx.restore;
    const evidence = { removed: cleanup.removed, leftover: cleanup.leftover, ...(cleanup.deletedAt ? { deletedAt: cleanup.deletedAt } : {}) };
    if (cleanup.status === 'kept') {
      return {
        status: 'warn',
        message: `Kept ${target ?? 'the restore target'} on purpose (--keep): delete it when done${cleanup.message ? ` (${cleanup.message})` : ''}.`,
        evidence,
      };
    }
    if (cleanup.status === 'failed' || cleanup.leftover.length > 0) {
      return {
        status: 'fail',
        message: `Not everything was deleted: ${cleanup.leftover.join(', ') || target}${cleanup.message ? ` (${cleanup.message})` : ''}.`,
        evidence,
      };
    }
    if (cleanup.removed.length === 0) return { status: 'pass', message: 'Nothing was created, so nothing was left behind.', evidence };
    return { status: 'pass', message: `Deleted everything the test created: ${cleanup.removed.join(', ')}.`, evidence };
  },
});
