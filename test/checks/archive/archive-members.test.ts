import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { archiveMembers } from '../../../src/checks/archive/archive-members.js';
import { FILE_NAME, defaultEntries, memberEntry, verification } from '../../helpers/archive-verification.js';
import { runCheck } from '../../helpers/run-check.js';

const TOP = FILE_NAME.slice(0, -'.tar.gz'.length);
const REQUIRED = ['metadata.json', 'postgres_full.sql.gz', 'redis_dump.rdb', 'mongodb/dump.archive.gz', 'minio/data.tar.gz'];
/** The default entries, plus `extra`, minus the members named in `without`. */
const entries = (extra: ReturnType<typeof memberEntry>[] = [], without: string[] = []) => [
  ...defaultEntries().filter((e) => !without.includes(e.path ?? '')),
  ...extra,
];

describe('archive-members', () => {
  it('passes for exactly the required members under the top folder', async () => {
    const result = await runCheck(archiveMembers);
    assert.equal(result.status, 'pass', result.message);
    assert.equal(result.message, `${FILE_NAME} (production) holds 5 members under ${TOP}/: every required one, nothing unexpected, duplicated or unsafe.`);
    assert.deepEqual(result.evidence.present, [...REQUIRED].sort());
    assert.deepEqual(result.evidence.required, REQUIRED);
    assert.deepEqual(result.evidence.optional, ['mariadb_full.sql.gz']);
    assert.deepEqual(result.evidence.missing, []);
    assert.equal(result.evidence.unexpectedCount, 0);
  });

  it('accepts an optional member and the `./` entry of `tar -C dir .`', async () => {
    const root = { rawName: './', type: 'directory', size: 0, normalized: '', root: true };
    const result = await runCheck(archiveMembers, { archive: verification({ entries: [root, ...entries([memberEntry('mariadb_full.sql.gz')])] }) });
    assert.equal(result.status, 'pass', result.message);
    assert.match(result.message, /holds 6 members/);
    assert.ok((result.evidence.present as string[]).includes('mariadb_full.sql.gz'));
  });

  it('fails for a missing required member, naming it and the expectation', async () => {
    const result = await runCheck(archiveMembers, { archive: verification({ entries: entries([], ['redis_dump.rdb']) }) });
    assert.equal(result.status, 'fail');
    assert.equal(result.message, `${FILE_NAME} (production): missing redis_dump.rdb; expected exactly the required members under ${TOP}/.`);
    assert.deepEqual(result.evidence.missing, ['redis_dump.rdb']);
  });

  it('counts a required member that is a directory as missing, and the directory as unexpected', async () => {
    const result = await runCheck(archiveMembers, { archive: verification({ entries: entries([memberEntry('redis_dump.rdb/')], ['redis_dump.rdb']) }) });
    assert.equal(result.status, 'fail');
    assert.match(result.message, /: missing redis_dump\.rdb; unexpected entries .*\/redis_dump\.rdb\/;/);
  });

  it('fails for an unsafe entry, naming why', async () => {
    const link = memberEntry('latest.sql.gz', { type: 'symlink', unsafe: 'symbolic link to "/etc/shadow"', path: undefined });
    const result = await runCheck(archiveMembers, { archive: verification({ entries: entries([link]) }) });
    assert.equal(result.status, 'fail');
    assert.match(result.message, new RegExp(`: unsafe entries ${TOP}/latest\\.sql\\.gz \\(symbolic link to "/etc/shadow"\\); expected exactly`));
    assert.deepEqual(result.evidence.unsafe, [`${TOP}/latest.sql.gz (symbolic link to "/etc/shadow")`]);
    assert.equal(result.evidence.unexpectedCount, 0);
  });

  it('fails for an entry outside the top folder', async () => {
    const stray = { rawName: 'tmp/notes.txt', type: 'file', size: 12, normalized: 'tmp/notes.txt', outsideTop: true };
    const result = await runCheck(archiveMembers, { archive: verification({ entries: entries([stray]) }) });
    assert.equal(result.status, 'fail');
    assert.match(result.message, new RegExp(`: unexpected entries tmp/notes\\.txt \\(outside ${TOP}/\\); expected`));
  });

  it('fails for an unexpected file and an unexpected directory, but not for a member’s own directory', async () => {
    const result = await runCheck(archiveMembers, { archive: verification({ entries: entries([memberEntry('notes.txt'), memberEntry('old/')]) }) });
    assert.equal(result.status, 'fail');
    assert.match(result.message, new RegExp(`: unexpected entries ${TOP}/notes\\.txt, ${TOP}/old/; expected`));
    assert.deepEqual(result.evidence.unexpected, [`${TOP}/notes.txt`, `${TOP}/old/`]);
    assert.equal(result.evidence.unexpectedCount, 2);
  });

  it('fails for a duplicate entry, with how many times it appears', async () => {
    const again = memberEntry('postgres_full.sql.gz', { rawName: `./${TOP}/postgres_full.sql.gz` });
    const result = await runCheck(archiveMembers, { archive: verification({ entries: entries([again]) }) });
    assert.equal(result.status, 'fail');
    assert.match(result.message, new RegExp(`: duplicate entries ${TOP}/postgres_full\\.sql\\.gz \\(2 times\\); expected`));
    assert.equal(result.evidence.duplicatesCount, 1);
  });

  it('lists every kind of problem, in order: missing, unsafe, duplicate, unexpected', async () => {
    const archive = verification({
      entries: entries(
        [memberEntry('notes.txt'), memberEntry('metadata.json'), memberEntry('x', { type: 'fifo', unsafe: 'FIFO (named pipe)', path: undefined })],
        ['minio/data.tar.gz'],
      ),
    });
    const result = await runCheck(archiveMembers, { archive });
    assert.equal(result.status, 'fail');
    const parts = ['missing minio/data.tar.gz; ', `unsafe entries ${TOP}/x (FIFO (named pipe)); `, `duplicate entries ${TOP}/metadata.json (2 times); `];
    const at = [...parts, `unexpected entries ${TOP}/notes.txt; `].map((part) => result.message.indexOf(part));
    assert.ok(
      at.every((index, i) => index > (i === 0 ? 0 : at[i - 1]!)),
      result.message,
    );
  });

  it('bounds long lists in the message and the evidence, with the full count', async () => {
    const junk = Array.from({ length: 60 }, (_, i) => memberEntry(`junk-${String(i).padStart(2, '0')}.bin`));
    const result = await runCheck(archiveMembers, { archive: verification({ entries: entries(junk) }) });
    assert.equal(result.status, 'fail');
    assert.match(result.message, /junk-05\.bin and 54 more; expected/);
    assert.equal((result.evidence.unexpected as string[]).length, 50);
    assert.equal(result.evidence.unexpectedCount, 60);
  });

  it('follows the environment’s requiredMembers from the configuration', async () => {
    const config = { archives: { environments: { production: { requiredMembers: ['metadata.json', 'postgres_full.sql.gz'], optionalMembers: [] } } } };
    const lean = verification({ entries: defaultEntries().filter((e) => ['', 'metadata.json', 'postgres_full.sql.gz'].includes(e.path ?? '')) });
    const pass = await runCheck(archiveMembers, { archive: lean, config });
    assert.equal(pass.status, 'pass', pass.message);
    assert.match(pass.message, /holds 2 members/);
    const full = await runCheck(archiveMembers, { config });
    assert.equal(full.status, 'fail');
    assert.match(full.message, /unexpected entries .*redis_dump\.rdb, .*mongodb\/, .*mongodb\/dump\.archive\.gz/);
  });

  it('says the list may be incomplete when the archive broke, and fails even when nothing is missing', async () => {
    const container = { problem: 'the gzip stream is truncated (unexpected end of file)', layer: 'gzip' as const, tarBytes: 2_097_152, entries: 5 };
    const cut = await runCheck(archiveMembers, { archive: verification({ entries: entries([], ['minio/', 'minio/data.tar.gz']), container }) });
    assert.equal(cut.status, 'fail');
    assert.match(cut.message, /missing minio\/data\.tar\.gz \(the archive could not be read to its end, so this is what was seen before the damage\); /);
    const allSeen = await runCheck(archiveMembers, { archive: verification({ container }) });
    assert.equal(allSeen.status, 'fail');
    assert.equal(
      allSeen.message,
      `${FILE_NAME}: every required member was seen, but the archive could not be read to its end, so the member list is not proven complete.`,
    );
  });

  it('is skipped without an archive, and an error (internal) when the archive gateway throws something unforeseen', async () => {
    const skipped = await runCheck(archiveMembers, { archive: null });
    assert.equal(skipped.status, 'skipped');
    assert.equal(skipped.message, 'Not evaluated: no archive to verify.');
    const error = await runCheck(archiveMembers, { archive: () => Promise.reject(new Error('EMFILE: too many open files')) });
    assert.equal(error.status, 'error');
    assert.equal(error.errorKind, 'internal');
    assert.match(error.message, /^Not evaluated: unexpected error: .*EMFILE/);
  });
});
