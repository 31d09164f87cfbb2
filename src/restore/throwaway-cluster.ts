/**
 * A throwaway PostgreSQL cluster from the machine's PostgreSQL binaries, or from the server resolvePostgresServer
 * chose for a dump (postgres-binaries.ts: an npm package's initdb/pg_ctl/postgres, with the machine's psql; they find
 * their libraries and share/ relative to themselves, so nothing but the path changes): a temp directory, a free
 * port (or a given address and port), password authentication over TCP, optional TLS with a
 * self-signed certificate. Used by the tests, `restorecheck demo`, and the Resource Manager
 * simulator's point-in-time restores.
 *
 * Never as root (`initdb` refuses, and a restore must not give a dump root): when we are root the
 * cluster belongs to the sandbox user (sandbox-user.ts: `postgres`, else `nobody`) and every server
 * binary runs through `runuser -u <user>`, with an empty HOME inside the cluster's directory.
 *
 * Nothing left behind, even after SIGKILL: the cluster's directory holds `owner.json` (pid and start
 * time of the process that made it) from before initdb runs; sweepAbandonedClusters() stops and
 * removes every cluster whose owner is gone (restore-test does it on each run, and
 * `restore-test cleanup --local`). The registry is the directories themselves: no state directory
 * that could itself be left behind.
 */
