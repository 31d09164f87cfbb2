/**
 * Real point-in-time restores behind the Resource Manager simulator (its `hooks`): restoring a
 * server whose scenario names its real PostgreSQL (`restore.databaseUrl`, or the `databases`
 * option) starts a NEW cluster on another loopback address (127.0.0.2, then .3, …) and the SAME
 * port, with the source superuser's password, copies the whole source server into it
 * (`pg_dumpall | psql`: every database and role, as a restored Flexible Server has them), and
 * reports that address as the new server's fullyQualifiedDomainName. So a client connects to the
 * restore exactly as to Azure's: the source's URL with the host replaced. A source whose cluster is ours (`clusters`:
 * the demo's) is copied by its files instead, as Azure restores a server from its backup and WAL: pg_backup_start, its
 * data directory, pg_backup_stop, its WAL and the backup label, then the copy starts and replays to consistency. That
 * needs no client binaries (the demo on an npm server package, which has neither pg_dumpall nor psql).
 *
 * The scenario sets how long a restore takes at least (`restore.durationSeconds`) and whether it
 * fails (`restore.outcome: Failed`). Deleting the server (or stopping the simulator) stops the
 * copy in progress, stops its cluster and removes its directory.
 *
 * What it cannot do: go back in time. The copy is of the source as it is now, whatever the
 * requested point in time (which the simulator still validates against the restore window).
 */
import { execFile, spawn } from 'node:child_process';
import { chown, copyFile, mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import pg from 'pg';
import { ArmOperationError } from './long-running-operations.js';
import { startCluster, type PostgresCluster } from './postgres-cluster.js';
import type { PointInTimeRestoreRequest, RestoredServerUpdate, SimulatedServer, SimulatorHooks } from './resource-manager.js';

export interface RealRestoreOptions {
  /** Source server name (case-insensitive) → superuser URL of its real PostgreSQL; wins over the scenario's `restore.databaseUrl`. */
  databases?: Record<string, string>;
  /** Where `${VAR}` in a scenario's databaseUrl is looked up; default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Source server name (case-insensitive) → its cluster, when it is ours: copied by its files, with its own binaries. */
  clusters?: Record<string, PostgresCluster>;
}

/** A restored copy's cluster, for tests that prove nothing is left behind. */
export interface RestoredCluster {
  server: string;
  host: string;
  port: number;
  dir: string;
}

export interface RealRestoreHooks extends SimulatorHooks {
  pointInTimeRestore(request: PointInTimeRestoreRequest): Promise<RestoredServerUpdate | undefined>;
  deleteServer(server: SimulatedServer): Promise<void>;
  fullyQualifiedDomainName(server: SimulatedServer): string | undefined;
  stop(): Promise<void>;
  /** The copies' clusters running now. */
  running(): RestoredCluster[];
  /** Every cluster these hooks ever started (stopped or not). */
  started(): RestoredCluster[];
}

interface Copy {
  controller: AbortController;
  /** Settles (never rejects) when the restore work has ended. */
  done: Promise<void>;
  cluster?: PostgresCluster;
  address?: string;
  server: string;
}

const keyOf = (s: { resourceGroup: string; name: string }) => `${s.resourceGroup}/${s.name}`.toLowerCase();

/** Runs `pg_dumpall` against the source and feeds its output to `psql` on the copy. */
async function copyServer(source: URL, copy: PostgresCluster, signal: AbortSignal): Promise<void> {
  const sourceEnv = { ...process.env, PGPASSWORD: decodeURIComponent(source.password), PGCONNECT_TIMEOUT: '10' };
  const dump = spawn(
    join(copy.binDir, 'pg_dumpall'),
    [
      '--no-password',
      '-h',
      decodeURIComponent(source.hostname),
      '-p',
      source.port || '5432',
      '-U',
      decodeURIComponent(source.username) || 'postgres',
      '-l',
      decodeURIComponent(source.pathname.slice(1)) || 'postgres',
    ],
    { env: sourceEnv, stdio: ['ignore', 'pipe', 'pipe'], signal },
  );
  // Errors such as `role "postgres" already exists` are expected (the copy has its own superuser): only psql's exit status counts.
  const load = spawn(join(copy.binDir, 'psql'), ['-X', '-q', '--no-password', '-h', copy.host, '-p', String(copy.port), '-U', 'postgres', '-d', 'postgres'], {
    env: { ...process.env, PGPASSWORD: copy.password },
    stdio: ['pipe', 'ignore', 'ignore'],
    signal,
  });
  dump.stdout.pipe(load.stdin);
  load.stdin.on('error', () => undefined);
  let dumpErrors = '';
  dump.stderr.setEncoding('utf8').on('data', (d: string) => (dumpErrors = (dumpErrors + d).slice(-2000)));
  const exit = (child: ReturnType<typeof spawn>) =>
    new Promise<number | null>((resolve) => {
      child.on('error', () => resolve(null));
      child.on('close', (code) => resolve(code));
    });
  const [dumped, loaded] = await Promise.all([exit(dump), exit(load)]);
  if (signal.aborted) throw signal.reason;
  if (dumped !== 0)
    throw new ArmOperationError('RestoreFailed', `The copy of the source server failed (pg_dumpall: ${dumpErrors.trim().split('\n')[0] ?? `exit ${dumped}`}).`);
  if (loaded !== 0) throw new ArmOperationError('RestoreFailed', `The copy of the source server failed (psql exit ${loaded}).`);
}

/** Left out of a copy of a running data directory (PostgreSQL's own list for base backups): rebuilt by the server. */
const NOT_COPIED = new Set(['postmaster.pid', 'postmaster.opts', 'pg_wal']);
const COPIED_EMPTY = new Set(['pg_dynshmem', 'pg_notify', 'pg_replslot', 'pg_serial', 'pg_snapshots', 'pg_stat_tmp', 'pg_subtrans']);

/** Copies a directory tree of regular files; a file the running server removed meanwhile is skipped (ENOENT). */
async function copyTree(from: string, to: string, skip: (name: string, depth: number) => 'skip' | 'empty' | 'copy', depth = 0): Promise<void> {
  await mkdir(to, { mode: 0o700 });
  let names: string[];
  try {
    names = await readdir(from);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  for (const name of names) {
    const what = skip(name, depth);
    if (what === 'skip' || name.startsWith('pgsql_tmp')) continue;
    const source = join(from, name);
    let info: Awaited<ReturnType<typeof stat>>;
    try {
      info = await stat(source);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw error;
    }
    if (info.isDirectory()) {
      if (what === 'empty') await mkdir(join(to, name), { mode: 0o700 });
      else await copyTree(source, join(to, name), skip, depth + 1);
    } else if (info.isFile()) {
      await copyFile(source, join(to, name)).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') throw error;
      });
    }
  }
}

