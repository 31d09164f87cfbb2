/**
 * How an in-place restore runs the client that reads a dump (psql, mariadb) and its own statements: behind the source's
 * `exec` prefix when it has one (the client of the container, as the backup ran pg_dump there), else the machine's
 * client as the sandbox user (sandbox-user.ts: never root), in an empty HOME of a throwaway directory, with a minimal
 * environment (no variable of this process but PATH, the locale and TZ; the secret in its own variable). Secrets go
 * through the environment, never argv.
 */
import { chown, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { sandboxUser } from '../restore/sandbox-user.js';
import { createThrowawayDirectory, released } from '../restore/throwaway-directory.js';
import type { RunningTool, ToolCommand } from './tool-process.js';
import { startTool } from './tool-process.js';

/** Where a client without exec prefix runs: `home` (empty, the sandbox user's), removed by `remove`. */
export interface ClientHome {
  home: string;
  osUser: string;
  remove(): Promise<void>;
}

/** A throwaway directory with an empty `home` the sandbox user owns (its parent is ours, mode 0711). */
export async function createClientHome(prefix: string): Promise<ClientHome> {
  const user = sandboxUser();
  const dir = await createThrowawayDirectory(prefix, { traversable: true });
  const home = join(dir, 'home');
  try {
    await mkdir(home, { mode: 0o700 });
    if (user.switched) await chown(home, user.uid, user.gid);
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    released(dir);
    throw error;
  }
  return {
    home,
    osUser: user.name,
    async remove() {
      await rm(dir, { recursive: true, force: true });
      released(dir);
    },
  };
}

/**
 * Starts `command`: through its exec prefix as given, or (no prefix) `file` (the machine's client, an absolute path) as
 * the sandbox user in `home`.
 */
export function startDumpClient(command: ToolCommand, file: string, home: ClientHome | undefined, signal: AbortSignal): RunningTool {
  if (command.exec) return startTool(command, signal);
  if (!home) throw new Error('startDumpClient: a client without exec prefix needs its home');
  const user = sandboxUser();
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home.home };
  for (const name of ['LANG', 'LC_ALL', 'TZ'] as const) if (process.env[name]) env[name] = process.env[name];
  return startTool({ ...command, tool: file, isolate: { cwd: home.home, env, ...(user.switched ? { uid: user.uid, gid: user.gid } : {}) } }, signal);
}