import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { chmod, chown, lstat, mkdir, mkdtemp, open, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { hostname, tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { EvaluationError } from '../errors.js';
import { sandboxUser } from './sandbox-user.js';
import { ownerAlive, processStartTime } from '../process-owner.js';
import { isKnownServerBinDir } from './postgres-binaries.js';
import { cachedTemplate, saveTemplate, templateKey } from './cluster-template.js';

const run = promisify(execFile);

export interface ClusterOptions {
  /** Listen address; default 127.0.0.1. */
  host?: string;
  /** Default: a free port. */
  port?: number;
  tls?: boolean;
  /** Superuser password; default random. */
  password?: string;
  /** Extra `-c name=value` server settings. */
  settings?: Record<string, string>;
  /**
   * Which server binaries (and which psql) to run; default: the machine's newest (findPostgresBinDir). A
   * resolvePostgresServer answer (postgres-binaries.ts), e.g. an npm package's server with the machine's psql.
   */
  server?: { binDir: string; clientBinDir: string };
  /**
   * Fills the data directory instead of initdb (the simulator's point-in-time restore copies another cluster's files
   * there): given its path, which does not exist yet; what it leaves must be owned by the cluster's OS user.
   */
  populate?: (dataDir: string) => Promise<void>;
  /** Databases and roles every cluster of this kind starts with, made once and kept in its template. */
  prepared?: PreparedTemplate;
  /**
   * SQL the superuser runs as soon as the server is up, in the same psql call as the cluster's own first statement (one
   * process and one connection fewer on a restore's critical path); what it prints is the cluster's `startOutput`.
   */
  startSql?: string;
}

/**
 * What a kind of cluster needs before its first use, made once on a copy of initdb's result and cached as a template of
 * its own (cluster-template.ts), so that each cluster of that kind starts with it instead of creating it. On this
 * kind of disk a database is the time it takes to create its 300 files: CREATE DATABASE took 0.1–0.35 s, and copying
 * each database of the template as much again (cp of initdb's three databases: 0.7–0.9 s of system time).
 */
export interface PreparedTemplate {
  /** Changes whenever the steps do (part of the template's key). */
  key: string;
  /** SQL run by psql as the superuser, [database, sql] in order, on a server that listens on a Unix socket only. */
  steps: [database: string, sql: string][];
  /** The database the superuser connects to afterwards (the steps may drop `postgres`). */
  maintenanceDatabase: string;
}

export interface PostgresCluster {
  host: string;
  port: number;
  superuser: string;
  password: string;
  dir: string;
  binDir: string;
  /** Where psql is (the server's binDir when it has one: the npm server packages do not). */
  clientBinDir: string;
  /** An empty directory owned by the cluster's OS user: HOME of its programs and of the restore's psql. */
  home: string;
  /** The OS user the server runs as. */
  osUser: string;
  /** How its data directory was made: a copy of the cached initdb template (cluster-template.ts), or initdb itself. */
  initializedFrom: 'template' | 'initdb';
  /** What `startSql` printed (empty without it). */
  startOutput: string;
  /** CA (the self-signed certificate itself) when TLS is on. */
  caFile?: string;
  url(options?: { user?: string; password?: string; database?: string; params?: Record<string, string> }): string;
  /** Runs SQL through psql as the superuser; returns stdout (unaligned, tuples only). Throws on error. */
  sql(sql: string, database?: string): Promise<string>;
  /** Server log so far. */
  log(): Promise<string>;
  /**
   * Stops the server and removes its directory. `immediate` skips the shutdown checkpoint: right for a
   * cluster whose data is deleted anyway (a throwaway restore), much faster after a large load.
   */
  stop(options?: { immediate?: boolean }): Promise<void>;
}

/** Finds the newest PostgreSQL bin directory (PG_BIN wins), or explains what to install. */
export function findPostgresBinDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PG_BIN && existsSync(join(env.PG_BIN, 'initdb'))) return env.PG_BIN;
  const base = '/usr/lib/postgresql';
  if (existsSync(base)) {
    const versions = readdirSync(base)
      .filter((v) => existsSync(join(base, v, 'bin', 'initdb')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions[0]) return join(base, versions[0], 'bin');
  }
  const which = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' });
  if (which.status === 0 && which.stdout.trim()) return join(which.stdout.trim(), '..');
  throw new EvaluationError(
    'tool',
    'no PostgreSQL server binaries found (initdb)',
    'install them: `apt-get install -y postgresql` (Debian/Ubuntu), or set PG_BIN to the directory holding initdb',
  );
}

export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

const isRoot = () => userInfo().uid === 0;

/** The command line that runs `file args` as the cluster's owner (runuser sets HOME to the user's own: `env` puts ours back). */
function ownerCommand(file: string, args: string[], home?: string): [string, string[]] {
  const command = home ? ['env', `HOME=${home}`, file, ...args] : [file, ...args];
  return isRoot() ? ['runuser', ['-u', sandboxUser().name, '--', ...command]] : [command[0]!, command.slice(1)];
}

/** What the server and its tools inherit: enough to run, none of this process's credentials or PG* redirections. */
function ownerEnv(home?: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
  for (const name of ['LANG', 'LC_ALL', 'TZ'] as const) if (process.env[name]) env[name] = process.env[name];
  if (home) env.HOME = home;
  return env;
}

/** Runs a PostgreSQL binary as the cluster's owner, HOME being the cluster's own empty directory. */
async function asOwner(binDir: string, tool: string, args: string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number; home?: string } = {}) {
  const [cmd, cmdArgs] = ownerCommand(join(binDir, tool), args, options.home);
  return run(cmd, cmdArgs, { env: { ...ownerEnv(options.home), ...options.env }, timeout: options.timeoutMs ?? 60_000, maxBuffer: 64 * 1024 * 1024 });
}

/** How often a server's start and stop are looked at: pg_ctl -w looks every 100 ms, and a fresh cluster is up in 30–60 ms. */
const SERVER_POLL_MS = 10;

/** A server this process started: its process (runuser's, when the owner is switched), to know when it has exited. */
interface ServerProcess {
  exited: Promise<void>;
  hasExited(): boolean;
}

function serverProcess(child: ChildProcess): ServerProcess {
  let done = false;
  const exited = new Promise<void>((resolve) => {
    const settle = () => {
      done = true;
      resolve();
    };
    child.once('exit', settle);
    child.once('error', settle);
  });
  return { exited, hasExited: () => done };
}

/** The server's status line in postmaster.pid (`starting`, `ready`, `stopping`), or undefined while there is none. */
async function postmasterStatus(dataDir: string): Promise<string | undefined> {
  return readFile(join(dataDir, 'postmaster.pid'), 'utf8').then(
    (text) => text.split('\n')[7]?.trim(),
    () => undefined,
  );
}

async function logTail(log: string): Promise<string> {
  const text = await readFile(log, 'utf8').catch(() => '');
  return text.trim().split('\n').slice(-5).join(' | ') || '(its log is empty)';
}