/**
 * A physical copy of a running cluster into `dataDir` (which does not exist yet), owned like the source's files:
 * the files between pg_backup_start and pg_backup_stop, then the WAL written meanwhile (held by a temporary slot) and
 * the backup label, so that the copy replays to a consistent state when it starts (full-page writes are forced during
 * a backup).
 */
export async function copyClusterFiles(
  source: PostgresCluster,
  dataDir: string,
  signal: AbortSignal,
  /** For tests: runs once the files are copied, before pg_backup_stop (what the source does meanwhile). */
  whileCopying?: () => Promise<void>,
): Promise<void> {
  const sourceData = join(source.dir, 'data');
  const client = new pg.Client({ connectionString: source.url(), connectionTimeoutMillis: 10_000, query_timeout: 120_000 });
  await client.connect();
  try {
    const version = Number((await client.query<{ server_version_num: string }>('SHOW server_version_num')).rows[0]?.server_version_num);
    // PostgreSQL 15 renamed them (and dropped the exclusive mode).
    const [start, stop] =
      version >= 150000
        ? ["SELECT pg_backup_start('restorecheck simulator', true)", 'SELECT labelfile FROM pg_backup_stop(false)']
        : ["SELECT pg_start_backup('restorecheck simulator', true, false)", 'SELECT labelfile FROM pg_stop_backup(false, false)'];
    // A running backup does not keep the WAL it needs: a checkpoint may recycle the segment of its start before we copy
    // pg_wal (seen with a small max_wal_size). A temporary slot, reserving WAL from now, keeps it until this session ends.
    await client.query("SELECT pg_create_physical_replication_slot('restorecheck_simulator_copy_' || pg_backend_pid(), true, true)");
    await client.query(start);
    let label: string | undefined;
    try {
      await copyTree(sourceData, dataDir, (name, depth) => (depth > 0 ? 'copy' : NOT_COPIED.has(name) ? 'skip' : COPIED_EMPTY.has(name) ? 'empty' : 'copy'));
      await whileCopying?.();
    } finally {
      label = (await client.query<{ labelfile: string }>(stop)).rows[0]?.labelfile;
    }
    if (signal.aborted) throw signal.reason;
    if (!label) throw new ArmOperationError('RestoreFailed', 'The copy of the source server failed (pg_backup_stop returned no backup label).');
    await copyTree(join(sourceData, 'pg_wal'), join(dataDir, 'pg_wal'), (name) => (name === 'archive_status' ? 'empty' : 'copy'));
    await writeFile(join(dataDir, 'backup_label'), label, { mode: 0o600 });
    // The server runs as the cluster's OS user (never root): everything copied is given to the owner of the source's files.
    const owner = await stat(sourceData);
    await promisify(execFile)('chown', ['-R', `${owner.uid}:${owner.gid}`, dataDir], { signal, timeout: 60_000 });
    await chown(dataDir, owner.uid, owner.gid);
  } finally {
    await client.end().catch(() => undefined);
  }
}

