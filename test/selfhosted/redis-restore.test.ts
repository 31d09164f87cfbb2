/**
 * The Redis restore test against a real redis-server: an RDB written by the backup module loads into the throwaway
 * server with as many keys as the metadata records (keys that expired since counted as such); an empty RDB against
 * recorded keys is a difference; a damaged RDB is a RestoreFailedError, an RDB too new for this server an
 * EvaluationError. The server runs as the sandbox user, on a Unix socket only, and nothing is left: dispose removes it,
 * and after a SIGKILL of its owner the sweep does.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { parseConfigText } from '../../src/config/load.js';
import { EvaluationError, RestoreFailedError } from '../../src/errors.js';
import { sandboxUser } from '../../src/restore/sandbox-user.js';
import { processUid } from '../../src/restore/throwaway-directory.js';
import { redis } from '../../src/selfhosted/redis.js';
import { type RedisRestoreSession, redisRestoreTest, sweepAbandonedRedis } from '../../src/selfhosted/throwaway-redis.js';
import { SILENT_LOGGER } from '../../src/vocabulary.js';
import { type Workspace, parseSource, workspace } from '../helpers/component-harness.js';
import { type RedisService, redisInstalled, startRedis } from '../helpers/selfhosted-services.js';

const skip = redisInstalled() ? false : 'redis-server is not installed';
const { config } = parseConfigText('environment: test\n', 'restorecheck.yaml', {});
const BULK = 300;
/** BULK by DEBUG POPULATE, 3 of other types, one in db 5. */
const KEYS = BULK + 4;

const context = () => ({ runId: 'test', signal: AbortSignal.timeout(120_000), log: SILENT_LOGGER, config });

async function startSession(): Promise<RedisRestoreSession> {
  return (await redisRestoreTest.start(context())) as RedisRestoreSession;
}

