/**
 * The MinIO component on a MinIO-layout data folder (xl-single: `.minio.sys/format.json`, an object per folder with
 * its xl.meta and parts; and a legacy fs volume): entry names listed by GNU tar, `gzip -t`, the facts counted, the
 * archive verifier's own reading, links refused, and the exec prefix (`tar -C dir -cf - .` re-packed).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { verifyArchive } from '../../src/archive/verify-archive.js';
import { EvaluationError } from '../../src/errors.js';
import { minio } from '../../src/selfhosted/minio.js';
import { ToolMissingError } from '../../src/selfhosted/tool-process.js';
import { type Workspace, fileDigest, parseSource, workspace } from '../helpers/component-harness.js';

const limits = { maxExpansionRatio: 200, maxTotalBytes: 2 ** 40, maxEntries: 100_000, maxMinioEntries: 10_000_000 };

let ws: Workspace;
let volume: string;
const PART_BYTES = 300_000;
/** Regular files outside .minio.sys and their total size. */
let expectedBytes = 0;

async function put(root: string, rel: string, content: Buffer | string): Promise<void> {
  await mkdir(dirname(join(root, rel)), { recursive: true });
  await writeFile(join(root, rel), content);
  if (!rel.startsWith('.minio.sys/') && root === volume) expectedBytes += Buffer.byteLength(content);
}

const list = (file: string) => execFileSync('tar', ['-tzf', file], { encoding: 'utf8' }).split('\n').filter(Boolean);

before(async () => {
  ws = await workspace('minio-test');
  volume = join(ws.dir, 'volume');
  await put(volume, '.minio.sys/format.json', JSON.stringify({ version: '1', format: 'xl-single', id: 'x', xl: { version: '3', this: 'a', sets: [['a']] } }));
  await put(volume, '.minio.sys/buckets/documents/.metadata.bin', randomBytes(200));
  await put(volume, 'documents/patients/1/report.pdf/xl.meta', randomBytes(400));
  await put(volume, 'documents/patients/1/scan.png/xl.meta', randomBytes(300));
  await put(volume, `documents/patients/1/scan.png/${'d'.repeat(8)}-uuid/part.1`, randomBytes(PART_BYTES));
  await put(volume, 'documents/patients/2/deep/er/than/that/letter.pdf/xl.meta', randomBytes(100));
  await put(volume, 'exports/2026/11/summary.csv/xl.meta', randomBytes(50));
  await mkdir(join(volume, 'empty-bucket'), { recursive: true });
});

after(async () => {
  await ws?.remove();
});

