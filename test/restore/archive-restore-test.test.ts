/**
 * `restorecheck restore-test --archive` end to end: archives built from real tools (pg_dump, redis,
 * tar, sha256sum), restored into a throwaway PostgreSQL by the built binary, judged, and removed.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { type ArchiveParts, assembleArchive, generateParts, rewriteSidecar } from '../fixtures/archive-generator.js';
import { BIN, runCli } from '../helpers/cli.js';
import type { ReportCheck as Check, Report } from '../helpers/report-types.js';

let work: string;
let parts: ArchiveParts;
let big: ArchiveParts;

async function restoreTest(archive: string, extra: string[] = [], env: NodeJS.ProcessEnv = {}) {
  const r = await runCli(['restore-test', '--archive', archive, '--format', 'json', ...extra], { timeoutMs: 180_000, env });
  let report: Report | undefined;
  try {
    report = JSON.parse(r.stdout) as Report;
  } catch {
    assert.fail(`no JSON report (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  }
  const byId = Object.fromEntries(report.checks.map((c) => [c.id, c]));
  return { ...r, report, byId };
}

/** A live (not zombie: an orphan may wait for a reaper that never comes) postgres process. */
async function serverRunning(pid: number): Promise<boolean> {
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  return /postgres/.test(cmdline);
}

/** Every throwaway cluster the report says it created (or kept) is gone once the command has exited. */
function assertNothingLeft(check: Check | undefined) {
  const listed = [...((check?.evidence.removed as string[]) ?? []), ...((check?.evidence.leftover as string[]) ?? [])];
  for (const item of listed) {
    const dir = /\((\/[^)]+)\)/.exec(item)?.[1];
    if (dir) assert.equal(existsSync(dir), false, `${dir} is still there`);
  }
}

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'restorecheck-archive-restore-'));
  parts = await generateParts({
    dir: join(work, 'parts'),
    postgresRows: 300,
    mariadbRows: 0,
    redisKeys: 20,
    mongoDocuments: 20,
    minioObjects: 2,
    clusterDump: true,
  });
});

