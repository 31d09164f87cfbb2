import { archiveSubject } from '../../archive/archive-subject.js';
import { messages, text } from '../messages.js';
import { CONTROLS, defineCheck } from '../types.js';

const t = messages('archive-integrity', {
  // The problem is the gzip/tar reader's (English in both languages).
  damaged: text<{ file: string; problem: string }>(
    (p) => `${p.file} is not a complete, valid tar.gz: ${p.problem}.`,
    (p) => `${p.file} n’est pas un tar.gz complet et valide : ${p.problem}.`,
  ),
  sound: text<{ file: string; entries: number; tarBytes: number }>(
    (p) => `${p.file}: the gzip stream and the tar structure are complete and valid (${p.entries} entries, ${p.tarBytes} bytes of tar).`,
    (p) => `${p.file} : le flux gzip et la structure tar sont complets et valides (${p.entries} entrées, ${p.tarBytes} octets de tar).`,
  ),
});

// A.8.13: a backup that can be read to its end.

export const archiveIntegrity = defineCheck({
  id: 'archive-integrity',
  title: 'The archive’s gzip stream and tar structure are complete and valid',
  severity: 'critical',
  description:
    'Decompresses the whole archive (gzip CRC-32 and length checked), walks every tar header (header checksums checked) and requires the ' +
    'end-of-archive blocks, so a truncated or damaged file is caught.',
  risk: 'A truncated or corrupt archive cannot be restored, and the damage often shows only at restore time, when it is too late.',
  remediation:
    'Find out why the archive is damaged (disk full during the backup, an interrupted copy, storage errors) and take a new backup; keep the previous good one.',
  fr: {
    title: 'Le flux gzip et la structure tar de l’archive sont complets et valides',
    description:
      'Décompresse toute l’archive (CRC-32 et longueur gzip vérifiés), parcourt chaque en-tête tar (sommes de contrôle des en-têtes vérifiées) et exige ' +
      'les blocs de fin d’archive : un fichier tronqué ou endommagé est détecté.',
    risk: 'Une archive tronquée ou corrompue ne peut pas être restaurée, et le dommage n’apparaît souvent qu’au moment de la restauration, quand il est trop tard.',
    remediation:
      'Chercher pourquoi l’archive est endommagée (disque plein pendant la sauvegarde, copie interrompue, erreurs de stockage) et refaire une sauvegarde ; ' +
      'conserver la précédente, saine.',
  },
  controls: [CONTROLS.backup],
  needs: ['archive'],
  command: 'verify',
  async run(ctx) {
    const { verification: v } = await archiveSubject(ctx.archive, ctx.config);
    const c = v.container;
    const evidence = { archive: v.fileName, compressedBytes: v.sizeBytes, tarBytes: c.tarBytes, entries: c.entries, ...(c.layer ? { layer: c.layer } : {}) };
    if (c.problem) {
      return { status: 'fail', message: t.damaged({ file: v.fileName, problem: c.problem }), evidence };
    }
    return { status: 'pass', message: t.sound({ file: v.fileName, entries: c.entries, tarBytes: c.tarBytes }), evidence };
  },
});
