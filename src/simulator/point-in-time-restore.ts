/**
 * Real point-in-time restores behind the Resource Manager simulator (its `hooks`): restoring a
 * server whose scenario names its real PostgreSQL (`restore.databaseUrl`, or the `databases`
 * option) starts a NEW cluster on another loopback address (127.0.0.2, then .3, …) and the SAME
 * port, with the source superuser's password, copies the whole source server into it
 * (`pg_dumpall | psql`: every database and role, as a restored Flexible Server has them), and
 * reports that address as the new server's fullyQualifiedDomainName. So a client connects to the
 * restore exactly as to Azure's: the source's URL with the host replaced.
 *
 * The scenario sets how long a restore takes at least (`restore.durationSeconds`) and whether it
 * fails (`restore.outcome: Failed`). Deleting the server (or stopping the simulator) stops the
 * copy in progress, stops its cluster and removes its directory.
 *
 * What it cannot do: go back in time. The copy is of the source as it is now, whatever the
 * requested point in time (which the simulator still validates against the restore window).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ArmOperationError } from './long-running-operations.js';
import { startCluster, type PostgresCluster } from './postgres-cluster.js';
import type { PointInTimeRestoreRequest, RestoredServerUpdate, SimulatedServer, SimulatorHooks } from './resource-manager.js';

export interface RealRestoreOptions {
  /** Source server name (case-insensitive) → superuser URL of its real PostgreSQL; wins over the scenario's `restore.databaseUrl`. */
  databases?: Record<string, string>;
  /** Where `${VAR}` in a scenario's databaseUrl is looked up; default process.env. */
  env?: NodeJS.ProcessEnv;
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
    copy.cluster = await startCluster({ host, port, password: decodeURIComponent(url.password) });
    started.push({ server: copy.server, host, port, dir: copy.cluster.dir });
    if (signal.aborted) throw signal.reason;
    await copyServer(url, copy.cluster, signal);
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
