/**
 * What a restore test found, in one plain object: the Azure point-in-time path and the archive path
 * both produce it, and the five restore-* checks each interpret one part of it. The orchestration
 * (provision → probe → compare → clean up) lives in src/restore/; the checks only judge.
 */
import type { LocalText } from '../checks/messages.js';
import type { SmokeExpectation } from '../config/schema.js';
import type { SmokeQueryRead } from '../db/types.js';
import type { Evidence, JsonValue } from '../vocabulary.js';
import type { EvaluationErrorKind } from '../errors.js';
import type { ComponentName, RestoreComparison } from '../selfhosted/component.js';

/** A step that could not be done, and whether that proves the backup bad (`restore-failed`) or only that we could not tell. */
export interface StepFailure {
  /** `restore-failed`: the backup itself did not restore (fail). Anything else: we could not evaluate (error). */
  kind: 'restore-failed' | EvaluationErrorKind;
  message: string;
  hint: string;
  requestId?: string;
}

export type Read<T> = { ok: true; value: T } | { ok: false; failure: StepFailure };

export interface RestoreOutcome {
  method: 'azure-point-in-time' | 'archive';
  /** Where the data was restored to (server name, or the throwaway cluster), without credentials. */
  target: string | null;
  provision: Read<{ restoreSeconds: number; restorePoint: string | null; details: Evidence }>;
  /** The reference the restore is compared with: the production database, or the archive's metadata. */
  source: {
    label: string;
    /** undefined: the reference does not record it (then the comparison is skipped). */
    alembic?: Read<string | string[] | null>;
    counts?: Read<Record<string, bigint | null>>;
  };
  /**
   * Fleet mode: parts of the restored copy not read on purpose, each with why (restoreConfigFor, run/fleet-restore-test.ts).
   * The checks of that part are then `skipped` with this reason, never a pass: `database` (restore-alembic-match,
   * restore-row-counts-match, restore-signed-document, restore-smoke; restored is then absent), `signedDocument`
   * (restore-signed-document alone).
   */
  notRead?: { database?: LocalText; signedDocument?: LocalText };
  /** What the restored database holds; absent when provisioning failed. */
  restored?: {
    alembic: Read<string | string[] | null>;
    counts: Read<Record<string, bigint | null>>;
    /** undefined: no signed-document probe configured. */
    /** signed-document's finding on the restored database; its message a catalog text, so that it renders in every language. */
    signedDocument?: Read<{ status: 'pass' | 'fail' | 'warn'; message: string | LocalText; evidence: Evidence }>;
    /**
     * undefined: no restoreTest.freshnessQuery configured. The newest row's time on the restored database (ISO 8601 UTC;
     * null: no row, or NULL). restore-provision measures the RPO as the restore point minus this time.
     */
    freshness?: { query: string; newestRowAt: Read<string | null> };
    /** undefined: neither restoreTest.smoke nor restoreTest.smokeCommand configured. restore-smoke judges it. */
    smoke?: SmokeResults;
  };
  limits: {
    /** Allowed relative difference of row counts, in percent (the restore point is earlier than now). */
    rowCountTolerancePercent: number;
    rtoMinutes?: number;
    rpoMinutes?: number;
  };
  /**
   * Archive restore tests: what each self-hosted component other than PostgreSQL gave (PostgreSQL is the rest of this
   * outcome). A component absent here is not in the archive.
   */
  components?: Partial<Record<ComponentName, ComponentRestoreResult>>;
  cleanup: {
    status: 'deleted' | 'kept' | 'failed';
    removed: string[];
    leftover: string[];
    message?: string;
    /** When the deletion was seen done (ISO 8601 UTC): the restore's last timestamp, after requestedAt and readyAt. */
    deletedAt?: string;
  };
}

/** Row counts as JSON: numbers, or strings past 2^53 (contract.md). */
export function countsToJson(counts: Record<string, bigint | null>): Record<string, JsonValue> {
  return Object.fromEntries(
    Object.entries(counts).map(([table, n]) => [table, n === null ? null : n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n.toString()]),
  );
}

/** One component's restore test (restore-mariadb, restore-redis, restore-minio, restore-mongodb judge these). */
export interface ComponentRestoreResult {
  /** The archive members it restored, e.g. `['mariadb_full.sql.gz']`. */
  members: string[];
  /**
   * `skipped`: not restore-tested, `reason` says why (the tools are not installed here).
   * `failed`: `failure` says why (kind `restore-failed`: the backup did not restore; anything else: we could not tell).
   * `restored`: `comparison` says what it holds against the metadata.
   */
  state: 'skipped' | 'failed' | 'restored';
  reason?: string;
  failure?: StepFailure;
  /** Where it was restored, without secrets. */
  target?: string;
  /** From the start of the restore test to the end of the member's load (server start included). */
  restoreSeconds?: number;
  comparison?: RestoreComparison;
  /** Set when the member (or the archive) failed verification: whatever was restored proves nothing, and this says why. */
  discarded?: string;
  /** `error` when verification could not tell (a gate check that errored), rather than proved the member bad. */
  discardedBecause?: 'fail' | 'error';
  cleanup: { removed: string[]; leftover: string[] };
}

/** The team's own smoke test on the restored copy (restoreTest.smoke and smokeCommand), as run; restore-smoke judges it. */
export interface SmokeResults {
  /** One per configured query, in the configuration's order. */
  queries: SmokeQueryResult[];
  /** undefined: no restoreTest.smokeCommand. */
  command?: SmokeCommandResult;
}

export interface SmokeQueryResult {
  name: string;
  sql: string;
  expect: SmokeExpectation;
  /** What it returned, or why it could not run (a query error, its deadline, the copy unreadable). */
  observed: Read<SmokeQueryRead>;
  seconds: number;
}

export interface SmokeCommandResult {
  argv: string[];
  cwd: string;
  /**
   * ok: it ran to its end by itself (exit code, or the signal that ended it); not ok: it could not be started, passed
   * its deadline, was interrupted, or the copy could not be read.
   */
  ran: Read<{ exitCode: number | null; signal: string | null }>;
  seconds: number;
  /** The end of its output (stdout and stderr interleaved), with the restored copy's password, token and URL masked. */
  output: string;
  /** How many bytes it wrote in all (more than `output` holds when it was cut). */
  outputBytes: number;
}
