/**
 * Where an archive's PostgreSQL dump is restored: a new cluster in a temp directory, a scratch
 * database in it, and a role that owns that database and nothing else (no superuser, no CREATEROLE,
 * no CREATEDB). Everything is removed by `drop()`, which is safe to call twice.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { startCluster, type PostgresCluster } from './throwaway-cluster.js';
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
    // Two psql calls, not four: each one is a runuser and a connection, on the restore's critical path. CREATE DATABASE
    // cannot share a transaction; the rest can, in the new database.
    await cluster.sql(`CREATE DATABASE ${database}`);
    const serverVersion = (
      await cluster.sql(
        `CREATE ROLE ${RESTORE_ROLE} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION PASSWORD '${password}'; ` +
          `ALTER DATABASE ${database} OWNER TO ${RESTORE_ROLE}; ` +
          // The dump recreates its own objects in public; PostgreSQL 15 no longer lets every role create there.
          `ALTER SCHEMA public OWNER TO ${RESTORE_ROLE}; SHOW server_version`,
        database,
      )
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
