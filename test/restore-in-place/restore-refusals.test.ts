/**
 * `restorecheck restore`'s guard rails, from the CLI against a real stack (PostgreSQL, MariaDB, Redis): each refusal is
 * exit 2 with a message that names the fix, and leaves every target exactly as it was (the same database oid, tables,
 * rows, checksums and keys), no safety backup written, no stop command run.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli, startCli } from '../helpers/cli.js';
import { type RestoreStack, startRestoreStack } from '../helpers/restore-stack.js';
import { mariadbInstalled, redisInstalled } from '../helpers/selfhosted-services.js';

const ready = mariadbInstalled() && redisInstalled();
const CI = { CI: 'true' };

describe('restorecheck restore refuses, and changes nothing', {
  timeout: 900_000,
  skip: !ready && 'mariadb-server and redis-server are installed by .ci/run',
}, () => {
  let stack: RestoreStack;
  let config: string;
  let production: string;
  let staging: string;
  let marker: string;
  let before0: string;

  before(async () => {
    stack = await startRestoreStack();
    marker = join(stack.work, 'stopped');
    // A stop command that leaves a trace: a refusal must come before it.
    config = await stack.writeConfig([`  stop: [[touch, ${JSON.stringify(marker)}]]`]);
    const made = await runCli(['backup', '--config', config, '--environment', 'production', '--format', 'json'], { timeoutMs: 300_000 });
    assert.equal(made.code, 0, made.stderr);
    // Backups in the same second would collide: a staging one a second later.
    await new Promise((r) => setTimeout(r, 1100));
    const madeStaging = await runCli(['backup', '--config', config, '--environment', 'staging', '--format', 'json'], { timeoutMs: 300_000 });
    assert.equal(madeStaging.code, 0, madeStaging.stderr);
    const archives = await stack.archives();
    production = join(stack.backupDir, archives.find((a) => a.includes('_production_'))!);
    staging = join(stack.backupDir, archives.find((a) => a.includes('_staging_'))!);
    // What the servers hold after the backup: insert the seed procedure's row, so that a restore would remove it.
    await stack.pg.sql('INSERT INTO test_table VALUES (999)', 'medicapp');
    await stack.maria.sql('INSERT INTO agenda.test_table VALUES (999)');
    await stack.redis.cli('SET', 'test:999', 'after-backup');
    before0 = await stack.fingerprint();
  });
  after(async () => {
    await stack?.stop();
  });

  async function assertUnchanged(label: string): Promise<void> {
    assert.equal(await stack.fingerprint(), before0, `${label}: the targets changed`);
    assert.deepEqual(
      (await stack.archives()).filter((a) => a.includes('-safety_')),
      [],
      `${label}: a safety backup was written`,
    );
    assert.equal(existsSync(marker), false, `${label}: the stop commands ran`);
  }

  it('production without a terminal and without --confirm', async () => {
    const r = await runCli(['restore', '--config', config, '--environment', 'production', 'latest'], { env: CI, timeoutMs: 120_000 });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /needs confirmation, and there is no terminal/);
    assert.match(r.stderr, /--confirm "RESTORE PRODUCTION"/);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    await assertUnchanged('no confirmation');
  });

  it('production with the wrong phrase', async () => {
    const r = await runCli(['restore', '--config', config, '--environment', 'production', '--confirm', 'restore production', '--reason', 'test'], {
      env: CI,
      timeoutMs: 120_000,
    });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /is not the phrase/);
    await assertUnchanged('wrong phrase');
  });

  it('production in CI without --reason', async () => {
    const r = await runCli(['restore', '--config', config, '--environment', 'production', '--confirm', 'RESTORE PRODUCTION'], { env: CI, timeoutMs: 120_000 });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /needs --reason/);
    await assertUnchanged('no reason');
  });

  it('a staging archive into production, even confirmed', async () => {
    const r = await runCli(['restore', '--config', config, '--environment', 'production', staging, '--confirm', 'RESTORE PRODUCTION', '--reason', 'test'], {
      env: CI,
      timeoutMs: 120_000,
    });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /is an archive of staging, not of production/);
    assert.match(r.stderr, /--from-environment staging/);
    await assertUnchanged('staging archive');
  });

  it('a corrupt archive is refused before anything stops', async () => {
    const corrupt = join(stack.work, 'medicapp_production_20261201_030000.tar.gz');
    const bytes = await readFile(production);
    const middle = Math.floor(bytes.length / 2);
    bytes[middle] = (bytes[middle] ?? 0) ^ 0xff;
    await writeFile(corrupt, bytes);
    await copyFile(`${production}.sha256`, `${corrupt}.sha256`);
    const r = await runCli(['restore', '--config', config, '--environment', 'production', corrupt, '--confirm', 'RESTORE PRODUCTION', '--reason', 'test'], {
      env: CI,
      timeoutMs: 120_000,
    });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /failed verification, so nothing was restored or stopped/);
    await assertUnchanged('corrupt archive');
  });

  it('Ctrl-C during the countdown of a staging restore: nothing happens', async () => {
    const cli = startCli(['restore', '--config', config, '--environment', 'staging', 'latest'], { env: CI, timeoutMs: 120_000 });
    for (let i = 0; i < 600 && !/starting in 5 s/.test(cli.stderr()); i++) await new Promise((r) => setTimeout(r, 100));
    assert.match(cli.stderr(), /starting in 5 s; Ctrl-C cancels/);
    cli.child.kill('SIGINT');
    const r = await cli.result;
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /cancelled during the countdown: nothing was restored/);
    await assertUnchanged('countdown');
  });

  it('not enough disk for what the restore writes aside (MariaDB spools its dump in TMPDIR): refused in preflight', {
    skip: userInfo().uid !== 0 && 'mounting a tmpfs needs root',
  }, async () => {
    const mount = join(stack.work, 'small-tmp');
    await mkdir(mount);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mount]);
    try {
      const r = await runCli(['restore', '--config', config, '--environment', 'production', 'latest', '--confirm', 'RESTORE PRODUCTION', '--reason', 'test'], {
        env: { ...CI, TMPDIR: mount },
        timeoutMs: 120_000,
      });
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /preflight: .*small-tmp has [\d.]+ [KM]B free, the restore needs about [\d.]+ MB there \(nothing was changed\)/);
      await assertUnchanged('small TMPDIR');
    } finally {
      execFileSync('umount', [mount]);
    }
  });
});
