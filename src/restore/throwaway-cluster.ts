/**
 * A throwaway PostgreSQL cluster from the machine's PostgreSQL binaries: a temp directory, a free
 * port (or a given address and port), password authentication over TCP, optional TLS with a
 * self-signed certificate. Used by the tests, `restorecheck demo`, and the Resource Manager
 * simulator's point-in-time restores.
 *
 * `initdb` refuses to run as root, so when we are root the cluster belongs to the `postgres`
 * system user and every server binary runs through `runuser -u postgres`.
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { chmod, chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { EvaluationError } from '../errors.js';

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
}

export interface PostgresCluster {
  host: string;
  port: number;
  superuser: string;
  password: string;
  dir: string;
  binDir: string;
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
  throw new EvaluationError('tool', 'no PostgreSQL server binaries found (initdb)', 'install them: `apt-get install -y postgresql` (Debian/Ubuntu), or set PG_BIN to the directory holding initdb');
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

/** Runs a PostgreSQL binary as the cluster's owner. */
async function asOwner(binDir: string, tool: string, args: string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}) {
  const file = join(binDir, tool);
  const [cmd, cmdArgs] = isRoot() ? ['runuser', ['-u', 'postgres', '--', file, ...args]] : [file, args];
  return run(cmd, cmdArgs as string[], { env: { ...process.env, ...options.env }, timeout: options.timeoutMs ?? 60_000, maxBuffer: 64 * 1024 * 1024 });
}

const live = new Set<string>();
let exitHookInstalled = false;

/** A test or demo that dies must not leave a server running: stop them synchronously on exit. */
function installExitHook(binDir: string): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const dir of live) {
      const file = join(binDir, 'pg_ctl');
      const args = ['stop', '-D', join(dir, 'data'), '-m', 'immediate'];
      if (isRoot()) spawnSync('runuser', ['-u', 'postgres', '--', file, ...args], { stdio: 'ignore' });
      else spawnSync(file, args, { stdio: 'ignore' });
      spawnSync('rm', ['-rf', dir], { stdio: 'ignore' });
    }
  });
}

export async function startCluster(options: ClusterOptions = {}): Promise<PostgresCluster> {
  const binDir = findPostgresBinDir();
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? (await freePort(host));
  const password = options.password ?? randomBytes(12).toString('hex');
  const dir = await mkdtemp(join(tmpdir(), 'restorecheck-pg-'));
  const dataDir = join(dir, 'data');
  const pwfile = join(dir, 'pwfile');
  await writeFile(pwfile, `${password}\n`, { mode: 0o600 });
  if (isRoot()) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    await chown(dir, uid, gid);
    await chown(pwfile, uid, gid);
  }
  installExitHook(binDir);
  live.add(dir);

  const cleanupOnFailure = async (error: unknown): Promise<never> => {
    live.delete(dir);
    await asOwner(binDir, 'pg_ctl', ['stop', '-D', dataDir, '-m', 'immediate']).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
    throw error;
  };

  try {
    await asOwner(binDir, 'initdb', ['-D', dataDir, '-U', 'postgres', '--pwfile', pwfile, '--auth-local=trust', '--auth-host=scram-sha-256', '-E', 'UTF8', '--locale=C.UTF-8', '--no-sync']);
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
      await run('openssl', ['req', '-new', '-x509', '-days', '2', '-nodes', '-subj', '/CN=localhost', '-addext', `subjectAltName=DNS:localhost,IP:${host}`, '-keyout', keyFile, '-out', caFile], { timeout: 30_000 });
      await chmod(keyFile, 0o600);
      if (isRoot()) {
        const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
        await chown(keyFile, uid, -1);
        await chown(caFile, uid, -1);
      }
      Object.assign(settings, { ssl: 'on', ssl_cert_file: caFile, ssl_key_file: keyFile });
    }
    const conf = Object.entries(settings).map(([k, v]) => `${k} = '${v.replace(/'/g, "''")}'`).join('\n');
    await writeFile(join(dataDir, 'postgresql.auto.conf'), `${conf}\n`);
    if (isRoot()) await run('chown', ['postgres:postgres', join(dataDir, 'postgresql.auto.conf')]);
    await asOwner(binDir, 'pg_ctl', ['start', '-D', dataDir, '-w', '-t', '60', '-l', join(dir, 'server.log')], { timeoutMs: 90_000 });

    const cluster: PostgresCluster = {
      host,
      port,
      superuser: 'postgres',
      password,
      dir,
      binDir,
      ...(caFile ? { caFile } : {}),
      url: ({ user = 'postgres', password: pw = password, database = 'postgres', params = {} } = {}) => {
        const query = new URLSearchParams(params).toString();
        return `postgres://${encodeURIComponent(user)}:${encodeURIComponent(pw)}@${host.includes(':') ? `[${host}]` : host}:${port}/${encodeURIComponent(database)}${query ? `?${query}` : ''}`;
      },
      sql: async (sql, database = 'postgres') => {
        const { stdout } = await asOwner(binDir, 'psql', ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-h', dir, '-p', String(port), '-U', 'postgres', '-d', database, '-c', sql]);
        return stdout;
      },
      log: async () => (await run('cat', [join(dir, 'server.log')])).stdout,
      stop: async ({ immediate = false } = {}) => {
        if (!live.has(dir)) return;
        live.delete(dir);
        await asOwner(binDir, 'pg_ctl', ['stop', '-D', dataDir, '-m', immediate ? 'immediate' : 'fast', '-w', '-t', '30']).catch(() =>
          asOwner(binDir, 'pg_ctl', ['stop', '-D', dataDir, '-m', 'immediate']).catch(() => undefined),
        );
        await rm(dir, { recursive: true, force: true });
      },
    };
    return cluster;
  } catch (error) {
    return cleanupOnFailure(error);
  }
}
