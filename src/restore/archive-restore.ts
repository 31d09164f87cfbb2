/**
 * The archive path of `restore-test`: the (already verified) archive's `postgres_full.sql.gz` is
 * streamed straight from the .tar.gz into a throwaway PostgreSQL (no extraction to disk), then the
 * restored database is read like production would be, compared with what metadata.json recorded,
 * and everything is removed — also when something fails or the run is interrupted.
 */
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { ArchiveVerification } from '../archive/verify-archive.js';
import { drain, walkTar } from '../archive/tar-walk.js';
import type { Logger } from '../vocabulary.js';
import type { Config } from '../config/schema.js';
import { EvaluationError, describeError } from '../errors.js';
import { openDatabase } from '../db/postgres.js';
import type { DatabaseGateway } from '../db/types.js';
import type { Read, RestoreOutcome } from './outcome.js';
import { MetaCommandRefused } from './psql-input-guard.js';
import { probeRestoredDatabase, toFailure, type SignedDocumentProbe } from './restored-database.js';
import { restoreSqlDump, versionMismatch, type SqlRestoreResult } from './sql-restore.js';
import { createThrowawayDatabase, type ThrowawayDatabase } from './throwaway-database.js';

export const DUMP_MEMBER = 'postgres_full.sql.gz';

/** The first psql error that is not one of the expected ones (ownership, roles, grants), else the first of all. */
function firstUnexpected(errors: string[]): string | undefined {
  return errors.find((e) => !/owner|member of role|permission denied|superuser|does not exist/i.test(e)) ?? errors[0];
}

export interface ArchiveRestoreOptions {
  verification: ArchiveVerification;
  config: Config;
  runId: string;
  keep: boolean;
  signal: AbortSignal;
  log: Logger;
  signedDocument?: SignedDocumentProbe;
  /** A throwaway database already being created (started while the archive was verified). */
  database?: Promise<ThrowawayDatabase>;
  /** When the restore test started (so the restore time includes provisioning done in advance). */
  startedAt?: number;
}

