/**
 * Issue 10, item 8 (and items 2 and 7): archives built the ways real backup scripts build them, with the real
 * tools (GNU tar `-C dir .`, pigz, bsdtar, `sha256sum` with a path and `--tag`, `date` in local time,
 * pg_dumpall), and the hostile ones that must still fail (pax global header, duplicate keys, too many entries).
 * Each goes through the built binary, as a user's script would run it.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { type ArchiveParts, type AssembleOptions, type BuiltArchive, archiveFileName, assembleArchive, generateParts } from '../fixtures/archive-generator.js';
import { runCli } from '../helpers/cli.js';
import type { Report } from '../helpers/report-types.js';

const run = promisify(execFile);
const sh = async (script: string, cwd?: string) => (await run('bash', ['-o', 'pipefail', '-c', script], { cwd, maxBuffer: 64 * 1024 * 1024 })).stdout;
const q = (value: string) => `'${value.replace(/'/g, `'\\''`)}'`;

let work: string;
let parts: ArchiveParts;
let counter = 0;

async function build(options: Omit<AssembleOptions, 'outDir'> = {}): Promise<BuiltArchive> {
  return assembleArchive(parts, { outDir: join(work, `case-${++counter}`), ...options });
}

/** Unpacks `archive` and packs its top folder again with `pack` (run in the unpacked folder, $OUT the archive path), then `sha256sum`. */
async function repack(archive: BuiltArchive, pack: string): Promise<void> {
  const unpacked = join(dirname(archive.path), '.unpacked');
  await mkdir(unpacked);
  await sh(`tar -xzf ${q(archive.path)} -C ${q(unpacked)} && rm ${q(archive.path)} && OUT=${q(archive.path)} STEM=${q(archive.stem)} && ${pack}`, unpacked);
  await rm(unpacked, { recursive: true, force: true });
  await sh(`sha256sum ${q(archive.fileName)} > ${q(`${archive.fileName}.sha256`)}`, dirname(archive.path));
}

async function verify(
  path: string,
  args: string[] = [],
): Promise<{ code: number | null; report: Report; byId: Map<string, Report['checks'][number]>; detail: string; stdout: string }> {
  const result = await runCli(['verify', path, ...args, '--format', 'json'], { timeoutMs: 300_000 });
  let report: Report;
  try {
    report = JSON.parse(result.stdout) as Report;
  } catch {
    assert.fail(`no JSON report (exit ${result.code}); stderr: ${result.stderr}`);
  }
  const byId = new Map(report.checks.map((c) => [c.id, c]));
  const detail = JSON.stringify(
    report.checks.map((c) => `${c.status} ${c.id}: ${c.message}`),
    null,
    1,
  );
  return { code: result.code, report, byId, detail, stdout: result.stdout };
}

function statusOf(r: Awaited<ReturnType<typeof verify>>, id: string): string {
  return r.byId.get(id)?.status ?? 'absent';
}

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'restorecheck-real-archives-'));
  parts = await generateParts({
    dir: join(work, 'parts'),
    postgresRows: 60,
    mariadbRows: 0,
    redisKeys: 20,
    mongoDocuments: 20,
    minioObjects: 3,
    clusterDump: true,
  });
});

