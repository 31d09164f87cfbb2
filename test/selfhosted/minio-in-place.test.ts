/**
 * MinIO's in-place restore: a MinIO-layout data folder is packed by the minio module's backup, an object is added after,
 * and the restore puts the backup's volume back (the added object gone, every file's content as backed up, the owner of
 * the old folder kept, no `.rc-` folder left). Refused before the swap, with the data folder untouched and MinIO never
 * stopped: a tar with a `../` entry, one with a symbolic link, a volume whose tally differs from the metadata.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, mkdir, readFile, readdir, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { createGunzip } from 'node:zlib';
import { type Header, pack } from 'tar-stream';
import { EvaluationError, RestoreFailedError, UsageError } from '../../src/errors.js';
import type { InPlaceContext } from '../../src/selfhosted/component.js';
import { minio } from '../../src/selfhosted/minio.js';
import type { JsonValue } from '../../src/vocabulary.js';
import { type Workspace, parseSource, workspace } from '../helpers/component-harness.js';

const MEMBER = 'minio/data.tar.gz';
const root = process.getuid?.() === 0;

let ws: Workspace;
let parent: string;
let dataDir: string;
let archive: string;
let facts: Record<string, JsonValue>;
let backedUp: string[];
let log: string;
let context: () => Promise<InPlaceContext>;

async function put(base: string, rel: string, content: Buffer | string): Promise<void> {
  await mkdir(dirname(join(base, rel)), { recursive: true });
  await writeFile(join(base, rel), content);
}

/** Every path under `base` with the SHA-256 of each file's content (modes aside: the extraction sets its own). */
async function snapshot(base: string): Promise<string[]> {
  const out: string[] = [];
  for (const rel of (await readdir(base, { recursive: true })).map(String).sort()) {
    const info = await lstat(join(base, rel));
    out.push(
      info.isFile()
        ? `${rel} ${createHash('sha256')
            .update(await readFile(join(base, rel)))
            .digest('hex')}`
        : `${rel}/`,
    );
  }
  return out;
}

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

const source = (start: string[][] = [['sh', '-c', `echo start >> '${log}'`]]) =>
  parseSource('minio', { dataDir, restore: { stop: [['sh', '-c', `echo stop >> '${log}'`]], start } });
const services = async () => (await readFile(log, 'utf8').catch(() => '')).split('\n').filter(Boolean);
const leftovers = async () => (await readdir(parent)).filter((name) => name.includes('.rc-'));

before(async () => {
  ws = await workspace('minio-in-place');
  parent = join(ws.dir, 'srv');
  dataDir = join(parent, 'minio-data');
  log = join(ws.dir, 'services.log');
  await put(dataDir, '.minio.sys/format.json', JSON.stringify({ version: '1', format: 'xl-single', id: 'x', xl: { version: '3', this: 'a', sets: [['a']] } }));
  await put(dataDir, 'documents/patients/1/report.pdf/xl.meta', randomBytes(400));
  await put(dataDir, `documents/patients/1/scan.png/${'d'.repeat(8)}-uuid/part.1`, randomBytes(300_000));
  await put(dataDir, 'documents/patients/1/scan.png/xl.meta', randomBytes(300));
  await put(dataDir, 'exports/2026/summary.csv/xl.meta', randomBytes(50));
  await mkdir(join(dataDir, 'empty-bucket'));
  // MinIO runs as its own user: the restored volume must be that user's again.
  if (root) execFileSync('chown', ['-R', 'nobody:nogroup', dataDir]);
  const ctx = await ws.context();
  const backup = await minio.backup(parseSource('minio', { dataDir }), ctx);
  archive = backup.members[0]!.file;
  facts = backup.facts;
  backedUp = await snapshot(dataDir);
  await put(dataDir, 'documents/patients/3/added-after.pdf/xl.meta', randomBytes(120));
  context = async () => ({ runId: 'mt1', signal: AbortSignal.timeout(120_000), log: ctx.log, config: ctx.config, progress: () => undefined });
});

after(async () => {
  await ws?.remove();
});

