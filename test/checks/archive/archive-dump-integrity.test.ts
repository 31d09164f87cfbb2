import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DumpResult } from '../../../src/archive/verify-archive.js';
import { archiveDumpIntegrity } from '../../../src/checks/archive/archive-dump-integrity.js';
import { EvaluationError } from '../../../src/errors.js';
import { FILE_NAME, defaultDumps, verification } from '../../helpers/archive-verification.js';
import { runCheck } from '../../helpers/run-check.js';

/** The default dumps, with `problems` (path → problem) set on theirs. */
function dumpsWith(problems: Record<string, string>): DumpResult[] {
  return defaultDumps().map((dump) => (problems[dump.path] ? { ...dump, problem: problems[dump.path] } : dump));
}
const TRUNCATED_PG = 'the `-- PostgreSQL database dump complete` trailer is missing (the dump was cut short)';
const BAD_CRC = "the RDB's CRC-64 is 0000000000000001 but its content hashes to 8c1f0e4b2d7a9e13";

describe('archive-dump-integrity', () => {
  it('passes when every dump is complete, listing them', async () => {
    const result = await runCheck(archiveDumpIntegrity);
    assert.equal(result.status, 'pass', result.message);
    const listedDumps = 'postgres_full.sql.gz, redis_dump.rdb, mongodb/dump.archive.gz, minio/data.tar.gz';
    assert.equal(result.message, `${FILE_NAME}: 4 dumps decompress completely and carry their format markers (${listedDumps}).`);
    const dumps = result.evidence.dumps as Record<string, Record<string, unknown>>;
    assert.deepEqual(Object.keys(dumps), ['minio/data.tar.gz', 'mongodb/dump.archive.gz', 'postgres_full.sql.gz', 'redis_dump.rdb']);
    assert.deepEqual(dumps['postgres_full.sql.gz'], {
      kind: 'postgres-dump',
      ok: true,
      compressedBytes: 1_482_113,
      decompressedBytes: 9_874_332,
      dumpKind: 'database',
      serverVersion: '16.4',
      pgDumpVersion: '16.4',
    });
    assert.equal((result.evidence.limits as Record<string, number>).maxEntries, 100_000);
    assert.equal('limitExceeded' in result.evidence, false);
  });

  it('fails for a dump cut short, naming the dump and what is missing', async () => {
    const result = await runCheck(archiveDumpIntegrity, { archive: verification({ dumps: dumpsWith({ 'postgres_full.sql.gz': TRUNCATED_PG }) }) });
    assert.equal(result.status, 'fail');
    assert.equal(result.message, `${FILE_NAME}: postgres_full.sql.gz: ${TRUNCATED_PG}.`);
    const dumps = result.evidence.dumps as Record<string, Record<string, unknown>>;
    assert.equal(dumps['postgres_full.sql.gz']?.ok, false);
    assert.equal(dumps['postgres_full.sql.gz']?.problem, TRUNCATED_PG);
    assert.equal(dumps['redis_dump.rdb']?.ok, true);
  });

  it('names every failing dump, in path order', async () => {
    const archive = verification({ dumps: dumpsWith({ 'redis_dump.rdb': BAD_CRC, 'postgres_full.sql.gz': TRUNCATED_PG }) });
    const result = await runCheck(archiveDumpIntegrity, { archive });
    assert.equal(result.status, 'fail');
    assert.equal(result.message, `${FILE_NAME}: postgres_full.sql.gz: ${TRUNCATED_PG}; redis_dump.rdb: ${BAD_CRC}.`);
  });

  it('says a failing list may be incomplete when the archive broke', async () => {
    const archive = verification({
      dumps: dumpsWith({ 'mongodb/dump.archive.gz': 'the archive is damaged inside this member: it could not be read to its end' }).slice(0, 3),
      container: { problem: 'the gzip stream is truncated (unexpected end of file)', layer: 'gzip', tarBytes: 2_097_152, entries: 6 },
    });
    const result = await runCheck(archiveDumpIntegrity, { archive });
    assert.equal(result.status, 'fail');
    assert.match(result.message, /mongodb\/dump\.archive\.gz: the archive is damaged inside this member: it could not be read to its end /);
    assert.match(result.message, / \(the archive could not be read to its end, so this is what was seen before the damage\)\.$/);
  });

  it('fails when the dumps reached were sound but the archive is damaged after them', async () => {
    const archive = verification({
      dumps: defaultDumps().slice(0, 2),
      container: { problem: 'the gzip stream is truncated (unexpected end of file)', layer: 'gzip', tarBytes: 1_572_864, entries: 4 },
    });
    const result = await runCheck(archiveDumpIntegrity, { archive });
    assert.equal(result.status, 'fail');
    const damage = 'the archive is damaged (the gzip stream is truncated (unexpected end of file))';
    assert.equal(result.message, `${FILE_NAME}: the 2 dumps reached were sound, but ${damage}, so not every dump could be verified.`);
  });

  it('fails when a decompression limit stopped the read, saying it was not read to its end', async () => {
    const detail = 'the archive: expands more than 200:1 (3400000000 bytes from 16000000; limits.maxExpansionRatio)';
    const archive = verification({
      dumps: defaultDumps().slice(0, 1),
      container: { problem: `decompression stopped: ${detail}`, layer: 'limit', tarBytes: 3_400_000_000, entries: 2 },
      limitExceeded: { where: 'the archive', detail },
    });
    const result = await runCheck(archiveDumpIntegrity, { archive });
    assert.equal(result.status, 'fail');
    assert.match(result.message, /the 1 dumps reached were sound, but the archive was not read to its end \(decompression stopped: /);
    assert.match(result.message, /limits\.maxExpansionRatio\)\), so not every dump could be verified\.$/);
    assert.deepEqual(result.evidence.limitExceeded, { where: 'the archive', detail });
  });

  it('fails for an archive holding no dump it knows', async () => {
    const result = await runCheck(archiveDumpIntegrity, { archive: verification({ dumps: [] }) });
    assert.equal(result.status, 'fail');
    assert.equal(result.message, `${FILE_NAME} holds no dump that restorecheck knows how to verify; expected the dumps of the archive format.`);
    assert.deepEqual(result.evidence.dumps, {});
  });

  it('is skipped without an archive, and an error when the archive cannot be read', async () => {
    const skipped = await runCheck(archiveDumpIntegrity, { archive: null });
    assert.equal(skipped.status, 'skipped');
    assert.equal(skipped.message, 'Not evaluated: no archive to verify.');
    const notAFile = new EvaluationError('not-found', `/var/backups/${FILE_NAME} is not a regular file`, 'pass the path of a .tar.gz archive');
    const missing = () => Promise.reject(notAFile);
    const error = await runCheck(archiveDumpIntegrity, { archive: missing });
    assert.equal(error.status, 'error');
    assert.equal(error.errorKind, 'not-found');
    assert.match(error.message, /is not a regular file\.$/);
  });
});