describe('selfhosted minio', () => {
  it('packs the volume with names relative to it, directories included; counts objects and bytes', async () => {
    const source = parseSource('minio', { dataDir: volume });
    await minio.toolVersion(source, AbortSignal.timeout(10_000));
    const ctx = await ws.context();
    const result = await minio.backup(source, ctx);
    const member = result.members[0]!;
    assert.equal(member.path, 'minio/data.tar.gz');
    assert.equal(member.file, join(ctx.spoolDir, 'minio/data.tar.gz'));
    assert.deepEqual({ sha256: member.sha256, size: member.size }, await fileDigest(member.file));
    execFileSync('gzip', ['-t', member.file]);
    const names = list(member.file);
    assert.ok(names.includes('.minio.sys/format.json'), names.join('\n'));
    assert.ok(names.includes('documents/patients/1/report.pdf/xl.meta'));
    assert.ok(names.includes('documents/patients/2/deep/er/than/that/letter.pdf/xl.meta'));
    assert.ok(names.includes('documents/') && names.includes('empty-bucket/'), 'directories are entries');
    for (const name of names) {
      assert.ok(!name.startsWith('./') && !name.startsWith('/') && !name.split('/').includes('..'), name);
    }
    assert.deepEqual(names, [...names].sort(), 'a sorted walk (the same volume packs the same way)');
    assert.equal(result.facts.format, 'xl-single');
    assert.equal(result.facts.objects, 4);
    assert.equal(result.facts.bytes, expectedBytes);
    // The content round-trips (the big part).
    const extracted = join(ws.dir, 'extracted');
    await mkdir(extracted);
    execFileSync('tar', ['-xzf', member.file, '-C', extracted]);
    execFileSync('diff', ['-r', volume, extracted]);
  });

  it('an archive holding it passes the verifier (archive-dump-integrity reads data.tar.gz)', async () => {
    const result = await minio.backup(parseSource('minio', { dataDir: volume }), await ws.context());
    const stem = 'medicapp_production_20261121_030000';
    const staging = join(ws.dir, 'verify-staging', stem);
    await mkdir(join(staging, 'minio'), { recursive: true });
    execFileSync('cp', [result.members[0]!.file, join(staging, 'minio', 'data.tar.gz')]);
    await writeFile(join(staging, 'metadata.json'), JSON.stringify({ environment: 'production', timestamp: '2026-11-21T03:00:00Z' }));
    const archive = join(ws.dir, `${stem}.tar.gz`);
    execFileSync('tar', ['--sort=name', '-czf', archive, '-C', join(ws.dir, 'verify-staging'), stem]);
    const verification = await verifyArchive(archive, { limits });
    const dump = verification.dumps.find((d) => d.path === 'minio/data.tar.gz');
    assert.ok(dump, JSON.stringify(verification.dumps));
    assert.equal(dump.problem, undefined, dump.problem);
    assert.equal(dump.details.entries, result.facts.entries);
    assert.ok(verification.entries.every((entry) => !entry.unsafe));
  });

  it('a legacy fs volume (no xl.meta) counts its files as objects', async () => {
    const fsVolume = join(ws.dir, 'fs-volume');
    await put(fsVolume, '.minio.sys/format.json', JSON.stringify({ version: '1', format: 'fs', fs: { version: '2' } }));
    await put(fsVolume, '.minio.sys/buckets/docs/a.pdf/fs.json', '{}');
    await put(fsVolume, 'docs/a.pdf', 'aaaa');
    await put(fsVolume, 'docs/sub/b.pdf', 'bbbbbb');
    const result = await minio.backup(parseSource('minio', { dataDir: fsVolume }), await ws.context());
    assert.deepEqual([result.facts.format, result.facts.objects, result.facts.bytes], ['fs', 2, 10]);
  });

  it('refuses a symbolic link pointing out of the folder (and one inside it), naming it', async () => {
    const linked = join(ws.dir, 'linked-volume');
    await put(linked, '.minio.sys/format.json', '{"format":"xl-single"}');
    await put(linked, 'documents/a/xl.meta', 'meta');
    await writeFile(join(ws.dir, 'outside-secret.txt'), 'not part of the volume');
    await symlink(join(ws.dir, 'outside-secret.txt'), join(linked, 'documents', 'leak'));
    await assert.rejects(minio.backup(parseSource('minio', { dataDir: linked }), await ws.context()), (error: unknown) => {
      assert.ok(error instanceof EvaluationError, String(error));
      assert.equal(error.kind, 'refused');
      assert.match(error.message, /documents\/leak in the data folder is a symbolic link/);
      return true;
    });
    const inside = join(ws.dir, 'inside-link-volume');
    await put(inside, 'documents/a/xl.meta', 'meta');
    await symlink('a', join(inside, 'documents', 'alias'));
    await assert.rejects(minio.backup(parseSource('minio', { dataDir: inside }), await ws.context()), /documents\/alias .* symbolic link/);
  });

  it('through the exec prefix: tar -C dir -cf - . re-packed without ./, the same facts; links refused there too', async () => {
    const wrapper = await ws.wrapper();
    const source = parseSource('minio', { dataDir: volume, exec: wrapper.exec });
    assert.match((await minio.toolVersion(source, AbortSignal.timeout(10_000))).version, /tar/);
    const result = await minio.backup(source, await ws.context());
    const names = list(result.members[0]!.file);
    assert.ok(names.includes('.minio.sys/format.json') && names.includes('documents/patients/1/report.pdf/xl.meta'), names.join('\n'));
    assert.ok(
      names.every((name) => !name.startsWith('./') && name !== '.'),
      names.join('\n'),
    );
    assert.deepEqual([result.facts.format, result.facts.objects, result.facts.bytes], ['xl-single', 4, expectedBytes]);
    const calls = await wrapper.calls();
    assert.ok(calls.includes(`the-service tar -C ${volume} -cf - .`), calls.join('\n'));

    const linked = join(ws.dir, 'linked-volume');
    await assert.rejects(
      minio.backup(parseSource('minio', { dataDir: linked, exec: wrapper.exec }), await ws.context()),
      /leak in the data folder is a symbolic link/,
    );
  });

  it('a missing folder or tool is said plainly', async () => {
    await assert.rejects(minio.backup(parseSource('minio', { dataDir: join(ws.dir, 'nope') }), await ws.context()), (error: unknown) => {
      assert.ok(error instanceof EvaluationError);
      assert.equal(error.kind, 'not-found');
      return true;
    });
    const viaExec = parseSource('minio', { dataDir: volume, exec: ['/nonexistent/docker', 'compose', 'exec', '-T', 'minio'] });
    await assert.rejects(minio.toolVersion(viaExec, AbortSignal.timeout(10_000)), ToolMissingError);
  });
});