after(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('restore-test --archive', () => {
  it('restores a good archive, matches its metadata, and removes the throwaway database (exit 0)', async () => {
    const archive = await assembleArchive(parts, { outDir: join(work, 'good') });
    const r = await restoreTest(archive.path);
    assert.equal(
      r.code,
      0,
      `${r.stderr}\n${JSON.stringify(
        r.report.checks.filter((c) => c.status !== 'pass'),
        null,
        1,
      )}`,
    );
    assert.equal(r.report.run.command, 'restore-test');
    assert.equal(r.report.run.environment, 'production');
    for (const id of [
      'archive-checksum',
      'archive-integrity',
      'archive-members',
      'archive-dump-integrity',
      'archive-metadata',
      'restore-provision',
      'restore-alembic-match',
      'restore-row-counts-match',
      'restore-cleanup',
    ]) {
      assert.equal(r.byId[id]?.status, 'pass', `${id}: ${r.byId[id]?.message}`);
    }
    assert.equal(r.byId['restore-signed-document']?.status, 'skipped');
    const provision = r.byId['restore-provision']!.evidence;
    assert.equal(typeof provision.restoreSeconds, 'number');
    assert.match(String(provision.target), /throwaway PostgreSQL .* cluster at 127\.0\.0\.1:\d+, database restorecheck_scratch$/);
    assert.equal(provision.restorePoint, new Date(Date.parse(String(provision.restorePoint))).toISOString().replace(/\.\d{3}Z$/, 'Z'));
    assert.deepEqual(r.byId['restore-row-counts-match']!.evidence.source, { patients: 300, documents: 30 });
    assert.deepEqual(r.byId['restore-row-counts-match']!.evidence.restored, { patients: 300, documents: 30 });
    assert.deepEqual(r.byId['restore-alembic-match']!.evidence, { source: '4b2d9c1e7f00', restored: '4b2d9c1e7f00' });
    assertNothingLeft(r.byId['restore-cleanup']);
    assert.match(r.stderr, /restore-test: restored in/);
  });

  it("measures the RPO with restoreTest.freshnessQuery on the restored database, against metadata.json's timestamp (issue 12)", async () => {
    const archive = await assembleArchive(parts, { outDir: join(work, 'freshness') });
    const run = async (name: string, restoreTest: string) => {
      const config = join(work, `${name}.yaml`);
      await writeFile(config, `environment: production\nrestoreTest:\n${restoreTest}`);
      // A machine clock far from UTC must not move the measure: the value is read as PostgreSQL's text in UTC.
      const r = await runCli(['restore-test', '--archive', archive.path, '--config', config, '--format', 'json'], {
        env: { TZ: 'Pacific/Kiritimati' },
        timeoutMs: 180_000,
      });
      const report = JSON.parse(r.stdout) as Report;
      return { code: r.code, stderr: r.stderr, provision: report.checks.find((c) => c.id === 'restore-provision')! };
    };
    // documents.signed_at is now() when the parts were generated, shortly before the archive's timestamp.
    const fresh = await run('fresh', '  rpoMinutes: 120\n  freshnessQuery: SELECT max(signed_at) FROM documents\n');
    assert.equal(fresh.provision.status, 'pass', `${fresh.provision.message}\n${fresh.stderr}`);
    assert.equal(fresh.code, 0);
    const measured = fresh.provision.evidence.measuredRpoMinutes as number;
    assert.ok(measured >= 0 && measured < 120, `measured RPO ${measured}`);
    assert.ok(Date.parse(String(fresh.provision.evidence.newestRowAt)) <= Date.parse(String(fresh.provision.evidence.restorePoint)));
    assert.equal(fresh.provision.evidence.rpoMeasured, true);
    assert.match(fresh.provision.message, /within the RPO of 120 min/);

    // patients.created_at tops out at 2020-01-01 03:05 UTC; cast to a timestamp without time zone, it is read as UTC.
    const stale = await run('stale', '  rpoMinutes: 120\n  freshnessQuery: SELECT max(created_at)::timestamp FROM patients\n');
    assert.equal(stale.provision.status, 'fail', stale.provision.message);
    assert.equal(stale.code, 1);
    assert.equal(stale.provision.evidence.newestRowAt, '2020-01-01T03:05:00.000Z');
    assert.match(stale.provision.message, /is from 2020-01-01T03:05:00\.000Z, \d+\.\d days before the restore point .*: more than the RPO of 120 min/);

    // A query that gives no timestamp is not a measure: warn, with the reason, and the restore itself still stands.
    const broken = await run('broken', '  freshnessQuery: SELECT count(*) FROM patients\n');
    assert.equal(broken.provision.status, 'warn', broken.provision.message);
    assert.equal(broken.code, 0);
    assert.match(String(broken.provision.evidence.rpoNotMeasured), /freshness query failed .*returned "300" \(type oid 20\), not a timestamp or date/);
  });

  it('fails when the restored data does not match what metadata.json recorded (exit 1)', async () => {
    const archive = await assembleArchive(parts, {
      outDir: join(work, 'mismatch'),
      metadata: (m) => ({ ...m, alembic_revision: 'ffffffffffff', row_counts: { patients: 301, documents: 30, prescriptions: 5 } }),
    });
    const r = await restoreTest(archive.path);
    assert.equal(r.code, 1);
    assert.equal(r.byId['restore-provision']!.status, 'pass');
    assert.match(r.byId['restore-row-counts-match']!.message, /"patients" has 300 rows, the archive metadata 301; "prescriptions" is missing from the restore/);
    assert.match(r.byId['restore-alembic-match']!.message, /at Alembic revision 4b2d9c1e7f00; the archive metadata is at ffffffffffff/);
    assertNothingLeft(r.byId['restore-cleanup']);
  });

  it('compares several Alembic heads recorded as a list in metadata.json, naming the missing one (exit 1)', async () => {
    const archive = await assembleArchive(parts, {
      outDir: join(work, 'heads'),
      metadata: (m) => ({ ...m, alembic_revision: ['4b2d9c1e7f00', 'a1b2c3d4e5f6'] }),
    });
    const r = await restoreTest(archive.path);
    assert.equal(r.byId['archive-metadata']!.status, 'pass', r.byId['archive-metadata']!.message);
    assert.equal(r.byId['restore-provision']!.status, 'pass', r.byId['restore-provision']!.message);
    assert.equal(r.code, 1);
    assert.deepEqual(r.byId['restore-alembic-match']!.evidence.source, ['4b2d9c1e7f00', 'a1b2c3d4e5f6']);
    assert.match(r.byId['restore-alembic-match']!.message, /missing a1b2c3d4e5f6/);
    assertNothingLeft(r.byId['restore-cleanup']);
  });

  it('an archive damaged in its middle fails verification: whatever was restored is discarded, nothing of it counts (exit 1)', async () => {
    const archive = await assembleArchive(parts, { outDir: join(work, 'corrupt') });
    const bytes = await readFile(archive.path);
    const middle = Math.floor(bytes.length / 2);
    bytes[middle] = bytes[middle]! ^ 0xff;
    await writeFile(archive.path, bytes);
    const r = await restoreTest(archive.path);
    assert.equal(r.code, 1);
    assert.equal(r.byId['archive-checksum']!.status, 'fail');
    assert.equal(r.byId['restore-provision']!.status, 'fail');
    assert.match(
      r.byId['restore-provision']!.message,
      /(because it failed verification before postgres_full\.sql\.gz was reached|discarded because verification failed): archive-checksum failed/,
    );
    assert.equal(r.byId['restore-cleanup']!.status, 'pass', 'the throwaway cluster was removed');
    assertNothingLeft(r.byId['restore-cleanup']);
    assert.equal(r.byId['restore-row-counts-match']!.status, 'error', 'never pass when the restore is discarded');
    assert.equal(r.byId['restore-alembic-match']!.status, 'error');
  });

  it('a sidecar that does not match: the dump is restored into the sandbox while verified, then discarded (exit 1)', async () => {
    const archive = await assembleArchive(parts, { outDir: join(work, 'sidecar-mismatch') });
    await writeFile(archive.sidecarPath, `${'0'.repeat(64)}  ${archive.fileName}\n`);
    const r = await restoreTest(archive.path);
    assert.equal(r.code, 1);
    assert.equal(r.byId['archive-checksum']!.status, 'fail');
    for (const id of ['archive-integrity', 'archive-members', 'archive-dump-integrity', 'archive-metadata']) assert.equal(r.byId[id]!.status, 'pass', id);
    const provision = r.byId['restore-provision']!;
    assert.equal(provision.status, 'fail');
    assert.match(
      provision.message,
      /postgres_full\.sql\.gz was restored into the throwaway database while the archive was verified, then discarded because verification failed: archive-checksum failed/,
    );
    // Restored (the load ran: the server was there), yet none of the restore-* checks passes on it.
    assert.match(r.stderr, /restoring postgres_full\.sql\.gz from .* into throwaway PostgreSQL/);
    assert.match(r.stderr, /the restore is discarded/);
    for (const id of ['restore-provision', 'restore-row-counts-match', 'restore-alembic-match']) assert.notEqual(r.byId[id]!.status, 'pass', id);
    assert.equal(r.byId['restore-cleanup']!.status, 'pass');
    assert.ok(
      (r.byId['restore-cleanup']!.evidence.removed as string[]).some((item) => /^cluster /.test(item)),
      'the cluster restored into was removed',
    );
    assertNothingLeft(r.byId['restore-cleanup']);
  });

  it('another member damaged (a truncated MariaDB dump) does not discard the PostgreSQL restore (exit 1 for that member only)', async () => {
    // A MariaDB dump cut before its end marker; assembleArchive records its hash in metadata.json and the sidecar, so
    // only that member is bad.
    const truncated = gzipSync(Buffer.from('-- MariaDB dump 10.19  Distrib 10.11.6-MariaDB\n--\nCREATE TABLE t (id int);\nINSERT INTO t VALUES (1),(2'));
    const archive = await assembleArchive(parts, { outDir: join(work, 'other-member'), replace: { 'mariadb_full.sql.gz': truncated } });
    const r = await restoreTest(archive.path);
    assert.equal(r.byId['archive-dump-integrity']!.status, 'fail', r.byId['archive-dump-integrity']!.message);
    assert.match(r.byId['archive-dump-integrity']!.message, /mariadb_full\.sql\.gz/);
    for (const id of ['archive-checksum', 'archive-integrity', 'archive-metadata']) assert.equal(r.byId[id]!.status, 'pass', id);
    for (const id of ['restore-provision', 'restore-row-counts-match', 'restore-alembic-match', 'restore-cleanup'])
      assert.equal(r.byId[id]!.status, 'pass', `${id}: ${r.byId[id]!.message}`);
    assert.equal(r.code, 1, 'the damaged member still fails the run');
    assertNothingLeft(r.byId['restore-cleanup']);
  });

  it('refuses a dump carrying a shell escape: the sentinel is never created (exit 1)', async () => {
    const sentinel = join(work, 'SENTINEL');
    const dump = gunzipSync(await readFile(parts.files['postgres_full.sql.gz']!)).toString('utf8');
    const evil = dump.replace('SET statement_timeout = 0;', `SET statement_timeout = 0;\n\\! touch ${sentinel}`);
    assert.notEqual(evil, dump);
    const archive = await assembleArchive(parts, { outDir: join(work, 'evil'), replace: { 'postgres_full.sql.gz': gzipSync(evil) } });
    const r = await restoreTest(archive.path);
    assert.equal(r.byId['archive-dump-integrity']!.status, 'pass', 'the dump looks like a dump');
    assert.equal(r.code, 1);
    assert.match(r.byId['restore-provision']!.message, /psql meta-command \\! at line \d+/);
    assert.equal(existsSync(sentinel), false);
    assertNothingLeft(r.byId['restore-cleanup']);
  });

  it("refuses a shell escape appended to pg_dump's own \\unrestrict line: no sentinel, exit 1 (issue 10, item 1)", async () => {
    const sentinel = join(work, 'PWNED');
    const dump = gunzipSync(await readFile(parts.files['postgres_full.sql.gz']!)).toString('utf8');
    const evil = dump.replace(/^(\\unrestrict [A-Za-z0-9]+)$/m, `$1 \\! id > ${sentinel}`);
    assert.notEqual(evil, dump, 'pg_dump wrote an \\unrestrict line');
    // assembleArchive recomputes the member hash in metadata.json and the sidecar, as a forger would.
    const archive = await assembleArchive(parts, { outDir: join(work, 'evil-unrestrict'), replace: { 'postgres_full.sql.gz': gzipSync(evil) } });
    const r = await restoreTest(archive.path);
    assert.equal(r.byId['archive-checksum']!.status, 'pass');
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.byId['restore-provision']!.status, 'fail');
    assert.match(r.byId['restore-provision']!.message, /after \\unrestrict/);
    assert.equal(existsSync(sentinel), false, `the shell escape ran: ${existsSync(sentinel) ? await readFile(sentinel, 'utf8') : ''}`);
    assertNothingLeft(r.byId['restore-cleanup']);
  });

  it('says a pg_dumpall cluster dump passes verify but is not restored, and what to run instead (issue 10, item 8)', async () => {
    const archive = await assembleArchive(parts, { outDir: join(work, 'dumpall'), replace: { 'postgres_full.sql.gz': await readFile(parts.clusterDump!) } });
    const r = await restoreTest(archive.path);
    assert.equal(r.byId['archive-dump-integrity']!.status, 'pass', r.byId['archive-dump-integrity']!.message);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.byId['restore-provision']!.status, 'fail');
    assert.match(r.byId['restore-provision']!.message, /pg_dumpall cluster dump/);
    assertNothingLeft(r.byId['restore-cleanup']);
  });

  it('runs psql as an unprivileged OS user, and says which, and whether psql has the CVE-2026-18408 fix', async () => {
    const archive = await assembleArchive(parts, { outDir: join(work, 'whoami') });
    const r = await restoreTest(archive.path);
    assert.equal(r.code, 0, r.stderr);
    const evidence = r.byId['restore-provision']!.evidence;
    assert.equal(typeof evidence.psqlOsUser, 'string');
    assert.notEqual(evidence.psqlOsUser, 'root');
    if (process.getuid?.() === 0) assert.equal(evidence.psqlOsUser, 'postgres');
    assert.match(String(evidence.psqlVersion), /^\d+\.\d+/);
    assert.equal(typeof evidence.psqlCve202618408Fixed, 'boolean');
  });

  it('an archive whose metadata records neither row counts nor an Alembic revision is not a verified restore (exit 1)', async () => {
    const archive = await assembleArchive(parts, {
      outDir: join(work, 'empty-comparison'),
      metadata: (m) => {
        const { row_counts: _c, alembic_revision: _a, ...rest } = m;
        return rest;
      },
    });
    const r = await restoreTest(archive.path);
    assert.equal(r.byId['restore-provision']!.status, 'pass', r.byId['restore-provision']!.message);
    assert.equal(r.code, 1, 'a restore compared with nothing must not pass');
    assert.equal(r.byId['restore-row-counts-match']!.status, 'fail');
    assert.match(r.byId['restore-row-counts-match']!.message, /nothing to compare/i);
    assert.match(r.byId['restore-row-counts-match']!.message, /neither row counts nor an Alembic revision/);
    assert.equal(r.byId['restore-alembic-match']!.status, 'skipped');
    assertNothingLeft(r.byId['restore-cleanup']);
  });

  it('contains a dump that tries to make itself superuser: no role survives, the refusal is evidence', async () => {
    const dump = gunzipSync(await readFile(parts.files['postgres_full.sql.gz']!)).toString('utf8');
    const evil = dump.replace(
      '-- PostgreSQL database dump complete',
      "CREATE ROLE evil SUPERUSER LOGIN PASSWORD 'x';\nALTER ROLE restorecheck_restore SUPERUSER;\n\n--\n-- PostgreSQL database dump complete",
    );
    const archive = await assembleArchive(parts, { outDir: join(work, 'superuser'), replace: { 'postgres_full.sql.gz': gzipSync(evil) } });
    const r = await restoreTest(archive.path);
    assert.equal(r.byId['restore-provision']!.status, 'pass', r.byId['restore-provision']!.message);
    assert.ok(Number(r.byId['restore-provision']!.evidence.privilegedStatementsRefused) >= 2);
    assert.match(JSON.stringify(r.byId['restore-provision']!.evidence.firstErrors), /permission denied to create role|must be superuser/);
    assertNothingLeft(r.byId['restore-cleanup']);
  });

  it('--keep keeps the database for the run, and says so (warn, exit 0); the process still removes it on exit', async () => {
    const archive = await assembleArchive(parts, { outDir: join(work, 'keep') });
    const r = await restoreTest(archive.path, ['--keep']);
    assert.equal(r.code, 0);
    assert.equal(r.byId['restore-cleanup']!.status, 'warn');
    assertNothingLeft(r.byId['restore-cleanup']);
  });

  it('refuses an unknown --only id before restoring anything (exit 2)', async () => {
    const archive = await assembleArchive(parts, { outDir: join(work, 'only') });
    const r = await runCli(['restore-test', '--archive', archive.path, '--only', 'restore-provison']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown check id "restore-provison"/);
    assert.doesNotMatch(r.stderr, /restoring|throwaway PostgreSQL starts/);
  });

  it('exits 2 for an archive that does not exist, and refuses --point-in-time with an archive', async () => {
    const missing = await runCli(['restore-test', '--archive', join(work, 'nope.tar.gz')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /archive not found/);
    const archive = await assembleArchive(parts, { outDir: join(work, 'pit') });
    const pit = await runCli(['restore-test', '--archive', archive.path, '--point-in-time', '2026-11-01T00:00:00Z']);
    assert.equal(pit.code, 2);
    assert.match(pit.stderr, /--point-in-time applies to the Azure restore/);
  });
});

