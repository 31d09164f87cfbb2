/**
 * Restores a plain-format SQL dump into a database through psql, as a role without privileges
 * beyond its own database: the dump streams through the meta-command guard, psql never sees a
 * `\!`, and a statement that needs a superuser (CREATE ROLE … SUPERUSER, COPY … PROGRAM) fails
 * inside the throwaway server instead of succeeding.
 *
 * psql is the right client for a plain dump (it is what pg_dump's output is written for: COPY
 * blocks, dollar quotes, \restrict), so we drive it instead of splitting SQL ourselves. Several of them: the
 * statements run in order on one, and the rows of pg_dump's COPY blocks are shared out to others (parallel-load.ts).
 */
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { statfs } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { EvaluationError } from '../errors.js';
import { hasCve202618408Fix, psqlVersion, sandboxUser } from './sandbox-user.js';
import { CopyConnectionStopped, DumpRouter, type ParallelLoadStats, PsqlSession } from './parallel-load.js';
import { MetaCommandRefused, PsqlInputGuard } from './psql-input-guard.js';

export interface PsqlTarget {
  binDir: string;
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  /** A fresh, empty directory owned by the sandbox user: psql's HOME (so no ~/.psqlrc or ~/.pgpass of anyone). */
  home?: string;
  /** Where the throwaway cluster keeps its data: named when the disk there fills up. */
  dataDir?: string;
}

export interface SqlRestoreResult {
  seconds: number;
  bytes: number;
  /** Versions named in the dump's header, when present. */
  dumpedFrom?: string;
  dumpedBy?: string;
  /** psql's ERROR lines: count and the first few (for the report). */
  errorCount: number;
  errors: string[];
  /** Statements refused because they need privileges the restore role does not have. */
  privilegedRefusals: number;
  /** pg_dump's own \restrict / \unrestrict, allowed. */
  allowedMetaCommands: string[];
  /** The OS user psql ran as (never root). */
  psqlOsUser: string;
  psqlVersion: string | null;
  /** Whether this psql has the fix for CVE-2026-18408; null when its version could not be told. */
  psqlCve202618408Fixed: boolean | null;
  /** How the load was shared between psql connections. */
  load: ParallelLoadStats;
}

/** Errors a non-superuser restore is expected to meet: ownership and privileges of roles that do not exist here. */
const PRIVILEGE_ERROR =
  /must be owner of|must be member of role|permission denied|must be superuser|role "[^"]*" does not exist|only superuser|to create role/i;

/**
 * COPY connections beside the main one: one per CPU but one (which reads, decompresses and verifies the archive), at
 * most four; none below three CPUs. There the reading and one backend already keep both CPUs busy, and a second backend
 * only adds the WAL that the single transaction avoids: on the bench dump (276 MB of SQL, 2 CPUs, gzip), 3.5 s either
 * way, the backend using 2.97 s of CPU in one transaction and 3.43 s in autocommit. With the CPU to spare (the same
 * dump fed uncompressed), two COPY connections took 2.7–2.9 s where one took 3.7–4.6 s.
 */
export function defaultCopyConnections(cpus = availableParallelism()): number {
  return cpus >= 3 ? Math.min(4, cpus - 1) : 0;
}