/**
 * Starts the server as `pg_ctl start -w` would (a session of its own, stdin from /dev/null, its output appended to LOG)
 * and waits until postmaster.pid says it is ready. Not through pg_ctl, which looks every 100 ms: a fresh cluster is ready
 * in 30–60 ms, so its second look was most of every cluster's start. Spawned by us, a server that exits at start (a
 * setting it refuses, a port taken) is seen at once, with the end of its log.
 */
async function startServer(binDir: string, dataDir: string, log: string, home: string, timeoutMs: number): Promise<ServerProcess> {
  if ((await postmasterStatus(dataDir)) !== undefined)
    throw new EvaluationError('internal', `${dataDir} already has a postmaster.pid`, 'another server may be running from it: stop it, or remove the directory');
  const [cmd, args] = ownerCommand(join(binDir, 'postgres'), ['-D', dataDir], home);
  const out = await open(log, 'a', 0o600);
  let server: ServerProcess;
  try {
    const child = spawn(cmd, args, { detached: true, stdio: ['ignore', out.fd, out.fd], env: ownerEnv(home) });
    server = serverProcess(child);
    child.unref();
  } finally {
    await out.close();
  }
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if ((await postmasterStatus(dataDir)) === 'ready') return server;
    if (server.hasExited())
      throw new EvaluationError(
        'tool',
        `the throwaway PostgreSQL server exited as it started: ${await logTail(log)}`,
        'see the PostgreSQL log above; run `restorecheck doctor`',
      );
    if (performance.now() > deadline) {
      await asOwner(binDir, 'pg_ctl', ['stop', '-D', dataDir, '-m', 'immediate'], { home }).catch(() => undefined);
      throw new EvaluationError(
        'timeout',
        `the throwaway PostgreSQL server was not ready after ${timeoutMs / 1000} s: ${await logTail(log)}`,
        'the machine may be overloaded: run it again',
      );
    }
    await Promise.race([server.exited, new Promise((r) => setTimeout(r, SERVER_POLL_MS))]);
  }
}

/**
 * Stops a server that startServer started: pg_ctl sends the signal (as the owner: no signal from root to a pid that
 * the sandbox user could have written into postmaster.pid) without waiting, and the server's own process says when it
 * is gone, where `pg_ctl stop -w` would look again only after 100 ms. Immediate, unless the server is kept on.
 */
async function stopServer(server: ServerProcess, binDir: string, dataDir: string, home: string, mode: 'fast' | 'immediate'): Promise<void> {
  if (server.hasExited()) return;
  await asOwner(binDir, 'pg_ctl', ['stop', '-D', dataDir, '-m', mode, '-W'], { home }).catch(() => undefined);
  // A timer that holds the event loop open while we wait: the server's process is unref'd (a kept cluster must not keep
  // this process from exiting), so its exit alone would let the process end before the directory is removed.
  let timer: NodeJS.Timeout | undefined;
  const waited = await Promise.race([server.exited.then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), 30_000)))]);
  clearTimeout(timer);
  if (!waited) await asOwner(binDir, 'pg_ctl', ['stop', '-D', dataDir, '-m', 'immediate', '-w', '-t', '30'], { home }).catch(() => undefined);
}

/** asOwner with INPUT on the tool's stdin (what must not be on its command line); resolves to its stdout. */
function asOwnerWithInput(binDir: string, tool: string, args: string[], input: string, options: { timeoutMs?: number; home?: string } = {}): Promise<string> {
  const [cmd, cmdArgs] = ownerCommand(join(binDir, tool), args, options.home);
  return new Promise((resolve, reject) => {
    const child = execFile(
      cmd,
      cmdArgs,
      { env: ownerEnv(options.home), timeout: options.timeoutMs ?? 60_000, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) reject(Object.assign(error, { stderr }));
        else resolve(stdout);
      },
    );
    // A tool that exits before reading everything (a failed login) closes the pipe: its exit status tells.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(input);
  });
}

/** The clusters this process runs: directory → the bin directory of its server (each stopped by its own pg_ctl). */
const live = new Map<string, string>();
let exitHookInstalled = false;

