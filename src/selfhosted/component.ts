/**
 * One module per self-hosted component (architecture.md, "One component, one module"): it knows its engine once. For
 * `backup` a module checks its tool (and reads its version) before anything is written, then dumps its source into the
 * spool folder as the archive member(s) of contract.md, and says what a later restore test compares with (counts).
 * The restore test and the in-place restore add their own operations to the same modules.
 */
import type { Readable } from 'node:stream';
import type { Config, SelfHostedConfig } from '../config/schema.js';
import type { JsonValue, Logger } from '../vocabulary.js';

export type ComponentName = 'postgres' | 'mariadb' | 'mongodb' | 'redis' | 'minio';

/** The order of the archive (and of the progress lines and report checks). */
export const COMPONENT_NAMES: readonly ComponentName[] = ['postgres', 'mariadb', 'mongodb', 'redis', 'minio'];

export type Sources = SelfHostedConfig['sources'];
export type SourceOf<N extends ComponentName> = NonNullable<Sources[N]>;

/** A member written to the spool folder: its path inside the archive's top folder, and what the manifest records. */
export interface SpooledMember {
  /** e.g. `postgres_full.sql.gz`, `minio/data.tar.gz`. */
  path: string;
  /** The spooled file. */
  file: string;
  sha256: string;
  size: number;
}

export interface ToolVersion {
  /** The program run, e.g. `pg_dump`. */
  name: string;
  /** Its own first line of `--version`, e.g. `pg_dump (PostgreSQL) 15.10 (Debian 15.10-0+deb12u1)`. */
  version: string;
}

export interface BackupContext {
  /** The member files go under it, at their member path. */
  spoolDir: string;
  signal: AbortSignal;
  log: Logger;
  /** Called as a member grows (bytes written so far, compressed), for the progress lines. */
  progress(bytes: number): void;
  /** The whole configuration: a component may take defaults from other sections (database.coreTables). */
  config: Config;
}

/** What one component's backup produced (its tool's version is the one toolVersion read before). */
export interface ComponentBackup {
  members: SpooledMember[];
  /** metadata.json's `components.<name>`: what the dump holds, for a later restore test (counts, sizes, versions). */
  facts: Record<string, JsonValue>;
  /** PostgreSQL only: the manifest's top-level row_counts and alembic_revision (what restore-test --archive compares). */
  rowCounts?: Record<string, number>;
  alembicRevision?: string | string[];
}

export interface SelfHostedComponent<N extends ComponentName = ComponentName> {
  name: N;
  /** The member paths this component writes (contract.md's archive format). */
  members: readonly string[];
  /** Where the source is, without any secret, e.g. `postgres://backup@db.internal:5432/medicapp` or `docker compose exec … redis`. */
  describe(source: SourceOf<N>): string;
  /** Runs the tool's `--version` (through the exec prefix): a missing tool throws ToolMissingError before anything is dumped. */
  toolVersion(source: SourceOf<N>, signal: AbortSignal): Promise<ToolVersion>;
  backup(source: SourceOf<N>, ctx: BackupContext): Promise<ComponentBackup>;
  /** The restore test of the component's members (issue 15); PostgreSQL's lives in src/restore/archive-restore.ts. */
  restoreTest?: ComponentRestoreTest;
  /** The in-place restore of `restorecheck restore` (issue 16): the member back into the configured source. */
  inPlace?: InPlaceRestore<N>;
}

// ---------------------------------------------------------------------------------------------------------------
// In-place restore (issue 16): `restorecheck restore` puts an archive's member back into the user's own server (the
// configured source, or its `restore` target). The orchestration (src/run/restore.ts) has already verified the whole
// archive, checked its environment, had the restore confirmed, taken the safety backup and run the global `stop`
// commands; it calls preflight for every component first (nothing is changed until they all pass), then restore for
// each component in archive order.

export interface InPlaceContext {
  /** Short id of the run: in the names of what is created aside (a new database, a new folder, a temp RDB). */
  runId: string;
  signal: AbortSignal;
  log: Logger;
  config: Config;
  /** Called as the member is consumed (bytes read so far, decompressed), for the progress lines. */
  progress(bytes: number): void;
}

/** What preflight found: the target, and what the restore needs on disk there (checked by the orchestration with the safety backup's needs). */
export interface InPlacePreflight {
  /** Where the member goes, without any secret, e.g. `database medicapp on db.internal:5432 (as admin)`. */
  target: string;
  /** A folder on this machine the restore writes into, and about how many bytes it needs there (e.g. the new MinIO folder). */
  disk?: { path: string; bytes: number };
}

