/**
 * Real throwaway servers for the self-hosted backup tests: MariaDB (Debian `mariadb-server`, /usr/sbin/mariadbd) and
 * Redis (Debian `redis-server`), each on a free TCP port of 127.0.0.1 with a password, its files in a
 * `restorecheck-svc-*` folder of the temp dir. `stop()` kills the server and removes the folder: the suite fails when a
 * test leaves either behind (scripts/run-tests.mjs), so call it in an `after()` hook.
 *
 * A free port is found by listening on port 0 and closing; another process may take it before the server binds, so a
 * server that fails with "Address already in use" is started again on a new port (a few times).
 *
 * Every wait has a deadline. If the test process dies before `stop()`, an exit hook kills the servers and removes their
 * folders (synchronously: nothing else can run in an exit hook).
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const MARIADBD = '/usr/sbin/mariadbd';

/** True when this machine can run the MariaDB server and its client tools (Debian `mariadb-server`, `mariadb-client`). */
export function mariadbInstalled(): boolean {
  return [MARIADBD, '/usr/bin/mariadb-install-db', '/usr/bin/mariadb', '/usr/bin/mariadb-dump'].every((file) => existsSync(file));
}

/** True when `redis-server` and `redis-cli` are installed (Debian `redis-server`, `redis-tools`). */
export function redisInstalled(): boolean {
  return ['/usr/bin/redis-server', '/usr/bin/redis-cli'].every((file) => existsSync(file));
}

/** A free TCP port of 127.0.0.1 right now (it may be taken again before it is used: callers retry). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('no port assigned'))));
    });
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Servers still running, for the exit hook. */
const live = new Set<{ child: ChildProcess; dir: string }>();
let hooked = false;
function track(entry: { child: ChildProcess; dir: string }): void {
  live.add(entry);
  if (hooked) return;
  hooked = true;
  process.once('exit', () => {
    for (const { child, dir } of live) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

/** True when `promise` settled within `ms` (the timer is cleared either way: a pending one would hold the test process open). */
async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise.then(() => true), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** Stops a server: SIGTERM, SIGKILL after the grace period, then waits for the exit (bounded too). */
async function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  if (!(await within(exited, graceMs))) {
    child.kill('SIGKILL');
    await within(exited, 5_000);
  }
}

function exitOf(child: ChildProcess): Promise<number | string> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode ?? child.signalCode!);
    else child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
  });
}

/** A password made of letters and digits only (safe in URLs and config files), with a recognisable prefix. */
function makePassword(prefix: string): string {
  return `${prefix}${randomBytes(12).toString('hex')}`;
}

// ---------------------------------------------------------------------------------------------------------------
// MariaDB

export interface MariadbOptions {
  /** The password of the `backup` user (default: a random one). */
  password?: string;
  /** Deadline of the start (install-db and the first connection). */
  startTimeoutMs?: number;
}

export interface MariadbService {
  /** `mariadb://backup:<password>@127.0.0.1:<port>` */
  url: string;
  host: '127.0.0.1';
  port: number;
  user: 'backup';
  password: string;
  /** The server's Unix socket (root connects over it without a password). */
  socket: string;
  /** The service's folder (data directory, socket, log). */
  dir: string;
  /** Runs SQL as root over the socket; returns the output (`-N -B`: tab-separated rows, no header). */
  sql(statement: string, timeoutMs?: number): Promise<string>;
  stop(): Promise<void>;
}