/** A test or demo that dies must not leave a server running: stop them synchronously on exit. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const [dir, binDir] of live) {
      const [cmd, args] = ownerCommand(join(binDir, 'pg_ctl'), ['stop', '-D', join(dir, 'data'), '-m', 'immediate'], join(dir, 'home'));
      spawnSync(cmd, args, { stdio: 'ignore', env: ownerEnv(join(dir, 'home')) });
      spawnSync('rm', ['-rf', dir], { stdio: 'ignore' });
    }
  });
}

/** initdb's arguments other than the data directory and the password file (cluster-template.ts keys on them). */
const INITDB_ARGS = ['-U', 'postgres', '--auth-local=trust', '--auth-host=scram-sha-256', '-E', 'UTF8', '--locale=C.UTF-8', '--no-sync'] as const;

/**
 * The cluster's data directory: a copy of the cached template for these binaries when there is one (as the cluster's
 * owner, so that every file is its own), else initdb, whose result becomes the template (before any server ran on
 * it). True when it came from the template: the superuser's password is then still the template's.
 */
async function initializeDataDir(binDir: string, dataDir: string, pwfile: string, home: string): Promise<boolean> {
  const key = await templateKey(binDir, INITDB_ARGS).catch(() => undefined);
  const template = key ? await cachedTemplate(key) : undefined;
  if (template && (await copyTemplate(template, dataDir, home))) return true;
  await asOwner(binDir, 'initdb', ['-D', dataDir, '--pwfile', pwfile, ...INITDB_ARGS], { home });
  if (key) await saveTemplate(key, dataDir);
  return false;
}

async function copyTemplate(template: string, dataDir: string, home: string): Promise<boolean> {
  try {
    const [cmd, args] = ownerCommand('cp', ['-R', template, dataDir], home);
    await run(cmd, args, { env: ownerEnv(home), timeout: 120_000 });
    // PostgreSQL refuses a data directory that others can read (the copy has the template's 0755). We may: we are
    // its owner, or root.
    await chmod(dataDir, 0o700);
    return true;
  } catch {
    await rm(dataDir, { recursive: true, force: true });
    return false;
  }
}

/**
 * The data directory of a prepared kind of cluster: a copy of its own template, else the plain one (copied or initdb)
 * prepared here and kept as that template. Prepared before anything untrusted ever ran on it, by a server on a Unix
 * socket in our own directory (no TCP), stopped cleanly before it is kept.
 */
async function initializePreparedDataDir(
  cluster: { binDir: string; clientBinDir: string; dataDir: string; pwfile: string; home: string; dir: string; port: number },
  prepared: PreparedTemplate,
): Promise<boolean> {
  const { binDir, clientBinDir, dataDir, pwfile, home, dir, port } = cluster;
  const key = await templateKey(binDir, [...INITDB_ARGS, `prepared:${prepared.key}`]).catch(() => undefined);
  const template = key ? await cachedTemplate(key) : undefined;
  if (template && (await copyTemplate(template, dataDir, home))) return true;
  const fromTemplate = await initializeDataDir(binDir, dataDir, pwfile, home);
  const autoConf = join(dataDir, 'postgresql.auto.conf');
  const initial = await readFile(autoConf, 'utf8').catch(() => '');
  await writeFile(autoConf, `listen_addresses = ''\nunix_socket_directories = '${dir}'\nport = ${port}\nfsync = off\n`);
  const user = sandboxUser();
  if (user.switched) await chown(autoConf, user.uid, user.gid);
  await asOwner(binDir, 'pg_ctl', ['start', '-D', dataDir, '-w', '-t', '60', '-l', join(dir, 'prepare.log')], { timeoutMs: 90_000, home });
  try {
    for (const [database, sql] of prepared.steps)
      await asOwner(clientBinDir, 'psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-h', dir, '-p', String(port), '-U', 'postgres', '-d', database, '-c', sql], {
        home,
      });
  } finally {
    await asOwner(binDir, 'pg_ctl', ['stop', '-D', dataDir, '-m', 'fast', '-w', '-t', '60'], { home }).catch(() =>
      asOwner(binDir, 'pg_ctl', ['stop', '-D', dataDir, '-m', 'immediate'], { home }).catch(() => undefined),
    );
  }
  // Kept as initdb wrote it: each cluster writes its own settings there.
  await writeFile(autoConf, initial);
  if (key) await saveTemplate(key, dataDir);
  return fromTemplate;
}

