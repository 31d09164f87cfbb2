/**
 * The seed procedure's own restore test, automated from the CLI against real PostgreSQL, MariaDB and Redis (issue 16):
 * back up; insert the row 999 everywhere; `restorecheck restore production latest` as CI would run it; the row is gone
 * and the data is as backed up; the safety backup holds the 999 row, and restoring it brings it back. Then the two ways
 * a restore ends badly: Ctrl-C in the middle (a report of the partial state, the safety backup intact and verified),
 * and a health URL answering 500 (exit 1).
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli, startCli } from '../helpers/cli.js';
import { type RestoreStack, startRestoreStack } from '../helpers/restore-stack.js';
import { mariadbInstalled, redisInstalled } from '../helpers/selfhosted-services.js';

const ready = mariadbInstalled() && redisInstalled();
const CI = {
  CI: 'true',
  GITHUB_ACTIONS: 'true',
  GITHUB_ACTOR: 'deploy-bot',
  GITHUB_SERVER_URL: 'https://github.com',
  GITHUB_REPOSITORY: 'medicapp/api',
  GITHUB_RUN_ID: '4242',
};
const CONFIRMED = ['--confirm', 'RESTORE PRODUCTION', '--reason', 'seed procedure restore test'];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('restorecheck restore: the seed procedure, from the CLI', {
  timeout: 1_800_000,
  skip: !ready && 'mariadb-server and redis-server are installed by .ci/run',
}, () => {
  let stack: RestoreStack;
  let config: string;
  let backedUp: string;
  let started: string;

  /** What the three servers hold, without the database's oid (a restore builds a new database and swaps it in). */
  async function data(): Promise<string> {
    const f = JSON.parse(await stack.fingerprint()) as { pg: string; maria: string; redis: string[] };
    return JSON.stringify({ ...f, pg: f.pg.replace(/^\d+ /, '') });
  }
  async function has999(): Promise<{ pg: boolean; maria: boolean; redis: boolean }> {
    return {
      pg: (await stack.pg.sql('SELECT count(*) FROM test_table WHERE id = 999', 'medicapp')).trim() === '1',
      maria: (await stack.maria.sql('SELECT COUNT(*) FROM agenda.test_table WHERE id = 999')).trim() === '1',
      redis: (await stack.redis.cli('EXISTS', 'test:999')).trim() === '1',
    };
  }
  async function insert999(): Promise<void> {
    await stack.pg.sql('INSERT INTO test_table VALUES (999)', 'medicapp');
    await stack.maria.sql('INSERT INTO agenda.test_table VALUES (999)');
    await stack.redis.cli('SET', 'test:999', 'after-backup');
  }
  const safetyArchives = async () => (await stack.archives()).filter((a) => a.startsWith('medicapp-safety_production_'));

  before(async () => {
    stack = await startRestoreStack();
    started = join(stack.work, 'started');
    // The application's stop and start, as docker compose stop/start would be: each leaves a trace.
    config = await stack.writeConfig([
      `  stop: [[touch, ${JSON.stringify(join(stack.work, 'stopped'))}]]`,
      `  start: [[touch, ${JSON.stringify(started)}]]`,
      '  rtoMinutes: 5',
    ]);
    const made = await runCli(['backup', '--config', config, '--environment', 'production'], { timeoutMs: 300_000 });
    assert.equal(made.code, 0, made.stderr);
    backedUp = await data();
  });
  after(async () => {
    await stack?.stop();
  });

  it('restores production latest: the 999 row is gone, the data is as backed up; the safety backup puts it back', async () => {
    await insert999();
    assert.deepEqual(await has999(), { pg: true, maria: true, redis: true });
    assert.notEqual(await data(), backedUp);

    const r = await runCli(['restore', '--config', config, '--environment', 'production', 'latest', ...CONFIRMED, '--format', 'json'], {
      env: CI,
      timeoutMs: 600_000,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(await has999(), { pg: false, maria: false, redis: false }, 'the 999 row survived the restore');
    assert.equal(await data(), backedUp, 'the data is not as backed up');
    assert.ok(existsSync(join(stack.work, 'stopped')) && existsSync(started), 'the stop and start commands ran');

    // The report: every restored-* check passed for the three components, the safety backup named.
    const report = JSON.parse(r.stdout) as { outcome: string; checks: { id: string; status: string; message: string }[] };
    assert.equal(report.outcome, 'pass');
    const status = Object.fromEntries(report.checks.map((c) => [c.id, c.status]));
    for (const id of ['restored-postgres', 'restored-mariadb', 'restored-redis', 'restore-database-health', 'restore-safety-backup', 'restore-rto'])
      assert.equal(status[id], 'pass', id);
    assert.equal(status['restored-mongodb'], 'skipped');
    assert.equal(status['restored-minio'], 'skipped');
    const [safety] = await safetyArchives();
    assert.ok(safety, 'no safety backup in the backup directory');
    assert.match(report.checks.find((c) => c.id === 'restore-safety-backup')!.message, new RegExp(safety.replace(/\./g, '\\.')));
    assert.match(r.stderr, /restore: postgres: restored\n/);
    assert.match(r.stderr, new RegExp(`to undo it, restore the safety backup: restorecheck restore .*${safety.replace(/\./g, '\\.')}`));

    // The audit line: who, why, which archive, the safety backup, the steps, the RTO.
    const audit = (await readFile(join(stack.backupDir, 'audit.log.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const line = audit.findLast((l: { action?: string }) => l.action === 'restore');
    assert.ok(line, 'no restore line in the audit log');
    const details = line.details;
    assert.equal(details.reason, 'seed procedure restore test');
    assert.equal(details.confirmation, 'flag');
    assert.equal(details.ciActor, 'deploy-bot');
    assert.match(details.sha256, /^[0-9a-f]{64}$/);
    assert.match(details.safetyBackup.archive, new RegExp(`${safety.replace(/\./g, '\\.')}$`));
    assert.equal(details.rtoMet, true);
    assert.deepEqual(
      details.steps.map((s: { name: string }) => s.name),
      ['verify', 'preflight', 'safety backup', 'stop', 'postgres', 'mariadb', 'redis', 'start', 'database health'],
    );

    // The safety backup holds the 999 row: restoring it (the printed undo) brings it back.
    const undo = await runCli(
      ['restore', '--config', config, '--environment', 'production', join(stack.backupDir, safety), ...CONFIRMED, '--no-safety-backup'],
      {
        env: CI,
        timeoutMs: 600_000,
      },
    );
    assert.equal(undo.code, 0, undo.stderr);
    assert.deepEqual(await has999(), { pg: true, maria: true, redis: true }, 'the safety backup did not hold the 999 row');
    assert.match(undo.stderr, /WITHOUT a safety backup/);
  });

  it('Ctrl-C in the middle: what was restored and what was not, and the safety backup intact', async () => {
    // Back to the archive's state, then the 999 row again, so that the safety backup differs from the archive.
    const latest = (await stack.archives()).filter((a) => a.startsWith('medicapp_production_')).at(-1)!;
    const reset = await runCli(
      ['restore', '--config', config, '--environment', 'production', join(stack.backupDir, latest), ...CONFIRMED, '--no-safety-backup'],
      {
        env: CI,
        timeoutMs: 600_000,
      },
    );
    assert.equal(reset.code, 0, reset.stderr);
    await insert999();
    // The archive holds PostgreSQL, MariaDB, Redis in that order, restored one after the other. Ctrl-C arrives in
    // MariaDB's own stop command (run before it overwrites anything): PostgreSQL is restored by then, MariaDB must stay
    // as it was, and Redis is never started.
    const inMariadbStop = join(stack.work, 'in-mariadb-stop');
    const startedAgain = join(stack.work, 'started-after-ctrl-c');
    const slowConfig = await stack.writeConfig([`  start: [[touch, ${JSON.stringify(startedAgain)}]]`], {
      mariadbRestore: { stop: [['sh', '-c', `touch ${inMariadbStop}; sleep 120`]] },
    });
    const before = new Set(await safetyArchives());
    const cli = startCli(['restore', '--config', slowConfig, '--environment', 'production', 'latest', ...CONFIRMED, '--format', 'json'], {
      env: CI,
      timeoutMs: 600_000,
    });
    for (let i = 0; i < 3000 && !existsSync(inMariadbStop); i++) await sleep(100);
    assert.ok(existsSync(inMariadbStop), `the restore never reached MariaDB's stop command:\n${cli.stderr()}`);
    const interruptedAt = performance.now();
    cli.child.kill('SIGINT');
    const r = await cli.result;
    assert.ok(performance.now() - interruptedAt < 90_000, 'Ctrl-C waited for the stop command to end by itself');
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /restore: postgres: restored\n/);
    assert.match(r.stderr, /restore: mariadb: failed \(.*interrupted/);
    assert.match(r.stderr, /restore: redis: not-restored \(interrupted \(Ctrl-C\) before it was restored: it keeps its data\)/);
    assert.match(r.stderr, /to undo it, restore the safety backup/);
    const report = JSON.parse(r.stdout) as { checks: { id: string; status: string }[] };
    const status = Object.fromEntries(report.checks.map((c) => [c.id, c.status]));
    assert.equal(status['restored-postgres'], 'pass');
    assert.equal(status['restored-mariadb'], 'error');
    assert.notEqual(status['restored-redis'], 'pass');
    // What was restored holds the archive; MariaDB and Redis keep the 999 row, and no database loaded aside is left.
    assert.deepEqual(await has999(), { pg: false, maria: true, redis: true });
    assert.equal((await stack.pg.sql("SELECT count(*) FROM pg_database WHERE datname LIKE '%\\_\\_rc\\_%'")).trim(), '0', 'a database loaded aside was left');
    assert.ok(existsSync(startedAgain), 'the start commands did not run after Ctrl-C');

    const safety = (await safetyArchives()).filter((a) => !before.has(a));
    assert.equal(safety.length, 1, `one new safety backup expected, got ${safety.join(', ')}`);
    const verified = await runCli(['verify', '--config', config, '--environment', 'production', join(stack.backupDir, safety[0]!)], { timeoutMs: 300_000 });
    assert.equal(verified.code, 0, `the safety backup does not verify:\n${verified.stdout}${verified.stderr}`);
  });

  it('a health URL answering 500: exit 1, the data restored all the same', async () => {
    const server: Server = createServer((_req, res) => {
      res.statusCode = 500;
      res.end('down');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as AddressInfo).port;
      const healthConfig = await stack.writeConfig([`  healthUrl: http://127.0.0.1:${port}/health`, '  healthTimeoutSeconds: 3']);
      const r = await runCli(
        ['restore', '--config', healthConfig, '--environment', 'production', 'latest', ...CONFIRMED, '--no-safety-backup', '--format', 'json'],
        {
          env: CI,
          timeoutMs: 600_000,
        },
      );
      assert.equal(r.code, 1, r.stderr);
      const report = JSON.parse(r.stdout) as { checks: { id: string; status: string; message: string }[] };
      const health = report.checks.find((c) => c.id === 'restore-health')!;
      assert.equal(health.status, 'fail');
      assert.match(health.message, /500/);
      assert.equal(report.checks.find((c) => c.id === 'restored-postgres')!.status, 'pass');
      assert.equal(await data(), backedUp);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('an application that migrates as it starts: the database health fails, exit 1', async () => {
    // The start command plays a newer application's `alembic upgrade head` on start, after a rollback.
    const migrating = await stack.writeConfig([
      `  start: [[psql, ${JSON.stringify(stack.pg.url({ database: 'medicapp' }))}, -q, -c, "UPDATE alembic_version SET version_num = '9f00aa000000'"]]`,
    ]);
    const r = await runCli(
      ['restore', '--config', migrating, '--environment', 'production', 'latest', ...CONFIRMED, '--no-safety-backup', '--format', 'json'],
      {
        env: CI,
        timeoutMs: 600_000,
      },
    );
    assert.equal(r.code, 1, r.stderr);
    const report = JSON.parse(r.stdout) as { checks: { id: string; status: string; message: string }[] };
    const health = report.checks.find((c) => c.id === 'restore-database-health')!;
    assert.equal(health.status, 'fail');
    assert.match(health.message, /Alembic is at 9f00aa000000, the archive at 4b2d9c1e7f00/);
    // The restore itself was right: the drift came after it.
    assert.equal(report.checks.find((c) => c.id === 'restored-postgres')!.status, 'pass');
  });
});
