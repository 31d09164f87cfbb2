/**
 * Reads a restored database the way the check command reads production: the Alembic revision,
 * the core-table row counts, and (when configured) the signed-document probe and the freshness query. Each read is kept
 * separately, so one failure (a missing table) does not hide the others.
 */
import { english } from '../checks/messages.js';
import type { Finding } from '../checks/types.js';
import type { Config } from '../config/schema.js';
import { EvaluationError, describeError } from '../errors.js';
import type { DatabaseGateway } from '../db/types.js';
import type { Read, RestoreOutcome, StepFailure } from './outcome.js';

/** Runs the signed-document check against a given database (the CLI builds it from the check itself). */
export type SignedDocumentProbe = (db: DatabaseGateway) => Promise<Finding>;

export function toFailure(error: unknown): StepFailure {
  if (error instanceof EvaluationError)
    return { kind: error.kind, message: error.message, hint: error.hint, ...(error.requestId ? { requestId: error.requestId } : {}) };
  return { kind: 'internal', message: describeError(error), hint: 'run again with --verbose; RESTORECHECK_DEBUG=1 shows the stack' };
}

async function read<T>(work: () => Promise<T>): Promise<Read<T>> {
  try {
    return { ok: true, value: await work() };
  } catch (error) {
    return { ok: false, failure: toFailure(error) };
  }
}

/** The Alembic revision(s) of a database as one value: null (no table or no row), a string, or several. */
export async function alembicRevision(db: DatabaseGateway, table: string): Promise<string | string[] | null> {
  const versions = await db.readAlembicVersions(table);
  if (versions.kind === 'missing-table' || versions.versions.length === 0) return null;
  return versions.versions.length === 1 ? versions.versions[0]! : versions.versions;
}

/** Exact counts of the given tables; null for a table that does not exist. */
export async function rowCounts(db: DatabaseGateway, tables: string[]): Promise<Record<string, bigint | null>> {
  const counts: Record<string, bigint | null> = {};
  for (const table of tables) {
    const r = await db.countRows(table);
    counts[table] = r.kind === 'count' ? r.count : null;
  }
  return counts;
}

/** The Alembic revision and core-table counts of a database, each read kept apart (also the production side of a comparison). */
export async function readAlembicAndCounts(
  db: DatabaseGateway,
  config: Config,
  tables: string[],
): Promise<{ alembic: Read<string | string[] | null>; counts: Read<Record<string, bigint | null>> }> {
  return {
    alembic: await read(() => alembicRevision(db, config.database?.alembic.table ?? 'alembic_version')),
    counts: await read(() => rowCounts(db, tables)),
  };
}

export async function probeRestoredDatabase(
  db: DatabaseGateway,
  config: Config,
  tables: string[],
  signedDocument?: SignedDocumentProbe,
): Promise<NonNullable<RestoreOutcome['restored']>> {
  const restored: NonNullable<RestoreOutcome['restored']> = await readAlembicAndCounts(db, config, tables);
  if (config.database?.signedDocument && signedDocument) {
    restored.signedDocument = await read(async () => {
      const finding = await signedDocument(db);
      if (finding.status === 'skipped') throw new EvaluationError('config', english(finding.message), 'configure database.signedDocument');
      return { status: finding.status, message: finding.message, evidence: finding.evidence ?? {} };
    });
  }
  const freshnessQuery = config.restoreTest.freshnessQuery;
  if (freshnessQuery) restored.freshness = { query: freshnessQuery, newestRowAt: await read(() => db.queryTimestamp(freshnessQuery)) };
  return restored;
}