export async function startCluster(options: ClusterOptions = {}): Promise<PostgresCluster> {
  const binDir = options.server?.binDir ?? findPostgresBinDir();
  const clientBinDir = options.server?.clientBinDir ?? binDir;
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? (await freePort(host));
  const password = options.password ?? randomBytes(12).toString('hex');
  const user = sandboxUser();
  const dir = await mkdtemp(join(tmpdir(), CLUSTER_PREFIX));
  // Registered before anything else happens in it: a SIGKILL from here on leaves a directory that the
  // next run recognises as abandoned (owner gone) and removes.
  await writeFile(
    join(dir, OWNER_FILE),
    `${JSON.stringify({ pid: process.pid, startTime: processStartTime(process.pid), binDir, user: user.name, host: hostname() } satisfies ClusterOwner)}\n`,
  );
  installExitHook();
  live.set(dir, binDir);
  const dataDir = join(dir, 'data');
  const pwfile = join(dir, 'pwfile');
  const home = join(dir, 'home');
  await writeFile(pwfile, `${password}\n`, { mode: 0o600 });
  await mkdir(home, { mode: 0o700 });
  if (user.switched) {
    await chown(dir, user.uid, user.gid);
    await chown(pwfile, user.uid, user.gid);
    await chown(home, user.uid, user.gid);
    // The sandbox user must reach its directory through every parent: a TMPDIR only root can enter
    // (mode 0700) would otherwise surface as a raw "runuser … initdb … Permission denied".
    const reach = spawnSync('runuser', ['-u', user.name, '--', 'test', '-w', dir, '-a', '-x', dir], { stdio: 'ignore' });
    if (reach.status !== 0) {
      live.delete(dir);
      await rm(dir, { recursive: true, force: true });
      throw new EvaluationError(
        'config',
        `TMPDIR ${tmpdir()} cannot be entered by the "${user.name}" user that runs the throwaway PostgreSQL (restorecheck never runs it, or a restore, as root)`,
        `point TMPDIR at a directory that "${user.name}" can traverse (e.g. TMPDIR=/var/tmp), or allow it: chmod o+x ${tmpdir()} (and its parents)`,
      );
    }
  }

  const cleanupOnFailure = async (error: unknown): Promise<never> => {
    live.delete(dir);
    await asOwner(binDir, 'pg_ctl', ['stop', '-D', dataDir, '-m', 'immediate'], { home }).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
    throw error;
  };

  try {
    const fromTemplate = options.populate
      ? await options.populate(dataDir).then(() => false)
      : options.prepared
        ? await initializePreparedDataDir({ binDir, clientBinDir, dataDir, pwfile, home, dir, port }, options.prepared)
        : await initializeDataDir(binDir, dataDir, pwfile, home);
    // The SQL goes to psql on stdin, not as `-c SQL`: a command line is readable by every local user (/proc/PID/cmdline),
    // and this SQL sets the passwords of a server that listens on 127.0.0.1, the superuser's among them.
    // Without a psql beside the server (an npm package's server on a machine with no PostgreSQL client: the demo), the
    // same SQL goes over the Unix socket through node-postgres.
    const withPsql = existsSync(join(clientBinDir, 'psql'));
    const superuserSql = (sql: string, database = options.prepared?.maintenanceDatabase ?? 'postgres'): Promise<string> =>
      withPsql
        ? asOwnerWithInput(
            clientBinDir,
            'psql',
            ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-h', dir, '-p', String(port), '-U', 'postgres', '-d', database],
            `${sql};\n`,
            { home },
          )
        : socketSql(dir, port, database, sql);
    const settings: Record<string, string> = {
      listen_addresses: host,
      port: String(port),
      unix_socket_directories: dir,
      fsync: 'off',
      synchronous_commit: 'off',
      full_page_writes: 'off',
      max_connections: '50',
      shared_buffers: '32MB',
      ...options.settings,
    };
    let caFile: string | undefined;
    if (options.tls) {
      caFile = join(dir, 'server.crt');
      const keyFile = join(dir, 'server.key');
      await run(
        'openssl',
        [
          'req',
          '-new',
          '-x509',
          '-days',
          '2',
          '-nodes',
          '-subj',
          '/CN=localhost',
          '-addext',
          `subjectAltName=DNS:localhost,IP:${host}`,
          '-keyout',
          keyFile,
          '-out',
          caFile,
        ],
        { timeout: 30_000 },
      );
      await chmod(keyFile, 0o600);
      if (user.switched) {
        await chown(keyFile, user.uid, -1);
        await chown(caFile, user.uid, -1);
      }
      Object.assign(settings, { ssl: 'on', ssl_cert_file: caFile, ssl_key_file: keyFile });
    }
    const conf = Object.entries(settings)
      .map(([k, v]) => `${k} = '${v.replace(/'/g, "''")}'`)
      .join('\n');
    await writeFile(join(dataDir, 'postgresql.auto.conf'), `${conf}\n`);
    if (user.switched) await chown(join(dataDir, 'postgresql.auto.conf'), user.uid, user.gid);
    const server = await startServer(binDir, dataDir, join(dir, 'server.log'), home, 60_000);
    // The template's superuser password was a random one, thrown away: this cluster's own, for TCP connections
    // (the socket, which sql() uses, trusts the local superuser).
    const first = [fromTemplate ? `ALTER ROLE postgres PASSWORD '${password.replace(/'/g, "''")}'` : undefined, options.startSql].filter(Boolean).join('; ');
    const startOutput = first ? await superuserSql(first) : '';

    const cluster: PostgresCluster = {
      host,
      port,
      superuser: 'postgres',
      password,
      dir,
      binDir,
      clientBinDir,
      home,
      osUser: user.name,
      initializedFrom: fromTemplate ? 'template' : 'initdb',
      startOutput,
      ...(caFile ? { caFile } : {}),
      url: ({ user = 'postgres', password: pw = password, database = options.prepared?.maintenanceDatabase ?? 'postgres', params = {} } = {}) => {
        const query = new URLSearchParams(params).toString();
        return `postgres://${encodeURIComponent(user)}:${encodeURIComponent(pw)}@${host.includes(':') ? `[${host}]` : host}:${port}/${encodeURIComponent(database)}${query ? `?${query}` : ''}`;
      },
      sql: superuserSql,
      log: async () => (await run('cat', [join(dir, 'server.log')])).stdout,
      stop: async ({ immediate = false } = {}) => {
        if (!live.has(dir)) return;
        live.delete(dir);
        await stopServer(server, binDir, dataDir, home, immediate ? 'immediate' : 'fast');
        await rm(dir, { recursive: true, force: true });
      },
    };
    return cluster;
  } catch (error) {
    return cleanupOnFailure(error);
  }
}