export async function restoreSqlDump(
  sql: Readable,
  target: PsqlTarget,
  options: {
    signal?: AbortSignal;
    onProgress?: (bytes: number) => void;
    /** psql connections that load COPY slices beside the main one (parallel-load.ts); 0: the main one loads everything. */
    copyConnections?: number;
    /** Where a COPY block is cut (parallel-load.ts's SLICE_BYTES by default). */
    sliceBytes?: number;
  } = {},
): Promise<SqlRestoreResult> {
  const started = performance.now();
  const guard = new PsqlInputGuard({ marks: true });
  let bytes = 0;
  let head = '';
  const meter = new Transform({
    transform(chunk: Buffer, _enc, callback) {
      bytes += chunk.length;
      if (head.length < 2048) head += chunk.toString('latin1', 0, Math.min(chunk.length, 2048));
      options.onProgress?.(bytes);
      callback(null, chunk);
    },
  });

  const psqlFile = join(target.binDir, 'psql');
  // For the report only: asked while the load runs, not before it.
  const versionAsked = psqlVersion(psqlFile);
  // Defence in depth behind the guard: psql runs as an unprivileged user with an empty HOME and a
  // minimal environment (no credentials of this process, no PG* variable redirecting it), and -X.
  const user = sandboxUser();
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', PGPASSWORD: target.password, PGOPTIONS: '', PGAPPNAME: 'restorecheck-restore' };
  for (const name of ['LANG', 'LC_ALL', 'TZ'] as const) if (process.env[name]) env[name] = process.env[name];
  env.HOME = target.home ?? '/nonexistent';
  const errors: string[] = [];
  let errorCount = 0;
  let privilegedRefusals = 0;
  /** The server said ENOSPC (in any ERROR/PANIC line, not only the first few kept). */
  let diskFullSaid = false;
  const onStderrLine = (line: string) => {
    if (/No space left on device|could not extend file/i.test(line)) diskFullSaid = true;
    const m = /ERROR:\s+(.*)$/.exec(line);
    if (!m) return;
    errorCount++;
    if (PRIVILEGE_ERROR.test(m[1]!)) privilegedRefusals++;
    if (errors.length < 10) errors.push(m[1]!.slice(0, 300));
  };
  const copyConnections = options.copyConnections ?? defaultCopyConnections();
  const share = copyConnections > 0;
  // Alone, psql loads the dump in one transaction: with wal_level=minimal the server writes no WAL for the data of the
  // tables created in it (the bulk of a restore), and a load that breaks off commits nothing. The statements a
  // non-superuser is expected to fail (ALTER … OWNER TO a role that does not exist here, GRANT …) must not abort it:
  // ON_ERROR_ROLLBACK makes psql wrap each statement in a savepoint and roll back only the one that failed, as autocommit
  // would. Sharing the COPY blocks out, every connection autocommits, as a plain `psql -f dump` does, so that what one
  // created the others see (parallel-load.ts).
  const session = (main: boolean) =>
    new PsqlSession({
      file: psqlFile,
      args: [
        '-X',
        '-q',
        '--no-password',
        '-v',
        // The COPY connections stop at their first error (parallel-load.ts, CopyConnectionStopped): psql would read the
        // rows of a COPY that failed at its start as SQL. The main connection carries on past errors, as plain psql does.
        `ON_ERROR_STOP=${main ? 0 : 1}`,
        ...(main && !share ? ['--single-transaction', '-v', 'ON_ERROR_ROLLBACK=on'] : []),
        '-h',
        target.host,
        '-p',
        String(target.port),
        '-U',
        target.user,
        '-d',
        target.database,
        '-f',
        '-',
      ],
      spawn: { env, cwd: target.home ?? '/', ...(user.switched ? { uid: user.uid, gid: user.gid } : {}) },
      onStderrLine,
    });
  const router = new DumpRouter(session(true), () => Array.from({ length: copyConnections }, () => session(false)), {
    share,
    ...(options.sliceBytes ? { sliceBytes: options.sliceBytes } : {}),
  });
  const killAll = () => {
    for (const s of router.sessions()) s.kill();
  };

  const onAbort = () => {
    killAll();
    sql.destroy(new Error('interrupted'));
  };
  // A source that breaks (a cut member, a refused meta-command) must stop psql before its input is closed: psql reads a
  // closed pipe as the end of the script and would run (and commit) what it got. The kill comes first (these listeners
  // are added before pipeline's own), and a killed psql sends nothing more.
  for (const stream of [sql, meter, guard]) stream.once('error', killAll);
  // Aborted before we got here (Ctrl-C during start-up): stop at once rather than restore everything.
  if (options.signal?.aborted) onAbort();
  else options.signal?.addEventListener('abort', onAbort, { once: true });
  const allClosed = () => Promise.all(router.sessions().map((s) => s.closed.catch(() => null)));
  /** A load that broke off: why, as the error the caller judges. */
  const failedLoad = async (error: unknown): Promise<never> => {
    // Not an evaluation problem: the backup itself is unsafe to restore. The caller decides the verdict.
    if (error instanceof MetaCommandRefused) throw error;
    await throwIfDiskFull(target, diskFullSaid, error);
    if (options.signal?.aborted) throw new EvaluationError('timeout', 'the restore was interrupted', 'run the restore test again', { cause: error });
    throw new EvaluationError(
      'invalid-response',
      `the dump could not be read to the end: ${(error as Error).message}`,
      'verify the archive (restorecheck verify) and regenerate the backup',
      { cause: error },
    );
  };
  try {
    await pipeline(sql, meter, guard, router);
  } catch (error) {
    killAll();
    await allClosed();
    if (!(error instanceof CopyConnectionStopped)) await failedLoad(error);
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
  const codes = await allClosed();
  // A COPY connection that stopped at an error cut the load: the dump did not restore (its error is among `errors`),
  // never a pass, whatever that error was (one counted as a privileged refusal too). Not psql failing as a tool.
  const stopped = router.stoppedAtError();
  if (stopped) {
    errorCount++;
    errors.push(stopped);
  }
  const code = stopped ? 0 : (codes.find((c) => c !== 0) ?? 0);
  const version = await versionAsked;
  // A full disk is not the backup's fault: an evaluation error naming the directory, even when psql
  // carried on past the failed statements (exit 0).
  if (code !== 0 || diskFullSaid) await throwIfDiskFull(target, diskFullSaid);
  if (code !== 0) {
    throw new EvaluationError(
      'tool',
      `psql exited with code ${code} while restoring${errors[0] ? `: ${errors[0]}` : ''}`,
      'check that the PostgreSQL client matches the server and the dump (see the versions in the report)',
    );
  }
  const result: SqlRestoreResult = {
    seconds: Math.round((performance.now() - started) / 10) / 100,
    bytes,
    errorCount,
    errors,
    privilegedRefusals,
    allowedMetaCommands: guard.allowed,
    psqlOsUser: user.name,
    psqlVersion: version ?? null,
    psqlCve202618408Fixed: hasCve202618408Fix(version) ?? null,
    load: router.stats,
  };
  const from = /^-- Dumped from database version (.+)$/m.exec(head)?.[1];
  const by = /^-- Dumped by pg_dump version (.+)$/m.exec(head)?.[1];
  if (from) result.dumpedFrom = from.trim();
  if (by) result.dumpedBy = by.trim();
  return result;
}

/** The major version in "15.18 (Debian …)" or "9.6.24". */
export function majorVersion(version: string): number | undefined {
  const m = /^(\d+)(?:\.(\d+))?/.exec(version.trim());
  if (!m) return undefined;
  const major = Number(m[1]);
  return major < 10 && m[2] !== undefined ? Number(`${m[1]}.${m[2]}`) : major;
}

/**
 * A dump made by a newer pg_dump than the server restoring it often fails on syntax the older server
 * does not know: say so up front, with what to install.
 */
export function versionMismatch(dumpedBy: string | undefined, serverVersion: string): string | undefined {
  if (!dumpedBy) return undefined;
  const dump = majorVersion(dumpedBy);
  const server = majorVersion(serverVersion);
  if (dump === undefined || server === undefined || dump <= server) return undefined;
  return (
    `the dump was made by pg_dump ${dumpedBy}, newer than the PostgreSQL ${serverVersion} restoring it: install postgresql-${dump} (or set PG_BIN ` +
    `to its bin directory) so that the restore uses a matching server`
  );
}

/** Below this much free space where the cluster writes, a dying psql (EPIPE) or server is a full disk. */
const NEARLY_FULL_BYTES = 16 * 1024 * 1024;

/**
 * A full TMPDIR kills the server (it cannot write WAL) and psql with it: what reaches us is a
 * `write EPIPE` on psql's input or psql's exit code, neither of which says why. Name the real cause.
 */
async function throwIfDiskFull(target: PsqlTarget, said: boolean, cause?: unknown): Promise<void> {
  const dir = target.dataDir ?? tmpdir();
  let free: number | undefined;
  try {
    const s = await statfs(dir);
    free = s.bavail * s.bsize;
  } catch {
    // the directory is gone or unreadable: fall back to psql's own words
  }
  if (!said && (free === undefined || free >= NEARLY_FULL_BYTES)) return;
  throw new EvaluationError(
    'tool',
    `disk full in ${dir} (ENOSPC${free !== undefined ? `, ${Math.floor(free / 1024)} KiB free` : ''}): the throwaway PostgreSQL could not write the restored data`,
    `free space there, or point TMPDIR at a directory with room for the restored database (e.g. TMPDIR=/var/tmp restorecheck restore-test …)`,
    cause === undefined ? {} : { cause },
  );
}