after(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('MinIO packed as the folder’s contents (tar -C dir .)', () => {
  it('accepts the `./` entry and `./`-prefixed names, in data.tar.gz and in the archive itself (GNU tar, pigz, bsdtar)', async () => {
    const src = join(work, 'minio-src');
    await mkdir(join(src, '.minio.sys'), { recursive: true });
    await mkdir(join(src, 'documents', 'a.pdf'), { recursive: true });
    await writeFile(join(src, '.minio.sys', 'format.json'), '{"version":"1","format":"xl-single"}');
    await writeFile(join(src, 'documents', 'a.pdf', 'xl.meta'), 'meta');
    await sh(`tar czf ${q(join(work, 'minio-dot.tar.gz'))} -C ${q(src)} .`);
    const listing = await sh(`tar tzf ${q(join(work, 'minio-dot.tar.gz'))}`);
    assert.match(listing, /^\.\/$/m, 'GNU tar writes a ./ entry');
    const archive = await build({ replace: { 'minio/data.tar.gz': await readFile(join(work, 'minio-dot.tar.gz')) } });
    let r = await verify(archive.path);
    assert.equal(statusOf(r, 'archive-dump-integrity'), 'pass', r.detail);
    assert.equal(statusOf(r, 'archive-members'), 'pass', r.detail);
    assert.equal(r.code, 0, r.detail);

    // The archive itself packed the same way, with pigz: `tar -I pigz -cf OUT -C staging .` gives ./ and ./STEM/…
    await repack(archive, 'tar -I pigz -cf "$OUT" .');
    assert.match(await sh(`tar tzf ${q(archive.path)}`), /^\.\/$/m);
    r = await verify(archive.path);
    assert.equal(statusOf(r, 'archive-members'), 'pass', r.detail);
    assert.equal(r.code, 0, r.detail);

    // bsdtar: ./STEM/… names
    await repack(archive, 'bsdtar -czf "$OUT" "./$STEM"');
    assert.match(await sh(`tar tzf ${q(archive.path)}`), /^\.\/medicapp_/m);
    r = await verify(archive.path);
    assert.equal(r.code, 0, r.detail);
  });

  it('still refuses `..`, absolute and empty names in data.tar.gz', async () => {
    const src = join(work, 'minio-bad', 'inner');
    await mkdir(src, { recursive: true });
    await writeFile(join(src, 'x'), 'x');
    await sh(`tar --absolute-names -czf ../bad.tar.gz ./../inner/x`, src);
    const archive = await build({ replace: { 'minio/data.tar.gz': await readFile(join(work, 'minio-bad', 'bad.tar.gz')) } });
    const r = await verify(archive.path);
    assert.equal(statusOf(r, 'archive-dump-integrity'), 'fail', r.detail);
    assert.match(r.byId.get('archive-dump-integrity')!.message, /\.\./);
  });
});

describe('sidecars as real scripts write them', () => {
  it('accepts a path whose base name matches (absolute, ./, binary *), and BSD `--tag` lines', async () => {
    const archive = await build();
    const dir = dirname(archive.path);
    const variants = [
      `sha256sum ${q(archive.path)}`,
      `sha256sum ./${q(archive.fileName)}`,
      `sha256sum -b ${q(archive.path)}`,
      `sha256sum --tag ${q(archive.fileName)}`,
      `sha256sum --tag ${q(archive.path)}`,
      `bsdtar --version >/dev/null && sha256sum --tag ./${q(archive.fileName)}`,
    ];
    for (const command of variants) {
      await sh(`${command} > ${q(archive.sidecarPath)}`, dir);
      await sh(`sha256sum -c ${q(basename(archive.sidecarPath))}`, dir); // sha256sum itself accepts it
      const r = await verify(archive.path);
      assert.equal(statusOf(r, 'archive-checksum'), 'pass', `${command}: ${r.detail}`);
    }
  });

  it('still refuses another file’s name, with a path or in BSD form, and a BSD line of another algorithm', async () => {
    const archive = await build();
    const dir = dirname(archive.path);
    const hash = (await sh(`sha256sum ${q(archive.fileName)}`, dir)).slice(0, 64);
    for (const text of [
      `${hash}  /backups/other_production_20260101_000000.tar.gz\n`,
      `SHA256 (other.tar.gz) = ${hash}\n`,
      `SHA256 (/srv/x/other.tar.gz) = ${hash}\n`,
      `SHA512 (${archive.fileName}) = ${hash}\n`,
      `${hash}  ${archive.fileName}/\n`,
    ]) {
      await writeFile(archive.sidecarPath, text);
      const r = await verify(archive.path);
      assert.equal(statusOf(r, 'archive-checksum'), 'fail', `${text}: ${r.detail}`);
    }
  });
});

describe('metadata.json with a repeated key', () => {
  it('fails archive-metadata naming the key (JSON.parse would keep the last one silently)', async () => {
    const archive = await build({
      metadata: (m) => m,
    });
    // Rebuild with the duplicate written as text: the generator writes JSON.stringify output.
    const text = (m: Record<string, unknown>) => JSON.stringify(m).replace(/^\{/, '{"environment":"staging",');
    const timestamp = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000);
    const base = { environment: 'production', timestamp: timestamp.toISOString().replace(/\.\d{3}Z$/, 'Z') };
    const dup = await build({ timestamp, memberHashes: false, replace: { 'metadata.json': Buffer.from(text(base)) } });
    const r = await verify(dup.path);
    assert.equal(statusOf(r, 'archive-metadata'), 'fail', r.detail);
    assert.match(r.byId.get('archive-metadata')!.message, /environment/);
    assert.match(r.byId.get('archive-metadata')!.message, /more than once|duplicate/i);
    // A nested repeat too (a member listed twice).
    const nested = `{"environment":"production","timestamp":"${base.timestamp}","row_counts":{"patients":1,"patients":2}}`;
    const dup2 = await build({ timestamp, memberHashes: false, replace: { 'metadata.json': Buffer.from(nested) } });
    const r2 = await verify(dup2.path);
    assert.equal(statusOf(r2, 'archive-metadata'), 'fail', r2.detail);
    assert.match(r2.byId.get('archive-metadata')!.message, /row_counts\.patients/);
    void archive;
  });
});

describe('local-time names and the clock rule', () => {
  /** An archive named with `date +%Y%m%d_%H%M%S` under TZ=Europe/Paris at `utc`, its metadata.json in UTC. */
  async function parisNamed(utc: Date): Promise<BuiltArchive> {
    const local = (await sh(`TZ=Europe/Paris date -d @${Math.floor(utc.getTime() / 1000)} +%Y%m%d_%H%M%S`)).trim();
    const archive = await build({ timestamp: utc });
    const fileName = `medicapp_production_${local}.tar.gz`;
    const stem = fileName.slice(0, -'.tar.gz'.length);
    const dir = dirname(archive.path);
    await mkdir(join(dir, 'x'));
    await sh(
      `tar -xzf ${q(archive.path)} -C x && mv x/${q(archive.stem)} x/${q(stem)} && tar -czf ${q(fileName)} -C x ${q(stem)} && ` +
        `rm -rf x ${q(archive.fileName)}* && sha256sum ${q(fileName)} > ${q(`${fileName}.sha256`)}`,
      dir,
    );
    return { path: join(dir, fileName), sidecarPath: join(dir, `${fileName}.sha256`), fileName, stem };
  }

  it('a winter Paris name (UTC+1) is not "in the future": age from metadata.json, and the name is said to look like local time', async () => {
    // Ten minutes ago, in UTC; Paris is UTC+1 in January (the test fakes no clock: it builds the name from a real zone).
    const now = Date.now();
    const winter = new Date(Date.UTC(new Date(now).getUTCFullYear(), 0, 15));
    const offsetNow = Number((await sh(`TZ=Europe/Paris date -d @${Math.floor(now / 1000)} +%z`)).trim().slice(0, 3));
    const utc = new Date(Math.floor(now / 1000) * 1000 - 10 * 60_000);
    const archive = await parisNamed(utc);
    const r = await verify(archive.path);
    assert.equal(statusOf(r, 'archive-age'), 'pass', r.detail);
    assert.match(r.byId.get('archive-age')!.message, new RegExp(`looks like local time \\(UTC\\+${offsetNow}\\)`), r.detail);
    assert.notEqual(statusOf(r, 'archive-metadata'), 'fail', r.detail);
    assert.match(r.byId.get('archive-metadata')!.message, /local time/, r.detail);
    assert.equal(r.code, 0, r.detail);
    void winter;
  });

  it('a summer Paris name (UTC+2) of an old archive: metadata check does not fail, and age is from the UTC timestamp', async () => {
    const summer = new Date(Date.UTC(new Date().getUTCFullYear() - 1, 6, 15, 3, 0, 0));
    const archive = await parisNamed(summer);
    assert.match(archive.fileName, /_0[5]0000\.tar\.gz$/);
    const r = await verify(archive.path, ['--max-age-hours', '100000']);
    assert.notEqual(statusOf(r, 'archive-metadata'), 'fail', r.detail);
    assert.match(r.byId.get('archive-metadata')!.message, /local time \(UTC\+2\)/, r.detail);
    const age = r.byId.get('archive-age')!;
    assert.equal(age.status, 'pass', r.detail);
    assert.equal(age.evidence.timestamp, summer.toISOString(), r.detail);
  });

  it('a name and metadata three hours in the future is a fail "clock or data anomaly"', async () => {
    const future = new Date(Math.floor(Date.now() / 1000) * 1000 + 3 * 3_600_000);
    const archive = await build({ timestamp: future });
    const r = await verify(archive.path);
    assert.equal(statusOf(r, 'archive-age'), 'fail', r.detail);
    assert.match(r.byId.get('archive-age')!.message, /clock or data anomaly/);
    assert.equal(r.code, 1);
  });

  it('follows limits.clockSkewSeconds: a skew of 4 hours lets an archive 3 hours ahead count as just made', async () => {
    const future = new Date(Math.floor(Date.now() / 1000) * 1000 + 3 * 3_600_000);
    const archive = await build({ timestamp: future });
    const config = join(dirname(archive.path), 'restorecheck.yaml');
    await writeFile(config, 'environment: production\nlimits:\n  clockSkewSeconds: 14400\n');
    const r = await verify(archive.path, ['--config', config]);
    const age = r.byId.get('archive-age')!;
    assert.equal(age.status, 'pass', r.detail);
    assert.equal(age.evidence.clockSkewSeconds, 14400);
  });

  it('a UTC name whose metadata.json is three hours ahead is not taken for local time', async () => {
    const utc = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000);
    const ahead = new Date(utc.getTime() + 3 * 3_600_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const archive = await build({ timestamp: utc, metadata: (m) => ({ ...m, timestamp: ahead }) });
    const r = await verify(archive.path);
    assert.equal(statusOf(r, 'archive-age'), 'fail', r.detail);
    assert.match(r.byId.get('archive-age')!.message, /clock or data anomaly/);
    assert.equal(statusOf(r, 'archive-metadata'), 'fail', r.detail);
  });
});

describe('pg_dumpall', () => {
  it('a `pg_dumpall | gzip` cluster dump is recognised and accepted, with dumpKind "cluster"', async () => {
    assert.ok(parts.clusterDump);
    const archive = await build({ replace: { 'postgres_full.sql.gz': await readFile(parts.clusterDump) } });
    const r = await verify(archive.path);
    const check = r.byId.get('archive-dump-integrity')!;
    assert.equal(check.status, 'pass', r.detail);
    const dumps = check.evidence.dumps as Record<string, Record<string, unknown>>;
    assert.equal(dumps['postgres_full.sql.gz']!.dumpKind, 'cluster');
    assert.equal(r.code, 0, r.detail);
  });

  it('a cut cluster dump still fails', async () => {
    assert.ok(parts.clusterDump);
    const full = await sh(`gzip -dc ${q(parts.clusterDump)}`);
    const cut = full.slice(0, full.lastIndexOf('-- PostgreSQL database cluster dump complete'));
    const gz = join(work, 'cut.sql.gz');
    await writeFile(join(work, 'cut.sql'), cut);
    await sh(`gzip -c ${q(join(work, 'cut.sql'))} > ${q(gz)}`);
    const archive = await build({ replace: { 'postgres_full.sql.gz': await readFile(gz) } });
    const r = await verify(archive.path);
    assert.equal(statusOf(r, 'archive-dump-integrity'), 'fail', r.detail);
    assert.match(r.byId.get('archive-dump-integrity')!.message, /cluster dump complete/);
  });
});

describe('pax headers that rename members', () => {
  it('a pax global header with path=../../x fails (GNU tar lists every member under that path)', async () => {
    const archive = await build();
    // Python's tarfile writes the global header the way the hostile archive had it.
    await sh(
      `python3 - ${q(archive.path)} <<'EOF'
import sys, tarfile, io
src = sys.argv[1]
members = []
with tarfile.open(src, 'r:gz') as t:
    for m in t.getmembers():
        members.append((m, t.extractfile(m).read() if m.isfile() else None))
with tarfile.open(src, 'w:gz', format=tarfile.PAX_FORMAT, pax_headers={'path': '../../x'}) as out:
    for m, data in members:
        out.addfile(m, io.BytesIO(data) if data is not None else None)
EOF`,
    );
    await sh(`sha256sum ${q(archive.fileName)} > ${q(`${archive.fileName}.sha256`)}`, dirname(archive.path));
    const listing = await sh(`tar tzf ${q(archive.path)} 2>/dev/null || true`);
    assert.match(listing, /\.\.\/\.\.\/x/, 'GNU tar applies the global path');
    const r = await verify(archive.path);
    assert.equal(statusOf(r, 'archive-members'), 'fail', r.detail);
    assert.match(r.byId.get('archive-members')!.message, /pax global header/);
    assert.equal(r.code, 1);
  });

  it('a pax extended header (x) whose path is ../../x fails', async () => {
    const archive = await build();
    await sh(
      `python3 - ${q(archive.path)} <<'EOF'
import sys, tarfile, io
src = sys.argv[1]
members = []
with tarfile.open(src, 'r:gz') as t:
    for m in t.getmembers():
        members.append((m, t.extractfile(m).read() if m.isfile() else None))
with tarfile.open(src, 'w:gz', format=tarfile.PAX_FORMAT) as out:
    for m, data in members:
        if m.name.endswith('redis_dump.rdb'):
            m.pax_headers = {'path': '../../x'}
        out.addfile(m, io.BytesIO(data) if data is not None else None)
EOF`,
    );
    await sh(`sha256sum ${q(archive.fileName)} > ${q(`${archive.fileName}.sha256`)}`, dirname(archive.path));
    const r = await verify(archive.path);
    assert.equal(statusOf(r, 'archive-members'), 'fail', r.detail);
    assert.match(r.byId.get('archive-members')!.message, /\.\.\/\.\.\/x/);
  });
});

describe('an entry-count limit', () => {
  it('stops past archives.limits.maxEntries, fails naming the limit, and lists a bounded number of entries in the report', async () => {
    const archive = await build();
    const dir = dirname(archive.path);
    // 3,000 unexpected small files in the top folder: above a limit of 1,000.
    await repack(archive, `mkdir -p "$STEM/junk" && (cd "$STEM/junk" && seq 1 3000 | xargs touch) && tar -czf "$OUT" "$STEM"`);
    const config = join(dir, 'restorecheck.yaml');
    await writeFile(config, `environment: production\narchives:\n  limits:\n    maxEntries: 1000\n`);
    const r = await verify(archive.path, ['--config', config]);
    const integrity = r.byId.get('archive-integrity')!;
    assert.equal(integrity.status, 'fail', r.detail);
    assert.match(integrity.message, /maxEntries/);
    assert.equal(r.code, 1);
    // Without the limit it is read to its end, but the report lists a bounded number of entry names.
    const unlimited = await verify(archive.path);
    const members = unlimited.byId.get('archive-members')!;
    assert.equal(members.status, 'fail', unlimited.detail);
    assert.ok(Array.isArray(members.evidence.unexpected) && members.evidence.unexpected.length <= 100, 'evidence lists at most 100 entries');
    assert.equal(members.evidence.unexpectedCount, 3001);
    assert.ok(unlimited.stdout.length < 200_000, `report is ${unlimited.stdout.length} bytes`);
    // minio/data.tar.gz has a limit of its own (it is streamed, so its default is far larger).
    await writeFile(config, `environment: production\narchives:\n  limits:\n    maxMinioEntries: 2\n`);
    const minio = await verify(archive.path, ['--config', config]);
    assert.equal(statusOf(minio, 'archive-dump-integrity'), 'fail', minio.detail);
    assert.match(minio.byId.get('archive-dump-integrity')!.message, /maxMinioEntries/);
  });
});

void archiveFileName;
