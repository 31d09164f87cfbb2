/**
 * The restore test of `redis_dump.rdb` (issue 15): a throwaway redis-server loads the RDB as Redis itself would at a
 * restart, and what it then holds is compared with metadata.json (`components.redis.keys`).
 *
 * An RDB is untrusted content, parsed by a C program (and one that may hold Redis 7 function libraries, Lua code that
 * Redis runs while it loads them): the server never runs as root, nor with anything of ours around it.
 * - Its directory: `$TMPDIR/restorecheck-redis-<random>/` (throwaway-directory.ts: owner.json first, ours, 0711 when
 *   root so that the sandbox user reaches) holding `server/` (the sandbox user's, 0700): the RDB, redis.conf, the log,
 *   the Unix socket.
 * - The server runs as the sandbox user (sandbox-user.ts; spawn's uid/gid, which also drops supplementary groups),
 *   with PATH and an empty HOME as its whole environment, stdout and stderr discarded (after a failed load Redis runs
 *   its RDB checker in-process, which prints key names: patient data stays out of messages and evidence).
 * - No TCP at all (`port 0`): a Unix socket only, mode 0700, a random `requirepass` (in redis.conf, mode 0600, never
 *   on a command line). `save ""`, `appendonly no`: nothing is written back. CONFIG, MODULE, DEBUG, SLAVEOF and
 *   REPLICAOF are renamed away (MODULE LOAD would run a shared object; REPLICAOF would reach out of the machine).
 *   `sanitize-dump-payload yes`: Redis checks every ziplist/listpack fully as it loads them (a crafted one could
 *   otherwise crash or corrupt the server). `set-proc-title no` keeps the command line `redis-server <dir>/redis.conf`,
 *   which is how a sweep recognises it in /proc (redis-server 6.2 or newer: an older one refuses the directive).
 * - redis-cli, which reads the server's answers, runs as the sandbox user too.
 *
 * Loading: the server opens its socket before it loads, answers INFO while loading; `loading:0` is the end. A server
 * that exits first refused the RDB: "Short read", "Bad file format", a wrong checksum → RestoreFailedError with the
 * log's last lines. An RDB format newer than this machine's redis-server, or data of a Redis module (never loaded
 * here), is an EvaluationError: the backup may well be good, this machine cannot tell.
 *
 * Keys: INFO keyspace after loading, plus the keys Redis skipped because their TTL ran out since the backup (its log's
 * "keys loaded: N, keys expired: M", Redis 7): their sum is what the RDB held, the number the backup recorded.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { constants, existsSync } from 'node:fs';
import { chown, mkdir, open, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { archivesConfigOrDefault } from '../config/schema.js';
import { EvaluationError, RestoreFailedError } from '../errors.js';
import { sandboxUser } from '../restore/sandbox-user.js';
import { type AbandonedDirectory, createThrowawayDirectory, onExit, released, sweepAbandonedDirectories } from '../restore/throwaway-directory.js';
import type { JsonValue } from '../vocabulary.js';
import type { ComponentRestoreTest, RestoreComparison, RestoreSession, RestoreTestContext } from './component.js';
import { infoFields, keyspaceByDb } from './redis-info.js';
import { onPath } from './tool-process.js';

const run = promisify(execFile);

export const REDIS_DIR_PREFIX = 'restorecheck-redis-';
const MEMBER = 'redis_dump.rdb';
const RDB_FILE = 'dump.rdb';
/** The longest the server may take to load the RDB (besides the run's own deadline): a large RDB takes minutes. */
export const REDIS_LOAD_TIMEOUT_MS = 60 * 60_000;
const CLI_TIMEOUT_MS = 30_000;
/** sun_path is 108 bytes, NUL included. */
const MAX_SOCKET_PATH = 107;
/** Commands renamed away in the throwaway server (`rename-command X ""`). */
const DISABLED_COMMANDS = ['CONFIG', 'MODULE', 'DEBUG', 'SLAVEOF', 'REPLICAOF'];

