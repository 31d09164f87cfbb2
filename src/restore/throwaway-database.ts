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
/**
 * The scratch database, the cluster's only one. Its name is the same in every cluster: each cluster is its run's own (a
 * directory and a port of its own), and a per-run name would need a second database to rename it from (PostgreSQL
 * renames no database its session is connected to), whose 300 files every cluster would copy and delete.
 */
export const SCRATCH_DATABASE = 'restorecheck_scratch';

/**
 * What every restore cluster starts with (throwaway-cluster.ts keeps it in a template of its own): the scratch database,
 * owned by a role with no other privilege (no superuser, no CREATEROLE, no CREATEDB, and no password until its cluster
 * sets one), and its public schema (the dump recreates its own objects there; PostgreSQL 15 no longer lets every role
 * create in it). Nothing else: `postgres`, `template0` and `template1` are dropped (a restore creates no database, and
 * the superuser's own statements run in the scratch database), so that a cluster copies one database's files instead of
 * three and creates none. Creating files is what costs on a slow disk (about 1 ms each, and 300 a database); deleting
 * them afterwards too, and on a file system without a journal ext4 then skips the freed inodes for a while, which makes
 * the next run's files slower still.
 */
const RESTORE_STEPS: [string, string][] = [
  ['postgres', `CREATE DATABASE ${SCRATCH_DATABASE}`],
  ['postgres', `CREATE ROLE ${RESTORE_ROLE} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION`],
  ['postgres', `ALTER DATABASE ${SCRATCH_DATABASE} OWNER TO ${RESTORE_ROLE}`],
  [SCRATCH_DATABASE, `ALTER SCHEMA public OWNER TO ${RESTORE_ROLE}`],
  [SCRATCH_DATABASE, 'DROP DATABASE postgres'],
  [SCRATCH_DATABASE, 'ALTER DATABASE template0 IS_TEMPLATE false'],
  [SCRATCH_DATABASE, 'DROP DATABASE template0'],
  [SCRATCH_DATABASE, 'ALTER DATABASE template1 IS_TEMPLATE false'],
  [SCRATCH_DATABASE, 'DROP DATABASE template1'],
];
const RESTORE_TEMPLATE: PreparedTemplate = {
  key: `restore:${createHash('sha256').update(JSON.stringify(RESTORE_STEPS)).digest('hex').slice(0, 16)}`,
  steps: RESTORE_STEPS,
  maintenanceDatabase: SCRATCH_DATABASE,
};

export async function createThrowawayDatabase(options: { server?: PostgresServer } = {}): Promise<ThrowawayDatabase> {
  // Tuned for one bulk load into data that is thrown away: no WAL beyond what crash recovery of this
  // very cluster needs (and none for the data of tables created in the restore's one transaction, when it loads in one), rare
  // checkpoints, memory for index builds, no autovacuum racing the load.
  const password = randomBytes(18).toString('base64url');
  // In the cluster's first psql call (a runuser and a connection, on the restore's critical path): the restore role gets
  // a password of this cluster's own.
  const cluster: PostgresCluster = await startCluster({
    ...(options.server ? { server: options.server } : {}),
    prepared: RESTORE_TEMPLATE,
    startSql: `ALTER ROLE ${RESTORE_ROLE} PASSWORD '${password}'; SHOW server_version`,
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
  const database = SCRATCH_DATABASE;
  try {
    const serverVersion = cluster.startOutput.trim();
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
