/**
 * A throwaway MariaDB server from the machine's binaries (Debian `mariadb-server`: /usr/sbin/mariadbd,
 * mariadb-install-db), for loading an untrusted dump: the restore test of `mariadb_full.sql.gz` (mariadb.ts).
 *
 * - Its own directory `$TMPDIR/restorecheck-mariadb-<random>`, with `owner.json` (pid and start time of the process that
 *   made it, process-owner.ts) written first: a SIGKILLed run leaves a directory that sweepAbandonedMariadb() recognises
 *   and removes, killing the server still running from it. Inside: `data/` (datadir), `tmp/` (its tmpdir: concurrent
 *   bootstraps collide in /tmp), `home/` (an empty HOME), `files/` (secure_file_priv: the only place file statements
 *   could touch, and the restore user has no FILE privilege anyway), the socket, the pid file and the error log.
 * - No network at all: `--skip-networking`, a Unix socket only (nothing to collide with, nothing reachable from elsewhere).
 * - Never root: the server, the bootstrap and every client run as the sandbox user (sandbox-user.ts: `postgres`, else
 *   `nobody`, when we are root), by spawn's uid/gid (so not even mariadbd's own start-up code runs as root), with a
 *   minimal environment, the empty HOME, and `--no-defaults` (no my.cnf of anyone is read).
 * - The bootstrap makes one administrator, the sandbox OS user itself over the socket (unix_socket authentication, no
 *   password anywhere). The restore logs in as another account (mariadb.ts) with privileges on its own schemas only.
 * - Settings for a fast bulk load of data that is thrown away: no binary log, innodb_flush_log_at_trx_commit=0, no
 *   doublewrite, innodb_flush_method=nosync, a 256 MB buffer pool; and for a safe one: no symbolic links (DATA/INDEX
 *   DIRECTORY would place files outside the directory), no LOAD DATA LOCAL, no event scheduler (restored events never run).
 * - stop() kills the server (SIGKILL: its data is deleted anyway, a shutdown would only flush it) and removes the
 *   directory; an exit hook does the same if the process ends without it.
 *
 * Every wait has a deadline.
 */
import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { chown, lstat, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir, userInfo } from 'node:os';
import { delimiter as pathDelimiter, join } from 'node:path';
import { EvaluationError } from '../errors.js';
import { ownerAlive, processStartTime } from '../process-owner.js';
import { type SandboxUser, sandboxUser } from '../restore/sandbox-user.js';

/** Every throwaway server's directory in TMPDIR starts with this. */
export const MARIADB_DIR_PREFIX = 'restorecheck-mariadb-';
const OWNER_FILE = 'owner.json';
const PID_FILE = 'mariadbd.pid';
const SOCKET = 'mariadbd.sock';
/** sockaddr_un.sun_path is 108 bytes with its NUL. */
const MAX_SOCKET_PATH = 107;

export interface MariadbBinaries {
  mariadbd: string;
  installDb: string;
  client: string;
}

function findExecutable(name: string, extraDirs: string[]): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(pathDelimiter).filter(Boolean), ...extraDirs];
  for (const dir of dirs) {
    const file = join(dir, name);
    if (existsSync(file)) return file;
  }
  return undefined;
}

/** The MariaDB programs of this machine, or why they cannot be used (what to install). */
export function mariadbBinaries(): MariadbBinaries | { missing: string } {
  const mariadbd = findExecutable('mariadbd', ['/usr/sbin', '/usr/libexec']);
  if (!mariadbd) return { missing: 'mariadbd not installed (apt-get install mariadb-server)' };
  const installDb = findExecutable('mariadb-install-db', ['/usr/bin', '/usr/sbin']);
  if (!installDb) return { missing: 'mariadb-install-db not installed (apt-get install mariadb-server)' };
  const client = findExecutable('mariadb', ['/usr/bin']);
  if (!client) return { missing: 'the mariadb client not installed (apt-get install mariadb-client)' };
  return { mariadbd, installDb, client };
}

export interface ThrowawayMariadbOptions {
  /** Ends every wait of the start (install, readiness) early. */
  signal?: AbortSignal;
  /** Deadline of the bootstrap and of the server's readiness (each). Default 120 s. */
  startTimeoutMs?: number;
  /** innodb_buffer_pool_size in MiB. Default 256. */
  bufferPoolMb?: number;
}

