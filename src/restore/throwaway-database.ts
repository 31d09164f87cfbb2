/**
 * Where an archive's PostgreSQL dump is restored: a new cluster in a temp directory, a scratch
 * database in it, and a role that owns that database and nothing else (no superuser, no CREATEROLE,
 * no CREATEDB). Everything is removed by `drop()`, which is safe to call twice.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { type PostgresCluster, type PreparedTemplate, startCluster } from './throwaway-cluster.js';
import type { PsqlTarget } from './sql-restore.js';
import type { PostgresServer } from './postgres-binaries.js';

export interface ThrowawayDatabase {
  /** Credentials of the restricted restore role. */
  target: PsqlTarget;
  /** postgres:// URL of the scratch database as the restore role. */
  url: string;
  serverVersion: string;
  /** Printable, without credentials. */
  description: string;
  /** Roles present in the cluster (to prove a dump created none). */
  roles(): Promise<string[]>;
  drop(): Promise<{ removed: string[] }>;
  /** True while anything of it is left (the cluster's directory). */
  exists(): boolean;
}

export const RESTORE_ROLE = 'restorecheck_restore';
/** The scratch database as the template holds it; each cluster renames it to its run's name. */
const TEMPLATE_DATABASE = 'restorecheck_scratch';

/**
 * What every restore cluster starts with (throwaway-cluster.ts keeps it in a template of its own): the scratch database,
 * owned by a role with no other privilege (no superuser, no CREATEROLE, no CREATEDB, and no password until its cluster
 * sets one), and its public schema (the dump recreates its own objects there; PostgreSQL 15 no longer lets every role
 * create in it). Nothing else: `postgres` and `template0` are dropped (a restore creates no database), so that a cluster
 * copies two databases' files instead of three and creates none.
 */
const RESTORE_STEPS: [string, string][] = [
  ['postgres', `CREATE DATABASE ${TEMPLATE_DATABASE}`],
  ['postgres', `CREATE ROLE ${RESTORE_ROLE} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION`],
  ['postgres', `ALTER DATABASE ${TEMPLATE_DATABASE} OWNER TO ${RESTORE_ROLE}`],
  [TEMPLATE_DATABASE, `ALTER SCHEMA public OWNER TO ${RESTORE_ROLE}`],
  ['template1', 'DROP DATABASE postgres'],
  ['template1', "UPDATE pg_database SET datistemplate = false WHERE datname = 'template0'"],
  ['template1', 'DROP DATABASE template0'],
];
const RESTORE_TEMPLATE: PreparedTemplate = {
  key: `restore:${createHash('sha256').update(JSON.stringify(RESTORE_STEPS)).digest('hex').slice(0, 16)}`,
  steps: RESTORE_STEPS,
  maintenanceDatabase: 'template1',
};

/** `restorecheck_scratch_<run id>`, restricted to what an unquoted identifier allows. */
export function scratchDatabaseName(runId: string): string {
  return `restorecheck_scratch_${runId
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '')
    .slice(0, 32)}`;
}

export async function createThrowawayDatabase(runId: string, options: { server?: PostgresServer } = {}): Promise<ThrowawayDatabase> {
  // Tuned for one bulk load into data that is thrown away: no WAL beyond what crash recovery of this
  // very cluster needs (and none for the data of tables created in the restore's one transaction, when it loads in one), rare
  // checkpoints, memory for index builds, no autovacuum racing the load.
  const cluster: PostgresCluster = await startCluster({
    ...(options.server ? { server: options.server } : {}),
    prepared: RESTORE_TEMPLATE,
    settings: {
      wal_level: 'minimal',
      max_wal_senders: '0',
      max_wal_size: '4GB',
      checkpoint_timeout: '1h',
      maintenance_work_mem: '256MB',
      autovacuum: 'off',
      // On one or two CPUs the whole dump loads in one transaction (sql-restore.ts), which holds a lock on every table, index and sequence
      // it creates until it commits: room for a schema of tens of thousands of them (the lock table is shared, about
      // 20 MB at this size), where the default (64 per connection) fails a large schema with "out of shared memory".
      max_locks_per_transaction: '1024',
    },
  });
  const database = scratchDatabaseName(runId);
  const password = randomBytes(18).toString('base64url');
  try {
    // One psql call (a runuser and a connection, on the restore's critical path): the template's database gets this
    // run's name, and the restore role a password of this cluster's own.
    const serverVersion = (
      await cluster.sql(`ALTER DATABASE ${TEMPLATE_DATABASE} RENAME TO ${database}; ALTER ROLE ${RESTORE_ROLE} PASSWORD '${password}'; SHOW server_version`)
    ).trim();
    let dropped = false;
    return {
      target: {
        binDir: cluster.clientBinDir,
        host: cluster.host,
        port: cluster.port,
        user: RESTORE_ROLE,
        password,
        database,
        home: cluster.home,
        dataDir: cluster.dir,
      },
      url: cluster.url({ user: RESTORE_ROLE, password, database, params: { sslmode: 'disable' } }),
      serverVersion,
      description: `throwaway PostgreSQL ${serverVersion.split(' ')[0]} cluster at ${cluster.host}:${cluster.port}, database ${database}`,
      roles: async () => (await cluster.sql('SELECT rolname FROM pg_roles ORDER BY 1')).split('\n').filter(Boolean),
      drop: async () => {
        if (dropped) return { removed: [] };
        dropped = true;
        await cluster.stop({ immediate: true });
        return { removed: [`database ${database}`, `role ${RESTORE_ROLE}`, `cluster ${cluster.host}:${cluster.port} (${cluster.dir})`] };
      },
      exists: () => existsSync(cluster.dir),
    };
  } catch (error) {
    await cluster.stop();
    throw error;
  }
}