/** What one component's in-place restore did. */
export interface InPlaceResult {
  target: string;
  /** What the restore did, in order, each as one sentence (e.g. `stopped redis (docker compose stop redis)`, `loaded 3 databases`). */
  steps: string[];
  /** What the target holds now against the metadata's `components.<name>` (as a restore test compares a throwaway copy). */
  comparison: RestoreComparison;
}

export interface InPlaceRestore<N extends ComponentName = ComponentName> {
  /**
   * Before anything is changed: the target is reachable, the credentials work, the tools and the configuration the
   * restore needs are there (e.g. Redis's `restore.start`). Throws a RestorecheckError (UsageError for configuration,
   * EvaluationError otherwise) whose message names the problem and whose hint the fix. Changes nothing. `recorded` is
   * metadata.json's `components.<name>` when the caller has it (MinIO sizes its `disk` need from its `bytes`).
   */
  preflight(source: SourceOf<N>, ctx: InPlaceContext, recorded?: Record<string, JsonValue>): Promise<InPlacePreflight>;
  /**
   * Replaces what the target holds with `content` (the member as member-tap.ts gives it: decompressed when gzip, the RDB
   * as stored), then compares the result with `recorded` (metadata.json's `components.<name>`; undefined when the
   * archive's metadata has none). Runs the component's own `restore.stop` before it overwrites and `restore.start`
   * after. Prefers to build the new state aside and swap it in (a new database, a new folder), so that a failure before
   * the swap leaves the target as it was; says in the thrown error's message what state it left. Throws
   * RestoreFailedError when the content itself does not restore, EvaluationError for anything else.
   */
  restore(source: SourceOf<N>, member: string, content: Readable, recorded: Record<string, JsonValue> | undefined, ctx: InPlaceContext): Promise<InPlaceResult>;
}

// ---------------------------------------------------------------------------------------------------------------
// Restore test (issue 15): each component proves its member restores, into a throwaway server of its own.

/** What a component restore test is given: never anything of the user's running servers. */
export interface RestoreTestContext {
  /** Short id of the run: in the names of what is created, so that the janitor and the report can tell them. */
  runId: string;
  signal: AbortSignal;
  log: Logger;
  config: Config;
}

/**
 * One component's restore into a throwaway target. `start` may run while the archive is still being read (an empty
 * server reveals nothing); `load` is fed the member as verify-archive reads it (member-tap.ts: decompressed when the
 * member is gzip, the RDB as stored; the read waits for it). `compare` runs after every member was fed and verified.
 * `dispose` removes everything `start` made, also after a failure, and is safe to call twice.
 */
export interface RestoreSession {
  /** Where the member was restored, without any secret, e.g. `throwaway mariadbd 10.11.6 on 127.0.0.1:41234`. */
  target: string;
  /** Loads one member (one of the component's `members`). Throws RestoreRefused when the content itself does not restore. */
  load(member: string, content: Readable): Promise<void>;
  /**
   * Reads what the throwaway target now holds and compares it with `recorded` (metadata.json's `components.<name>`,
   * undefined when the archive's metadata has none, e.g. an archive made by another tool).
   */
  compare(recorded: Record<string, JsonValue> | undefined): Promise<RestoreComparison>;
  dispose(): Promise<{ removed: string[]; leftover: string[] }>;
}

/** What a component's restore test found, for its restore-<component> check (all of it goes into the evidence). */
export interface RestoreComparison {
  /** What the restored copy holds: counts, bytes, versions (e.g. `{ keys: 200 }`, `{ table_counts: {…} }`). */
  restored: Record<string, JsonValue>;
  /** Each thing compared and equal, named (e.g. `keys`, `table medicapp.appointments`). */
  matched: string[];
  /** Each difference, as a sentence naming both sides (e.g. `the RDB loads 0 keys, the metadata records 200`). Any → fail. */
  differences: string[];
  /** What could not be compared because the metadata does not record it (e.g. `per-table row counts`). Any → warn, never a silent pass. */
  notCompared: string[];
}

export interface ComponentRestoreTest {
  /**
   * Why this machine cannot restore-test the component (e.g. `mongod/mongorestore not installed`), or undefined when it
   * can. A reason makes the check `skipped`, never `pass`.
   */
  unavailable(): Promise<string | undefined>;
  start(ctx: RestoreTestContext): Promise<RestoreSession>;
}
