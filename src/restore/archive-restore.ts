/**
 * The archive path of `restore-test`, restored WHILE the archive is verified (one read, member-tap.ts): the archive's
 * `postgres_full.sql.gz` reaches this module decompressed, as verifyArchive reads it, and streams through the
 * meta-command guard into a throwaway PostgreSQL (no extraction to disk, no second read). Once verification is over,
 * the restored database is read like production would be and compared with what metadata.json recorded, unless
 * verification found the archive (or this member) bad: then the restore is discarded (discard.ts), and nothing of it
 * counts. Everything is removed, also when something fails or the run is interrupted.
 *
 * The throwaway cluster starts as soon as the dump's pg_dump version is known (resolvePostgresServer picks the
 * server): from metadata.json's `tools` (it comes first in archives restorecheck writes), else from the dump's own
 * header, read from its first bytes before anything is handed to psql.
 */
import { Readable } from 'node:stream';
import { z } from 'zod';
import type { MemberConsumer } from '../archive/member-tap.js';
import type { ArchiveMetadata } from '../archive/metadata.js';
import type { ArchiveVerification, MemberKind } from '../archive/verify-archive.js';
import type { Config } from '../config/schema.js';
import { openDatabase } from '../db/postgres.js';
import type { DatabaseGateway } from '../db/types.js';
import { EvaluationError, describeError } from '../errors.js';
import type { Logger } from '../vocabulary.js';
import type { Discard } from './discard.js';
import type { Read, RestoreOutcome, StepFailure } from './outcome.js';
import { resolvePostgresServer } from './postgres-binaries.js';
import { MetaCommandRefused } from './psql-input-guard.js';
import { type SignedDocumentProbe, probeRestoredDatabase, toFailure } from './restored-database.js';
import { runSmokeTest } from './smoke-test.js';
import { type SqlRestoreResult, restoreSqlDump, versionMismatch } from './sql-restore.js';
import { type ThrowawayDatabase, createThrowawayDatabase } from './throwaway-database.js';

export const DUMP_MEMBER = 'postgres_full.sql.gz';

/** The first psql error that is not one of the expected ones (ownership, roles, grants), else the first of all. */
function firstUnexpected(errors: string[]): string | undefined {
  return errors.find((e) => !/owner|member of role|permission denied|superuser|does not exist/i.test(e)) ?? errors[0];
}

export interface ArchiveRestoreOptions {
  config: Config;
  runId: string;
  keep: boolean;
  signal: AbortSignal;
  log: Logger;
  /** The archive's file name, for the log. */
  fileName: string;
  signedDocument?: SignedDocumentProbe;
  /** When the restore test started (the restore time includes verification and provisioning). */
  startedAt?: number;
}

/** What verification came to: its result and whether it discards the restore, or why it could not be done. */
export type VerificationVerdict = { ok: true; verification: ArchiveVerification; discard?: Discard } | { ok: false; error: unknown };

export interface ArchiveRestore {
  /** For verifyArchive's `tap`: the consumer of the PostgreSQL dump; nothing for the other members. */
  tap(member: string, kind: Exclude<MemberKind, 'metadata'>): MemberConsumer | undefined;
  /** For verifyArchive's `onMetadata`: starts the throwaway cluster at once when metadata.json names the pg_dump version. */
  onMetadata(metadata: ArchiveMetadata): void;
  /** Once verification is over (the load has settled by then): judges the restore, reads the restored database, cleans up. */
  finish(verdict: VerificationVerdict): Promise<RestoreOutcome>;
}

/** How far into the dump its header is looked for (pg_dump writes it in the first few hundred bytes). */
const HEADER_WINDOW = 64 * 1024;

/** `tools` as backup writes it in metadata.json (tool name → its `--version` line); anything else is ignored. */
const toolsSchema = z.looseObject({ tools: z.looseObject({ pg_dump: z.string().optional() }).optional() });

/** pg_dump's version from metadata.json's tools (`pg_dump (PostgreSQL) 17.2 (Debian 17.2-1)` → `17.2 (Debian 17.2-1)`). */
export function pgDumpVersionFromMetadata(metadata: ArchiveMetadata): string | undefined {
  const line = toolsSchema.safeParse(metadata).data?.tools?.pg_dump;
  if (!line) return undefined;
  return /\(PostgreSQL\)\s+(\d.*)$/.exec(line.trim())?.[1] ?? /\b(\d+(?:\.\d+)+\b.*)$/.exec(line.trim())?.[1];
}

/** pg_dump's version from the dump's header comment. */
export function pgDumpVersionFromHeader(head: string): string | undefined {
  return /^-- Dumped by pg_dump version (.+)$/m.exec(head)?.[1]?.trim();
}

/** Yields the chunks already read, then the rest of the same iterator: the stream as if nothing had been read. */
async function* replay(head: Buffer[], rest: AsyncIterator<Buffer>, ended: boolean): AsyncGenerator<Buffer> {
  yield* head;
  if (ended) return;
  try {
    for (;;) {
      const next = await rest.next();
      if (next.done) return;
      yield next.value;
    }
  } finally {
    // Stopped early (psql died, a meta-command refused): release the member so that verification goes on without us.
    await rest.return?.();
  }
}