describe('redis restore test', { skip }, () => {
  let ws: Workspace;
  let source: RedisService;
  let rdb: string;
  let recordedKeys: number;

  before(async () => {
    ws = await workspace('rdb-restore-test');
    source = await startRedis();
    await source.cli('DEBUG', 'POPULATE', String(BULK), 'patient');
    await source.cli('HSET', 'patient:1:profile', 'name', 'Camille', 'city', 'Lyon');
    await source.cli('RPUSH', 'queue:reminders', 'sms:1', 'sms:2');
    await source.cli('SADD', 'roles', 'nurse', 'doctor');
    await source.cli('-n', '5', 'SET', 'session:alice', 'x');
    const backup = await redis.backup(parseSource('redis', { url: source.url }), await ws.context());
    rdb = backup.members[0]!.file;
    recordedKeys = backup.facts.keys as number;
  });

  after(async () => {
    await Promise.all([source?.stop(), ws?.remove()]);
  });

  it('is available here (redis-server and redis-cli on PATH)', async () => {
    assert.equal(await redisRestoreTest.unavailable(), undefined);
  });

  it('an RDB of the backup module loads with every key; the server runs as the sandbox user on a socket only; dispose removes it', async () => {
    assert.equal(recordedKeys, KEYS);
    const session = await startSession();
    let pid: number | undefined;
    try {
      assert.ok(existsSync(join(session.dir, 'owner.json')), 'owner.json is there before anything else');
      await session.load('redis_dump.rdb', createReadStream(rdb));
      pid = session.serverPid();
      assert.ok(pid);
      const expectedUid = sandboxUser().uid;
      assert.equal(processUid(pid), expectedUid, 'redis-server runs as the sandbox user');
      if (userInfo().uid === 0) {
        assert.notEqual(processUid(pid), 0, 'never as root');
        assert.match(readFileSync(`/proc/${pid}/status`, 'utf8'), /^Groups:\s*$/m, 'without supplementary groups (ssl-cert, …)');
      }
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      assert.deepEqual(cmdline.slice(0, 2), ['redis-server', join(session.dir, 'server', 'redis.conf')]);
      const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean);
      assert.deepEqual(environ.map((line) => line.split('=')[0]).sort(), ['HOME', 'PATH'], 'a minimal environment');
      const conf = await readFile(join(session.dir, 'server', 'redis.conf'), 'utf8');
      assert.match(conf, /^port 0$/m, 'no TCP port');
      assert.doesNotMatch(readFileSync(`/proc/${pid}/cmdline`, 'utf8'), /requirepass/, 'the password is not on the command line');

      const comparison = await session.compare({ keys: recordedKeys, redis_version: '7.0.15' });
      assert.deepEqual(comparison.matched, ['keys']);
      assert.deepEqual(comparison.differences, []);
      assert.deepEqual(comparison.notCompared, []);
      assert.equal(comparison.restored.keys, KEYS);
      assert.deepEqual(comparison.restored.keys_per_db, { db0: KEYS - 1, db5: 1 });
      assert.match(String(comparison.restored.redis_version), /^\d+\.\d+\.\d+$/);
      assert.equal(typeof comparison.restored.load_seconds, 'number');
      assert.match(session.target, /^throwaway redis-server \d+\.\d+\.\d+ on \/.*server\/sock \(as \w+\)$/);

      const noFacts = await session.compare(undefined);
      assert.deepEqual(noFacts.notCompared, ['keys (the metadata records none)']);
      assert.deepEqual(noFacts.matched, []);
    } finally {
      const { removed, leftover } = await session.dispose();
      assert.deepEqual(leftover, []);
      assert.equal(removed.length, 1);
      assert.deepEqual(await session.dispose(), { removed, leftover }, 'dispose is safe to call twice');
    }
    assert.ok(!existsSync(session.dir), 'the directory is gone');
    assert.ok(!existsSync(`/proc/${pid}/cmdline`) || readFileSync(`/proc/${pid}/cmdline`, 'utf8') === '', 'the server is gone');
  });

  it('an empty RDB (a real SAVE of an empty server) against 200 recorded keys is a difference', async () => {
    const empty = await startRedis();
    let file: string;
    try {
      await empty.cli('SAVE');
      file = join(ws.dir, 'empty.rdb');
      await writeFile(file, await readFile(join(empty.dir, empty.dbfilename)));
    } finally {
      await empty.stop();
    }
    const session = await startSession();
    try {
      await session.load('redis_dump.rdb', createReadStream(file));
      const comparison = await session.compare({ keys: 200 });
      assert.deepEqual(comparison.matched, []);
      assert.deepEqual(comparison.differences, ['the RDB loads 0 keys, the metadata records 200']);
      assert.equal(comparison.restored.keys, 0);
    } finally {
      await session.dispose();
    }
  });

  it('keys that expired since the backup are not loaded, and counted as what the RDB held', async () => {
    const other = await startRedis();
    let file: string;
    let keys: number;
    try {
      // Active expiry off: the key outlives its TTL in memory, so the snapshot holds a key already expired.
      await other.cli('DEBUG', 'SET-ACTIVE-EXPIRE', '0');
      await other.cli('SET', 'kept', '1');
      await other.cli('SET', 'session:expired', 'x', 'PX', '200');
      await new Promise((resolve) => setTimeout(resolve, 500));
      const backup = await redis.backup(parseSource('redis', { url: other.url }), await ws.context());
      file = backup.members[0]!.file;
      keys = backup.facts.keys as number;
    } finally {
      await other.stop();
    }
    assert.equal(keys, 2, 'INFO keyspace counted the expired key the backup took');
    const session = await startSession();
    try {
      await session.load('redis_dump.rdb', createReadStream(file));
      const comparison = await session.compare({ keys });
      assert.equal(comparison.restored.keys, 1);
      assert.equal(comparison.restored.keys_expired_on_load, 1);
      assert.deepEqual(comparison.matched, ['keys']);
      const wrong = await session.compare({ keys: 5 });
      assert.deepEqual(wrong.differences, ['the RDB loads 1 keys (and 1 that expired since the backup), the metadata records 5']);
    } finally {
      await session.dispose();
    }
  });

  it('a damaged RDB (bytes flipped in the middle) is a RestoreFailedError naming what Redis said; nothing is left', async () => {
    const bytes = await readFile(rdb);
    const middle = Math.floor(bytes.length / 2);
    for (let i = middle; i < middle + 16; i++) bytes[i] = bytes[i]! ^ 0xff;
    const session = await startSession();
    try {
      await assert.rejects(session.load('redis_dump.rdb', Readable.from([bytes])), (error: unknown) => {
        assert.ok(error instanceof RestoreFailedError, String(error));
        assert.match(error.message, /refused to load the RDB \(exited with code 1\): .*(RDB|checksum|Short read)/);
        assert.doesNotMatch(error.message, /patient:/, 'no key name in the message');
        return true;
      });
    } finally {
      assert.deepEqual((await session.dispose()).leftover, []);
    }
    assert.ok(!existsSync(session.dir));
  });

  it('a truncated RDB is a RestoreFailedError (short read)', async () => {
    const bytes = (await readFile(rdb)).subarray(0, 2000);
    const session = await startSession();
    try {
      await assert.rejects(session.load('redis_dump.rdb', Readable.from([bytes])), (error: unknown) => {
        assert.ok(error instanceof RestoreFailedError, String(error));
        assert.match(error.message, /Short read/);
        return true;
      });
    } finally {
      await session.dispose();
    }
  });

  it('an RDB format newer than this redis-server is an EvaluationError (this machine cannot tell), not a failure', async () => {
    const session = await startSession();
    try {
      await assert.rejects(session.load('redis_dump.rdb', Readable.from([Buffer.from('REDIS0099\xfe\x00\xff', 'latin1')])), (error: unknown) => {
        assert.ok(error instanceof EvaluationError, String(error));
        assert.equal(error.kind, 'tool');
        assert.match(error.message, /format is newer .*Can't handle RDB format version 99/);
        return true;
      });
    } finally {
      await session.dispose();
    }
  });

  it('a member cut short errors the load with the reader’s reason', async () => {
    const session = await startSession();
    try {
      const cut = new Readable({ read() {} });
      cut.on('error', () => undefined); // as member-tap's stream has: the error is for the reader
      cut.push(Buffer.from('REDIS0010'));
      setImmediate(() => cut.destroy(new Error('the member was not read to its end')));
      await assert.rejects(session.load('redis_dump.rdb', cut), /not read to its end/);
      assert.equal(session.serverPid(), undefined, 'no server was started on a cut member');
    } finally {
      await session.dispose();
    }
  });

  it('the server of a process killed with SIGKILL is killed and its directory removed by the sweep', async () => {
    const parent = join(ws.dir, 'tmp');
    await mkdir(parent);
    // The sandbox user must traverse it, as it does /tmp.
    await chmod(ws.dir, 0o711);
    await chmod(parent, 0o711);
    assert.deepEqual(await sweepAbandonedRedis(parent), [], 'nothing to sweep yet');
    const holder: ChildProcess = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '..', 'fixtures', 'hold-redis-session.ts'), rdb], {
      env: { ...process.env, TMPDIR: parent },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const line = await new Promise<string>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error('the holder printed nothing in 90 s')), 90_000);
      holder.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString('utf8');
        if (out.includes('\n')) {
          clearTimeout(timer);
          resolve(out.split('\n')[0]!);
        }
      });
      holder.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the holder exited (${code})`));
      });
    });
    const { dir, pid } = JSON.parse(line) as { dir: string; pid: number };
    const exited = new Promise((resolve) => holder.once('exit', resolve));
    holder.kill('SIGKILL');
    await exited;
    assert.ok(existsSync(dir), 'SIGKILL left the directory');
    assert.match(readFileSync(`/proc/${pid}/cmdline`, 'utf8'), /^redis-server\0/, 'and the server running');

    const swept = await sweepAbandonedRedis(parent);
    assert.equal(swept.length, 1, JSON.stringify(swept));
    assert.equal(swept[0]!.dir, dir);
    assert.deepEqual(swept[0]!.killedPids, [pid]);
    assert.equal(swept[0]!.removed, true);
    assert.ok(!existsSync(dir));
    const gone = !existsSync(`/proc/${pid}`) || readFileSync(`/proc/${pid}/cmdline`, 'utf8') === '';
    assert.ok(gone, 'the server is gone');
    assert.deepEqual(await sweepAbandonedRedis(parent), [], 'a second sweep finds nothing');
  });

  it('a live session is never swept', async () => {
    const session = await startSession();
    try {
      await session.load('redis_dump.rdb', createReadStream(rdb));
      const swept = await sweepAbandonedRedis();
      assert.ok(!swept.some((entry) => entry.dir === session.dir));
      assert.ok(existsSync(session.dir));
    } finally {
      await session.dispose();
    }
  });
});