/** Streams the dump member out of the archive into `consume`; every other member is skipped unread. */
async function withDumpStream(verification: ArchiveVerification, consume: (sql: Readable) => Promise<SqlRestoreResult>): Promise<SqlRestoreResult> {
  const wanted = `${verification.topFolder}/${DUMP_MEMBER}`;
  let result: SqlRestoreResult | undefined;
  // The restore's own failure (a refused meta-command, psql dying) is what matters, whatever the
  // tar walk makes of the entry being abandoned: keep it and rethrow it first.
  let consumeError: unknown;
  let summary;
  try {
    summary = await walkTar(createReadStream(verification.path).pipe(createGunzip()), async (header, body) => {
      if (header.name.replace(/^\.\//, '') !== wanted || result) return drain(body);
      try {
        result = await consume(Readable.from(body).pipe(createGunzip()));
      } catch (error) {
        consumeError = error;
        throw error;
      }
    });
  } catch (error) {
    throw consumeError ?? error;
  }
  if (consumeError) throw consumeError;
  if (!result) throw new EvaluationError('not-found', `the archive holds no ${wanted}`, 'see archive-members');
  if (summary.problem) throw new EvaluationError('invalid-response', `the archive is damaged after the dump: ${summary.problem}`, 'verify the archive');
  return result;
}

export async function restoreArchive(options: ArchiveRestoreOptions): Promise<RestoreOutcome> {
  const { verification, config, log, signal } = options;
  const metadata = verification.metadata.value;
  const outcome: RestoreOutcome = {
    method: 'archive',
    target: null,
    provision: { ok: false, failure: { kind: 'internal', message: 'not started', hint: '' } },
    source: {
      label: 'the archive metadata',
      ...(metadata?.alembic_revision !== undefined ? { alembic: { ok: true, value: metadata.alembic_revision } as Read<string | string[] | null> } : {}),
      ...(metadata?.row_counts ? { counts: { ok: true, value: Object.fromEntries(Object.entries(metadata.row_counts).map(([t, n]) => [t, BigInt(n)])) } } : {}),
    },
    limits: {
      // An archive is one consistent snapshot: by default its counts must match exactly.
      rowCountTolerancePercent: config.restoreTest.archiveRowCountTolerancePercent,
      ...(config.restoreTest.rtoMinutes ? { rtoMinutes: config.restoreTest.rtoMinutes } : {}),
      ...(config.restoreTest.rpoMinutes ? { rpoMinutes: config.restoreTest.rpoMinutes } : {}),
    },
    cleanup: { status: 'deleted', removed: [], leftover: [] },
  };

  const started = options.startedAt ?? performance.now();
  let provisionDecided = false;
  let db: ThrowawayDatabase | undefined;
  let gateway: DatabaseGateway | undefined;
  try {
    if (!options.database) log.info('restore-test: starting a throwaway PostgreSQL');
    db = await (options.database ?? createThrowawayDatabase(options.runId));
    outcome.target = db.description;
    if (signal.aborted) throw signal.reason;
    log.info(`restore-test: restoring ${DUMP_MEMBER} from ${verification.fileName} into ${db.description}`);
    let lastReport = performance.now();
    const target = db.target;
    const restored = await withDumpStream(verification, (sql) =>
      restoreSqlDump(sql, target, {
        signal,
        onProgress: (bytes) => {
          if (performance.now() - lastReport < 10_000) return;
          lastReport = performance.now();
          log.info(`restore-test: ${(bytes / 1048576).toFixed(0)} MiB of SQL restored, ${((performance.now() - started) / 1000).toFixed(0)} s`);
        },
      }),
    );
    const restoreSeconds = Math.round((performance.now() - started) / 10) / 100;
    const mismatch = versionMismatch(restored.dumpedBy, db.serverVersion);
    const details = {
      sqlBytes: restored.bytes,
      serverVersion: db.serverVersion,
      dumpedBy: restored.dumpedBy ?? null,
      dumpedFrom: restored.dumpedFrom ?? null,
      psqlErrors: restored.errorCount,
      privilegedStatementsRefused: restored.privilegedRefusals,
      firstErrors: restored.errors,
      archiveSha256: verification.sha256,
      // Defence in depth, for the auditor: who psql ran as (never root), and whether it carries the
      // upstream fix for meta-commands smuggled past \restrict (the guard refuses them either way).
      psqlOsUser: restored.psqlOsUser,
      psqlVersion: restored.psqlVersion,
      psqlCve202618408Fixed: restored.psqlCve202618408Fixed,
      ...(restored.psqlCve202618408Fixed === true
        ? {}
        : {
            psqlNote:
              `psql ${restored.psqlVersion ?? '(version unknown)'} may lack the fix for CVE-2026-18408 (fixed in 15.19, 16.11, 17.7, ` +
              `18.1): upgrade the PostgreSQL client; restorecheck's guard refuses such dumps meanwhile`,
          }),
    };
    const unexpected = restored.errorCount - restored.privilegedRefusals;
    if (unexpected > 0) {
      outcome.provision = {
        ok: false,
        failure: {
          kind: 'restore-failed',
          message: `psql reported ${unexpected} error(s) restoring ${DUMP_MEMBER} (first: ${firstUnexpected(restored.errors)})${mismatch ? `; ${mismatch}` : ''}`,
          hint: mismatch ?? 'the dump does not restore cleanly: restore it by hand (gunzip -c | psql) to see every error, and fix the backup job',
        },
      };
    } else {
      outcome.provision = {
        ok: true,
        value: {
          restoreSeconds,
          restorePoint: metadata?.timestamp ?? verification.name?.timestamp.toISOString() ?? null,
          details: mismatch ? { ...details, versionWarning: mismatch } : details,
        },
      };
    }
    if (signal.aborted) throw signal.reason;
    provisionDecided = true;
    log.info(`restore-test: restored in ${restoreSeconds} s; reading the restored database`);

    gateway = openDatabase(db.url, { statementTimeoutMs: config.database?.statementTimeoutMs ?? 60_000, connectTimeoutMs: 10_000 });
    const tables = metadata?.row_counts ? Object.keys(metadata.row_counts) : (config.database?.coreTables.map((t) => t.name) ?? []);
    outcome.restored = await probeRestoredDatabase(gateway, config, tables, options.signedDocument);
  } catch (error) {
    if (!provisionDecided) {
      outcome.provision = {
        ok: false,
        failure: signal.aborted
          ? { kind: 'timeout', message: 'the restore test was interrupted or ran out of time', hint: 'run it again; raise --timeout for a large dump' }
          : error instanceof MetaCommandRefused && error.command === 'connect'
            ? // pg_dumpall writes `\connect` between databases: verify accepts such a cluster dump, but the guarded
              // restore loads one database and lets no meta-command through, so say what to run instead.
              {
                kind: 'restore-failed',
                message: `${error.message} (postgres_full.sql.gz looks like a pg_dumpall cluster dump: restore-test restores one database's pg_dump)`,
                hint: 'back up the database with `pg_dump --dbname=URL | gzip > postgres_full.sql.gz` (and the roles with `pg_dumpall --globals-only` beside it), then restore-test that archive',
              }
            : error instanceof MetaCommandRefused
              ? {
                  kind: 'restore-failed',
                  message: error.message,
                  hint: 'a backup must not contain psql commands: find out who or what wrote them into the dump, and regenerate it with pg_dump',
                }
              : toFailure(error),
      };
    }
  } finally {
    await gateway?.close().catch(() => undefined);
    if (db) {
      if (options.keep) {
        outcome.cleanup = { status: 'kept', removed: [], leftover: [db.description], message: 'the throwaway cluster stops when this process exits' };
      } else {
        try {
          const { removed } = await db.drop();
          outcome.cleanup = { status: db.exists() ? 'failed' : 'deleted', removed, leftover: db.exists() ? [db.description] : [] };
        } catch (error) {
          outcome.cleanup = { status: 'failed', removed: [], leftover: [db.description], message: describeError(error) };
        }
      }
    }
  }
  return outcome;
}
