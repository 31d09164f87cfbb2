/**
 * restore-safety-backup: the way back. Before `restorecheck restore` overwrote anything it took a backup of the current
 * state with `backup`'s own code (named `<name>-safety_…`, kept selfHosted.safetyBackupKeepDays whatever the retention
 * says). `--no-safety-backup` is recorded and warns: the operator said the current state was garbage.
 */
import { messages, text } from '../messages.js';
import type { Finding } from '../types.js';
import { CONTROLS, defineCheck } from '../types.js';

const t = messages('restore-safety-backup', {
  taken: text<{ fileName: string; size: string; seconds: number; keepDays: number; undo: string }>(
    (p) =>
      `A safety backup of what the restore overwrote was taken first: ${p.fileName} (${p.size}, ${p.seconds} s), kept ${p.keepDays} days. To undo: ${p.undo}.`,
    (p) =>
      `Une sauvegarde de sécurité de ce que la restauration a écrasé a été prise d’abord : ${p.fileName} (${p.size}, ${p.seconds} s), gardée ${p.keepDays} jours. Pour annuler : ${p.undo}.`,
  ),
  skipped: text<{ why: string }>(
    (p) => `No safety backup was taken (${p.why}): what the restore overwrote cannot be put back.`,
    (p) => `Aucune sauvegarde de sécurité n’a été prise (${p.why}) : ce que la restauration a écrasé ne peut pas être remis.`,
  ),
});

const megabytes = (bytes: number) => (bytes >= 1e9 ? `${(bytes / 1e9).toFixed(1)} GB` : `${(bytes / 1e6).toFixed(1)} MB`);

export const restoreSafetyBackup = defineCheck({
  id: 'restore-safety-backup',
  title: 'A safety backup of the overwritten state was taken before the restore',
  severity: 'high',
  description:
    'Before anything is stopped or overwritten, `restorecheck restore` backs up the components it is about to restore with the code of `restorecheck backup`, verifies that archive, and names it in the report with the command that undoes the restore.',
  risk: 'A restore from the wrong archive, or onto data that mattered, cannot be undone without a copy of what it replaced.',
  remediation:
    'Run restores without `--no-safety-backup` unless the current state is known garbage; keep the safety archive (`restorecheck backup --prune` leaves it for selfHosted.safetyBackupKeepDays).',
  fr: {
    title: 'Une sauvegarde de sécurité de l’état écrasé a été prise avant la restauration',
    description:
      'Avant d’arrêter ou d’écraser quoi que ce soit, `restorecheck restore` sauvegarde les composants qu’il va restaurer avec le code de `restorecheck backup`, vérifie cette archive et la nomme dans le rapport avec la commande qui annule la restauration.',
    risk: 'Une restauration depuis la mauvaise archive, ou par-dessus des données qui comptaient, ne peut pas être annulée sans copie de ce qu’elle a remplacé.',
    remediation:
      'Restaurer sans `--no-safety-backup`, sauf si l’état actuel est connu comme inutilisable ; garder l’archive de sécurité (`restorecheck backup --prune` la laisse selfHosted.safetyBackupKeepDays jours).',
  },
  // A.8.13: a copy before a change; A.8.32: a change (the restore) with a way back.
  controls: [CONTROLS.backup, CONTROLS.changeManagement],
  needs: [],
  uses: ['inPlace'],
  command: 'restore',
  async run(ctx): Promise<Finding> {
    const safety = ctx.inPlace.safetyBackup;
    if (safety.state === 'skipped') return { status: 'warn', message: t.skipped({ why: safety.why }), evidence: { taken: false, why: safety.why } };
    return {
      status: 'pass',
      message: t.taken({
        fileName: safety.fileName,
        size: megabytes(safety.sizeBytes),
        seconds: safety.seconds,
        keepDays: safety.keepDays,
        undo: ctx.inPlace.undoCommand ?? `restorecheck restore ${safety.path}`,
      }),
      evidence: {
        taken: true,
        archive: safety.path,
        sha256: safety.sha256,
        sizeBytes: safety.sizeBytes,
        seconds: safety.seconds,
        keepDays: safety.keepDays,
        undo: ctx.inPlace.undoCommand ?? null,
      },
    };
  },
});
