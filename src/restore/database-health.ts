/**
 * `restorecheck restore`'s database health (issue 16, "Health afterwards"): once the services are started again, `check`'s
 * own database gateway (db/postgres.ts: a read-only session with deadlines) connects to the restored database as the
 * application reaches it, and reads what `db-connectivity`, `db-alembic-version` and `db-core-row-counts` read, to
 * compare with what the archive's metadata recorded:
 *  - it must connect;
 *  - the Alembic revision must be the archive's (an application that migrates on start, with code newer than the
 *    archive, is exactly what this should catch after a rollback);
 *  - each recorded core table must exist with at least its recorded rows. At least, not exactly: the application is
 *    running again and may already have written; the exact counts were compared before the swap (restored-postgres).
 *
 * The in-place restore proved the content; this proves the application's way in works afterwards (the database under
 * its own name, open to connections, its grants in place).
 */
import { openDatabase } from '../db/postgres.js';
import { describeError } from '../errors.js';
import type { JsonValue } from '../vocabulary.js';

export interface DatabaseHealth {
  /** host:port/dbname, without credentials. */
  target: string;
  ok: boolean;
  serverVersion?: string;
  alembic?: { expected: string[]; actual: string[] | null };
  /** table → the recorded count and the one read now (null: the table is missing). Counts as decimal strings. */
  counts: Record<string, { recorded: string; now: string | null }>;
  /** What is wrong, one sentence each (empty when ok). */
  problems: string[];
  /** What could not be compared (the metadata records nothing for it). */
  notCompared: string[];
  seconds: number;
}

export interface DatabaseHealthRequest {
  url: string;
  /** The archive's facts for PostgreSQL: `row_counts`, `alembic_revision` (a string or a list). */
  recorded: Record<string, JsonValue> | undefined;
  alembicTable: string;
  timeoutMs: number;
}

const revisionsOf = (value: JsonValue | undefined): string[] | undefined =>
  typeof value === 'string' ? [value] : Array.isArray(value) && value.every((v) => typeof v === 'string') ? (value as string[]) : undefined;

export async function probeRestoredDatabase(request: DatabaseHealthRequest): Promise<DatabaseHealth> {
  const started = performance.now();
  const seconds = () => Math.round((performance.now() - started) / 100) / 10;
  const problems: string[] = [];
  const notCompared: string[] = [];
  const counts: DatabaseHealth['counts'] = {};
  const recordedCounts = request.recorded?.row_counts;
  const expectedRevisions = revisionsOf(request.recorded?.alembic_revision);
  const db = openDatabase(request.url, {
    statementTimeoutMs: Math.min(request.timeoutMs, 60_000),
    connectTimeoutMs: Math.min(request.timeoutMs, 15_000),
    readOnly: true,
    applicationName: 'restorecheck restore health',
  });
  let target = '(not connected)';
  let serverVersion: string | undefined;
  let alembic: DatabaseHealth['alembic'];
  try {
    const probe = await db.probe();
    target = probe.target;
    serverVersion = probe.serverVersion;
    if (expectedRevisions) {
      const read = await db.readAlembicVersions(request.alembicTable);
      const actual = read.kind === 'versions' ? read.versions : null;
      alembic = { expected: expectedRevisions, actual };
      const same = actual !== null && actual.length === expectedRevisions.length && expectedRevisions.every((r) => actual.includes(r));
      if (!same) {
        problems.push(
          actual === null
            ? `the Alembic table ${request.alembicTable} is missing`
            : `Alembic is at ${actual.join(', ') || '(no row)'}, the archive at ${expectedRevisions.join(', ')}`,
        );
      }
    } else notCompared.push('the Alembic revision (the metadata records none)');
    if (recordedCounts !== null && typeof recordedCounts === 'object' && !Array.isArray(recordedCounts) && Object.keys(recordedCounts).length > 0) {
      for (const [table, value] of Object.entries(recordedCounts)) {
        if (!(typeof value === 'number' || (typeof value === 'string' && /^\d+$/.test(value)))) continue;
        const recorded = BigInt(value);
        const read = await db.countRows(table);
        const now = read.kind === 'count' ? read.count : null;
        counts[table] = { recorded: recorded.toString(), now: now === null ? null : now.toString() };
        if (now === null) problems.push(`table ${table} is missing`);
        else if (now < recorded) problems.push(`table ${table} has ${now} rows, the archive ${recorded}`);
      }
    } else notCompared.push('the core tables (the metadata records no row counts)');
  } catch (error) {
    problems.push(`could not read the restored database: ${describeError(error)}`);
  } finally {
    await db.close().catch(() => undefined);
  }
  return {
    target,
    ok: problems.length === 0,
    ...(serverVersion ? { serverVersion } : {}),
    ...(alembic ? { alembic } : {}),
    counts,
    problems,
    notCompared,
    seconds: seconds(),
  };
}