describe('minio in-place restore', { timeout: 300_000 }, () => {
  const refusedUntouched = async (content: Readable, recorded: Record<string, JsonValue>, pattern: RegExp) => {
    const before = await snapshot(dataDir);
    await assert.rejects(minio.inPlace!.restore(source(), MEMBER, content, recorded, await context()), (error: unknown) => {
      assert.ok(error instanceof RestoreFailedError, String(error));
      assert.match(error.message, pattern);
      assert.match(error.message, /nothing was swapped: .* is untouched/);
      return true;
    });
    assert.deepEqual(await snapshot(dataDir), before, 'the data folder is untouched');
    assert.deepEqual(await leftovers(), [], 'no .rc- folder is left');
    assert.deepEqual(await services(), [], 'MinIO was never stopped');
  };

  it('preflight: the target, the disk need in the parent; a link or a missing folder is refused', async () => {
    const found = await minio.inPlace!.preflight(source(), await context(), facts);
    assert.equal(found.target, `MinIO data folder ${dataDir}`);
    assert.equal(found.disk?.path, parent);
    assert.ok(found.disk!.bytes >= Number(facts.bytes), JSON.stringify(found));
    const estimated = await minio.inPlace!.preflight(source(), await context());
    assert.ok(estimated.disk!.bytes >= Number(facts.bytes), 'without metadata: the current volume’s size');
    const link = join(ws.dir, 'link-to-data');
    await symlink(dataDir, link);
    await assert.rejects(minio.inPlace!.preflight(parseSource('minio', { dataDir: link }), await context()), (error: unknown) => {
      assert.ok(error instanceof UsageError, String(error));
      assert.match(error.message, /symbolic link/);
      return true;
    });
    await assert.rejects(minio.inPlace!.preflight(parseSource('minio', { dataDir: join(ws.dir, 'nope') }), await context()), UsageError);
  });

  it('a tar with a ../ entry is refused before the swap', async () => {
    const tar = await tarOf([
      { name: 'documents/', type: 'directory' },
      { name: '../escaped.txt', type: 'file', content: 'outside' },
    ]);
    await refusedUntouched(Readable.from([tar]), facts, /\.\.\/escaped\.txt/);
    assert.deepEqual(
      (await readdir(ws.dir)).filter((name) => name === 'escaped.txt'),
      [],
    );
    assert.deepEqual(
      (await readdir(parent)).filter((name) => name === 'escaped.txt'),
      [],
    );
  });

  it('a tar with a symbolic link is refused before the swap', async () => {
    const tar = await tarOf([
      { name: 'documents/', type: 'directory' },
      { name: 'documents/passwd', type: 'symlink', linkname: '/etc/passwd' },
    ]);
    await refusedUntouched(Readable.from([tar]), facts, /documents\/passwd/);
  });

  it('a volume whose tally differs from the metadata (one object more recorded) fails before the swap', async () => {
    await refusedUntouched(
      createReadStream(archive).pipe(createGunzip()),
      { ...facts, objects: Number(facts.objects) + 1 },
      /differs from what the archive's metadata records/,
    );
  });

  it('puts the backed-up volume back: the object added after it is gone, the owner is kept, nothing left aside', async () => {
    const started = performance.now();
    const result = await minio.inPlace!.restore(source(), MEMBER, createReadStream(archive).pipe(createGunzip()), facts, await context());
    const seconds = (performance.now() - started) / 1000;
    assert.deepEqual(await snapshot(dataDir), backedUp, 'the data folder is what was backed up');
    assert.deepEqual(result.comparison.differences, []);
    assert.ok(
      result.comparison.matched.some((m) => /content_sha256/.test(m)),
      result.comparison.matched.join(', '),
    );
    assert.deepEqual(await services(), ['stop', 'start'], 'stopped before the swap, started after');
    assert.deepEqual(await leftovers(), []);
    if (root) {
      const nobody = Number(execFileSync('id', ['-u', 'nobody'], { encoding: 'utf8' }).trim());
      assert.equal((await lstat(join(dataDir, 'documents/patients/1/report.pdf/xl.meta'))).uid, nobody);
      assert.equal((await lstat(dataDir)).uid, nobody);
    }
    console.log(`minio in-place restore: ${seconds.toFixed(2)} s; steps: ${result.steps.join(' | ')}`);
  });

  it('a start that fails leaves the restored volume in place and the previous one beside it, and says so', async () => {
    await writeFile(log, '');
    await assert.rejects(
      minio.inPlace!.restore(source([['false']]), MEMBER, createReadStream(archive).pipe(createGunzip()), facts, await context()),
      (error: unknown) => {
        assert.ok(error instanceof EvaluationError, String(error));
        assert.match(error.message, /the restored volume is in place at .*, the previous one kept as .*\.minio-data\.rc-old-mt1/);
        return true;
      },
    );
    assert.deepEqual(await leftovers(), ['.minio-data.rc-old-mt1']);
    assert.deepEqual(await snapshot(dataDir), backedUp);
  });
});
