/**
 * Issue 10 (archive, items 8 and 2): inputs that real tools produce and verify must judge right —
 * sidecars written with a path or in BSD tag format, MinIO data packed as a folder's contents
 * (`./` entries), metadata.json with a repeated key, a pax global header naming `../../x`, and
 * several Alembic heads. Every archive and sidecar here is made by sha256sum, GNU tar or Python's tarfile.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseSidecar } from '../../src/archive/sidecar.js';
import { type ArchiveVerification, verifyArchive } from '../../src/archive/verify-archive.js';

let work: string;
const name = 'medicapp_production_20261121_030000.tar.gz';
const limits = { maxExpansionRatio: 200, maxTotalBytes: 2 ** 40, maxEntries: 100_000, maxMinioEntries: 10_000_000 };
const stem = name.slice(0, -'.tar.gz'.length);
let cases = 0;

/** Packs `files` (path under the top folder → content, or a file to copy) with GNU tar into a fresh case folder; returns the archive's path. */
async function packWithGnuTar(files: Record<string, string | Buffer>): Promise<string> {
  const dir = join(work, `case-${++cases}`);
  for (const [member, content] of Object.entries(files)) {
    await mkdir(join(dir, 'staging', stem, member, '..'), { recursive: true });
    await writeFile(join(dir, 'staging', stem, member), content);
  }
  sh(`tar --sort=name --owner=0 --group=0 -czf ${name} -C staging ${stem} && sha256sum ${name} > ${name}.sha256`, dir);
  return join(dir, name);
}

/** Packs MinIO-like data the way a user does it: `tar czf data.tar.gz -C dir .` (entries `./`, `./x`). */
function minioAsFolderContents(): Buffer {
  const dir = join(work, `minio-${++cases}`);
  sh(`mkdir -p ${dir}/src/.minio.sys ${dir}/src/documents && echo '{}' > ${dir}/src/.minio.sys/format.json && echo pdf > ${dir}/src/documents/a.pdf`);
  sh(`tar czf ${dir}/data.tar.gz -C ${dir}/src . && tar tzf ${dir}/data.tar.gz | head -1 | grep -qx './'`);
  return execFileSync('cat', [`${dir}/data.tar.gz`]);
}

/** Writes a gzipped tar with Python's tarfile (for entries GNU tar refuses to write); `script` gets `t` (the open tar) and `add(name, data)`. */
function pythonTar(out: string, script: string, format = 'GNU_FORMAT', paxHeaders = '{}'): void {
  const program = [
    'import io, sys, tarfile',
    `t = tarfile.open(sys.argv[1], 'w:gz', format=tarfile.${format}, pax_headers=${paxHeaders})`,
    'def add(name, data):',
    '    info = tarfile.TarInfo(name); info.size = len(data); info.mtime = 1700000000; t.addfile(info, io.BytesIO(data))',
    script,
    't.close()',
  ].join('\n');
  execFileSync('python3', ['-c', program, out]);
}

function minioDump(result: ArchiveVerification) {
  const dump = result.dumps.find((d) => d.path === 'minio/data.tar.gz');
  assert.ok(dump, JSON.stringify(result.dumps));
  return dump;
}

function sh(script: string, cwd = work): Buffer {
  return execFileSync('bash', ['-c', script], { cwd });
}

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'restorecheck-edge-'));
  await writeFile(join(work, name), 'not really an archive, only hashed here\n');
  await writeFile(join(work, 'other.tar.gz'), 'another file\n');
});