/**
 * SQL as the superuser over the cluster's Unix socket (trusted for local connections) with node-postgres, printed as
 * `psql -A -t` prints it: each row's values as text joined by `|`, a line per row, NULL as nothing. Several statements
 * run as one simple query, as psql runs a script, and the first error stops them (ON_ERROR_STOP).
 */
async function socketSql(socketDir: string, port: number, database: string, sql: string): Promise<string> {
  const client = new pg.Client({
    host: socketDir,
    port,
    user: 'postgres',
    database,
    connectionTimeoutMillis: 30_000,
    query_timeout: 300_000,
    // The server's own text for every type, as psql shows it (no Date, number or boolean conversions).
    types: { getTypeParser: () => (value: string) => value },
  });
  await client.connect();
  try {
    const results: pg.QueryResult | pg.QueryResult[] = await client.query({ text: sql, rowMode: 'array' });
    return (Array.isArray(results) ? results : [results])
      .flatMap((r) => (r.rows as unknown[][]).map((row) => `${row.map((v) => (v === null ? '' : String(v))).join('|')}\n`))
      .join('');
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Every throwaway cluster's directory in TMPDIR starts with this. */
export const CLUSTER_PREFIX = 'restorecheck-pg-';
const OWNER_FILE = 'owner.json';

interface ClusterOwner {
  pid: number;
  /** /proc start time of the owner (clock ticks since boot), so that a reused pid is not taken for it; null off Linux. */
  startTime: number | null;
  binDir: string;
  user: string;
  /** A process on another host (a container sharing /tmp) cannot be seen from here: never judged dead. */
  host: string;
}

export interface AbandonedCluster {
  dir: string;
  ownerPid: number;
  /** The postmaster that was still running from it, if any. */
  postmasterPid: number | null;
  /** The pg_ctl that stopped it: its own server's (owner.json), when that is one restorecheck itself would run. */
  pgCtl?: string;
  removed: boolean;
  problem?: string;
}

/**
 * Stops (immediately: the data is thrown away) and removes every throwaway cluster in `dir`
 * (default TMPDIR) whose owning process is gone. A cluster whose owner is alive is someone's
 * running restore or test: never touched. A directory without owner.json is not known to be ours.
 */
export async function sweepAbandonedClusters(dir = tmpdir()): Promise<AbandonedCluster[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.startsWith(CLUSTER_PREFIX));
  } catch {
    return [];
  }
  const swept: AbandonedCluster[] = [];
  for (const name of names) {
    const clusterDir = join(dir, name);
    let owner: ClusterOwner;
    try {
      // TMPDIR is often world-writable: only a real directory made by us (or owned by the sandbox user
      // we hand it to), writable by nobody else, is ours to judge. Anything else is left alone.
      const info = await lstat(clusterDir);
      if (!info.isDirectory() || ![userInfo().uid, sandboxUser().uid].includes(info.uid) || (info.mode & 0o022) !== 0) continue;
      owner = JSON.parse(await readFile(join(clusterDir, OWNER_FILE), 'utf8')) as ClusterOwner;
      if (!Number.isInteger(owner.pid) || (owner.host !== undefined && owner.host !== hostname())) continue;
    } catch {
      continue;
    }
    if (ownerAlive(owner) || live.has(clusterDir)) continue;
    const dataDir = join(clusterDir, 'data');
    const postmasterPid = await readFile(join(dataDir, 'postmaster.pid'), 'utf8').then(
      (t) => Number(t.split('\n')[0]) || null,
      () => null,
    );
    const entry: AbandonedCluster = { dir: clusterDir, ownerPid: owner.pid, postmasterPid, removed: false };
    if (postmasterPid !== null) {
      // Its own server's pg_ctl (a 17 cluster from the npm package is best stopped by 17's), but only when owner.json
      // names a bin directory we would run anyway: a file in TMPDIR must not choose what we run. Else the machine's.
      const binDir = typeof owner.binDir === 'string' && isKnownServerBinDir(owner.binDir) ? owner.binDir : machineBinDirOrNone();
      if (binDir) {
        entry.pgCtl = join(binDir, 'pg_ctl');
        await asOwner(binDir, 'pg_ctl', ['stop', '-D', dataDir, '-m', 'immediate', '-w', '-t', '30'], { home: join(clusterDir, 'home') }).catch(
          () => undefined,
        );
      }
      // pg_ctl returns once postmaster.pid is gone, a moment before the process is; and it may refuse
      // (a damaged directory). Either way the postmaster must not outlive its data.
      for (let i = 0; i < 100 && isPostmaster(postmasterPid, dataDir); i++) await new Promise((r) => setTimeout(r, 100));
      if (isPostmaster(postmasterPid, dataDir)) {
        try {
          process.kill(postmasterPid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
    await rm(clusterDir, { recursive: true, force: true }).catch((error: unknown) => {
      entry.problem = (error as Error).message;
    });
    entry.removed = !existsSync(clusterDir);
    swept.push(entry);
  }
  return swept;
}

/** The machine's server binaries, or none (then the postmaster is killed by its pid alone). */
function machineBinDirOrNone(): string | undefined {
  try {
    return findPostgresBinDir();
  } catch {
    return undefined;
  }
}

/** True when PID is a postgres process running from DATADIR (not an unrelated process that reused the pid, nor a zombie: its cmdline is empty). */
function isPostmaster(pid: number, dataDir: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(dataDir);
  } catch {
    return false;
  }
}