describe('restore-test --archive interrupted', () => {
  before(async () => {
    big = await generateParts({ dir: join(work, 'big-parts'), postgresRows: 400_000, mariadbRows: 0, redisKeys: 5, mongoDocuments: 5, minioObjects: 1 });
  });

  /**
   * A TMPDIR of the test's own for a killed run's cluster: every restore-test sweeps TMPDIR for abandoned clusters
   * first, so one running at the same time in another test file would remove this one before the test's own sweep.
   */
  async function privateTmp(name: string): Promise<string> {
    const dir = join(work, name);
    await mkdir(dir, { recursive: true });
    await chmod(work, 0o711); // the sandbox user must be able to reach the TMPDIR (mkdtemp made work 0700)
    await chmod(dir, 0o1777);
    return dir;
  }

  it('kill -9 during the restore leaves a running cluster; the next cleanup --local stops and removes it, and the audit log says so', async () => {
    const archive = await assembleArchive(big, { outDir: join(work, 'big-kill') });
    await rewriteSidecar(archive.path);
    const tmp = await privateTmp('tmp-kill');
    const child = spawn(process.execPath, [BIN, 'restore-test', '--archive', archive.path, '--format', 'json'], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1', TMPDIR: tmp },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const closed = new Promise<void>((resolve) => child.on('close', () => resolve()));
    // Poll for this child's registered cluster with a running server, while the dump is being restored.
    let clusterDir: string | undefined;
    let postmaster = 0;
    for (let attempt = 0; attempt < 1200 && !postmaster; attempt++) {
      if (/restoring postgres_full\.sql\.gz/.test(stderr)) {
        for (const name of (await readdir(tmp)).filter((n) => n.startsWith('restorecheck-pg-'))) {
          const owner = await readFile(join(tmp, name, 'owner.json'), 'utf8').then(
            (t) => JSON.parse(t) as { pid: number },
            () => undefined,
          );
          if (owner?.pid !== child.pid) continue;
          clusterDir = join(tmp, name);
          postmaster = await readFile(join(clusterDir, 'data', 'postmaster.pid'), 'utf8').then(
            (t) => Number(t.split('\n')[0]),
            () => 0,
          );
        }
      }
      if (!postmaster) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(clusterDir && postmaster, `the child's cluster was never seen running:\n${stderr}`);
    child.kill('SIGKILL');
    await closed;
    assert.ok(await serverRunning(postmaster), 'the killed run left its server running (the situation to clean up)');

    const reports = join(work, 'kill-reports');
    await mkdir(reports, { recursive: true });
    const config = join(work, 'kill.yaml');
    await writeFile(config, `environment: production\nreport:\n  dir: ${reports}\n`);
    const r = await runCli(['restore-test', 'cleanup', '--local', '--config', config], { env: { TMPDIR: tmp } });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`removed ${clusterDir}`));
    assert.match(r.stderr, new RegExp(`stopped and removed an abandoned throwaway PostgreSQL in ${clusterDir} \\(its restore-test, pid ${child.pid}, is gone`));
    assert.equal(existsSync(clusterDir), false, 'the directory (restored data, pwfile) is gone');
    assert.equal(await serverRunning(postmaster), false, 'the server is stopped');
    const audit = (await readFile(join(reports, 'audit.log.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const line = audit.find((a) => a.action === 'cleanup' && JSON.stringify(a.details).includes(clusterDir!));
    assert.ok(line, `no audit line: ${JSON.stringify(audit)}`);
    assert.equal(line.outcome, 'deleted');
  });

  it('the next restore-test removes a cluster whose owner is gone, before its own restore', async () => {
    // A dead owner, registered as the launcher does: a real stopped-owner cluster made by a killed child.
    const tmp = await privateTmp('tmp-dead-owner');
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '-e',
        `
      const { startCluster } = await import(${JSON.stringify(new URL('../../src/restore/throwaway-cluster.ts', import.meta.url).href)});
      const c = await startCluster();
      process.stdout.write(JSON.stringify({ dir: c.dir }) + '\\n');
      setInterval(() => {}, 1000);`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, TMPDIR: tmp } },
    );
    const dir = await new Promise<string>((resolve) => child.stdout.once('data', (d: Buffer) => resolve((JSON.parse(d.toString()) as { dir: string }).dir)));
    const postmaster = Number((await readFile(join(dir, 'data', 'postmaster.pid'), 'utf8')).split('\n')[0]);
    const closed = new Promise<void>((resolve) => child.on('close', () => resolve()));
    child.kill('SIGKILL');
    await closed;
    const archive = await assembleArchive(parts, { outDir: join(work, 'after-kill') });
    const r = await restoreTest(archive.path, [], { TMPDIR: tmp });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /stopped and removed an abandoned throwaway PostgreSQL/);
    assert.equal(existsSync(dir), false);
    assert.equal(await serverRunning(postmaster), false, 'the server is stopped');
  });

  it('a TMPDIR that fills up during the restore reads as "disk full in <dir>" with the fix, not "write EPIPE" (error, exit 2)', async (t) => {
    const mnt = join(work, 'small-tmpfs');
    await mkdir(mnt, { recursive: true });
    await chmod(work, 0o711); // the sandbox user must be able to reach the TMPDIR (mkdtemp made work 0700)
    // Room for initdb and the start of the load, not for the whole dump.
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=72m,mode=1777', 'tmpfs', mnt], { encoding: 'utf8' });
    if (mounted.status !== 0) {
      t.skip(`cannot mount a small tmpfs here (needs root and CAP_SYS_ADMIN): ${mounted.stderr.trim()}`);
      return;
    }
    try {
      const archive = await assembleArchive(big, { outDir: join(work, 'big-full') });
      await rewriteSidecar(archive.path);
      const r = await runCli(['restore-test', '--archive', archive.path, '--format', 'json'], { timeoutMs: 300_000, env: { TMPDIR: mnt } });
      const report = JSON.parse(r.stdout) as Report;
      const provision = report.checks.find((c) => c.id === 'restore-provision')!;
      assert.equal(provision.status, 'error', provision.message);
      assert.match(provision.message, new RegExp(`disk full in ${mnt}/restorecheck-pg-\\w+ \\(ENOSPC`));
      assert.match(String(provision.evidence.hint ?? JSON.stringify(provision)), /free space there, or point TMPDIR/);
      assert.doesNotMatch(provision.message, /EPIPE/);
      assert.equal(r.code, 2);
      const cleanup = report.checks.find((c) => c.id === 'restore-cleanup')!;
      assertNothingLeft(cleanup);
    } finally {
      spawnSync('umount', ['-l', mnt]);
    }
  });

  it('SIGINT during the restore still removes the throwaway database', async () => {
    const archive = await assembleArchive(big, { outDir: join(work, 'big') });
    await rewriteSidecar(archive.path);
    const child = spawn(process.execPath, [BIN, 'restore-test', '--archive', archive.path, '--format', 'json'], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    let stdout = '';
    let sent = false;
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const interrupted = new Promise<void>((resolve) => {
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (!sent && /restoring postgres_full\.sql\.gz/.test(stderr)) {
          sent = true; // once: a second Ctrl-C means "leave now"
          child.kill('SIGINT');
          resolve();
        }
      });
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    await interrupted;
    assert.notEqual(code, 0, stderr);
    assert.ok(stdout.startsWith('{'), `no report on stdout (exit ${code}):\n${stderr}`);
    const report = JSON.parse(stdout) as Report;
    const cleanup = report.checks.find((c) => c.id === 'restore-cleanup')!;
    assert.equal(cleanup.status, 'pass', cleanup.message);
    assertNothingLeft(cleanup);
    assert.match(report.checks.find((c) => c.id === 'restore-provision')!.message, /interrupted/);
  });
});
