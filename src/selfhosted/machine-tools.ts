/**
 * What each component needs on this machine, and whether it is here: the programs its backup runs (without an exec
 * prefix) and those its restore test runs, each found on PATH (or in the sbin directories, where Debian puts servers)
 * and asked its `--version`. Read by `restorecheck doctor`; running it changes nothing.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import type { ComponentName } from './component.js';

const run = promisify(execFile);

export interface ToolNeed {
  tool: string;
  /** Where to get it on Debian/Ubuntu (a package name, or a repository to add). */
  install: string;
}

export interface ComponentNeeds {
  backup: ToolNeed[];
  /** Said next to the backup's tools (e.g. minio's built-in tar). */
  backupNote?: string;
  restoreTest: ToolNeed[];
  restoreTestNote?: string;
}

/**
 * The tools of each component module (postgres.ts, mariadb.ts, …), in the order they run. PostgreSQL's restore-test
 * server is not listed: it is a choice among servers (postgres-binaries.ts), which doctor lists on their own.
 */
export const COMPONENT_NEEDS: Record<ComponentName, ComponentNeeds> = {
  postgres: {
    backup: [
      { tool: 'pg_dump', install: 'apt-get install postgresql-client' },
      { tool: 'psql', install: 'apt-get install postgresql-client' },
    ],
    backupNote: 'pg_dump’s major must be at least the server’s: apt.postgresql.org has every major',
    restoreTest: [{ tool: 'psql', install: 'apt-get install postgresql-client' }],
  },
  mariadb: {
    backup: [
      { tool: 'mariadb-dump', install: 'apt-get install mariadb-client' },
      { tool: 'mariadb', install: 'apt-get install mariadb-client' },
    ],
    restoreTest: [
      { tool: 'mariadbd', install: 'apt-get install mariadb-server' },
      { tool: 'mariadb', install: 'apt-get install mariadb-client' },
    ],
  },
  mongodb: {
    backup: [{ tool: 'mongodump', install: 'mongodb-database-tools (MongoDB’s apt repository)' }],
    restoreTest: [
      { tool: 'mongod', install: 'mongodb-org-server (MongoDB’s apt repository)' },
      { tool: 'mongorestore', install: 'mongodb-database-tools (MongoDB’s apt repository)' },
    ],
  },
  redis: {
    backup: [{ tool: 'redis-cli', install: 'apt-get install redis-tools' }],
    restoreTest: [{ tool: 'redis-server', install: 'apt-get install redis-server' }],
  },
  minio: {
    backup: [],
    backupNote: 'built in (tar-stream); with an exec prefix, tar runs in the container',
    restoreTest: [],
    restoreTestNote: 'nothing to install: restorecheck unpacks and counts the data folder itself',
  },
};

export interface ToolProbe {
  tool: string;
  found: boolean;
  path?: string;
  /** The first line of `--version`. */
  version?: string;
  /** Found but `--version` failed. */
  problem?: string;
  install: string;
}

/** Where Debian keeps servers (mariadbd, redis-server), off a normal user's PATH. */
const SBIN = ['/usr/local/sbin', '/usr/sbin', '/sbin'];

export function findExecutable(tool: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const dirs = [...(env.PATH ?? '/usr/bin:/bin').split(delimiter).filter(Boolean), ...SBIN];
  for (const dir of dirs) {
    const path = join(dir, tool);
    try {
      if (!statSync(path).isFile()) continue;
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Finds a tool (or takes the path `at` the caller will run) and reads its version (10 s at most). */
export async function probeTool(need: ToolNeed, env: NodeJS.ProcessEnv = process.env, at?: string): Promise<ToolProbe> {
  const path = at ?? findExecutable(need.tool, env);
  if (!path) return { tool: need.tool, found: false, install: need.install };
  try {
    const { stdout, stderr } = await run(path, ['--version'], { timeout: 10_000, maxBuffer: 1024 * 1024, env: { PATH: env.PATH ?? '/usr/bin:/bin' } });
    const version = `${stdout}\n${stderr}`
      .split('\n')
      .map((l) => l.trim())
      .find(Boolean);
    return { tool: need.tool, found: true, path, ...(version ? { version } : {}), install: need.install };
  } catch (error) {
    return { tool: need.tool, found: true, path, problem: `--version failed: ${(error as Error).message.split('\n')[0]}`, install: need.install };
  }
}
