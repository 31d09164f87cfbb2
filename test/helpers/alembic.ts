/**
 * Drives the real Alembic (Debian's python3-alembic) to create migration histories and stamp
 * databases, so that restorecheck's answers can be compared with Alembic's own.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * Debian's python3-alembic ships the module but no `alembic` script, and the python3 first on PATH
 * may not be Debian's: run the module with Debian's interpreter.
 */
const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const alembicCommand = (args: string[]): [string, string[]] => [PYTHON, ['-m', 'alembic', ...args]];

export interface AlembicProject {
  dir: string;
  versionsDir: string;
  alembic(...args: string[]): Promise<string>;
  /** `alembic revision` with a fixed id; returns the id. */
  revision(id: string, message: string, options?: { head?: string; branchLabel?: string; dependsOn?: string; splice?: boolean }): Promise<string>;
  /** The heads as `alembic heads` prints them, sorted. */
  heads(): Promise<string[]>;
  /** The database's revisions as `alembic current` prints them, sorted. */
  current(): Promise<string[]>;
}

export async function createAlembicProject(dir: string, sqlalchemyUrl: string): Promise<AlembicProject> {
  await run(...alembicCommand(['init', '-t', 'generic', 'migrations']), { cwd: dir });
  const ini = join(dir, 'alembic.ini');
  const text = await readFile(ini, 'utf8');
  await writeFile(ini, text.replace(/^sqlalchemy\.url = .*$/m, `sqlalchemy.url = ${sqlalchemyUrl.replace(/%/g, '%%')}`));
  const alembic = async (...args: string[]) => (await run(...alembicCommand(['-c', ini, ...args]), { cwd: dir })).stdout;
  const ids = (out: string) =>
    out
      .split('\n')
      .map((l) => /^([0-9a-zA-Z_]+)\b/.exec(l.trim())?.[1])
      .filter((x): x is string => Boolean(x))
      .sort();
  return {
    dir,
    versionsDir: join(dir, 'migrations', 'versions'),
    alembic,
    async revision(id, message, options = {}) {
      const args = ['revision', '-m', message, '--rev-id', id];
      if (options.head) args.push('--head', options.head);
      if (options.splice) args.push('--splice');
      if (options.branchLabel) args.push('--branch-label', options.branchLabel);
      if (options.dependsOn) args.push('--depends-on', options.dependsOn);
      await alembic(...args);
      return id;
    },
    heads: async () => ids(await alembic('heads')),
    current: async () => ids(await alembic('current')),
  };
}