export function realPointInTimeRestores(options: RealRestoreOptions = {}): RealRestoreHooks {
  const copies = new Map<string, Copy>();
  const started: RestoredCluster[] = [];
  const addressesInUse = new Set<string>();
  const env = options.env ?? process.env;

  /** The first loopback address from 127.0.0.2 whose `port` no copy of ours holds (127.0.0.0/8 is all loopback on Linux). */
  function nextHost(port: number): string {
    for (let i = 2; i < 255; i++) {
      const host = `127.0.0.${i}`;
      if (!addressesInUse.has(`${host}:${port}`)) return host;
    }
    throw new ArmOperationError('RestoreFailed', 'No loopback address left for another restored copy.');
  }

  function databaseUrl(source: SimulatedServer): URL | undefined {
    const raw = options.databases?.[source.name.toLowerCase()] ?? source.restore?.databaseUrl;
    if (!raw) return undefined;
    const expanded = raw.replace(/\$\{(\w+)\}/g, (_, name: string) => {
      const value = env[name];
      if (value === undefined)
        throw new ArmOperationError('RestoreFailed', `The scenario's restore.databaseUrl names \${${name}}, which is not set in the simulator's environment.`);
      return value;
    });
    return new URL(expanded);
  }

  async function release(copy: Copy): Promise<void> {
    const cluster = copy.cluster;
    copy.cluster = undefined;
    await cluster?.stop();
    if (copy.address) addressesInUse.delete(copy.address);
  }

  async function restore(request: PointInTimeRestoreRequest, copy: Copy): Promise<RestoredServerUpdate | undefined> {
    const { source } = request;
    const signal = copy.controller.signal;
    const begun = performance.now();
    const durationMs = source.restore ? source.restore.durationSeconds * 1000 : request.durationMs;
    const rest = () => sleep(Math.max(0, durationMs - (performance.now() - begun)), undefined, { signal });
    if (source.restore?.outcome === 'Failed') {
      await rest();
      const message = source.restore.failureMessage ?? `The point-in-time restore of server '${source.name}' failed (simulated by the scenario).`;
      throw new ArmOperationError(source.restore.failureCode ?? 'RestoreFailed', message);
    }
    const url = databaseUrl(source);
    if (!url) return rest();
    const port = Number(url.port || 5432);
    const host = nextHost(port);
    copy.address = `${host}:${port}`;
    addressesInUse.add(copy.address);
    const ours = Object.entries(options.clusters ?? {}).find(([name]) => name.toLowerCase() === source.name.toLowerCase())?.[1];
    const password = decodeURIComponent(url.password);
    // Ours is copied by its files as the cluster starts, with its own binaries (a physical copy runs only on its major);
    // its roles and passwords come with them. Any other source is dumped into the new cluster once it runs.
    copy.cluster = await startCluster(
      ours
        ? {
            host,
            port,
            password,
            server: { binDir: ours.binDir, clientBinDir: ours.clientBinDir },
            populate: (dataDir) => copyClusterFiles(ours, dataDir, signal),
          }
        : { host, port, password },
    );
    started.push({ server: copy.server, host, port, dir: copy.cluster.dir });
    if (signal.aborted) throw signal.reason;
    if (!ours) await copyServer(url, copy.cluster, signal);
    await rest();
    return { fullyQualifiedDomainName: host };
  }

  return {
    async pointInTimeRestore(request) {
      const copy: Copy = { controller: new AbortController(), done: Promise.resolve(), server: request.target.name };
      copies.set(keyOf(request.target), copy);
      const work = restore(request, copy);
      copy.done = work.then(
        () => undefined,
        () => undefined,
      );
      try {
        return await work;
      } catch (error) {
        await release(copy);
        if (copy.controller.signal.aborted)
          throw new ArmOperationError('Canceled', 'The restore was canceled: the server was deleted while it was being restored.');
        throw error;
      }
    },

    async deleteServer(server) {
      const copy = copies.get(keyOf(server));
      if (!copy) return;
      copies.delete(keyOf(server));
      copy.controller.abort(new Error('the server is being deleted'));
      await copy.done;
      await release(copy);
    },

    async stop() {
      const all = [...copies.values()];
      copies.clear();
      for (const copy of all) copy.controller.abort(new Error('the simulator is stopping'));
      await Promise.all(
        all.map(async (copy) => {
          await copy.done;
          await release(copy);
        }),
      );
    },

    fullyQualifiedDomainName(server) {
      // A source answers where its real PostgreSQL listens (a client probes it before restoring); a copy says where it is itself.
      try {
        return databaseUrl(server)?.hostname || undefined;
      } catch {
        return undefined;
      }
    },

    running: () =>
      [...copies.values()].flatMap((c) => (c.cluster ? [{ server: c.server, host: c.cluster.host, port: c.cluster.port, dir: c.cluster.dir }] : [])),
    started: () => [...started],
  };
}
