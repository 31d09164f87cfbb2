/**
 * `restorecheck verify` against archives built from real tools (pg_dump, mariadb-dump when
 * installed, redis-server, GNU tar/gzip, sha256sum), then damaged on purpose. Every archive gets
 * its expected verdict (which checks fail, which must still pass) and exit code, through the
 * built binary as a user's script would run it.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import { type ArchiveParts, type AssembleOptions, type BuiltArchive, assembleArchive, generateParts, rewriteSidecar } from '../fixtures/archive-generator.js';
import { appendEntries, editTar, flipAt, flipByte, memberNamed, offsetIn, seededRandom, tarMembers, truncateTo } from '../fixtures/archive-corruption.js';
import { runCli } from '../helpers/cli.js';
import type { Report } from '../helpers/report-types.js';

let work: string;
let parts: ArchiveParts;
let counter = 0;

async function build(options: Omit<AssembleOptions, 'outDir'> = {}): Promise<BuiltArchive> {
  const outDir = join(work, `case-${++counter}`);
  return assembleArchive(parts, { outDir, ...options });
}

async function verify(args: string[]): Promise<{ code: number | null; report?: Report; stderr: string; stdout: string }> {
  const result = await runCli(['verify', ...args, '--format', 'json'], { timeoutMs: 120_000 });
  let report: Report | undefined;
  try {
    report = JSON.parse(result.stdout) as Report;
  } catch {
    report = undefined;
  }
  return { code: result.code, report, stderr: result.stderr, stdout: result.stdout };
}

const ALL = ['archive-age', 'archive-checksum', 'archive-dump-integrity', 'archive-integrity', 'archive-members', 'archive-metadata'];

/** Runs verify on `path` and asserts the verdict: `fail` exactly (or at least, with `atLeast`), `pass` at least. */
async function expectVerdict(path: string, expected: { fail: string[]; pass?: string[]; exactly?: boolean; code?: number; args?: string[] }): Promise<Report> {
  const { code, report, stderr } = await verify([path, ...(expected.args ?? [])]);
  assert.ok(report, `no JSON report; stderr: ${stderr}`);
  const failing = report.checks
    .filter((c) => c.status === 'fail')
    .map((c) => c.id)
    .sort();
  const passing = report.checks.filter((c) => c.status === 'pass').map((c) => c.id);
  const detail = JSON.stringify(
    report.checks.map((c) => `${c.status} ${c.id}: ${c.message}`),
    null,
    1,
  );
  if (expected.exactly !== false) {
    assert.deepEqual(failing, [...expected.fail].sort(), detail);
    if (expected.fail.length === 0) assert.deepEqual(passing.sort(), ALL, detail);
  } else {
    for (const id of expected.fail) assert.ok(failing.includes(id), `${id} should fail: ${detail}`);
  }
  for (const id of expected.pass ?? []) assert.ok(passing.includes(id), `${id} should pass: ${detail}`);
  assert.equal(report.checks.filter((c) => c.status === 'error').length, 0, detail);
  assert.equal(code, expected.code ?? (expected.fail.length > 0 ? 1 : 0), detail);
  return report;
}

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'restorecheck-verify-suite-'));
  parts = await generateParts({ dir: join(work, 'parts'), postgresRows: 400, mariadbRows: 200, redisKeys: 200, mongoDocuments: 300, minioObjects: 4 });
});

