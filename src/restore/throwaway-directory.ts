/**
 * The temp directory of one throwaway restore target (a Redis server loading an RDB, a MinIO volume extracted, a
 * mongod), and what finds them again when the process that made one was killed: the same scheme as the throwaway
 * PostgreSQL clusters (throwaway-cluster.ts), shared by the component restore tests.
 *
 * - `$TMPDIR/<prefix><random>/`, made by mkdtemp (mode 0700, ours), holds `owner.json` (pid, process start time, host)
 *   before anything else is put in it. The directory and owner.json stay ours: what the sandbox user may write goes in
 *   a subfolder handed to it, so that a process of that user cannot rewrite who owns the directory.
 * - A directory still in use by this process is tracked: on `exit` (even a thrown error that ends the process) its
 *   server is killed and the directory removed, synchronously.
 * - `abandonedDirectories` lists those whose owner is gone; the component's sweep stops what still runs from one
 *   (found in /proc by its command line, never by a pid read from the directory) and removes it.
 */
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { chmod, lstat, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { ownerAlive, processStartTime } from '../process-owner.js';

export const OWNER_FILE = 'owner.json';

interface DirectoryOwner {
  pid: number;
  /** /proc start time of the owner (clock ticks since boot), so that a reused pid is not taken for it; null off Linux. */
  startTime: number | null;
  /** A process on another host (a container sharing /tmp) cannot be seen from here: never judged dead. */
  host: string;
}

/** Directories of this process still in use, and how to stop what runs from each without waiting (exit hook). */
const live = new Map<string, () => void>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const [dir, stop] of live) {
      try {
        stop();
      } catch {
        // already gone
      }
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

/**
 * Makes `$TMPDIR/<prefix><random>` with its owner.json. `traversable`: mode 0711, so that the sandbox user can reach a
 * subfolder handed to it (it can list nothing); otherwise 0700.
 */
export async function createThrowawayDirectory(prefix: string, options: { traversable?: boolean } = {}): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  const owner: DirectoryOwner = { pid: process.pid, startTime: processStartTime(process.pid), host: hostname() };
  await writeFile(join(dir, OWNER_FILE), `${JSON.stringify(owner)}\n`, { flag: 'wx', mode: 0o600 });
  if (options.traversable) await chmod(dir, 0o711);
  installExitHook();
  live.set(dir, () => undefined);
  return dir;
}

/** What the exit hook runs for `dir` (kill its server): set once the server runs. */
export function onExit(dir: string, stop: () => void): void {
  if (live.has(dir)) live.set(dir, stop);
}

/** The directory is gone (or handed over): the exit hook forgets it. */
export function released(dir: string): void {
  live.delete(dir);
}

/**
 * The `<prefix>*` directories of `parent` (default TMPDIR) whose owner is gone. TMPDIR is often world-writable: only a
 * real directory made by us, writable by nobody else, with a readable owner.json of this host, is judged; anything else
 * is left alone.
 */
export async function abandonedDirectories(prefix: string, parent = tmpdir()): Promise<{ dir: string; ownerPid: number }[]> {
  let names: string[];
  try {
    names = (await readdir(parent)).filter((name) => name.startsWith(prefix));
  } catch {
    return [];
  }
  const found: { dir: string; ownerPid: number }[] = [];
  for (const name of names.sort()) {
    const dir = join(parent, name);
    try {
      const info = await lstat(dir);
      if (!info.isDirectory() || info.uid !== userInfo().uid || (info.mode & 0o022) !== 0) continue;
      const owner = JSON.parse(await readFile(join(dir, OWNER_FILE), 'utf8')) as DirectoryOwner;
      if (!Number.isInteger(owner.pid) || owner.host !== hostname()) continue;
      if (ownerAlive(owner) || live.has(dir)) continue;
      found.push({ dir, ownerPid: owner.pid });
    } catch {
      // not ours to judge
    }
  }
  return found;
}

/**
 * The pids of running `program` processes (argv[0]'s base name) one of whose arguments is a path inside `dir`: what
 * still runs from a throwaway directory. Read from /proc, never from a pid file in the directory (the sandbox user
 * could write one naming any process). Zombies have an empty cmdline and are not listed.
 */
export function processesRunningFrom(dir: string, program: string): number[] {
  const pids: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return pids;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      const name = argv[0]?.split('/').at(-1);
      if (name === program && argv.slice(1).some((arg) => arg.startsWith(`${dir}/`))) pids.push(Number(entry));
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return pids;
}

/** The uid the process runs as (real uid, /proc/PID/status), or undefined. */
export function processUid(pid: number): number | undefined {
  try {
    const match = /^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

export interface AbandonedDirectory {
  dir: string;
  ownerPid: number;
  /** Processes that still ran from it (killed with SIGKILL: what they held is thrown away). */
  killedPids: number[];
  removed: boolean;
  problem?: string;
}

/**
 * Kills what still runs from (`programs`, found by processesRunningFrom), and removes, every `<prefix>*` directory of
 * `parent` (default TMPDIR) whose owner is gone. A live owner's directory is never touched.
 */
export async function sweepAbandonedDirectories(prefix: string, programs: readonly string[], parent?: string): Promise<AbandonedDirectory[]> {
  const swept: AbandonedDirectory[] = [];
  for (const { dir, ownerPid } of await abandonedDirectories(prefix, parent)) {
    const running = () => programs.flatMap((program) => processesRunningFrom(dir, program));
    const killedPids = running();
    for (const pid of killedPids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    // SIGKILL is delivered at once, but the process is listed until the kernel has torn it down: wait (bounded).
    for (let i = 0; i < 100 && running().length > 0; i++) await new Promise((resolve) => setTimeout(resolve, 50));
    const entry: AbandonedDirectory = { dir, ownerPid, killedPids, removed: false };
    await rm(dir, { recursive: true, force: true }).catch((error: unknown) => {
      entry.problem = (error as Error).message;
    });
    entry.removed = !existsSync(dir);
    swept.push(entry);
  }
  return swept;
}