export interface ThrowawayMariadb {
  dir: string;
  dataDir: string;
  socket: string;
  /** An empty directory owned by the server's OS user: HOME and working directory of its programs. */
  home: string;
  /** The OS user everything runs as (never root). */
  osUser: string;
  /** The administrator account (the OS user itself, over the socket). */
  adminUser: string;
  /** `SELECT VERSION()`, e.g. `10.11.19-MariaDB-0+deb12u1`. */
  version: string;
  pid: number;
  binaries: MariadbBinaries;
  /** Runs SQL as the administrator (`-N -B`: tab-separated rows, no header); returns stdout. Throws with the client's words. */
  sql(sql: string, options?: { timeoutMs?: number; signal?: AbortSignal; maxBuffer?: number }): Promise<string>;
  /** How to run the mariadb client against this server as `user` (`password` through MYSQL_PWD, never the command line). */
  client(user: string, password: string | undefined, args: string[]): ClientInvocation;
  /** The error log so far (the last 64 KiB). */
  log(): Promise<string>;
  /** Kills the server and removes its directory. Safe to call twice; says whether the directory is gone. */
  stop(): Promise<{ removed: boolean; problem?: string }>;
}

export interface ClientInvocation {
  file: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Set when we are root: the sandbox user's ids. */
  uid?: number;
  gid?: number;
}

interface MariadbOwner {
  pid: number;
  /** /proc start time of the owner, so that a reused pid is not taken for it; null off Linux. */
  startTime: number | null;
  user: string;
  /** A process on another host (a container sharing /tmp) cannot be seen from here: never judged dead. */
  host: string;
}

/** What the server and its tools inherit: enough to run, none of this process's credentials or MYSQL_* redirections. */
function sandboxEnv(home: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', HOME: home };
  for (const name of ['LANG', 'LC_ALL', 'TZ'] as const) if (process.env[name]) env[name] = process.env[name];
  return { ...env, ...extra };
}

const ids = (user: SandboxUser) => (user.switched ? { uid: user.uid, gid: user.gid } : {});

