/**
 * Whether the process that owns a temporary thing (a throwaway cluster, a backup's spool folder) is still running: its
 * pid, and the pid's start time, so that a pid the kernel gave to another process since is not taken for the owner.
 * Used by the sweeps that remove what a SIGKILLed run left behind.
 */
import { existsSync, readFileSync } from 'node:fs';

/** Field 22 of /proc/PID/stat (clock ticks since boot), or null (no /proc, or no such process). */
export function processStartTime(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count fields after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const value = Number(fields[19]);
    return Number.isFinite(value) ? value : null;
  } catch {
    return null;
  }
}

/** True unless the owner is known to be gone (no such pid, or the pid now belongs to a process started later). */
export function ownerAlive(owner: { pid: number; startTime: number | null }): boolean {
  try {
    process.kill(owner.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  // The pid exists (or we may not signal it): it is the owner only if it started when the owner did.
  if (owner.startTime === null) return true;
  const now = processStartTime(owner.pid);
  return now === null ? existsSync(`/proc/${owner.pid}`) : now === owner.startTime;
}
