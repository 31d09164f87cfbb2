/**
 * The MinIO restore test: data.tar.gz written by the backup module from a MinIO-layout folder is extracted into a
 * throwaway folder and counted like the backup counted it (matched); the same volume less one object against the
 * original's facts is a difference; per-object hashes when the metadata records them; a tar holding `../x`, an
 * absolute path, a symbolic link, a hard link, an entry stored twice, or more entries than the limit is refused and
 * writes nothing outside the folder. The folder is removed by dispose, and by the sweep when its owner is gone.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { createGunzip } from 'node:zlib';
import { type Header, pack } from 'tar-stream';
import { parseConfigText } from '../../src/config/load.js';
import { archivesConfigOrDefault } from '../../src/config/schema.js';
import { RestoreFailedError } from '../../src/errors.js';
import { minio } from '../../src/selfhosted/minio.js';
import { type MinioRestoreSession, minioRestoreTest, sweepAbandonedMinio } from '../../src/selfhosted/minio-restore.js';
import type { JsonValue } from '../../src/vocabulary.js';
import { SILENT_LOGGER } from '../../src/vocabulary.js';
import { type Workspace, parseSource, workspace } from '../helpers/component-harness.js';

const { config } = parseConfigText('environment: test\n', 'restorecheck.yaml', {});
const MEMBER = 'minio/data.tar.gz';

let ws: Workspace;
let volume: string;
let archive: string;
let facts: Record<string, JsonValue>;

async function put(root: string, rel: string, content: Buffer | string): Promise<void> {
  await mkdir(dirname(join(root, rel)), { recursive: true });
  await writeFile(join(root, rel), content);
}

async function startSession(options: { maxMinioEntries?: number } = {}): Promise<MinioRestoreSession> {
  const archives = archivesConfigOrDefault(undefined);
  const withLimit = options.maxMinioEntries
    ? { ...config, archives: { ...archives, limits: { ...archives.limits, maxMinioEntries: options.maxMinioEntries } } }
    : config;
  return (await minioRestoreTest.start({ runId: 'test', signal: AbortSignal.timeout(60_000), log: SILENT_LOGGER, config: withLimit })) as MinioRestoreSession;
}

/** What verify-archive hands over: the decompressed tar bytes of data.tar.gz. */
const inflated = (file: string) => createReadStream(file).pipe(createGunzip());

/** A tar made by tar-stream from headers (and contents), for entries no honest backup writes. */
async function tarOf(entries: (Partial<Header> & { name: string; content?: string })[]): Promise<Buffer> {
  const tar = pack();
  const chunks: Buffer[] = [];
  const collected = new Promise<Buffer>((resolve, reject) => {
    tar.on('data', (chunk: unknown) => chunks.push(chunk as Buffer));
    tar.on('end', () => resolve(Buffer.concat(chunks)));
    tar.on('error', reject);
  });
  for (const { content, ...header } of entries) {
    await new Promise<void>((resolve, reject) =>
      content === undefined
        ? tar.entry(header, (error) => (error ? reject(error) : resolve()))
        : tar.entry(header, content, (error) => (error ? reject(error) : resolve())),
    );
  }
  tar.finalize();
  return collected;
}

/** Every path under `root` (relative), sorted. */
async function listing(root: string): Promise<string[]> {
  return (await readdir(root, { recursive: true })).map(String).sort();
}

before(async () => {
  ws = await workspace('minio-restore-test');
  volume = join(ws.dir, 'volume');
  await put(volume, '.minio.sys/format.json', JSON.stringify({ version: '1', format: 'xl-single', id: 'x', xl: { version: '3', this: 'a', sets: [['a']] } }));
  await put(volume, '.minio.sys/buckets/documents/.metadata.bin', randomBytes(200));
  await put(volume, 'documents/patients/1/report.pdf/xl.meta', randomBytes(400));
  await put(volume, 'documents/patients/1/scan.png/xl.meta', randomBytes(300));
  await put(volume, `documents/patients/1/scan.png/${'d'.repeat(8)}-uuid/part.1`, randomBytes(300_000));
  await put(volume, 'documents/patients/2/letter.pdf/xl.meta', randomBytes(100));
  await put(volume, 'exports/2026/11/summary.csv/xl.meta', randomBytes(50));
  await mkdir(join(volume, 'empty-bucket'), { recursive: true });
  const backup = await minio.backup(parseSource('minio', { dataDir: volume }), await ws.context());
  archive = backup.members[0]!.file;
  facts = backup.facts;
});

after(async () => {
  await ws?.remove();
});