/** Servers of this process still running, for the exit hook and so that the sweep never takes them for abandoned. */
const live = new Map<string, ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Synchronous, as an exit hook must be: kill, then remove.
  process.on('exit', () => {
    for (const [dir, child] of live) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

/** Runs a program to completion with a deadline; rejects with its stderr's last lines. */
function runProgram(
  file: string,
  args: string[],
  options: { env: NodeJS.ProcessEnv; cwd: string; timeoutMs: number; signal?: AbortSignal; uid?: number; gid?: number; maxBuffer?: number; input?: string },
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      file,
      args,
      {
        env: options.env,
        cwd: options.cwd,
        timeout: options.timeoutMs,
        killSignal: 'SIGKILL',
        maxBuffer: options.maxBuffer ?? 16 * 1024 * 1024,
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.uid !== undefined ? { uid: options.uid, gid: options.gid } : {}),
      },
      (error, stdout, stderr) => {
        if (!error) {
          resolve(stdout);
          return;
        }
        const words = String(stderr).trim().split('\n').slice(-5).join(' / ');
        const timedOut = (error as { killed?: boolean }).killed && !options.signal?.aborted;
        reject(
          Object.assign(
            new Error(`${file.split('/').pop()} ${timedOut ? `did not finish within ${options.timeoutMs} ms` : 'failed'}${words ? `: ${words}` : ''}`),
            {
              cause: error,
            },
          ),
        );
      },
    );
    if (options.input !== undefined) {
      // A program that exits before reading everything closes the pipe: its exit status tells.
      child.stdin?.on('error', () => undefined);
      child.stdin?.end(options.input);
    }
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function startThrowawayMariadb(options: ThrowawayMariadbOptions = {}): Promise<ThrowawayMariadb> {
  const binaries = mariadbBinaries();
  if ('missing' in binaries) throw new EvaluationError('tool', binaries.missing, 'install MariaDB on this machine to restore-test MariaDB dumps');
  const timeoutMs = options.startTimeoutMs ?? 120_000;
  const user = sandboxUser();
  const dir = await mkdtemp(join(tmpdir(), MARIADB_DIR_PREFIX));
  // Registered before anything else happens in it: from here on, a SIGKILL leaves a directory the next sweep removes.
  await writeFile(
    join(dir, OWNER_FILE),
    `${JSON.stringify({ pid: process.pid, startTime: processStartTime(process.pid), user: user.name, host: hostname() } satisfies MariadbOwner)}\n`,
  );
  installExitHook();
  const dataDir = join(dir, 'data');
  const home = join(dir, 'home');
  const socket = join(dir, SOCKET);
  const errorLog = join(dir, 'error.log');
  let child: ChildProcess | undefined;
  const cleanup = async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child!.once('exit', resolve));
      child.kill('SIGKILL');
      await Promise.race([exited, sleep(10_000)]);
    }
    live.delete(dir);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    if (socket.length > MAX_SOCKET_PATH) {
      throw new EvaluationError(
        'config',
        `TMPDIR ${tmpdir()} is too long a path for the throwaway MariaDB's Unix socket (${socket.length} bytes, at most ${MAX_SOCKET_PATH})`,
        'point TMPDIR at a shorter directory, e.g. TMPDIR=/var/tmp',
      );
    }
    for (const sub of ['data', 'tmp', 'home', 'files']) await mkdir(join(dir, sub), { mode: 0o700 });
    if (user.switched) {
      for (const path of [dir, dataDir, join(dir, 'tmp'), home, join(dir, 'files')]) await chown(path, user.uid, user.gid);
      // The sandbox user must reach its directory through every parent: a TMPDIR only root can enter would otherwise
      // surface as a bare "Permission denied" from the bootstrap.
      const reach = spawnSync('test', ['-w', dir, '-a', '-x', dir], { stdio: 'ignore', uid: user.uid, gid: user.gid, timeout: 10_000 });
      if (reach.status !== 0) {
        throw new EvaluationError(
          'config',
          `TMPDIR ${tmpdir()} cannot be entered by the "${user.name}" user that runs the throwaway MariaDB (restorecheck never runs it, or a restore, as root)`,
          `point TMPDIR at a directory that "${user.name}" can traverse (e.g. TMPDIR=/var/tmp), or allow it: chmod o+x ${tmpdir()} (and its parents)`,
        );
      }
    }
    const env = sandboxEnv(home);
    await runProgram(
      binaries.installDb,
      [
        '--no-defaults',
        `--datadir=${dataDir}`,
        `--tmpdir=${join(dir, 'tmp')}`,
        '--auth-root-authentication-method=socket',
        `--auth-root-socket-user=${user.name}`,
        '--skip-test-db',
        '--skip-name-resolve',
      ],
      { env, cwd: home, timeoutMs, ...ids(user), ...(options.signal ? { signal: options.signal } : {}) },
    ).catch((error: Error) => {
      throw new EvaluationError(
        'tool',
        `mariadb-install-db could not create the throwaway server's data directory: ${error.message}`,
        'check the MariaDB installation (apt-get install --reinstall mariadb-server) and the free space in TMPDIR',
        {
          cause: error,
        },
      );
    });

    child = spawn(
      binaries.mariadbd,
      [
        '--no-defaults',
        `--datadir=${dataDir}`,
        `--socket=${socket}`,
        '--skip-networking',
        `--pid-file=${join(dir, PID_FILE)}`,
        `--log-error=${errorLog}`,
        `--tmpdir=${join(dir, 'tmp')}`,
        `--secure-file-priv=${join(dir, 'files')}`,
        '--skip-symbolic-links',
        '--local-infile=0',
        '--event-scheduler=OFF',
        '--skip-name-resolve',
        '--skip-log-bin',
        '--character-set-server=utf8mb4',
        '--collation-server=utf8mb4_general_ci',
        '--max-allowed-packet=1G',
        '--max-connections=20',
        `--innodb-buffer-pool-size=${options.bufferPoolMb ?? 256}M`,
        '--innodb-log-file-size=256M',
        '--innodb-flush-log-at-trx-commit=0',
        '--innodb-doublewrite=0',
        '--innodb-flush-method=nosync',
        '--innodb-buffer-pool-load-at-startup=0',
        '--innodb-buffer-pool-dump-at-shutdown=0',
        '--performance-schema=OFF',
      ],
      { stdio: 'ignore', env, cwd: home, ...ids(user) },
    );
    live.set(dir, child);
    let exited: string | undefined;
    child.once('exit', (code, signal) => {
      exited = `exit ${code ?? signal}`;
    });
    child.once('error', (error) => {
      exited = error.message;
    });

    // The SQL goes to the client on stdin, not as `-e SQL`: it sets the restore account's password, and a command line is
    // readable by every local user (/proc/PID/cmdline) and quoted in the client's errors.
    const admin = (sql: string, o: { timeoutMs?: number; signal?: AbortSignal; maxBuffer?: number } = {}) =>
      runProgram(
        binaries.client,
        ['--no-defaults', `--socket=${socket}`, '--protocol=SOCKET', `--user=${user.name}`, '--default-character-set=utf8mb4', '-N', '-B'],
        {
          input: `${sql}\n`,
          env,
          cwd: home,
          timeoutMs: o.timeoutMs ?? 120_000,
          ...(o.maxBuffer ? { maxBuffer: o.maxBuffer } : {}),
          ...(o.signal ? { signal: o.signal } : {}),
          ...ids(user),
        },
      );

    const deadline = Date.now() + timeoutMs;
    let version: string | undefined;
    while (version === undefined) {
      if (exited !== undefined) break;
      if (options.signal?.aborted) throw new EvaluationError('timeout', 'the start of the throwaway MariaDB was interrupted', 'run the restore test again');
      if (Date.now() > deadline) break;
      if (existsSync(socket)) version = (await admin('SELECT VERSION()', { timeoutMs: 10_000 }).catch(() => undefined))?.trim();
      if (version === undefined) await sleep(100);
    }
    if (version === undefined) {
      const tail = (await readFile(errorLog, 'utf8').catch(() => '')).trim().split('\n').slice(-8).join(' / ');
      throw new EvaluationError(
        'tool',
        `the throwaway mariadbd did not start within ${timeoutMs / 1000} s${exited ? ` (${exited})` : ''}${tail ? `: ${tail}` : ''}`,
        'check the MariaDB installation and the free space in TMPDIR',
      );
    }

    let stopped: Promise<{ removed: boolean; problem?: string }> | undefined;
    const server: ThrowawayMariadb = {
      dir,
      dataDir,
      socket,
      home,
      osUser: user.name,
      adminUser: user.name,
      version,
      pid: child.pid!,
      binaries,
      sql: admin,
      client: (account, password, args) => ({
        file: binaries.client,
        args: ['--no-defaults', `--socket=${socket}`, '--protocol=SOCKET', `--user=${account}`, ...args],
        env: sandboxEnv(home, password !== undefined ? { MYSQL_PWD: password } : {}),
        cwd: home,
        ...ids(user),
      }),
      log: async () => (await readFile(errorLog, 'utf8').catch(() => '')).slice(-64 * 1024),
      stop: () => {
        stopped ??= (async () => {
          try {
            await cleanup();
          } catch (error) {
            return { removed: !existsSync(dir), problem: (error as Error).message };
          }
          return { removed: !existsSync(dir) };
        })();
        return stopped;
      },
    };
    return server;
  } catch (error) {
    await cleanup();
    throw error;
  }
}