after(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('verify: a good archive from real tools', () => {
  it('passes every check, exit 0, in one report of command verify', async () => {
    const archive = await build();
    const report = await expectVerdict(archive.path, { fail: [] });
    assert.equal(report.run.command, 'verify');
    assert.equal(report.run.environment, 'production');
    const dumps = report.checks.find((c) => c.id === 'archive-dump-integrity')!.evidence.dumps as Record<string, { ok: boolean }>;
    const expected = ['minio/data.tar.gz', 'mongodb/dump.archive.gz', 'postgres_full.sql.gz', 'redis_dump.rdb'];
    if (parts.files['mariadb_full.sql.gz']) expected.push('mariadb_full.sql.gz');
    assert.deepEqual(Object.keys(dumps).sort(), expected.sort());
  });

  it('passes without the optional MariaDB dump, and with a binary-mode or upper-case sidecar', async () => {
    const archive = await build({ omit: ['mariadb_full.sql.gz'] });
    await expectVerdict(archive.path, { fail: [] });
    const sidecar = await readFile(archive.sidecarPath, 'utf8');
    await writeFile(archive.sidecarPath, sidecar.replace('  ', ' *'));
    await expectVerdict(archive.path, { fail: [] });
    await writeFile(
      archive.sidecarPath,
      sidecar.replace(/^[0-9a-f]{64}/, (hex) => hex.toUpperCase()),
    );
    await expectVerdict(archive.path, { fail: [] });
  });
});

describe('verify: byte flips at seeded random offsets', () => {
  const random = seededRandom(20261121);

  it('in the gzip header time/OS fields: only the checksum catches it', async () => {
    for (let i = 0; i < 2; i++) {
      const archive = await build();
      await flipByte(archive.path, offsetIn(random, 4, 10));
      await expectVerdict(archive.path, { fail: ['archive-checksum'] });
    }
  });

  it('in the gzip magic, the deflate body and the gzip trailer: checksum and integrity fail', async () => {
    for (const region of ['magic', 'body-start', 'body-middle', 'body-end', 'trailer'] as const) {
      for (let i = 0; i < 2; i++) {
        const archive = await build();
        const size = (await readFile(archive.path)).length;
        const [start, end] = {
          magic: [0, 4],
          'body-start': [10, 10 + Math.floor((size - 18) / 3)],
          'body-middle': [10 + Math.floor((size - 18) / 3), 10 + Math.floor((2 * (size - 18)) / 3)],
          'body-end': [10 + Math.floor((2 * (size - 18)) / 3), size - 8],
          trailer: [size - 8, size],
        }[region] as [number, number];
        await flipByte(archive.path, offsetIn(random, start, end));
        await expectVerdict(archive.path, { fail: ['archive-checksum', 'archive-integrity'], exactly: false });
      }
    }
  });

  it('in a tar header (damage before the checksum was taken): integrity fails, checksum passes', async () => {
    const archive = await build();
    await editTar(archive.path, (tar) => {
      const member = memberNamed(tar, 'postgres_full.sql.gz');
      flipAt(tar, offsetIn(random, member.headerOffset, member.headerOffset + 100));
      return tar;
    });
    await expectVerdict(archive.path, { fail: ['archive-integrity'], pass: ['archive-checksum'], exactly: false });
  });

  for (const member of ['postgres_full.sql.gz', 'mariadb_full.sql.gz', 'redis_dump.rdb', 'mongodb/dump.archive.gz', 'minio/data.tar.gz']) {
    it(`in ${member}'s data (before the checksum): the dump check and metadata's member hash fail`, async (t) => {
      if (!parts.files[member]) return t.skip('mariadb-dump is not installed');
      for (let i = 0; i < 2; i++) {
        const archive = await build();
        await editTar(archive.path, (tar) => {
          const m = memberNamed(tar, member);
          flipAt(tar, offsetIn(random, m.dataOffset, m.dataOffset + m.size));
          return tar;
        });
        const report = await expectVerdict(archive.path, { fail: ['archive-dump-integrity', 'archive-metadata'] });
        const dumps = report.checks.find((c) => c.id === 'archive-dump-integrity')!.evidence.dumps as Record<string, { ok: boolean }>;
        assert.equal(dumps[member]?.ok, false, member);
      }
    });
  }

  it('in the end-of-archive blocks: integrity fails', async () => {
    const archive = await build();
    await editTar(archive.path, (tar) => {
      const last = tarMembers(tar).at(-1)!;
      flipAt(tar, offsetIn(random, last.end, last.end + 1024));
      return tar;
    });
    await expectVerdict(archive.path, { fail: ['archive-integrity'], pass: ['archive-checksum'], exactly: false });
  });
});

describe('verify: truncations', () => {
  it('half the file: checksum and integrity fail; with a rewritten sidecar, integrity alone catches it', async () => {
    const archive = await build();
    const size = (await readFile(archive.path)).length;
    await truncateTo(archive.path, Math.floor(size / 2));
    await expectVerdict(archive.path, { fail: ['archive-checksum', 'archive-integrity'], exactly: false });
    await rewriteSidecar(archive.path);
    await expectVerdict(archive.path, { fail: ['archive-integrity'], pass: ['archive-checksum'], exactly: false });
  });

  it('the tar cut on a 512-byte boundary inside a member: integrity fails', async () => {
    const archive = await build();
    await editTar(archive.path, (tar) => {
      const m = memberNamed(tar, 'postgres_full.sql.gz');
      return tar.subarray(0, m.dataOffset + Math.floor(m.size / 1024) * 512);
    });
    await expectVerdict(archive.path, { fail: ['archive-integrity'], pass: ['archive-checksum'], exactly: false });
  });

  it('the end-of-archive blocks missing: integrity fails, and members and dumps are not proven complete', async () => {
    const archive = await build();
    await editTar(archive.path, (tar) => tar.subarray(0, tarMembers(tar).at(-1)!.end));
    const report = await expectVerdict(archive.path, {
      fail: ['archive-integrity', 'archive-members', 'archive-dump-integrity'],
      pass: ['archive-checksum', 'archive-metadata'],
    });
    assert.match(report.checks.find((c) => c.id === 'archive-integrity')!.message, /end-of-archive/);
  });
});

describe('verify: members', () => {
  it('a missing required member fails archive-members', async () => {
    const archive = await build({ omit: ['postgres_full.sql.gz'] });
    await expectVerdict(archive.path, { fail: ['archive-members'] });
  });

  it('an extra member fails archive-members', async () => {
    const archive = await build({ replace: { 'notes.txt': Buffer.from('hello\n') } });
    await expectVerdict(archive.path, { fail: ['archive-members'] });
  });

  const crafted: [string, (top: string) => { name: string; type?: 'file' | 'symlink' | 'link' | 'fifo' | 'character-device'; linkname?: string }][] = [
    ['a duplicate (after normalisation)', (top) => ({ name: `${top}/./metadata.json` })],
    ['a `..` traversal', (top) => ({ name: `${top}/../../etc/cron.d/evil` })],
    ['an absolute path', () => ({ name: '/etc/evil' })],
    ['a symbolic link', (top) => ({ name: `${top}/shadow`, type: 'symlink', linkname: '/etc/shadow' })],
    ['a hard link', (top) => ({ name: `${top}/hard`, type: 'link', linkname: `${top}/metadata.json` })],
    ['a FIFO', (top) => ({ name: `${top}/pipe`, type: 'fifo' })],
    ['a device', (top) => ({ name: `${top}/null`, type: 'character-device' })],
  ];
  for (const [label, entry] of crafted) {
    it(`${label} fails archive-members`, async () => {
      const archive = await build();
      const header = entry(archive.stem);
      await appendEntries(archive.path, [
        { header: { ...header, mode: 0o644 }, content: header.type && header.type !== 'file' ? Buffer.alloc(0) : Buffer.from('{}\n') },
      ]);
      const report = await expectVerdict(archive.path, { fail: ['archive-members'] });
      const evidence = report.checks.find((c) => c.id === 'archive-members')!.evidence;
      assert.ok((evidence.unsafe as string[]).length + (evidence.duplicates as string[]).length > 0, JSON.stringify(evidence));
    });
  }
});

describe('verify: sidecars', () => {
  const bad: [string, (text: string, name: string) => string | Buffer | undefined][] = [
    ['missing', () => undefined],
    ['CRLF', (text) => text.replace('\n', '\r\n')],
    ['a BOM', (text) => `\uFEFF${text}`],
    ['another file name', (text, name) => text.replace(name, `other_${name}`)],
    ['an extra line', (text) => `${text}${text}`],
    ['a short hash', (text) => text.slice(1)],
    ['a wrong hash', (text) => `${'0'.repeat(64)}${text.slice(64)}`],
    ['no final newline', (text) => text.trimEnd()],
  ];
  for (const [label, edit] of bad) {
    it(`${label}: archive-checksum fails`, async () => {
      const archive = await build();
      const next = edit(await readFile(archive.sidecarPath, 'utf8'), archive.fileName);
      if (next === undefined) await rm(archive.sidecarPath);
      else await writeFile(archive.sidecarPath, next);
      await expectVerdict(archive.path, { fail: ['archive-checksum'] });
    });
  }
});

describe('verify: dumps', () => {
  it('a PostgreSQL dump without its trailer fails archive-dump-integrity', async () => {
    const sql = gunzipSync(await readFile(parts.files['postgres_full.sql.gz']!)).toString('utf8');
    assert.match(sql, /-- PostgreSQL database dump complete/);
    const cut = sql.slice(0, sql.lastIndexOf('--\n-- PostgreSQL database dump complete'));
    const archive = await build({ replace: { 'postgres_full.sql.gz': gzipSync(cut) } });
    const report = await expectVerdict(archive.path, { fail: ['archive-dump-integrity'] });
    assert.match(report.checks.find((c) => c.id === 'archive-dump-integrity')!.message, /dump complete/);
  });

  it('a MariaDB dump without `-- Dump completed` fails archive-dump-integrity', async (t) => {
    if (!parts.files['mariadb_full.sql.gz']) return t.skip('mariadb-dump is not installed');
    const sql = gunzipSync(await readFile(parts.files['mariadb_full.sql.gz'])).toString('utf8');
    const archive = await build({ replace: { 'mariadb_full.sql.gz': gzipSync(sql.replace(/-- Dump completed.*\n*$/, '')) } });
    await expectVerdict(archive.path, { fail: ['archive-dump-integrity'] });
  });

  it('a mongodump archive cut short fails archive-dump-integrity', async () => {
    const raw = gunzipSync(await readFile(parts.files['mongodb/dump.archive.gz']!));
    const archive = await build({ replace: { 'mongodb/dump.archive.gz': gzipSync(raw.subarray(0, raw.length - 10)) } });
    await expectVerdict(archive.path, { fail: ['archive-dump-integrity'] });
  });

  it('a decompression bomb ends as a failure of archive-dump-integrity, and the rest is still verified', async () => {
    const bomb = gzipSync(Buffer.concat([Buffer.from('--\n-- PostgreSQL database dump\n--\n'), Buffer.alloc(64 * 1024 * 1024)]), { level: 9 });
    const archive = await build({ replace: { 'postgres_full.sql.gz': bomb } });
    const report = await expectVerdict(archive.path, { fail: ['archive-dump-integrity'] });
    const check = report.checks.find((c) => c.id === 'archive-dump-integrity')!;
    assert.match(check.message, /maxExpansionRatio/);
    assert.ok(check.evidence.limitExceeded);
  });

  it('the total-bytes limit from the configuration ends the read as a failure', async () => {
    const archive = await build();
    const config = join(work, 'limits.yaml');
    await writeFile(config, 'environment: production\narchives:\n  limits:\n    maxTotalBytes: 50000\n');
    const { code, report } = await verify([archive.path, '--config', config]);
    assert.equal(code, 1);
    assert.match(JSON.stringify(report), /maxTotalBytes/);
  });
});

describe('verify: metadata and age', () => {
  it('metadata of another environment fails archive-metadata', async () => {
    const archive = await build({ metadata: (m) => ({ ...m, environment: 'staging' }) });
    await expectVerdict(archive.path, { fail: ['archive-metadata'] });
  });

  it('a metadata timestamp a day away from the file name fails archive-metadata', async () => {
    const archive = await build({ metadata: (m) => ({ ...m, timestamp: new Date(Date.now() - 86_400_000).toISOString() }) });
    await expectVerdict(archive.path, { fail: ['archive-metadata'] });
  });

  it('an invalid metadata.json fails archive-metadata; a missing one fails members too', async () => {
    const invalid = await build({ metadata: (m) => ({ ...m, timestamp: 'yesterday' }) });
    const report = await expectVerdict(invalid.path, { fail: ['archive-metadata'] });
    assert.match(report.checks.find((c) => c.id === 'archive-metadata')!.message, /timestamp/);
    const missing = await build({ metadata: () => undefined });
    await expectVerdict(missing.path, { fail: ['archive-members', 'archive-metadata'] });
  });

  it('an archive older than maxAgeHours fails archive-age; --max-age-hours raises the bound', async () => {
    const archive = await build({ timestamp: new Date(Math.floor(Date.now() / 1000) * 1000 - 3 * 86_400_000) });
    await expectVerdict(archive.path, { fail: ['archive-age'] });
    await expectVerdict(archive.path, { fail: [], args: ['--max-age-hours', '100'] });
  });
});

describe('verify: choosing the archive', () => {
  it('takes the newest archive of --dir, optionally of one --environment', async () => {
    const dir = join(work, 'backups');
    const now = Math.floor(Date.now() / 1000) * 1000;
    await assembleArchive(parts, { outDir: dir, environment: 'production', timestamp: new Date(now - 7_200_000) });
    const newestProduction = await assembleArchive(parts, { outDir: dir, environment: 'production', timestamp: new Date(now - 3_600_000) });
    const newestStaging = await assembleArchive(parts, { outDir: dir, environment: 'staging', timestamp: new Date(now - 60_000) });
    const any = await verify(['--dir', dir]);
    assert.equal(any.code, 0, any.stderr);
    assert.equal(any.report!.checks.find((c) => c.id === 'archive-checksum')!.evidence.archive, newestStaging.fileName);
    assert.equal(any.report!.run.environment, 'staging');
    const production = await verify(['--dir', dir, '--environment', 'production']);
    assert.equal(production.report!.checks.find((c) => c.id === 'archive-checksum')!.evidence.archive, newestProduction.fileName);
    const config = join(work, 'dir.yaml');
    await writeFile(config, `environment: production\narchives:\n  dir: ${dir}\n`);
    const fromConfig = await verify(['--config', config, '--only', 'archive-checksum']);
    assert.equal(fromConfig.code, 0, fromConfig.stderr);
    assert.deepEqual(
      fromConfig.report!.checks.map((c) => c.id),
      ['archive-checksum'],
    );
  });

  it('exits 2 when there is nothing to verify', async () => {
    const none = await runCli(['verify']);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /no archive to verify/);
    const missing = await runCli(['verify', join(work, 'nope.tar.gz')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /archive not found/);
    const empty = await runCli(['verify', '--dir', await mkdtemp(join(work, 'empty-'))]);
    assert.equal(empty.code, 2);
  });
});
