/**
 * An exclusive lock on a report directory, so that concurrent runs (two CI jobs, a cron job and a
 * person) never fork the report chain or interleave the audit log: choosing the previous report,
 * writing the JSON report and appending the audit line all happen while it is held.
 *
 * A lock file created with O_EXCL (`wx`), which is atomic on local file systems and NFSv3+. We hold it
 * for milliseconds, so a lock is stale when its holder is provably gone: a dead process on this host,
 * or a lock older than `staleMs` (a crash on another host sharing the directory). Written by hand
 * rather than with proper-lockfile because that library's staleness relies on a timer refreshing
 * the lock's mtime, which a holder this short-lived does not need, and it would add two dependencies.
 */
import { randomUUID } from 'node:crypto';
import { open, readFile, stat, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { UsageError } from '../errors.js';
import { DiskFullError, isDiskFull } from './atomic-write.js';

export const LOCK_FILE = '.restorecheck.lock';

/** Another run held the lock for the whole wait. */
export class DirectoryLockedError extends UsageError {}

interface LockOwner {
  token: string;
  pid: number;
  host: string;
  since: string;
}

export interface LockOptions {
  /** Give up after this long (default 60 s): another run is still writing. */
  timeoutMs?: number;
  /** A lock older than this is abandoned whoever holds it (default 10 min). */
  staleMs?: number;
}

function processIsGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

async function readOwner(path: string): Promise<LockOwner | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as LockOwner;
  } catch {
    return undefined; // gone, or being written this very moment
  }
}

async function isStale(path: string, owner: LockOwner | undefined, staleMs: number): Promise<boolean> {
  try {
    const age = Date.now() - (await stat(path)).mtimeMs;
    if (age > staleMs) return true;
    // An unreadable lock younger than a second is one being written; older, it is debris.
    if (!owner) return age > 1000;
    return owner.host === hostname() && processIsGone(owner.pid);
  } catch {
    return false; // released meanwhile: just try again
  }
}

/** Runs `fn` while holding the directory's lock; the lock is released whatever happens. */
export async function withDirectoryLock<T>(dir: string, fn: () => Promise<T>, options: LockOptions = {}): Promise<T> {
  const path = join(dir, LOCK_FILE);
  const timeoutMs = options.timeoutMs ?? 60_000;
  const staleMs = options.staleMs ?? 600_000;
  const owner: LockOwner = { token: randomUUID(), pid: process.pid, host: hostname(), since: new Date().toISOString() };
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; ; attempt++) {
    try {
      const handle = await open(path, 'wx');
      try {
        await handle.writeFile(JSON.stringify(owner));
      } catch (error) {
        // Do not leave an empty lock behind (a full disk): it would block the next run for a second.
        await handle.close();
        await unlink(path).catch(() => undefined);
        throw error;
      }
      await handle.close();
      break;
    } catch (error) {
      if (isDiskFull(error)) throw new DiskFullError(dir, `the lock ${LOCK_FILE}`);
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = await readOwner(path);
    if (await isStale(path, holder, staleMs)) {
      // Re-read just before removing, so that we do not remove a lock someone took meanwhile.
      const again = await readOwner(path);
      if (again?.token === holder?.token) await unlink(path).catch(() => undefined);
      continue;
    }
    if (Date.now() > deadline) {
      const who = holder ? `process ${holder.pid} on ${holder.host} since ${holder.since}` : 'another process';
      throw new DirectoryLockedError(
        `the report directory ${dir} is locked by ${who}`,
        `wait for that run to finish; if no restorecheck is running, remove ${path}`,
      );
    }
    // Jittered back-off, so that waiting runs do not retry in lockstep.
    await sleep(Math.min(200, 10 * 2 ** Math.min(attempt, 4)) * (0.5 + Math.random()));
  }
  try {
    return await fn();
  } finally {
    const current = await readOwner(path);
    if (current?.token === owner.token) await unlink(path).catch(() => undefined);
  }
}
