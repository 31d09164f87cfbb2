import { archiveSubject, incompleteNote } from '../../archive/archive-subject.js';
import type { JsonValue } from '../../vocabulary.js';
import { CONTROLS, defineCheck } from '../types.js';

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
  controls: [CONTROLS.backup, CONTROLS.hdsIntegrity, CONTROLS.hdsBackup],
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
      return { status: 'fail', message: `${v.fileName}: ${problems.join('; ')}${incompleteNote(v)}.`, evidence };
    }
    if (v.container.problem) {
      return {
        status: 'fail',
        message:
          `${v.fileName}: the ${v.dumps.length} dumps reached were ` +
          `sound, but ${v.container.layer === 'limit' ? 'the archive was not read to its end' : 'the archive is damaged'} (${v.container.problem}), so not every dump could be verified.`,
        evidence,
      };
    }
    if (v.dumps.length === 0) {
      return {
        status: 'fail',
        message: `${v.fileName} holds no dump that restorecheck knows how to verify; expected the dumps of the archive format.`,
        evidence,
      };
    }
    return {
      status: 'pass',
      message: `${v.fileName}: ${v.dumps.length} dumps decompress completely and carry their format markers (${v.dumps.map((d) => d.path).join(', ')}).`,
      evidence,
    };
  },
});
