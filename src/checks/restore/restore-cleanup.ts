import { messages, text } from '../messages.js';
import { CONTROLS, defineCheck, postgresSlots } from '../types.js';

// The cleanup's own note (cleanup.message) comes from Azure or the local PostgreSQL: English in both languages.
const t = messages('restore-cleanup', {
  kept: text<{ target: string | null; note: string | null }>(
    (p) => `Kept ${p.target ?? 'the restore target'} on purpose (--keep): delete it when done${p.note ? ` (${p.note})` : ''}.`,
    (p) =>
      `${p.target ? `Cible ${p.target} conservée` : 'Cible de restauration conservée'} volontairement (--keep) : la supprimer une fois le travail terminé` +
      `${p.note ? ` (${p.note})` : ''}.`,
  ),
  leftover: text<{ leftover: string[]; target: string | null; note: string | null }>(
    (p) => `Not everything was deleted: ${p.leftover.join(', ') || p.target}${p.note ? ` (${p.note})` : ''}.`,
    (p) => `Tout n’a pas été supprimé : ${p.leftover.join(', ') || p.target}${p.note ? ` (${p.note})` : ''}.`,
  ),
  nothing: text(
    () => 'Nothing was created, so nothing was left behind.',
    () => 'Rien n’a été créé, donc rien n’est resté.',
  ),
  deleted: text<{ removed: string[] }>(
    (p) => `Deleted everything the test created: ${p.removed.join(', ')}.`,
    (p) => `Tout ce que le test a créé a été supprimé : ${p.removed.join(', ')}.`,
  ),
});

// A.8.10 (information deletion: a restored copy of patient data must not outlive the test) and A.8.13.

export const restoreCleanup = defineCheck({
  id: 'restore-cleanup',
  title: 'Everything the restore test created was deleted',
  severity: 'high',
  description:
    'Deletes what the restore test created (the new server, or the throwaway database) and waits for the deletion; with --keep the target stays and this check is warn.',
  risk: 'A forgotten restored copy is a second, unmonitored copy of patient data (and a bill).',
  remediation:
    "Delete the leftover now: `restorecheck restore-test cleanup --config <config-file>` deletes expired servers that carry restorecheck's tags and " +
    'ledger entry, or `az postgres flexible-server delete -g <resource-group> -n <leftover-server> --yes`.',
  fr: {
    title: 'Tout ce que le test de restauration a créé a été supprimé',
    description:
      'Supprime ce que le test de restauration a créé (le nouveau serveur, ou la base jetable) et attend la fin de la suppression ; avec --keep, la cible est ' +
      'conservée et ce contrôle est en avertissement.',
    risk: 'Une copie restaurée oubliée est une seconde copie, non surveillée, de données de patients (et une facture).',
    remediation:
      'Supprimer le reliquat maintenant : `restorecheck restore-test cleanup --config <config-file>` supprime les serveurs expirés qui portent les étiquettes de ' +
      'restorecheck et une entrée de son registre, ou `az postgres flexible-server delete -g <resource-group> -n <leftover-server> --yes`.',
  },
  slots: postgresSlots,
  controls: [CONTROLS.deletion, CONTROLS.backup],
  needs: [],
  uses: ['restore'],
  command: 'restore-test',
  async run(ctx) {
    const { cleanup, target } = ctx.restore;
    const evidence = { removed: cleanup.removed, leftover: cleanup.leftover, ...(cleanup.deletedAt ? { deletedAt: cleanup.deletedAt } : {}) };
    const note = cleanup.message || null;
    if (cleanup.status === 'kept') return { status: 'warn', message: t.kept({ target: target ?? null, note }), evidence };
    if (cleanup.status === 'failed' || cleanup.leftover.length > 0) {
      return { status: 'fail', message: t.leftover({ leftover: cleanup.leftover, target: target ?? null, note }), evidence };
    }
    if (cleanup.removed.length === 0) return { status: 'pass', message: t.nothing({}), evidence };
    return { status: 'pass', message: t.deleted({ removed: cleanup.removed }), evidence };
  },
});