/** A session of this module: the server's pid and directory besides the contract (for the tests and the sweep). */
export interface RedisRestoreSession extends RestoreSession {
  /** The throwaway directory (owner.json, server/). */
  dir: string;
  /** redis-server's pid once it was started. */
  serverPid(): number | undefined;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason instanceof Error ? signal.reason : new Error('interrupted'));
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason instanceof Error ? signal.reason : new Error('interrupted'));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });

/** The environment of the server and of redis-cli: PATH and an empty HOME (no ~/.redisclirc of anyone), nothing of ours. */
function sandboxEnv(home: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, ...extra };
}

/** spawn's uid/gid when we switch to the sandbox user (we are root); nothing otherwise. */
function asSandbox(): { uid?: number; gid?: number } {
  const user = sandboxUser();
  return user.switched ? { uid: user.uid, gid: user.gid } : {};
}

/** A config value in double quotes (Redis's sds argument parsing: backslash and quote escaped). */
const quoted = (value: string) => `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

/** The log's lines without their `pid:role date time level` prefix, minus the kernel-tuning warnings. */
function logLines(log: string): string[] {
  return log
    .split('\n')
    .map((line) => line.replace(/^\d+:[A-Z] \d+ \w+ \d+ [\d:.]+ [.\-*#] /, '').trim())
    .filter((line) => line !== '' && !/^WARNING (Memory overcommit|you have Transparent Huge Pages|The TCP backlog)/.test(line));
}

/** What Redis logs when the RDB itself does not load (rdb.c, server.c). */
const REFUSED_RDB =
  /Short read|Bad file format|Wrong signature trying to load|Wrong RDB checksum|RDB ERROR|Internal error in RDB|Terminating server after rdb file reading failure|Unrecoverable error|Fatal error loading the DB/;

function loadFailure(log: string, exit: string, version: string): Error {
  const lines = logLines(log);
  const tail = lines.slice(-4).join(' / ').slice(0, 600);
  if (/Can't handle RDB format version/.test(log)) {
    return new EvaluationError(
      'tool',
      `redis: the RDB's format is newer than this machine's redis-server ${version} reads (${lines.find((l) => /Can't handle RDB format/.test(l))})`,
      'run the restore test where a redis-server at least as new as the one that wrote the backup is installed',
    );
  }
  if (/module data|matching module|module type/i.test(log)) {
    return new EvaluationError(
      'tool',
      `redis: the RDB holds data of a Redis module, which the throwaway server never loads: ${tail}`,
      'restore-test this RDB by hand on a server that has the module; restorecheck loads no module into its throwaway server',
    );
  }
  if (REFUSED_RDB.test(log)) {
    return new RestoreFailedError(
      `redis: redis-server ${version} refused to load the RDB (${exit}): ${tail}`,
      'the RDB in the archive is damaged or not an RDB: take a new backup, and check the copies of this one',
    );
  }
  return new EvaluationError(
    'tool',
    `redis: the throwaway redis-server ${exit} before it had loaded the RDB${tail ? `: ${tail}` : ''}`,
    'run redis-server by hand on the RDB to see why (a redis-server older than 6.2 refuses set-proc-title)',
  );
}

function describeExit(child: ChildProcess): string {
  return child.signalCode ? `was killed by ${child.signalCode}` : `exited with code ${child.exitCode}`;
}

async function writeRdb(content: Readable, file: string, maxBytes: number, owner: { uid?: number; gid?: number }): Promise<number> {
  // O_EXCL | O_NOFOLLOW: the folder is the sandbox user's; nothing it placed there is followed or reused.
  const handle = await open(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  let bytes = 0;
  try {
    for await (const chunk of content as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      if (bytes > maxBytes) {
        throw new RestoreFailedError(
          `redis: the RDB is larger than archives.limits.maxTotalBytes (${maxBytes} bytes): it was not loaded`,
          'raise archives.limits.maxTotalBytes if this RDB is expected to be this large',
        );
      }
      await handle.write(chunk);
    }
    if (owner.uid !== undefined) await handle.chown(owner.uid, owner.gid!);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOSPC' || code === 'EDQUOT') {
      throw new EvaluationError(
        'tool',
        `redis: disk full in ${file} (${code}) while writing the RDB for the throwaway server`,
        'free space or point TMPDIR elsewhere',
      );
    }
    throw error;
  } finally {
    await handle.close();
  }
  return bytes;
}

