/**
 * `restorecheck backup` through the built binary against a real PostgreSQL (Debian's, a throwaway cluster on a free
 * port): the archive passes `verify` and the seed procedure done by hand (sha256sum -c, tar -tzf, extract, gzip -t),
 * restores through `restore-test --archive` with matching counts; the exec prefix; a wrong password (no secret in any
 * output); a missing tool; SIGINT and SIGKILL mid-dump (no final name, no temp left); a full disk (a small tmpfs);
 * --prune.
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { type PostgresCluster, startCluster } from '../../src/simulator/postgres-cluster.js';
import { archiveFileName } from '../fixtures/archive-generator.js';
import { runCli, startCli } from '../helpers/cli.js';

const sh = promisify(execFile);
let cluster: PostgresCluster;
let work: string;
let url: string;
const PATIENTS = 1200;

/** A config file for a backup of the test database into `backupDir`. */
async function writeConfig(name: string, backupDir: string, postgres: Record<string, unknown>, extra = ''): Promise<string> {
  const path = join(work, `${name}.yaml`);
  const lines = [
    'environment: dev',
    'selfHosted:',
    '  name: medicapp',
    `  backupDir: ${backupDir}`,
    '  sources:',
    '    postgres:',
    ...Object.entries(postgres).map(([k, v]) => `      ${k}: ${JSON.stringify(v)}`),
    extra,
  ];
  await writeFile(path, `${lines.join('\n')}\n`);
  return path;
}

/** Everything in a backup directory, temp files included. */
const listing = async (dir: string) => (await readdir(dir).catch(() => [] as string[])).sort();

/** The wrapper an exec prefix names, like `docker compose exec -T <service>`: logs its argv, drops the service, runs the rest. */
async function forwardingWrapper(slow = false): Promise<{ path: string; log: string }> {
  const dir = await mkdtemp(join(work, 'wrapper-'));
  const log = join(dir, 'calls.log');
  const path = join(dir, 'compose-exec');
  const body = slow
    ? // Forwards the dump a line every 5 ms: the backup is "mid-dump" for a while, and the tool dies with its pipe.
      `#!/bin/bash\necho "$$ $*" >> ${log}\nshift\nset -o pipefail\n"$@" | while IFS= read -r line; do printf '%s\\n' "$line"; sleep 0.005; done\n`
    : `#!/bin/sh\necho "$*" >> ${log}\nshift\nexec "$@"\n`;
  await writeFile(path, body);
  await chmod(path, 0o755);
  return { path, log };
}

