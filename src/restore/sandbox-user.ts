/**
 * Who runs untrusted restore work (psql reading a dump, and the throwaway cluster's initdb/postgres):
 * never root. A guard bypass in a dump (issue 10: `\unrestrict KEY \! id`) must not be able to run
 * anything as root, so when restorecheck itself runs as root these programs run as an unprivileged
 * system user instead: `postgres` (Debian's PostgreSQL packages create it, and it owns nothing of
 * ours), else `nobody`. When restorecheck is not root, they run as the current user (it can only do
 * what that user can do anyway). Every such program gets a fresh, empty HOME and psql runs with -X,
 * so no ~/.psqlrc, ~/.pgpass or service file of anyone is read.
 */
import { execFile, execFileSync } from 'node:child_process';
import { userInfo } from 'node:os';
import { promisify } from 'node:util';
import { EvaluationError } from '../errors.js';

export interface SandboxUser {
  name: string;
  uid: number;
  gid: number;
  /** True when we switch to this user (we are root); false when it is ourselves. */
  switched: boolean;
}

const CANDIDATES = ['postgres', 'nobody'];
let cached: SandboxUser | undefined;

export function sandboxUser(): SandboxUser {
  if (cached) return cached;
  const me = userInfo();
  if (me.uid !== 0) {
    cached = { name: me.username, uid: me.uid, gid: me.gid, switched: false };
    return cached;
  }
  for (const name of CANDIDATES) {
    try {
      const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
      const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
      if (uid > 0 && Number.isInteger(uid) && Number.isInteger(gid)) {
        cached = { name, uid, gid, switched: true };
        return cached;
      }
    } catch {
      // not on this machine: try the next
    }
  }
  throw new EvaluationError(
    'tool',
    'restorecheck runs as root and found neither a "postgres" nor a "nobody" user to run the restore as (it never restores as root)',
    'create an unprivileged system user: useradd -r postgres (or install the postgresql package, which does)',
  );
}

/** The psql version of `binDir/psql` ("15.18"), or undefined when it cannot be told. */
export async function psqlVersion(psql: string): Promise<string | undefined> {
  try {
    const { stdout } = await promisify(execFile)(psql, ['--version'], { timeout: 10_000 });
    return /\(PostgreSQL\)\s+(\d+(?:\.\d+)?)/.exec(stdout)?.[1];
  } catch {
    return undefined;
  }
}

/**
 * CVE-2026-18408 (psql runs meta-commands a dump slips past `\restrict`): the first minor of each
 * major that carries the fix. Majors not listed and older than 19 are treated as unfixed (we do not
 * know of a fixed release for them); 19 and later were released after the fix.
 */
export const CVE_2026_18408_FIXED_IN: Record<number, number> = { 15: 19, 16: 11, 17: 7, 18: 1 };

export function hasCve202618408Fix(version: string | undefined): boolean | undefined {
  const m = /^(\d+)\.(\d+)/.exec(version ?? '');
  if (!m) return undefined;
  const major = Number(m[1]);
  const minor = Number(m[2]);
  if (major >= 19) return true;
  const fixed = CVE_2026_18408_FIXED_IN[major];
  return fixed !== undefined && minor >= fixed;
}