after(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('sidecar written by sha256sum with a path, binary marker or --tag', () => {
  const expected = () => sh(`sha256sum ${name}`).toString().split(' ')[0]!;
  for (const [label, command] of [
    ['an absolute path', `sha256sum "$PWD/${name}"`],
    ['./', `sha256sum ./${name}`],
    ['an absolute path and the binary marker', `sha256sum -b "$PWD/${name}"`],
    ['BSD --tag format', `sha256sum --tag ${name}`],
    ['BSD --tag format with a path', `sha256sum --tag "$PWD/${name}"`],
  ] as const) {
    it(`accepts ${label} when the base name is the archive's`, () => {
      const bytes = sh(command);
      const parsed = parseSidecar(bytes, name);
      assert.equal(parsed.ok, true, `${bytes.toString()} → ${JSON.stringify(parsed)}`);
      if (parsed.ok) assert.equal(parsed.sidecar.sha256, expected());
    });
  }
  for (const [label, command] of [
    ['a path to another file', `sha256sum "$PWD/other.tar.gz"`],
    ['--tag naming another file', `sha256sum --tag other.tar.gz`],
    ['--tag naming another file by path', `sha256sum --tag "$PWD/other.tar.gz"`],
  ] as const) {
    it(`refuses ${label}`, () => {
      const parsed = parseSidecar(sh(command), name);
      assert.equal(parsed.ok, false);
      if (!parsed.ok) assert.match(parsed.problem, /other\.tar\.gz/);
    });
  }
  it('refuses a --tag line of another algorithm', () => {
    const parsed = parseSidecar(sh(`sha512sum --tag ${name}`), name);
    assert.equal(parsed.ok, false);
  });
});

describe("MinIO data packed as the folder's contents (tar -C dir .)", () => {
  it('accepts the ./ and ./-prefixed entries GNU tar writes', async () => {
    const path = await packWithGnuTar({ 'minio/data.tar.gz': minioAsFolderContents() });
    const dump = minioDump(await verifyArchive(path, { limits }));
    assert.equal(dump.problem, undefined, JSON.stringify(dump));
  });
  for (const [label, entry, reason] of [
    ['./../', './../x', /\.\./],
    ['..', '../x', /\.\./],
    ['an absolute path', '/etc/x', /absolute/],
    ['a regular file named .', '.', /empty path/],
  ] as const) {
    it(`still refuses ${label} inside data.tar.gz`, async () => {
      const inner = join(work, `inner-${++cases}.tar.gz`);
      pythonTar(inner, `add('./ok', b'fine'); add(${JSON.stringify(entry)}, b'escape')`);
      const path = await packWithGnuTar({ 'minio/data.tar.gz': execFileSync('cat', [inner]) });
      const dump = minioDump(await verifyArchive(path, { limits }));
      assert.match(dump.problem ?? '', /unsafe/);
      assert.match(dump.problem ?? '', reason);
    });
  }
});

describe('metadata.json with a repeated key', () => {
  const good = { environment: 'production', timestamp: '2026-11-21T03:00:00Z', backup_name: 'medicapp' };
  it('fails, naming the key, when environment is written twice (JSON.parse would keep the last silently)', async () => {
    const text = '{\n  "environment": "staging",\n  "timestamp": "2026-11-21T03:00:00Z",\n  "environment": "production"\n}\n';
    const result = await verifyArchive(await packWithGnuTar({ 'metadata.json': text }), { limits });
    assert.equal(result.metadata.present, true);
    assert.equal(result.metadata.value, undefined);
    assert.match(result.metadata.problem ?? '', /"environment"/);
    assert.match(result.metadata.problem ?? '', /more than once/);
  });
  it('names a key repeated inside a nested object (spelt with an escape), and not keys merely shared by siblings', async () => {
    const nested =
      '{"environment":"production","timestamp":"2026-11-21T03:00:00Z","row_counts":{"public.users":3,"public.orders":1},' +
      '"members":{"a":{"sha256":"' +
      'ab'.repeat(32) +
      '","size":1},"b":{"size":2,"sha256":"' +
      'cd'.repeat(32) +
      '","s\\u0069ze":3}}}';
    const result = await verifyArchive(await packWithGnuTar({ 'metadata.json': nested }), { limits });
    assert.match(result.metadata.problem ?? '', /"members\.b\.size"/);
  });
  it('accepts the same keys in sibling objects and arrays of objects', async () => {
    const result = await verifyArchive(await packWithGnuTar({ 'metadata.json': JSON.stringify({ ...good, x: [{ a: 1 }, { a: 2 }], y: { a: { a: 1 } } }) }), {
      limits,
    });
    assert.equal(result.metadata.problem, undefined);
    assert.equal(result.metadata.value?.environment, 'production');
  });
});

describe('a pax global header', () => {
  const meta = JSON.stringify({ environment: 'production', timestamp: '2026-11-21T03:00:00Z' });
  async function pythonArchive(paxHeaders: string, inner?: Buffer): Promise<string> {
    const dir = join(work, `case-${++cases}`);
    await mkdir(dir, { recursive: true });
    const adds = [`add('${stem}/metadata.json', ${JSON.stringify(meta)}.encode())`];
    if (inner) {
      await writeFile(join(dir, 'inner.tar.gz'), inner);
      adds.push(`add('${stem}/minio/data.tar.gz', open(${JSON.stringify(join(dir, 'inner.tar.gz'))}, 'rb').read())`);
    }
    pythonTar(join(dir, name), adds.join('; '), 'PAX_FORMAT', paxHeaders);
    return join(dir, name);
  }
  it('with path=../../x fails verify as an unsafe entry (GNU tar applies it to every following member; tar-stream hides it)', async () => {
    const path = await pythonArchive(`{'path': '../../x'}`);
    // The real tool's reading of this archive: the member is ../../x, not the name tar-stream shows.
    assert.throws(() => sh(`mkdir -p out && tar xzf ${path} -C out`, join(path, '..')), /\.\.\/\.\.\/x/);
    const result = await verifyArchive(path, { limits });
    const unsafe = result.entries.filter((e) => e.unsafe).map((e) => `${e.rawName} (${e.unsafe})`);
    assert.equal(unsafe.length, 1, JSON.stringify(result.entries));
    assert.match(unsafe[0]!, /pax global header/);
    assert.match(unsafe[0]!, /path="?\.\.\/\.\.\/x/);
  });
  it('with path=../../x inside minio/data.tar.gz fails that dump', async () => {
    const inner = join(work, `inner-${++cases}.tar.gz`);
    pythonTar(inner, `add('./ok', b'fine')`, 'PAX_FORMAT', `{'path': '../../x'}`);
    const path = await pythonArchive('{}', execFileSync('cat', [inner]));
    const dump = minioDump(await verifyArchive(path, { limits }));
    assert.match(dump.problem ?? '', /pax global header/);
  });
  it('with only a comment (as git archive writes) is no unsafe entry', async () => {
    const result = await verifyArchive(await pythonArchive(`{'comment': '9f1c2ab3'}`), { limits });
    assert.deepEqual(
      result.entries.filter((e) => e.unsafe),
      [],
    );
    assert.equal(result.container.problem, undefined);
  });
});

describe('alembic_revision with several heads', () => {
  it('accepts a list of strings, and still refuses a list holding a number', async () => {
    const base = { environment: 'production', timestamp: '2026-11-21T03:00:00Z' };
    const heads = await verifyArchive(
      await packWithGnuTar({ 'metadata.json': JSON.stringify({ ...base, alembic_revision: ['4b2d9c1e7f00', 'a1b2c3d4e5f6'] }) }),
      { limits },
    );
    assert.equal(heads.metadata.problem, undefined);
    assert.deepEqual(heads.metadata.value?.alembic_revision, ['4b2d9c1e7f00', 'a1b2c3d4e5f6']);
    const bad = await verifyArchive(await packWithGnuTar({ 'metadata.json': JSON.stringify({ ...base, alembic_revision: ['4b2d9c1e7f00', 7] }) }), { limits });
    assert.match(bad.metadata.problem ?? '', /alembic_revision/);
  });
});