async function waitFor(what: string, condition: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('restorecheck backup (PostgreSQL)', { timeout: 600_000 }, () => {
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'restorecheck-backup-'));
    cluster = await startCluster();
    await cluster.sql('CREATE DATABASE medicapp');
    await cluster.sql(
      `CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY); INSERT INTO alembic_version VALUES ('4b2d9c1e7f00');
       CREATE TABLE patients (id int PRIMARY KEY, family_name text, note text);
       INSERT INTO patients SELECT g, 'Martin', md5(g::text) FROM generate_series(1, ${PATIENTS}) g;
       CREATE TABLE documents (id int PRIMARY KEY, patient_id int REFERENCES patients(id));
       INSERT INTO documents SELECT g, g FROM generate_series(1, 120) g;`,
      'medicapp',
    );
    url = cluster.url({ database: 'medicapp' });
  });
  after(async () => {
    await cluster?.stop();
    await rm(work, { recursive: true, force: true });
  });

  it('writes an archive that verify, the seed procedure and restore-test --archive accept, through the exec prefix', async () => {
    const backupDir = join(work, 'ok');
    const wrapper = await forwardingWrapper();
    const config = await writeConfig('ok', backupDir, { url, exec: [wrapper.path, 'postgres'], coreTables: ['patients', 'documents'] });
    const r = await runCli(['backup', '--config', config, '--environment', 'dev', '--format', 'json'], { timeoutMs: 240_000 });
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as { checks: { id: string; status: string; evidence?: Record<string, unknown> }[] };
    const status = Object.fromEntries(report.checks.map((c) => [c.id, c.status]));
    assert.equal(status['backup-postgres'], 'pass');
    for (const id of ['archive-checksum', 'archive-integrity', 'archive-members', 'archive-dump-integrity', 'archive-metadata'])
      assert.equal(status[id], 'pass', id);
    for (const id of ['backup-mariadb', 'backup-redis', 'backup-minio', 'backup-mongodb']) {
      if (id in status) assert.equal(status[id], 'skipped', id);
    }
    // Progress on stderr, with sizes.
    assert.match(r.stderr, /backup: postgres: postgres_full\.sql\.gz [\d.]+ KB in [\d.]+ s/);
    // The dump tools ran through the prefix, and no password was on their command line.
    const calls = await readFile(wrapper.log, 'utf8');
    assert.match(calls, /^postgres pg_dump --format=plain --snapshot=\S+ --dbname postgres:\/\/postgres@127\.0\.0\.1:\d+\/medicapp\?sslmode=prefer$/m);
    assert.match(calls, /^postgres psql /m);
    assert.ok(!calls.includes(cluster.password), 'the password went through the environment, not argv');

    const files = await listing(backupDir);
    const archive = files.find((f) => f.endsWith('.tar.gz'))!;
    assert.deepEqual(files, ['audit.log.jsonl', archive, `${archive}.sha256`]);
    assert.match(archive, /^medicapp_dev_\d{8}_\d{6}\.tar\.gz$/);

    // The seed procedure, by hand.
    await sh('sha256sum', ['-c', `${archive}.sha256`], { cwd: backupDir });
    const { stdout: entries } = await sh('tar', ['-tzf', archive], { cwd: backupDir });
    const stem = archive.slice(0, -'.tar.gz'.length);
    assert.deepEqual(entries.trim().split('\n'), [`${stem}/`, `${stem}/metadata.json`, `${stem}/postgres_full.sql.gz`]);
    const extracted = await mkdtemp(join(work, 'extract-'));
    await sh('tar', ['-xzf', join(backupDir, archive), '-C', extracted]);
    await sh('gzip', ['-t', join(extracted, stem, 'postgres_full.sql.gz')]);
    const metadata = JSON.parse(await readFile(join(extracted, stem, 'metadata.json'), 'utf8'));
    assert.equal(metadata.environment, 'dev');
    assert.equal(metadata.alembic_revision, '4b2d9c1e7f00');
    assert.deepEqual(metadata.row_counts, { patients: PATIENTS, documents: 120 });
    assert.match(metadata.tools.pg_dump, /^pg_dump \(PostgreSQL\) \d+/);
    assert.equal(metadata.components.mongodb.backed_up, false);
    assert.match(metadata.components.mongodb.reason, /not configured/);
    const { stdout: sum } = await sh('sha256sum', [join(extracted, stem, 'postgres_full.sql.gz')]);
    assert.equal(metadata.members['postgres_full.sql.gz'].sha256, sum.split(' ')[0]);

    // The audit line: who, what, size, hashes, verdict.
    const audit = (await readFile(join(backupDir, 'audit.log.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const line = audit.find((l) => l.action === 'backup');
    assert.equal(line.outcome, 'pass');
    assert.equal(line.details.archive, join(backupDir, archive));
    assert.equal(line.details.sha256, (await readFile(join(backupDir, `${archive}.sha256`), 'utf8')).slice(0, 64));
    assert.equal(line.user, userInfo().username);

    // verify (the configuration says which members this stack has) and a real restore with matching counts.
    const v = await runCli(['verify', '--config', config, join(backupDir, archive)]);
    assert.equal(v.code, 0, v.stdout + v.stderr);
    const rt = await runCli(['restore-test', '--archive', join(backupDir, archive), '--config', config, '--format', 'json'], { timeoutMs: 240_000 });
    const restored = JSON.parse(rt.stdout) as { checks: { id: string; status: string; message: string }[] };
    const counts = restored.checks.find((c) => c.id === 'restore-row-counts-match')!;
    assert.equal(counts.status, 'pass', counts.message);
    assert.match(counts.message, /All 2 core tables match/);
    assert.equal(restored.checks.find((c) => c.id === 'restore-alembic-match')!.status, 'pass');
  });

  it('a wrong password: exit 2, no archive, and the password in no output', async () => {
    const canary = 'Wr0ng-Canary-Passw0rd-7731';
    const backupDir = join(work, 'wrong');
    const bad = new URL(url);
    bad.password = canary;
    const config = await writeConfig('wrong', backupDir, { url: bad.toString() });
    const r = await runCli(['backup', '--config', config, '--format', 'json'], { timeoutMs: 120_000 });
    assert.equal(r.code, 2, r.stderr);
    const report = JSON.parse(r.stdout) as { checks: { id: string; status: string; message: string }[] };
    const check = report.checks.find((c) => c.id === 'backup-postgres')!;
    assert.equal(check.status, 'error');
    assert.match(check.message, /password authentication failed/);
    assert.equal(report.checks.find((c) => c.id === 'archive-checksum')!.status, 'error');
    const audit = await readFile(join(backupDir, 'audit.log.jsonl'), 'utf8');
    for (const text of [r.stdout, r.stderr, audit]) assert.ok(!text.includes(canary), 'the password leaked');
    assert.deepEqual(await listing(backupDir), ['audit.log.jsonl']);
  });

  it('a missing tool: a clear error naming the package or the exec prefix, before anything is dumped', async () => {
    const backupDir = join(work, 'missing');
    const emptyPath = await mkdtemp(join(work, 'path-'));
    const config = await writeConfig('missing', backupDir, { url });
    const r = await runCli(['backup', '--config', config], { env: { PATH: emptyPath }, timeoutMs: 60_000 });
    assert.equal(r.code, 2);
    assert.match(r.stdout, /pg_dump is not installed on this machine/);
    assert.match(r.stdout, /apt-get install postgresql-client/);
    assert.deepEqual(await listing(backupDir), ['audit.log.jsonl']);

    const viaExec = await writeConfig('missing-exec', join(work, 'missing-exec'), { url, exec: ['/nonexistent/docker', 'compose', 'exec', '-T', 'postgres'] });
    const e = await runCli(['backup', '--config', viaExec], { timeoutMs: 60_000 });
    assert.equal(e.code, 2);
    assert.match(e.stdout, /could not be run through \/nonexistent\/docker compose exec -T postgres/);
    assert.doesNotMatch(e.stdout + e.stderr, /\n\s+at /, 'no stack trace');
  });

  for (const signal of ['SIGINT', 'SIGKILL'] as const) {
    it(`${signal} mid-dump: no final-named archive, and no temp file left`, async () => {
      const backupDir = join(work, `signal-${signal}`);
      const wrapper = await forwardingWrapper(true);
      const config = await writeConfig(`signal-${signal}`, backupDir, { url, exec: [wrapper.path, 'postgres'] });
      const running = startCli(['backup', '--config', config], { timeoutMs: 120_000 });
      await waitFor('the dump to start', async () => {
        const spool = (await listing(backupDir)).find((f) => f.startsWith('.restorecheck-spool-'));
        return spool !== undefined && existsSync(join(backupDir, spool, 'postgres_full.sql.gz'));
      });
      running.child.kill(signal);
      const r = await running.result;
      if (signal === 'SIGINT') {
        assert.equal(r.code, 2, r.stderr);
        assert.match(r.stdout, /interrupted/);
      } else {
        assert.equal(r.signal, 'SIGKILL');
      }
      // After SIGKILL the watchdog removes the spool folder once it sees the backup gone.
      await waitFor('the spool folder to go', async () => !(await listing(backupDir)).some((f) => f.startsWith('.restorecheck-spool-')), 30_000);
      const left = await listing(backupDir);
      assert.ok(!left.some((f) => f.endsWith('.tar.gz') || f.endsWith('.partial') || f.endsWith('.sha256')), left.join(', '));
      // The wrapper and the dump it ran died with their pipe.
      const wrapperPid = (await readFile(wrapper.log, 'utf8'))
        .split('\n')
        .find((l) => l.includes('pg_dump'))
        ?.split(' ')[0];
      await waitFor('the dump tools to exit', async () => spawnSync('ps', ['-p', String(wrapperPid)]).status !== 0, 30_000);
    });
  }

  it('a full disk (a small tmpfs): a clear error with the space needed, nothing with a final name, no temp left', {
    skip: userInfo().uid !== 0 && 'mounting a tmpfs needs root',
  }, async () => {
    await cluster.sql(
      `CREATE TABLE bulk AS SELECT g AS id, md5(g::text) || md5((g * 7)::text) || md5((g * 13)::text) AS payload FROM generate_series(1, 120000) g;`,
      'medicapp',
    );
    const mount = join(work, 'tmpfs');
    await mkdir(mount);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mount]);
    try {
      const backupDir = join(mount, 'backups');
      const config = await writeConfig('full', backupDir, { url });
      const r = await runCli(['backup', '--config', config], { timeoutMs: 120_000 });
      assert.equal(r.code, 2, r.stdout);
      assert.match(r.stdout, /the disk of .*tmpfs\/backups filled while writing the postgres dump: the backup needs about [\d.]+ MB free there/);
      assert.match(r.stdout, /free at least [\d.]+ MB on the file system of/);
      const left = await listing(backupDir);
      assert.ok(!left.some((f) => f.startsWith('.restorecheck-spool-') || f.endsWith('.tar.gz')), left.join(', '));
    } finally {
      execFileSync('umount', [mount]);
      await cluster.sql('DROP TABLE bulk', 'medicapp');
    }
  });

  it('--prune keeps the newest 3 of production (the new archive among them) and deletes older ones with their sidecars and signatures', async () => {
    const backupDir = join(work, 'prune');
    await mkdir(backupDir);
    const DAY = 86_400_000;
    const old = [40, 45, 50, 60].map((days) => archiveFileName('medicapp', 'production', new Date(Date.now() - days * DAY)));
    for (const name of old) {
      await writeFile(join(backupDir, name), 'old');
      await writeFile(join(backupDir, `${name}.sha256`), `${'0'.repeat(64)}  ${name}\n`);
      await writeFile(join(backupDir, `${name}.sig`), '{}\n');
    }
    const config = await writeConfig('prune', backupDir, { url });
    const r = await runCli(['backup', '--config', config, '--environment', 'production', '--prune'], { timeoutMs: 120_000 });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stderr, /prune: 2 expired archive\(s\) deleted/);
    const left = await listing(backupDir);
    const archives = left.filter((f) => f.endsWith('.tar.gz'));
    assert.equal(archives.length, 3);
    assert.ok(archives.includes(old[0]!) && archives.includes(old[1]!));
    for (const gone of [old[2]!, old[3]!]) {
      for (const suffix of ['', '.sha256', '.sig']) assert.ok(!left.includes(`${gone}${suffix}`), `${gone}${suffix} deleted`);
    }
    const audit = (await readFile(join(backupDir, 'audit.log.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.deepEqual(
      audit.filter((l) => l.action === 'delete').map((l) => l.details.archive),
      [join(backupDir, old[2]!), join(backupDir, old[3]!)],
    );
  });

  it('--prune never deletes the archive it just made, whatever the policy', async () => {
    const backupDir = join(work, 'prune-own');
    const config = await writeConfig('prune-own', backupDir, { url }, 'archives:\n  environments:\n    dev: { retentionDays: 0.000001, keepNewest: 0 }');
    const r = await runCli(['backup', '--config', config, '--prune'], { timeoutMs: 120_000 });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stderr, /prune: 0 expired archive\(s\) deleted, 1 kept/);
    assert.equal((await listing(backupDir)).filter((f) => f.endsWith('.tar.gz')).length, 1);
  });
});
