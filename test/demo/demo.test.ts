/**
 * `restorecheck demo` end to end, as a newcomer runs it: the built binary, no account, no service.
 * Healthy exits 0, unhealthy exits 1, the reports exist and validate, and nothing it started is
 * still running or listening afterwards — also after Ctrl-C in the middle.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BIN, runCli } from '../helpers/cli.js';
import { schemaErrors } from '../helpers/report-schema-validator.js';
import { listening } from '../helpers/network.js';

let work: string;

/** The sandbox's addresses and directory, as the demo prints them. */
function sandboxOf(stderr: string): { endpoints: Array<[string, number]>; dir: string | undefined } {
  const endpoints = [...stderr.matchAll(/(?:PostgreSQL|Azurite http:\/\/|simulator https:\/\/)\s*(127\.0\.0\.\d+):(\d+)/g)].map(
    (m) => [m[1]!, Number(m[2])] as [string, number],
  );
  const dir = /--config (\/\S+)\/restorecheck\.yaml/.exec(stderr)?.[1];
  return { endpoints, dir };
}

async function assertNothingLeft(stderr: string): Promise<void> {
  const { endpoints, dir } = sandboxOf(stderr);
  assert.ok(endpoints.length >= 3, `the demo names its PostgreSQL, Azurite and simulator:\n${stderr}`);
  for (const [host, port] of endpoints) assert.equal(await listening(host, port), false, `${host}:${port} still listens`);
  assert.ok(dir, 'the demo names its configuration');
  assert.equal(existsSync(dir!), false, `${dir} is still there`);
}

async function reportsIn(
  dir: string,
): Promise<Array<{ name: string; report: { run: { command: string }; outcome: string; checks: Array<{ id: string; status: string }> } }>> {
  const names = (await readdir(dir)).filter((n) => n.endsWith('.json')).sort();
  return Promise.all(names.map(async (name) => ({ name, report: JSON.parse(await readFile(join(dir, name), 'utf8')) })));
}

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'restorecheck-demo-test-'));
});
after(async () => rm(work, { recursive: true, force: true }));

describe('restorecheck demo', () => {
  it('healthy: every check passes, reports in every format, exit 0, nothing left behind', async () => {
    const out = join(work, 'healthy');
    const r = await runCli(['demo', '--out-dir', out], { cwd: work, timeoutMs: 120_000 });
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /outcome PASS \(exit 0\)/);
    assert.match(r.stderr, /open first: .*\.html/);
    const files = await readdir(out);
    for (const command of ['check', 'restore-test']) {
      for (const ext of ['.json', '.md', '.html', '.xml'])
        assert.ok(
          files.some((f) => f.endsWith(`-demo-${command}${ext}`)),
          `a ${command} report ${ext}`,
        );
    }
    const restore = (await reportsIn(out)).find((x) => x.report.run.command === 'restore-test')!.report;
    assert.equal(restore.outcome, 'pass');
    // The clinic's own smoke queries ran on the restored copy, each passing.
    type Check = { id: string; status: string; message: string; evidence: Record<string, unknown> };
    const smoke = (restore.checks as Check[]).find((c) => c.id === 'restore-smoke');
    assert.equal(smoke?.status, 'pass', smoke?.message);
    assert.equal((smoke.evidence.queries as unknown[]).length, 4);
    // The blob recovery drill ran beside the restore: the deleted canary came back (the simulator's blob endpoint).
    const drill = (restore.checks as Check[]).find((c) => c.id === 'blob-recovery-drill');
    assert.equal(drill?.status, 'pass', drill?.message);
    assert.equal((drill.evidence.steps as unknown[]).length, 7);
    // The restored copy lived on 127.0.0.2 at the clinic's port; it must be gone too.
    const port = Number(/PostgreSQL 127\.0\.0\.1:(\d+)/.exec(r.stderr)?.[1]);
    assert.equal(await listening('127.0.0.2', port), false, 'the restored server is deleted');
    for (const { name, report } of await reportsIn(out)) assert.deepEqual(schemaErrors(report), [], name);
    assert.equal((await runCli(['report', 'verify', out])).code, 0);
    await assertNothingLeft(r.stderr);
  });

  it('unhealthy: old backups, soft delete and versioning off fail, exit 1', async () => {
    const out = join(work, 'unhealthy');
    const r = await runCli(['demo', '--scenario', 'unhealthy', '--out-dir', out], { cwd: work, timeoutMs: 120_000 });
    assert.equal(r.code, 1, `${r.stdout}\n${r.stderr}`);
    const check = (await reportsIn(out)).find((x) => x.report.run.command === 'check')!.report;
    const status = Object.fromEntries(check.checks.map((c) => [c.id, c.status]));
    for (const id of ['pgflex-recent-backup', 'pgflex-backup-retention', 'blob-soft-delete', 'blob-versioning']) assert.equal(status[id], 'fail', id);
    for (const id of ['db-connectivity', 'db-alembic-version', 'db-core-row-counts', 'signed-document']) assert.equal(status[id], 'pass', id);
    await assertNothingLeft(r.stderr);
  });

  it('Ctrl-C in the middle stops and removes everything it started', async () => {
    const child = spawn(process.execPath, [BIN, 'demo', '--out-dir', join(work, 'interrupted')], {
      cwd: work,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    let sent = false;
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (!sent && /\$ restorecheck /.test(stderr)) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.ok(sent, stderr);
    assert.notEqual(code, 0);
    await assertNothingLeft(stderr);
  });
});