export async function startMariadb(options: MariadbOptions = {}): Promise<MariadbService> {
  const password = options.password ?? makePassword('mdbpw');
  const startTimeoutMs = options.startTimeoutMs ?? 90_000;
  const dir = await mkdtemp(join(tmpdir(), 'restorecheck-svc-mariadb-'));
  const dataDir = join(dir, 'data');
  const socket = join(dir, 'sock');
  const errorLog = join(dir, 'error.log');
  try {
    // A temp folder of its own: bootstraps running at once (concurrent test files) collide on /tmp/#sql-temptable-<pid>-….
    await mkdir(join(dir, 'tmp'));
    await run(
      'mariadb-install-db',
      ['--no-defaults', `--datadir=${dataDir}`, '--user=root', '--auth-root-authentication-method=socket', '--skip-test-db', `--tmpdir=${join(dir, 'tmp')}`],
      {
        timeout: startTimeoutMs,
      },
    );
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }

  const sql = async (statement: string, timeoutMs = 120_000): Promise<string> => {
    const { stdout } = await run('mariadb', ['--no-defaults', '-S', socket, '-u', 'root', '-N', '-B', '-e', statement], {
      timeout: timeoutMs,
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout;
  };

  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    await rm(errorLog, { force: true });
    // mariadbd runs as root here (the test machine's user), which it refuses without --user=root.
    const child = spawn(
      MARIADBD,
      [
        '--no-defaults',
        `--datadir=${dataDir}`,
        `--socket=${socket}`,
        `--port=${port}`,
        '--bind-address=127.0.0.1',
        '--user=root',
        `--pid-file=${join(dir, 'pid')}`,
        `--log-error=${errorLog}`,
        '--innodb-buffer-pool-size=64M',
        '--skip-log-bin',
        `--tmpdir=${join(dir, 'tmp')}`,
        '--skip-name-resolve',
      ],
      { stdio: 'ignore' },
    );
    const entry = { child, dir };
    track(entry);
    const exited = exitOf(child);
    const deadline = Date.now() + startTimeoutMs;
    let ready = false;
    let early: number | string | undefined;
    void exited.then((code) => {
      early = code;
    });
    while (!ready && early === undefined && Date.now() < deadline) {
      if (existsSync(socket)) {
        try {
          await sql('SELECT 1', 5_000);
          ready = true;
          break;
        } catch {
          // not accepting yet
        }
      }
      await sleep(150);
    }
    if (ready) {
      try {
        // `backup` from anywhere (with --skip-name-resolve, a TCP client from 127.0.0.1 is '127.0.0.1', not 'localhost').
        await sql(
          `CREATE USER 'backup'@'%' IDENTIFIED BY '${password}'; GRANT ALL PRIVILEGES ON *.* TO 'backup'@'%'; ` +
            `CREATE USER 'backup'@'localhost' IDENTIFIED BY '${password}'; GRANT ALL PRIVILEGES ON *.* TO 'backup'@'localhost'; FLUSH PRIVILEGES;`,
        );
      } catch (error) {
        await stopChild(child, 20_000);
        live.delete(entry);
        await rm(dir, { recursive: true, force: true });
        throw error;
      }
      let stopped: Promise<void> | undefined;
      return {
        url: `mariadb://backup:${password}@127.0.0.1:${port}`,
        host: '127.0.0.1',
        port,
        user: 'backup',
        password,
        socket,
        dir,
        sql,
        stop() {
          stopped ??= (async () => {
            await stopChild(child, 30_000);
            live.delete(entry);
            await rm(dir, { recursive: true, force: true });
          })();
          return stopped;
        },
      };
    }
    await stopChild(child, 10_000);
    live.delete(entry);
    const log = await readFile(errorLog, 'utf8').catch(() => '');
    if (/address already in use|Can't start server: Bind on TCP\/IP port/i.test(log) && attempt < 5) continue;
    await rm(dir, { recursive: true, force: true });
    throw new Error(
      `mariadbd did not start within ${startTimeoutMs} ms${early !== undefined ? ` (exited: ${early})` : ''}: ${log.split('\n').slice(-15).join('\n')}`,
    );
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Redis

export interface RedisOptions {
  /** `requirepass` (default: a random one). */
  password?: string;
  /** The RDB file name in the data folder (default dump.rdb). */
  dbfilename?: string;
  /** More configuration lines (e.g. `user alice on >secret ~* +@all`). */
  extraConfig?: string[];
  /** An RDB file copied in as `dbfilename` before the start: the server loads it (to check what a backup holds). */
  preload?: string;
  startTimeoutMs?: number;
}

export interface RedisService {
  /** `redis://:<password>@127.0.0.1:<port>/0` */
  url: string;
  host: '127.0.0.1';
  port: number;
  password: string;
  /** The server's `dir` (where BGSAVE writes the RDB). */
  dir: string;
  dbfilename: string;
  /** Runs redis-cli against the server (password through REDISCLI_AUTH); returns stdout. */
  cli(...args: string[]): Promise<string>;
  stop(): Promise<void>;
}

export async function startRedis(options: RedisOptions = {}): Promise<RedisService> {
  const password = options.password ?? makePassword('rdspw');
  const dbfilename = options.dbfilename ?? 'dump.rdb';
  const startTimeoutMs = options.startTimeoutMs ?? 30_000;
  const dir = await mkdtemp(join(tmpdir(), 'restorecheck-svc-redis-'));
  const conf = join(dir, 'redis.conf');
  const logFile = join(dir, 'redis.log');
  if (options.preload) await copyFile(options.preload, join(dir, dbfilename));

  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    // A configuration file, so that the password is not on redis-server's command line (`ps` would show it).
    await writeFile(
      conf,
      [
        `port ${port}`,
        'bind 127.0.0.1',
        `requirepass "${password}"`,
        `dir "${dir}"`,
        `dbfilename "${dbfilename}"`,
        'save ""',
        'appendonly no',
        'daemonize no',
        `logfile "${logFile}"`,
        'enable-debug-command local',
        ...(options.extraConfig ?? []),
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
    await rm(logFile, { force: true });
    const child = spawn('redis-server', [conf], { stdio: 'ignore' });
    const entry = { child, dir };
    track(entry);
    const cli = async (...args: string[]): Promise<string> => {
      const { stdout } = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], {
        timeout: 120_000,
        maxBuffer: 64 * 1024 * 1024,
        env: { ...process.env, REDISCLI_AUTH: password },
      });
      return stdout;
    };
    let early: number | string | undefined;
    void exitOf(child).then((code) => {
      early = code;
    });
    const deadline = Date.now() + startTimeoutMs;
    let ready = false;
    while (early === undefined && Date.now() < deadline) {
      try {
        if ((await cli('PING')).trim() === 'PONG') {
          ready = true;
          break;
        }
      } catch {
        // not accepting yet
      }
      await sleep(100);
    }
    if (ready) {
      let stopped: Promise<void> | undefined;
      return {
        url: `redis://:${password}@127.0.0.1:${port}/0`,
        host: '127.0.0.1',
        port,
        password,
        dir,
        dbfilename,
        cli,
        stop() {
          stopped ??= (async () => {
            await stopChild(child, 10_000);
            live.delete(entry);
            await rm(dir, { recursive: true, force: true });
          })();
          return stopped;
        },
      };
    }
    await stopChild(child, 5_000);
    live.delete(entry);
    const log = await readFile(logFile, 'utf8').catch(() => '');
    if (/address already in use/i.test(log) && attempt < 5) continue;
    await rm(dir, { recursive: true, force: true });
    throw new Error(
      `redis-server did not start within ${startTimeoutMs} ms${early !== undefined ? ` (exited: ${early})` : ''}: ${log.split('\n').slice(-15).join('\n')}`,
    );
  }
}