export interface AbandonedMariadb {
  dir: string;
  ownerPid: number;
  /** The processes that were still running from its data directory (mariadbd, or a bootstrap), killed. */
  killed: number[];
  removed: boolean;
  problem?: string;
}

/** The pids of processes whose command line names DATADIR (`--datadir=<dir>`): the server, or a bootstrap cut short. */
function processesOf(dataDir: string): number[] {
  const arg = `--datadir=${dataDir}`;
  const pids: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return pids;
  }
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').includes(arg)) pids.push(Number(name));
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return pids;
}

/**
 * Kills and removes every throwaway MariaDB in `dir` (default TMPDIR) whose owning process is gone. A server whose owner
 * is alive is someone's running restore: never touched. Only a real directory of ours (made by us or handed to the
 * sandbox user, writable by nobody else) holding owner.json is judged; anything else is left alone. The server is found by
 * its pid file and, to be sure of it, by /proc: only a process whose command line names that very data directory is
 * killed (never a pid read from a file alone, which another process may have been given since).
 */
export async function sweepAbandonedMariadb(dir = tmpdir()): Promise<AbandonedMariadb[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.startsWith(MARIADB_DIR_PREFIX));
  } catch {
    return [];
  }
  const swept: AbandonedMariadb[] = [];
  for (const name of names.sort()) {
    const serverDir = join(dir, name);
    let owner: MariadbOwner;
    try {
      const info = await lstat(serverDir);
      if (!info.isDirectory() || ![userInfo().uid, sandboxUser().uid].includes(info.uid) || (info.mode & 0o022) !== 0) continue;
      owner = JSON.parse(await readFile(join(serverDir, OWNER_FILE), 'utf8')) as MariadbOwner;
      if (!Number.isInteger(owner.pid) || (owner.host !== undefined && owner.host !== hostname())) continue;
    } catch {
      continue;
    }
    if (ownerAlive(owner) || live.has(serverDir)) continue;
    const dataDir = join(serverDir, 'data');
    const fromPidFile = await readFile(join(serverDir, PID_FILE), 'utf8').then(
      (text) => Number(text.trim()) || null,
      () => null,
    );
    const running = new Set(processesOf(dataDir));
    const entry: AbandonedMariadb = { dir: serverDir, ownerPid: owner.pid, killed: [], removed: false };
    if (fromPidFile !== null && running.has(fromPidFile)) entry.killed.push(fromPidFile);
    for (const pid of running) if (pid !== fromPidFile) entry.killed.push(pid);
    for (const pid of entry.killed) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    // The files must not be removed under a process still writing them: wait (bounded) until it is gone.
    for (let i = 0; i < 100 && processesOf(dataDir).length > 0; i++) await sleep(100);
    await rm(serverDir, { recursive: true, force: true }).catch((error: unknown) => {
      entry.problem = (error as Error).message;
    });
    entry.removed = !existsSync(serverDir);
    swept.push(entry);
  }
  return swept;
}
