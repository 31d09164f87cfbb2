/**
 * The Redis component against a real redis-server: the RDB it writes (streamed by `redis-cli --rdb -`, or copied after a
 * BGSAVE) has the REDIS magic, passes the archive verifier's CRC-64 reading and loads into a second redis-server with
 * the same number of keys; the exec prefix, a wrong password and a missing tool.
 */
import assert from 'node:assert/strict';
import { createReadStream } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { redisRdbInspector } from '../../src/archive/dump-inspectors.js';
import { EvaluationError } from '../../src/errors.js';
import { redis } from '../../src/selfhosted/redis.js';
import { ToolMissingError } from '../../src/selfhosted/tool-process.js';
import { type Workspace, fileDigest, parseSource, withPath, workspace } from '../helpers/component-harness.js';
import { type RedisService, redisInstalled, startRedis } from '../helpers/selfhosted-services.js';

const skip = redisInstalled() ? false : 'redis-server is not installed';
const BULK = 500;
/** The keys written: BULK by DEBUG POPULATE, and 4 of other types (one in db 3). */
const KEYS = BULK + 4;

/** Loads an RDB into a fresh redis-server and returns its key count (every db). */
async function keysAfterLoading(rdb: string): Promise<number> {
  const second = await startRedis({ preload: rdb });
  try {
    const info = await second.cli('INFO', 'keyspace');
    let keys = 0;
    for (const match of info.matchAll(/^db\d+:keys=(\d+)/gm)) keys += Number(match[1]);
    return keys;
  } finally {
    await second.stop();
  }
}

describe('selfhosted redis', { skip }, () => {
  let server: RedisService;
  let ws: Workspace;

  before(async () => {
    [server, ws] = await Promise.all([startRedis(), workspace('redis-test')]);
    await server.cli('DEBUG', 'POPULATE', String(BULK), 'cache', '64');
    await server.cli('HSET', 'patient:42', 'family_name', 'Martin', 'city', 'Lyon');
    await server.cli('RPUSH', 'queue:reminders', 'sms:1', 'sms:2');
    await server.cli('SADD', 'roles', 'nurse', 'doctor');
    await server.cli('-n', '3', 'SET', 'session:alice', 'x');
  });

  after(async () => {
    await Promise.all([server?.stop(), ws?.remove()]);
  });

  async function checkRdb(file: string): Promise<void> {
    const head = (await readFile(file)).subarray(0, 5).toString('latin1');
    assert.equal(head, 'REDIS');
    const verdict = await redisRdbInspector(createReadStream(file));
    assert.equal(verdict.problem, undefined, verdict.problem);
    assert.equal(await keysAfterLoading(file), KEYS, 'the RDB loads into another server with every key');
  }

  it('streams the RDB with redis-cli --rdb -; keys, version and mode in the facts', async () => {
    const source = parseSource('redis', { url: server.url });
    assert.match((await redis.toolVersion(source, AbortSignal.timeout(10_000))).version, /^redis-cli \d+\./);
    const ctx = await ws.context();
    const result = await redis.backup(source, ctx);
    const member = result.members[0]!;
    assert.equal(member.path, 'redis_dump.rdb');
    assert.deepEqual({ sha256: member.sha256, size: member.size }, await fileDigest(member.file));
    assert.equal(result.facts.keys, KEYS);
    assert.equal(result.facts.mode, 'rdb-stream');
    assert.match(String(result.facts.redis_version), /^\d+\.\d+\.\d+$/);
    await checkRdb(member.file);
  });

  it('with dataDir: BGSAVE, waits for it, copies the file (through the exec prefix: cat)', async () => {
    const lastSaveBefore = Number((await server.cli('LASTSAVE')).trim());
    const wrapper = await ws.wrapper();
    const source = parseSource('redis', { url: server.url, dataDir: server.dir, exec: wrapper.exec });
    const result = await redis.backup(source, await ws.context());
    assert.equal(result.facts.mode, 'bgsave-copy');
    assert.equal(result.facts.keys, KEYS);
    assert.ok(Number((await server.cli('LASTSAVE')).trim()) > lastSaveBefore, 'a new save was made');
    const member = result.members[0]!;
    assert.deepEqual({ sha256: member.sha256, size: member.size }, await fileDigest(member.file));
    await checkRdb(member.file);
    const calls = await wrapper.calls();
    assert.ok(
      calls.some((line) => /^the-service redis-cli -h 127\.0\.0\.1 -p \d+ -n 0 BGSAVE$/.test(line)),
      calls.join('\n'),
    );
    assert.ok(calls.includes(`the-service cat ${join(server.dir, 'dump.rdb')}`), calls.join('\n'));
    for (const line of calls) assert.ok(!line.includes(server.password), 'the password is never on a command line');
  });

  it('with dataDir and no exec prefix: the file is read directly, under the configured dbfilename', async () => {
    const other = await startRedis({ dbfilename: 'medicapp.rdb' });
    try {
      await other.cli('SET', 'a', '1');
      await other.cli('SET', 'b', '2');
      const result = await redis.backup(parseSource('redis', { url: other.url, dataDir: other.dir }), await ws.context());
      assert.equal(result.facts.keys, 2);
      assert.equal((await readFile(result.members[0]!.file)).subarray(0, 5).toString('latin1'), 'REDIS');
    } finally {
      await other.stop();
    }
  });

  it('a wrong password is an auth error whose message holds no password (both modes)', async () => {
    const planted = 'Planted-Secret-c41d77';
    for (const extra of [{}, { dataDir: server.dir }]) {
      const source = parseSource('redis', { url: `redis://:${planted}@127.0.0.1:${server.port}/0`, ...extra });
      assert.doesNotMatch(redis.describe(source), new RegExp(planted));
      await assert.rejects(redis.backup(source, await ws.context()), (error: unknown) => {
        assert.ok(error instanceof EvaluationError, String(error));
        assert.equal(error.kind, 'auth');
        assert.match(error.message, /WRONGPASS|NOAUTH|AUTH failed/);
        assert.ok(!`${error.message} ${error.hint}`.includes(planted), error.message);
        return true;
      });
    }
  });

  it('a missing redis-cli is a ToolMissingError naming redis-tools, or the exec prefix', async () => {
    const source = parseSource('redis', { url: server.url });
    const empty = join(ws.dir, 'empty-bin');
    await mkdir(empty, { recursive: true });
    await withPath(empty, async () => {
      await assert.rejects(redis.toolVersion(source, AbortSignal.timeout(10_000)), (error: unknown) => {
        assert.ok(error instanceof ToolMissingError, String(error));
        assert.match(error.hint, /apt-get install redis-tools/);
        return true;
      });
    });
    const viaExec = parseSource('redis', { url: server.url, exec: ['/nonexistent/docker', 'compose', 'exec', '-T', 'redis'] });
    await assert.rejects(redis.toolVersion(viaExec, AbortSignal.timeout(10_000)), (error: unknown) => {
      assert.ok(error instanceof ToolMissingError, String(error));
      assert.match(error.hint, /selfHosted\.sources\.redis\.exec/);
      return true;
    });
  });

  it('the copy of a missing file after BGSAVE names the dataDir to fix', async () => {
    const source = parseSource('redis', { url: server.url, dataDir: join(ws.dir, 'not-the-dir') });
    await assert.rejects(redis.backup(source, await ws.context()), (error: unknown) => {
      assert.ok(error instanceof EvaluationError, String(error));
      assert.equal(error.kind, 'not-found');
      assert.match(error.hint, /CONFIG GET dir/);
      return true;
    });
  });
});
