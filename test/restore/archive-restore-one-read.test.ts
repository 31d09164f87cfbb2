/**
 * Issue 15: `restore-test --archive` reads the archive ONCE. The restore is a consumer of the verifier's tap, so the
 * file is opened once and its bytes are read once, and yet the dump is both verified and restored. Counted in-process:
 * every way this code could open the file (fs.createReadStream, fs/promises open and readFile) is wrapped, and the
 * bytes each stream delivers are added up.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import fsPromises from 'node:fs/promises';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { configSchema } from '../../src/config/schema.js';
import { runArchiveRestoreTest } from '../../src/run/restore-test.js';
import { SILENT_LOGGER } from '../../src/vocabulary.js';
import { type ArchiveParts, assembleArchive, generateParts } from '../fixtures/archive-generator.js';

let work: string;
let parts: ArchiveParts;

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'restorecheck-one-read-'));
  // Enough rows that the dump spans many read chunks (a second read could not hide in one buffer).
  parts = await generateParts({ dir: join(work, 'parts'), postgresRows: 40_000, mariadbRows: 0, redisKeys: 10, mongoDocuments: 10, minioObjects: 1 });
});

after(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

/** Wraps the ways to open a file, counting opens of `path` and the bytes read through them, until `restore()`. */
function countReads(path: string) {
  const counts = { opens: 0, bytes: 0 };
  const target = resolve(path);
  const isTarget = (p: unknown) => typeof p === 'string' && resolve(p) === target;
  const { createReadStream } = fs;
  const { open, readFile } = fsPromises;
  fs.createReadStream = ((file: fs.PathLike, options?: unknown) => {
    const stream = createReadStream(file, options as Parameters<typeof createReadStream>[1]);
    if (isTarget(file)) {
      counts.opens++;
      stream.on('data', (chunk) => {
        counts.bytes += (chunk as Buffer).length;
      });
    }
    return stream;
  }) as typeof fs.createReadStream;
  fsPromises.open = (async (file: fs.PathLike, ...rest: unknown[]) => {
    if (isTarget(file)) counts.opens++;
    return (open as (...args: unknown[]) => Promise<fsPromises.FileHandle>)(file, ...rest);
  }) as typeof fsPromises.open;
  fsPromises.readFile = (async (file: unknown, ...rest: unknown[]) => {
    if (isTarget(file)) counts.opens++;
    return (readFile as (...args: unknown[]) => Promise<Buffer>)(file, ...rest);
  }) as typeof fsPromises.readFile;
  // The modules under test import these by name: make their bindings see the wrappers.
  syncBuiltinESMExports();
  return {
    counts,
    restore() {
      fs.createReadStream = createReadStream;
      fsPromises.open = open;
      fsPromises.readFile = readFile;
      syncBuiltinESMExports();
    },
  };
}

describe('restore-test --archive reads the archive once', () => {
  it('opens the archive once and reads each byte once, and the dump is verified and restored', async () => {
    const archive = await assembleArchive(parts, { outDir: join(work, 'once') });
    const size = (await stat(archive.path)).size;
    const spy = countReads(archive.path);
    let result;
    try {
      result = await runArchiveRestoreTest({
        config: configSchema.parse({ environment: 'production' }),
        path: archive.path,
        fileName: archive.fileName,
        keep: false,
        timeoutMs: 300_000,
        only: undefined,
        failOn: undefined,
        log: SILENT_LOGGER,
        signal: new AbortController().signal,
      });
    } finally {
      spy.restore();
    }
    const byId = Object.fromEntries(result.checks.map((c) => [c.id, c]));
    for (const id of ['archive-checksum', 'archive-integrity', 'archive-dump-integrity', 'restore-provision', 'restore-row-counts-match', 'restore-cleanup'])
      assert.equal(byId[id]?.status, 'pass', `${id}: ${byId[id]?.message}`);
    assert.equal(byId['restore-provision']!.evidence.restoredWhileVerifying, true);
    assert.ok(Number(byId['restore-provision']!.evidence.sqlBytes) > size, 'the whole dump (larger than the archive) reached psql');
    assert.equal(spy.counts.opens, 1, 'the archive is opened once');
    assert.equal(spy.counts.bytes, size, 'and its bytes are read once');
  });
});
