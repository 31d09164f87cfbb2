/**
 * `restorecheck restore` restores one component after the other, and a failure stops it before the next: the components
 * after the failed one keep their data. Here PostgreSQL (the archive's first member) fails after its whole dump was read
 * (its `restore.stop` command fails, which runs once the dump is loaded aside and counted), so MariaDB and Redis, whose
 * members come next in the archive, must not be touched. The restore used to hand the next member to its component as
 * soon as the archive walk reached it, while PostgreSQL was still finishing (COMMIT, counts, stop, swap): a failure there
 * came too late to spare the others.
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { type RestoreStack, startRestoreStack } from '../helpers/restore-stack.js';
import { mariadbInstalled, redisInstalled } from '../helpers/selfhosted-services.js';

const ready = mariadbInstalled() && redisInstalled();

describe('restorecheck restore stops at the first failure', {
  timeout: 900_000,
  skip: !ready && 'mariadb-server and redis-server are installed by .ci/run',
}, () => {
  let stack: RestoreStack;
  let config: string;

  before(async () => {
    stack = await startRestoreStack();
    config = await stack.writeConfig();
    const made = await runCli(['backup', '--config', config, '--environment', 'staging', '--format', 'json'], { timeoutMs: 300_000 });
    assert.equal(made.code, 0, made.stderr);
    // PostgreSQL's restore.stop fails: after its dump was loaded into the new database, before the swap.
    const text = await readFile(config, 'utf8');
    const failing = text.replace('coreTables: [patients, test_table] }', 'coreTables: [patients, test_table], restore: { stop: [["false"]] } }');
    assert.notEqual(failing, text, 'the configuration of restore-stack.ts changed: adapt this test');
    await writeFile(config, failing);
    // What a restore of each component would remove.
    await stack.pg.sql('INSERT INTO test_table VALUES (999)', 'medicapp');
    await stack.maria.sql('INSERT INTO agenda.test_table VALUES (999)');
    await stack.redis.cli('SET', 'test:999', 'after-backup');
  });
  after(async () => {
    await stack?.stop();
  });

  it('PostgreSQL fails after its dump was read: MariaDB and Redis keep their data', async () => {
    const r = await runCli(['restore', '--config', config, '--environment', 'staging', 'latest', '--yes', '--no-safety-backup', '--format', 'json'], {
      env: { CI: 'true' },
      timeoutMs: 600_000,
    });
    assert.notEqual(r.code, 0, r.stderr);
    assert.match(r.stderr, /restore: postgres: failed \(.*restore\.stop/, r.stderr);
    assert.match(r.stderr, /restore: mariadb: not-restored \(not restored: postgres failed before it/, r.stderr);
    assert.match(r.stderr, /restore: redis: not-restored \(not restored: postgres failed before it/, r.stderr);
    assert.equal((await stack.pg.sql('SELECT count(*) FROM test_table WHERE id = 999', 'medicapp')).trim(), '1', 'postgres was swapped');
    assert.equal((await stack.maria.sql('SELECT COUNT(*) FROM agenda.test_table WHERE id = 999')).trim(), '1', 'mariadb was restored');
    assert.equal((await stack.redis.cli('GET', 'test:999')).trim(), 'after-backup', 'redis was restored');
  });
});
