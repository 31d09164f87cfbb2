/**
 * Redis's in-place restore against a real "production" redis-server started by the test (daemonized, its own temp
 * folder as `dir`, loopback port with a password): 200 keys backed up by the redis module, a key added after, then the
 * restore puts the backup's RDB back (the added key is gone). The refusals change nothing: appendonly yes, no
 * restore.start, a server whose dir is not the data folder, a content that is not an RDB (the server keeps running
 * with the added key).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { EvaluationError, RestoreFailedError, UsageError } from '../../src/errors.js';
import type { InPlaceContext } from '../../src/selfhosted/component.js';
import { redis } from '../../src/selfhosted/redis.js';
import { type Workspace, parseSource, workspace } from '../helpers/component-harness.js';
import { freePort, redisInstalled } from '../helpers/selfhosted-services.js';

const run = promisify(execFile);
const skip = redisInstalled() ? false : 'redis-server is not installed';
const KEYS = 200;

describe('selfhosted redis in-place restore', { skip, timeout: 600_000 }, () => {
  let ws: Workspace;
  let dir: string;
  let conf: string;
  let port: number;
  const password = 'rdsInPlace-7f3a91';
  let url: string;
  let rdb: string;
  let context: () => Promise<InPlaceContext>;

  const cli = async (...args: string[]): Promise<string> =>
    (await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], { timeout: 30_000, env: { ...process.env, REDISCLI_AUTH: password } })).stdout;
  const answers = () =>
    cli('PING').then(
      (out) => out.trim() === 'PONG',
      () => false,
    );
  const source = (extra: Record<string, unknown> = {}) => parseSource('redis', { url, dataDir: dir, restore: { start: [['redis-server', conf]] }, ...extra });

  async function waitUntil(check: () => Promise<boolean>, what: string): Promise<void> {
    const deadline = Date.now() + 60_000;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`${what} within 60 s`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  before(async () => {
    ws = await workspace('redis-in-place');
    dir = join(ws.dir, 'data');
    await run('mkdir', ['-p', dir]);
    conf = join(ws.dir, 'redis.conf');
    port = await freePort();
    url = `redis://:${password}@127.0.0.1:${port}/0`;
    // The production server: daemonized (its start command returns), the password in its config file only.
    await writeFile(
      conf,
      [
        `port ${port}`,
        'bind 127.0.0.1',
        `requirepass "${password}"`,
        `dir "${dir}"`,
        'dbfilename "dump.rdb"',
        'save ""',
        'appendonly no',
        'daemonize yes',
        `pidfile "${join(ws.dir, 'redis.pid')}"`,
        `logfile "${join(ws.dir, 'redis.log')}"`,
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
    await run('redis-server', [conf], { timeout: 30_000 });
    await waitUntil(answers, 'the production redis-server answers');
    const pairs: string[] = [];
    for (let i = 0; i < KEYS; i++) pairs.push(`patient:${i}`, `record ${i}`);
    await cli('MSET', ...pairs);
    const backupCtx = await ws.context();
    const backup = await redis.backup(source(), backupCtx);
    assert.equal(backup.facts.keys, KEYS);
    rdb = backup.members[0]!.file;
    await cli('SET', 'key999', 'written after the backup');
    // Saved: the server's own dump.rdb then holds key999 too, so that only the swapped-in RDB can make it disappear.
    await cli('SAVE');
    context = async () => ({ runId: 'rt1', signal: AbortSignal.timeout(300_000), log: backupCtx.log, config: backupCtx.config, progress: () => undefined });
  });

  after(async () => {
    // Kill the production server whatever happened (its pid file is rewritten at each start).
    const pid = Number((await readFile(join(ws?.dir ?? '/nonexistent', 'redis.pid'), 'utf8').catch(() => '')).trim());
    if (pid > 0) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await ws?.remove();
  });

  const unchanged = async () => {
    assert.equal(await answers(), true, 'the server still runs');
    assert.equal((await cli('GET', 'key999')).trim(), 'written after the backup', 'its data is untouched');
    assert.deepEqual(
      (await readdir(dir)).filter((name) => name.startsWith('.restorecheck-')),
      [],
      'no temp RDB is left',
    );
  };

  it('refuses appendonly yes in preflight, changing nothing', async () => {
    await cli('CONFIG', 'SET', 'appendonly', 'yes');
    try {
      await assert.rejects(redis.inPlace!.preflight(source(), await context()), (error: unknown) => {
        assert.ok(error instanceof EvaluationError, String(error));
        assert.match(error.message, /appendonly yes/);
        assert.match(error.hint, /appendonly no/);
        return true;
      });
      await unchanged();
    } finally {
      await cli('CONFIG', 'SET', 'appendonly', 'no');
    }
  });

  it('refuses without restore.start, and a data folder that is not the server dir', async () => {
    await assert.rejects(redis.inPlace!.preflight(parseSource('redis', { url, dataDir: dir }), await context()), (error: unknown) => {
      assert.ok(error instanceof UsageError, String(error));
      assert.match(error.hint, /restore\.start/);
      return true;
    });
    await assert.rejects(
      redis.inPlace!.preflight(source({ restore: { dataDir: ws.dir, start: [['redis-server', conf]] } }), await context()),
      (error: unknown) => {
        assert.ok(error instanceof UsageError, String(error));
        assert.match(error.message, /CONFIG GET dir/);
        return true;
      },
    );
    await assert.rejects(redis.inPlace!.preflight(parseSource('redis', { url, restore: { start: [['true']] } }), await context()), UsageError);
    await unchanged();
  });

  it('refuses a content that is not an RDB before stopping anything', async () => {
    const preflight = await redis.inPlace!.preflight(source(), await context());
    assert.match(preflight.target, /dump\.rdb/);
    assert.doesNotMatch(preflight.target, new RegExp(password));
    const notRdb = Readable.from([Buffer.from('PGDMP this is not a Redis snapshot\n')]);
    await assert.rejects(redis.inPlace!.restore(source(), 'redis_dump.rdb', notRdb, { keys: KEYS }, await context()), (error: unknown) => {
      assert.ok(error instanceof RestoreFailedError, String(error));
      assert.match(error.message, /no REDIS magic/);
      assert.match(error.message, /nothing was changed/);
      return true;
    });
    await unchanged();
  });

  it('a stop command that fails: the RDB is not replaced and the server, still answering, keeps its data', async () => {
    const failing = source({ restore: { stop: [['false']], start: [['redis-server', conf]] } });
    await assert.rejects(redis.inPlace!.restore(failing, 'redis_dump.rdb', createReadStream(rdb), { keys: KEYS }, await context()), (error: unknown) => {
      assert.ok(error instanceof EvaluationError, String(error));
      assert.match(error.message, /restore\.stop: false exited with 1/);
      assert.match(error.message, /was not replaced; the server still answers with its data/);
      return true;
    });
    await unchanged();
  });

  it('puts the backup back: the key added after it is gone, every key of the backup is there', async () => {
    await redis.inPlace!.preflight(source(), await context());
    const started = performance.now();
    const result = await redis.inPlace!.restore(source(), 'redis_dump.rdb', createReadStream(rdb), { keys: KEYS }, await context());
    const seconds = (performance.now() - started) / 1000;
    assert.equal((await cli('EXISTS', 'key999')).trim(), '0', 'the key written after the backup is gone');
    assert.equal(Number((await cli('DBSIZE')).trim()), KEYS);
    assert.equal((await cli('GET', 'patient:42')).trim(), 'record 42');
    assert.deepEqual(result.comparison.matched, ['keys']);
    assert.deepEqual(result.comparison.differences, []);
    assert.equal(result.comparison.restored.keys, KEYS);
    assert.ok(
      result.steps.some((step) => /SHUTDOWN NOSAVE/.test(step)),
      result.steps.join('\n'),
    );
    assert.ok(
      result.steps.some((step) => /^ran redis-server /.test(step)),
      result.steps.join('\n'),
    );
    assert.deepEqual((await readFile(join(dir, 'dump.rdb'))).equals(await readFile(rdb)), true, 'dump.rdb is the archive’s RDB');
    assert.deepEqual(
      (await readdir(dir)).filter((name) => name.startsWith('.restorecheck-')),
      [],
    );
    console.log(`redis in-place restore of ${KEYS} keys: ${seconds.toFixed(2)} s; steps: ${result.steps.join(' | ')}`);
  });

  it('a recorded count that differs is a difference, not a silent pass', async () => {
    await cli('SET', 'key999', 'written after the backup');
    await cli('SAVE');
    const result = await redis.inPlace!.restore(source(), 'redis_dump.rdb', createReadStream(rdb), { keys: KEYS + 1 }, await context());
    assert.equal(result.comparison.differences.length, 1);
    assert.match(result.comparison.differences[0]!, new RegExp(`holds ${KEYS} keys .* records ${KEYS + 1}`));
    assert.equal((await cli('EXISTS', 'key999')).trim(), '0');
    const none = await redis.inPlace!.restore(source(), 'redis_dump.rdb', createReadStream(rdb), undefined, await context());
    assert.deepEqual(none.comparison.notCompared, ['keys (the metadata records none)']);
  });

  it('a start command that fails: it is tried again, and the error says the RDB was replaced and the server is down', async () => {
    await cli('SET', 'key999', 'written after the backup');
    const failing = source({ restore: { start: [['false']] } });
    await assert.rejects(redis.inPlace!.restore(failing, 'redis_dump.rdb', createReadStream(rdb), { keys: KEYS }, await context()), (error: unknown) => {
      assert.ok(error instanceof EvaluationError, String(error));
      assert.match(error.message, /false exited with 1/);
      assert.match(error.message, /now holds the archive's/);
      assert.match(error.message, /the server is down: starting it again \(false\) failed too/);
      return true;
    });
    assert.equal(await answers(), false);
    await run('redis-server', [conf], { timeout: 30_000 });
    await waitUntil(answers, 'the production redis-server answers again');
    assert.equal(Number((await cli('DBSIZE')).trim()), KEYS, 'started by hand, it loads the restored RDB');
  });
});