describe('minio restore test', () => {
  it('is always available (the extraction is ours)', async () => {
    assert.equal(await minioRestoreTest.unavailable(), undefined);
  });

  it('data.tar.gz of the backup module extracts to the same volume: objects, bytes, entries and format match', async () => {
    const session = await startSession();
    try {
      assert.ok(existsSync(join(session.dir, 'owner.json')));
      await session.load(MEMBER, inflated(archive));
      const comparison = await session.compare(facts);
      assert.deepEqual(comparison.differences, []);
      assert.deepEqual(comparison.matched, ['objects', 'bytes', 'entries', 'format', 'the content of every file (7 files, content_sha256)']);
      assert.deepEqual(comparison.notCompared, []);
      assert.deepEqual(
        { objects: comparison.restored.objects, bytes: comparison.restored.bytes, format: comparison.restored.format },
        { objects: 4, bytes: facts.bytes, format: 'xl-single' },
      );
      // The extracted folder is the volume itself, byte for byte.
      execFileSync('diff', ['-r', volume, session.filesDir]);
      assert.equal((await stat(join(session.filesDir, 'documents/patients/1/report.pdf/xl.meta'))).mode & 0o777, 0o600);
      assert.equal((await stat(join(session.filesDir, 'documents/patients'))).mode & 0o777, 0o700);
      assert.equal(session.filesDir, join(session.dir, 'files'));
    } finally {
      assert.deepEqual((await session.dispose()).leftover, []);
    }
    assert.ok(!existsSync(session.dir));
  });

  it('the volume less one object, against the facts of the whole volume, is a difference', async () => {
    const partial = join(ws.dir, 'partial-volume');
    execFileSync('cp', ['-a', volume, partial]);
    await rm(join(partial, 'documents/patients/1/report.pdf'), { recursive: true });
    const smaller = await minio.backup(parseSource('minio', { dataDir: partial }), await ws.context());
    const session = await startSession();
    try {
      await session.load(MEMBER, inflated(smaller.members[0]!.file));
      const comparison = await session.compare(facts);
      assert.deepEqual(comparison.matched, ['format']);
      assert.deepEqual(comparison.differences, [
        'the volume restores 3 objects, the metadata records 4',
        `the volume's objects restore ${(facts.bytes as number) - 400} bytes, the metadata records ${facts.bytes}`,
        `data.tar.gz restores ${(facts.entries as number) - 2} files and folders, the metadata records ${facts.entries}`,
        `the files restore with another content than the backup's (content_sha256 ${String(comparison.restored.content_sha256).slice(0, 12)}…, the metadata records ${String(facts.content_sha256).slice(0, 12)}…)`,
      ]);
    } finally {
      await session.dispose();
    }
  });

  it('an archive whose metadata records nothing: objects and bytes not compared, never matched', async () => {
    const session = await startSession();
    try {
      await session.load(MEMBER, inflated(archive));
      const comparison = await session.compare(undefined);
      assert.deepEqual(comparison.matched, []);
      assert.deepEqual(comparison.notCompared, [
        'objects (the metadata records none)',
        'bytes (the metadata records none)',
        'per-object hashes (the metadata records none)',
      ]);
    } finally {
      await session.dispose();
    }
  });

  it('per-object hashes, when the metadata records them, are compared: one altered and one missing are differences', async () => {
    const sha = async (rel: string) =>
      createHash('sha256')
        .update(await readFile(join(volume, rel)))
        .digest('hex');
    const report = 'documents/patients/1/report.pdf/xl.meta';
    const letter = 'documents/patients/2/letter.pdf/xl.meta';
    const session = await startSession();
    try {
      await session.load(MEMBER, inflated(archive));
      const right = await session.compare({ ...facts, object_sha256: { [report]: await sha(report), [letter]: await sha(letter) } });
      assert.deepEqual(right.differences, []);
      assert.ok(right.matched.includes('per-object hashes (2)'), right.matched.join(', '));
      const wrong = await session.compare({
        ...facts,
        object_sha256: { [report]: await sha(report), [letter]: 'f'.repeat(64), 'documents/gone/xl.meta': 'a'.repeat(64), '../../etc/passwd': 'b'.repeat(64) },
      });
      assert.deepEqual(wrong.differences, [
        '3 of 4 objects do not restore with the SHA-256 the metadata records: ../../etc/passwd (missing), documents/gone/xl.meta (missing), documents/patients/2/letter.pdf/xl.meta (another SHA-256)',
      ]);
    } finally {
      await session.dispose();
    }
  });

  describe('unsafe entries are refused and nothing is written outside the folder', () => {
    let outside: string;
    before(async () => {
      outside = join(ws.dir, 'outside');
      await mkdir(outside, { recursive: true });
      await writeFile(join(outside, 'target.txt'), 'untouched');
    });

    const cases: [string, () => (Partial<Header> & { name: string; content?: string })[], RegExp][] = [
      [
        '`../x`',
        () => [
          { name: 'documents/', type: 'directory' },
          { name: '../x', content: 'escaped' },
        ],
        /"\.\.\/x" \(path with `\.\.`/,
      ],
      ['`a/../../x`', () => [{ name: 'a/../../../outside/x', content: 'escaped' }], /path with `\.\.`/],
      ['an absolute path', () => [{ name: join(ws.dir, 'outside', 'abs.txt'), content: 'escaped' }], /absolute path/],
      [
        'a symbolic link (and a file through it)',
        () => [
          { name: 'documents/', type: 'directory' },
          { name: 'documents/evil', type: 'symlink', linkname: join(ws.dir, 'outside') },
          { name: 'documents/evil/pwned.txt', content: 'escaped' },
        ],
        /"documents\/evil" \(symbolic link to/,
      ],
      [
        'a hard link (and a write through it)',
        () => [
          { name: 'h', type: 'link', linkname: join(ws.dir, 'outside', 'target.txt') },
          { name: 'h', content: 'overwritten' },
        ],
        /"h" \(hard link to/,
      ],
      ['a device', () => [{ name: 'dev', type: 'character-device', devmajor: 1, devminor: 3 }], /character device/],
      [
        'an entry stored twice',
        () => [
          { name: 'a.txt', content: 'one' },
          { name: 'a.txt', content: 'two' },
        ],
        /"a\.txt" \(stored twice/,
      ],
      [
        'a file where a folder is',
        () => [
          { name: 'a/', type: 'directory' },
          { name: 'a', content: 'x' },
        ],
        /"a" \(stored twice, or where a folder/,
      ],
      [
        'a folder through a file',
        () => [
          { name: 'a', content: 'x' },
          { name: 'a/b', content: 'y' },
        ],
        /"a\/b" \(a crosses a file of the same name/,
      ],
    ];
    for (const [label, entries, message] of cases) {
      it(label, async () => {
        const before = await listing(ws.dir);
        const session = await startSession();
        try {
          await assert.rejects(session.load(MEMBER, Readable.from([await tarOf(entries())])), (error: unknown) => {
            assert.ok(error instanceof RestoreFailedError, String(error));
            assert.match(error.message, message);
            return true;
          });
          assert.equal(await readFile(join(outside, 'target.txt'), 'utf8'), 'untouched');
          assert.deepEqual(await listing(ws.dir), before, 'nothing new outside the throwaway folder');
          assert.ok(!existsSync(join(session.dir, 'x')) && !existsSync(join(dirname(session.dir), 'x')));
          for (const path of await listing(session.filesDir)) assert.ok(!path.includes('pwned') && path !== 'h', path);
        } finally {
          await session.dispose();
        }
      });
    }

    it('more entries than archives.limits.maxMinioEntries stops the extraction', async () => {
      const session = await startSession({ maxMinioEntries: 3 });
      try {
        await assert.rejects(session.load(MEMBER, inflated(archive)), (error: unknown) => {
          assert.ok(error instanceof RestoreFailedError, String(error));
          assert.match(error.message, /more than 3 tar entries \(archives\.limits\.maxMinioEntries\)/);
          return true;
        });
      } finally {
        await session.dispose();
      }
    });

    it('a tar cut inside a member does not extract', async () => {
      const whole = await tarOf([{ name: 'a.txt', content: 'x'.repeat(5000) }]);
      const session = await startSession();
      try {
        await assert.rejects(session.load(MEMBER, Readable.from([whole.subarray(0, 2048)])), (error: unknown) => {
          assert.ok(error instanceof RestoreFailedError, String(error));
          assert.match(error.message, /does not extract: the tar stream is truncated/);
          return true;
        });
      } finally {
        await session.dispose();
      }
    });
  });

  it('the sweep removes a folder whose owner is gone, never a live one', async () => {
    const parent = join(ws.dir, 'tmp');
    const abandoned = join(parent, 'restorecheck-minio-abandoned');
    await mkdir(join(abandoned, 'files'), { recursive: true, mode: 0o700 });
    // A pid that was, and is no more.
    const gone = spawnSync('sh', ['-c', 'echo $$']).stdout.toString().trim();
    await writeFile(join(abandoned, 'owner.json'), JSON.stringify({ pid: Number(gone), startTime: null, host: hostname() }));
    const alive = join(parent, 'restorecheck-minio-alive');
    await mkdir(alive, { mode: 0o700 });
    await writeFile(join(alive, 'owner.json'), JSON.stringify({ pid: process.pid, startTime: null, host: hostname() }));
    const swept = await sweepAbandonedMinio(parent);
    assert.deepEqual(
      swept.map((entry) => [entry.dir, entry.removed]),
      [[abandoned, true]],
    );
    assert.ok(existsSync(alive));
  });
});
