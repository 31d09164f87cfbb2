import { archiveSubject } from '../../archive/archive-subject.js';
import type { JsonValue } from '../../vocabulary.js';
import { INCOMPLETE_EN, INCOMPLETE_FR } from '../archive-texts.js';
import { messages, text } from '../messages.js';
import { CONTROLS, defineCheck } from '../types.js';

// The problems are the verifier's (English in both languages).
const t = messages('archive-dump-integrity', {
  broken: text<{ file: string; problems: string[]; incomplete: boolean }>(
    (p) => `${p.file}: ${p.problems.join('; ')}${p.incomplete ? INCOMPLETE_EN : ''}.`,
    (p) => `${p.file} : ${p.problems.join(' ; ')}${p.incomplete ? INCOMPLETE_FR : ''}.`,
  ),
  unfinished: text<{ file: string; count: number; limit: boolean; problem: string }>(
    (p) =>
      `${p.file}: the ${p.count} dumps reached were ` +
      `sound, but ${p.limit ? 'the archive was not read to its end' : 'the archive is damaged'} (${p.problem}), so not every dump could be verified.`,
    (p) =>
      `${p.file} : les ${p.count} exports atteints sont sains, mais ${p.limit ? 'l’archive n’a pas été lue jusqu’au bout' : 'l’archive est endommagée'} ` +
      `(${p.problem}) : tous les exports n’ont pas pu être vérifiés.`,
  ),
  none: text<{ file: string }>(
    (p) => `${p.file} holds no dump that restorecheck knows how to verify; expected the dumps of the archive format.`,
    (p) => `${p.file} ne contient aucun export que restorecheck sait vérifier ; les exports du format d’archive sont attendus.`,
  ),
  sound: text<{ file: string; paths: string[] }>(
    (p) => `${p.file}: ${p.paths.length} dumps decompress completely and carry their format markers (${p.paths.join(', ')}).`,
    (p) => `${p.file} : ${p.paths.length} exports se décompressent entièrement et portent les marqueurs de leur format (${p.paths.join(', ')}).`,
  ),
});

// A.8.13: every data store's dump in the backup is complete.

export const archiveDumpIntegrity = defineCheck({
  id: 'archive-dump-integrity',
  title: 'Every dump inside the archive is complete and in its own format',
  severity: 'critical',
  description:
    'Decompresses every compressed member completely (gzip CRC-32 and length) and checks each dump’s own markers: the PostgreSQL plain-dump ' +
    'header and its `dump complete` trailer, the MariaDB/MySQL dump header and `Dump completed` trailer, the Redis RDB magic, version and ' +
    'CRC-64 trailer, the mongodump archive magic number and final terminator, and that MinIO’s data.tar.gz is a complete tar with safe entries. Decompression-bomb limits apply.',
  risk: 'An archive can be intact while a dump inside it was cut short (disk full, a killed pg_dump): the restore then silently lacks data.',
  remediation:
    'Look at the backup job’s log for the dump that failed (a killed or failing pg_dump/mariadb-dump/redis SAVE/mongodump), fix it, and take a new backup.',
  fr: {
    title: 'Chaque export contenu dans l’archive est complet et dans son propre format',
    description:
      'Décompresse entièrement chaque membre compressé (CRC-32 et longueur gzip) et vérifie les marqueurs propres à chaque export : l’en-tête d’un export ' +
      'PostgreSQL en texte et sa fin `dump complete`, l’en-tête d’un export MariaDB/MySQL et sa fin `Dump completed`, le nombre magique, la version et le ' +
      'CRC-64 final d’un RDB Redis, le nombre magique et le terminateur final d’une archive mongodump, et que data.tar.gz de MinIO est un tar complet aux ' +
      'entrées sûres. Des limites contre les bombes de décompression s’appliquent.',
    risk: 'Une archive peut être intacte alors qu’un export qu’elle contient a été interrompu (disque plein, pg_dump tué) : la restauration manque alors de données sans le dire.',
    remediation:
      'Chercher dans le journal de la tâche de sauvegarde l’export qui a échoué (un pg_dump/mariadb-dump/SAVE redis/mongodump tué ou en erreur), le corriger, ' +
      'et refaire une sauvegarde.',
  },
  controls: [CONTROLS.backup],
  needs: ['archive'],
  command: 'verify',
  async run(ctx) {
    const { verification: v } = await archiveSubject(ctx.archive, ctx.config);
    const dumps: Record<string, JsonValue> = {};
    const problems: string[] = [];
    for (const dump of [...v.dumps].sort((a, b) => a.path.localeCompare(b.path))) {
      dumps[dump.path] = { kind: dump.kind, ok: dump.problem === undefined, ...(dump.problem ? { problem: dump.problem } : {}), ...dump.details };
      if (dump.problem) problems.push(`${dump.path}: ${dump.problem}`);
    }
    const evidence = { archive: v.fileName, dumps, limits: v.limits, ...(v.limitExceeded ? { limitExceeded: v.limitExceeded } : {}) };
    if (problems.length > 0) {
      return { status: 'fail', message: t.broken({ file: v.fileName, problems, incomplete: Boolean(v.container.problem) }), evidence };
    }
    if (v.container.problem) {
      return {
        status: 'fail',
        message: t.unfinished({ file: v.fileName, count: v.dumps.length, limit: v.container.layer === 'limit', problem: v.container.problem }),
        evidence,
      };
    }
    if (v.dumps.length === 0) {
      return { status: 'fail', message: t.none({ file: v.fileName }), evidence };
    }
    return { status: 'pass', message: t.sound({ file: v.fileName, paths: v.dumps.map((d) => d.path) }), evidence };
  },
});