export function startArchiveRestore(options: ArchiveRestoreOptions): ArchiveRestore {
  const { config, log, signal } = options;
  const started = options.startedAt ?? performance.now();
  let database: Promise<ThrowawayDatabase> | undefined;
  let metadataSeen: ArchiveMetadata | undefined;
  /** Settles when the load is over (it never rejects: its failure is `loadError`). */
  let loading: Promise<void> | undefined;
  let restored: SqlRestoreResult | undefined;
  let loadError: unknown;

  const provision = (dumpedBy: string | undefined): Promise<ThrowawayDatabase> => {
    if (database) return database;
    log.info(`restore-test: starting a throwaway PostgreSQL for a dump of pg_dump ${dumpedBy ?? '(version unknown)'}`);
    database = resolvePostgresServer(dumpedBy, { signal, log: (line) => log.info(`restore-test: ${line}`) }).then((server) =>
      createThrowawayDatabase({ server }),
    );
    database.catch(() => undefined); // its failure is reported through the load (or dropped when unused)
    return database;
  };

  const load = async (content: Readable): Promise<void> => {
    // Without the version in metadata.json, the dump's header names it: read it before anything reaches psql.
    const head: Buffer[] = [];
    const iterator = content[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    let ended = false;
    if (!database) {
      let text = '';
      while (text.length < HEADER_WINDOW && !/^-- Dumped by pg_dump version .+\n/m.test(text)) {
        const next = await iterator.next();
        if (next.done) {
          ended = true;
          break;
        }
        head.push(next.value);
        text += next.value.toString('latin1', 0, Math.min(next.value.length, HEADER_WINDOW));
      }
      provision(pgDumpVersionFromHeader(text));
    }
    const db = await database!;
    if (signal.aborted) throw signal.reason;
    log.info(`restore-test: restoring ${DUMP_MEMBER} from ${options.fileName} into ${db.description}`);
    let lastReport = performance.now();
    restored = await restoreSqlDump(Readable.from(replay(head, iterator, ended), { objectMode: false }), db.target, {
      signal,
      onProgress: (bytes) => {
        if (performance.now() - lastReport < 10_000) return;
        lastReport = performance.now();
        log.info(`restore-test: ${(bytes / 1048576).toFixed(0)} MiB of SQL restored, ${((performance.now() - started) / 1000).toFixed(0)} s`);
      },
    });
  };

  return {
    tap(member, kind) {
      if (member !== DUMP_MEMBER || kind !== 'postgres-dump' || loading) return undefined;
      return (content) => {
        loading = load(content).catch((error: unknown) => {
          loadError = error;
        });
        // verifyArchive only needs to know when we are done; our failure is ours to report.
        return loading;
      };
    },

    onMetadata(metadata) {
      metadataSeen = metadata;
      const version = pgDumpVersionFromMetadata(metadata);
      if (version) provision(version);
    },

    async finish(verdict) {
      await loading;
      const metadata = verdict.ok ? verdict.verification.metadata.value : metadataSeen;
      const outcome: RestoreOutcome = {
        method: 'archive',
        target: null,
        provision: { ok: false, failure: { kind: 'internal', message: 'not started', hint: '' } },
        source: {
          label: 'the archive metadata',
          ...(metadata?.alembic_revision !== undefined ? { alembic: { ok: true, value: metadata.alembic_revision } as Read<string | string[] | null> } : {}),
          ...(metadata?.row_counts
            ? { counts: { ok: true, value: Object.fromEntries(Object.entries(metadata.row_counts).map(([t, n]) => [t, BigInt(n)])) } }
            : {}),
        },
        limits: {
          // An archive is one consistent snapshot: by default its counts must match exactly.
          rowCountTolerancePercent: config.restoreTest.archiveRowCountTolerancePercent,
          ...(config.restoreTest.rtoMinutes ? { rtoMinutes: config.restoreTest.rtoMinutes } : {}),
          ...(config.restoreTest.rpoMinutes ? { rpoMinutes: config.restoreTest.rpoMinutes } : {}),
        },
        cleanup: { status: 'deleted', removed: [], leftover: [] },
      };
      const restoreSeconds = Math.round((performance.now() - started) / 10) / 100;
      let db: ThrowawayDatabase | undefined;
      let gateway: DatabaseGateway | undefined;
      let provisionDecided = false;
      try {
        db = await database?.catch(() => undefined);
        if (db) outcome.target = db.description;
        if (!verdict.ok) throw verdict.error;
        const { verification, discard } = verdict;
        if (discard) {
          // Restored in the sandbox while verifying; verification says it proves nothing: say so, and read nothing from it.
          outcome.provision = { ok: false, failure: discarded(discard, loading !== undefined, loadError) };
          provisionDecided = true;
          return outcome;
        }
        if (loadError !== undefined) throw loadError;
        if (!loading || !restored)
          throw new EvaluationError('not-found', `the archive holds no ${verification.topFolder}/${DUMP_MEMBER}`, 'see archive-members');
        const result = restored;
        const serverVersion = db?.serverVersion ?? '';
        const mismatch = versionMismatch(result.dumpedBy, serverVersion);
        const details = {
          sqlBytes: result.bytes,
          serverVersion,
          dumpedBy: result.dumpedBy ?? null,
          dumpedFrom: result.dumpedFrom ?? null,
          psqlErrors: result.errorCount,
          privilegedStatementsRefused: result.privilegedRefusals,
          firstErrors: result.errors,
          archiveSha256: verification.sha256,
          // Restored while verifying: the load and the verification of the whole archive ran in one read.
          restoredWhileVerifying: true,
          // How many psql connections loaded it, and which COPY blocks were shared out (sql-restore.ts, parallel-load.ts).
          load: { ...result.load },
          // Defence in depth, for the auditor: who psql ran as (never root), and whether it carries the
          // upstream fix for meta-commands smuggled past \restrict (the guard refuses them either way).
          psqlOsUser: result.psqlOsUser,
          psqlVersion: result.psqlVersion,
          psqlCve202618408Fixed: result.psqlCve202618408Fixed,
          ...(result.psqlCve202618408Fixed === true
            ? {}
            : {
                psqlNote:
                  `psql ${result.psqlVersion ?? '(version unknown)'} may lack the fix for CVE-2026-18408 (fixed in 15.19, 16.11, 17.7, ` +
                  `18.1): upgrade the PostgreSQL client; restorecheck's guard refuses such dumps meanwhile`,
              }),
        };
        const unexpected = result.errorCount - result.privilegedRefusals;
        if (unexpected > 0) {
          outcome.provision = {
            ok: false,
            failure: {
              kind: 'restore-failed',
              message: `psql reported ${unexpected} error(s) restoring ${DUMP_MEMBER} (first: ${firstUnexpected(result.errors)})${mismatch ? `; ${mismatch}` : ''}`,
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
        log.info(`restore-test: restored in ${restoreSeconds} s, verified in the same read; reading the restored database`);

        gateway = openDatabase(db!.url, { statementTimeoutMs: config.database?.statementTimeoutMs ?? 60_000, connectTimeoutMs: 10_000 });
        const tables = metadata?.row_counts ? Object.keys(metadata.row_counts) : (config.database?.coreTables.map((t) => t.name) ?? []);
        outcome.restored = await probeRestoredDatabase(gateway, config, tables, options.signedDocument);
        // The team's own smoke test, while the throwaway copy exists (as its restricted role, never as a superuser).
        const smoke = await runSmokeTest(gateway, { config, connection: { url: db!.url }, signal, log });
        if (smoke) outcome.restored.smoke = smoke;
      } catch (error) {
        if (!provisionDecided) outcome.provision = { ok: false, failure: failureOf(error, signal) };
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
    },
  };
}

/** A restore that verification discarded: why, and what the restore itself came to (a refused dump stays visible). */
function discarded(discard: Discard, started: boolean, loadError: unknown): StepFailure {
  const own = loadError === undefined ? undefined : failureOf(loadError, undefined).message;
  return {
    kind: discard.status === 'fail' ? 'restore-failed' : 'internal',
    message: !started
      ? `the archive was not restored because it failed verification before ${DUMP_MEMBER} was reached: ${discard.reason}`
      : own === undefined
        ? `${DUMP_MEMBER} was restored into the throwaway database while the archive was verified, then discarded because verification failed: ${discard.reason}`
        : `the restore of ${DUMP_MEMBER} is discarded because verification failed: ${discard.reason} (the restore itself: ${own})`,
    hint: 'nothing restored from this archive counts as proof; see the archive-* checks in this report (`restorecheck verify FILE` gives the full verdict)',
  };
}

function failureOf(error: unknown, signal: AbortSignal | undefined): StepFailure {
  if (signal?.aborted)
    return { kind: 'timeout', message: 'the restore test was interrupted or ran out of time', hint: 'run it again; raise --timeout for a large dump' };
  if (error instanceof MetaCommandRefused && error.command === 'connect') {
    // pg_dumpall writes `\connect` between databases: verify accepts such a cluster dump, but the guarded
    // restore loads one database and lets no meta-command through, so say what to run instead.
    return {
      kind: 'restore-failed',
      message: `${error.message} (postgres_full.sql.gz looks like a pg_dumpall cluster dump: restore-test restores one database's pg_dump)`,
      hint: 'back up the database with `pg_dump --dbname=URL | gzip > postgres_full.sql.gz` (and the roles with `pg_dumpall --globals-only` beside it), then restore-test that archive',
    };
  }
  if (error instanceof MetaCommandRefused)
    return {
      kind: 'restore-failed',
      message: error.message,
      hint: 'a backup must not contain psql commands: find out who or what wrote them into the dump, and regenerate it with pg_dump',
    };
  return toFailure(error);
}