/** redis-server's version (`7.0.15`), from `redis-server --version`. */
async function serverVersion(signal: AbortSignal): Promise<string> {
  const { stdout } = await run('redis-server', ['--version'], { timeout: CLI_TIMEOUT_MS, signal, env: sandboxEnv('/nonexistent') }).catch((error: unknown) => {
    throw new EvaluationError(
      'tool',
      `redis: redis-server --version failed (${(error as Error).message.split('\n')[0]})`,
      'install redis-server (apt-get install redis-server)',
    );
  });
  return /v=(\d+\.\d+\.\d+)/.exec(stdout)?.[1] ?? stdout.trim().slice(0, 80);
}

async function startSession(ctx: RestoreTestContext): Promise<RedisRestoreSession> {
  const user = sandboxUser();
  const version = await serverVersion(ctx.signal);
  const dir = await createThrowawayDirectory(REDIS_DIR_PREFIX, { traversable: user.switched });
  const serverDir = join(dir, 'server');
  // Short: a Unix socket path has at most 107 bytes, and TMPDIR may be deep.
  const socket = join(serverDir, 'sock');
  const conf = join(serverDir, 'redis.conf');
  const logFile = join(serverDir, 'redis.log');
  const password = randomBytes(24).toString('hex');
  const owner = asSandbox();
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let loaded: { rdbBytes: number; loadSeconds: number; keysExpired?: number; serverLoadSeconds?: number } | undefined;
  let disposed: Promise<{ removed: string[]; leftover: string[] }> | undefined;

  const removeAll = async (): Promise<{ removed: string[]; leftover: string[] }> => {
    const leftover: string[] = [];
    if (child && child.exitCode === null && child.signalCode === null) {
      // The data is thrown away: SIGTERM (with `save ""` nothing is written), SIGKILL if it lingers.
      child.kill('SIGTERM');
      if (!(await settledWithin(exited, 10_000))) {
        child.kill('SIGKILL');
        if (!(await settledWithin(exited, 10_000))) leftover.push(`redis-server pid ${child.pid}`);
      }
    }
    await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    if (existsSync(dir)) leftover.push(dir);
    else released(dir);
    return { removed: existsSync(dir) ? [] : [`throwaway redis-server directory ${dir}`], leftover };
  };

  try {
    if (Buffer.byteLength(socket) > MAX_SOCKET_PATH) {
      throw new EvaluationError(
        'config',
        `redis: the throwaway server's socket path ${socket} is longer than a Unix socket allows (${MAX_SOCKET_PATH} bytes)`,
        'point TMPDIR at a shorter path (e.g. TMPDIR=/var/tmp)',
      );
    }
    await mkdir(serverDir, { mode: 0o700 });
    if (user.switched) {
      await chown(serverDir, user.uid, user.gid);
      const reach = await run('test', ['-w', serverDir, '-a', '-x', serverDir], { ...owner, timeout: CLI_TIMEOUT_MS }).then(
        () => true,
        () => false,
      );
      if (!reach) {
        throw new EvaluationError(
          'config',
          `TMPDIR ${join(dir, '..')} cannot be entered by the "${user.name}" user that runs the throwaway redis-server (restorecheck never loads an RDB as root)`,
          `point TMPDIR at a directory that "${user.name}" can traverse (e.g. TMPDIR=/var/tmp), or allow it: chmod o+x ${join(dir, '..')}`,
        );
      }
    }
  } catch (error) {
    await removeAll();
    throw error;
  }

  const cli = async (args: string[], shape: RegExp, signal: AbortSignal): Promise<string> => {
    const { stdout, stderr } = await run('redis-cli', ['-s', socket, ...args], {
      ...owner,
      cwd: serverDir,
      env: sandboxEnv(serverDir, { REDISCLI_AUTH: password }),
      timeout: CLI_TIMEOUT_MS,
      maxBuffer: 1024 * 1024,
      signal,
    });
    const text = stdout.replace(/\r\n/g, '\n');
    // redis-cli exits 0 on an error reply: an answer is known by its shape.
    if (!shape.test(text)) throw new Error(`redis-cli ${args.join(' ')}: ${(text.trim() || stderr.trim()).split('\n')[0]?.slice(0, 200) ?? 'no answer'}`);
    return text;
  };

  const session: RedisRestoreSession = {
    target: `throwaway redis-server ${version} on ${socket} (as ${user.name})`,
    dir,
    serverPid: () => child?.pid,

    async load(member: string, content: Readable): Promise<void> {
      if (member !== MEMBER) throw new EvaluationError('internal', `redis: no restore test for member ${member}`, 'report this as a bug');
      if (child || loaded) throw new EvaluationError('internal', 'redis: the RDB was loaded twice into one throwaway server', 'report this as a bug');
      const limits = archivesConfigOrDefault(ctx.config.archives).limits;
      const rdb = join(serverDir, RDB_FILE);
      const rdbBytes = await writeRdb(content, rdb, limits.maxTotalBytes, owner);
      const config = [
        'port 0',
        'bind 127.0.0.1',
        'protected-mode yes',
        `unixsocket ${quoted(socket)}`,
        'unixsocketperm 700',
        `requirepass ${quoted(password)}`,
        `dir ${quoted(serverDir)}`,
        `dbfilename ${quoted(RDB_FILE)}`,
        `logfile ${quoted(logFile)}`,
        'daemonize no',
        'set-proc-title no',
        'save ""',
        'appendonly no',
        'sanitize-dump-payload yes',
        // A source configured with more than the default 16 databases writes SELECTDB 16+; the default would refuse it.
        'databases 256',
        'maxclients 32',
        ...DISABLED_COMMANDS.map((name) => `rename-command ${name} ""`),
        '',
      ].join('\n');
      await writeFile(conf, config, { mode: 0o600, flag: 'wx' });
      if (owner.uid !== undefined) await chown(conf, owner.uid, owner.gid!);

      const started = performance.now();
      const server = spawn('redis-server', [conf], { ...owner, cwd: serverDir, env: sandboxEnv(serverDir), stdio: 'ignore' });
      child = server;
      exited = new Promise<void>((resolve) => {
        if (server.exitCode !== null || server.signalCode !== null) resolve();
        else server.once('exit', () => resolve());
      });
      let spawnError: Error | undefined;
      server.once('error', (error) => {
        spawnError = error;
      });
      onExit(dir, () => server.kill('SIGKILL'));

      const deadline = AbortSignal.any([ctx.signal, AbortSignal.timeout(REDIS_LOAD_TIMEOUT_MS)]);
      for (;;) {
        if (spawnError) throw new EvaluationError('tool', `redis: redis-server could not be started: ${spawnError.message}`, 'install redis-server');
        if (server.exitCode !== null || server.signalCode !== null) {
          throw loadFailure(await readFile(logFile, 'utf8').catch(() => ''), describeExit(server), version);
        }
        if (deadline.aborted) {
          if (ctx.signal.aborted) throw ctx.signal.reason instanceof Error ? ctx.signal.reason : new Error('interrupted');
          throw new EvaluationError(
            'timeout',
            `redis: the throwaway redis-server had not loaded the RDB (${rdbBytes} bytes) after ${REDIS_LOAD_TIMEOUT_MS / 60_000} minutes`,
            'restore-test it on a faster machine, or report the RDB size',
          );
        }
        if (existsSync(socket)) {
          const state = await cli(['INFO', 'persistence'], /^# Persistence\n/m, deadline).then(infoFields, () => undefined);
          if (state?.get('loading') === '0') break;
        }
        // Each wait is 5 % of the time so far (5–250 ms): a small RDB is seen loaded at once, a large one is not polled hard.
        await sleep(Math.min(250, Math.max(5, (performance.now() - started) / 20)), deadline).catch(() => undefined);
      }
      const loadSeconds = (performance.now() - started) / 1000;
      const log = await readFile(logFile, 'utf8').catch(() => '');
      const done = /Done loading RDB, keys loaded: (\d+), keys expired: (\d+)/.exec(log);
      const own = /DB loaded from disk: ([\d.]+) seconds/.exec(log);
      loaded = { rdbBytes, loadSeconds, ...(done ? { keysExpired: Number(done[2]) } : {}), ...(own ? { serverLoadSeconds: Number(own[1]) } : {}) };
      ctx.log.info(`redis: the throwaway redis-server loaded ${rdbBytes} bytes of RDB in ${loadSeconds.toFixed(2)} s`);
    },

    async compare(recorded: Record<string, JsonValue> | undefined): Promise<RestoreComparison> {
      if (!loaded) throw new EvaluationError('internal', 'redis: compare before the RDB was loaded', 'report this as a bug');
      const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(CLI_TIMEOUT_MS * 2)]);
      const byDb = keyspaceByDb(await cli(['INFO', 'keyspace'], /^# Keyspace\n/m, signal));
      const server = infoFields(await cli(['INFO', 'server'], /^# Server\n/m, signal));
      const keys = Object.values(byDb).reduce((sum, n) => sum + n, 0);
      const restored: Record<string, JsonValue> = {
        keys,
        keys_per_db: byDb,
        redis_version: server.get('redis_version') ?? version,
        rdb_bytes: loaded.rdbBytes,
        load_seconds: Number(loaded.loadSeconds.toFixed(3)),
      };
      if (loaded.keysExpired !== undefined) restored.keys_expired_on_load = loaded.keysExpired;
      // Redis's own measure of the load (its log's "DB loaded from disk"), without the start and the polling.
      if (loaded.serverLoadSeconds !== undefined) restored.server_load_seconds = loaded.serverLoadSeconds;
      const comparison: RestoreComparison = { restored, matched: [], differences: [], notCompared: [] };
      const expected = recorded?.keys;
      if (typeof expected !== 'number') {
        comparison.notCompared.push('keys (the metadata records none)');
        return comparison;
      }
      // Keys whose TTL ran out since the backup are in the RDB but not loaded: they count as restored.
      const expired = loaded.keysExpired ?? 0;
      if (keys + expired === expected) comparison.matched.push('keys');
      else
        comparison.differences.push(
          `the RDB loads ${keys} keys${expired ? ` (and ${expired} that expired since the backup)` : ''}, the metadata records ${expected}`,
        );
      return comparison;
    },

    dispose() {
      disposed ??= removeAll();
      return disposed;
    },
  };
  return session;
}

/** True when `promise` settled within `ms` (the timer is cleared either way). */
async function settledWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise.then(() => true), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

export const redisRestoreTest: ComponentRestoreTest = {
  async unavailable() {
    const missing = ['redis-server', 'redis-cli'].filter((program) => onPath(program) === undefined);
    return missing.length > 0 ? `${missing.join(' and ')} not installed (Debian: apt-get install redis-server)` : undefined;
  },
  start: startSession,
};

/**
 * Kills the redis-server still running from, and removes, every throwaway Redis directory in `parent` (default TMPDIR)
 * whose owner is gone (throwaway-directory.ts). A live owner's directory is never touched.
 */
export function sweepAbandonedRedis(parent?: string): Promise<AbandonedDirectory[]> {
  return sweepAbandonedDirectories(REDIS_DIR_PREFIX, ['redis-server'], parent);
}
