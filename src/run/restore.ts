/**
 * `restorecheck restore` as a run (issue 16): the real restore of a self-hosted stack from its archive, with the guard
 * rails of the procedure it replaces (restore-backup.sh) and a way back. In this order, and nothing is changed before
 * the safety backup:
 *   1. the archive (a path, or `latest` of the environment) is verified in full: a failure refuses;
 *   2. its environment must be --environment's (or --from-environment's, said on purpose);
 *   3. the operator confirms (the CLI's `confirm`: the typed phrase, --confirm, the countdown or --yes);
 *   4. preflight: every component to restore reaches its target with working credentials and what it needs, and the
 *      backup directory has room for the safety backup;
 *   5. the safety backup: the current state of those components, with `backup`'s own code, as `<name>-safety_…`;
 *   6. the global `stop` commands, then one more read of the archive feeding each component's in-place restore
 *      (component.ts, InPlaceRestore) in archive order; a failure or Ctrl-C stops before the next component;
 *   7. the global `start` commands (also after a failure: the services come back on what is there), then the health URL.
 * Every refusal (1–5) is a UsageError (exit 2) and leaves every target as it was. The checks (restored-*, restore-*)
 * judge the outcome in one report; nothing here prints.
 */
import { randomUUID } from 'node:crypto';
import { stat, statfs } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { listArchiveDirectory } from '../archive/archive-directory.js';
import { SAFETY_NAME_SUFFIX } from '../archive/retention.js';
import { type ArchiveVerification, MEMBER_KINDS, verifyArchive } from '../archive/verify-archive.js';
import { formatBytes } from '../checks/backup-texts.js';
import { checksFor } from '../checks/index.js';
import { type Config, type SelfHostedConfig, archivesConfigOrDefault } from '../config/schema.js';
import { EvaluationError, UsageError, describeError, isRestorecheckError } from '../errors.js';
import type { InPlaceComponentResult, InPlaceOutcome, InPlaceStep } from '../restore/in-place-outcome.js';
import type { StepFailure } from '../restore/outcome.js';
import { COMPONENT_NAMES, type ComponentName, type InPlaceContext } from '../selfhosted/component.js';
import { COMPONENTS, configuredComponent } from '../selfhosted/components.js';
import { runCommands } from '../selfhosted/service-commands.js';
import type { JsonValue, Logger, Severity } from '../vocabulary.js';
import { archivesOfStack, backupDirOf, runBackup } from './backup.js';
import { probeRestoredDatabase } from '../restore/database-health.js';
import { LiveGateways } from './gateways.js';
import type { Provenance, RunResult } from './result.js';
import { type CommandStart, commandStartNow, runChecks } from './runner.js';

/** The suffix of a safety backup's name: `<name>-safety_<env>_<stamp>.tar.gz` (retention keeps it, `latest` skips it). */
const SAFETY_SUFFIX = SAFETY_NAME_SUFFIX;

/** What the operator is asked to confirm, and how the CLI answers (it throws UsageError to refuse). */
export interface RestorePlan {
  environment: string;
  archive: { path: string; fileName: string; sha256: string; environment: string; timestamp: string | null };
  components: ComponentName[];
  production: boolean;
  safetyBackup: boolean;
}

export interface RestoreOptions {
  config: Config;
  /** A path, or `latest`. */
  archive: string;
  fromEnvironment?: string | undefined;
  reason?: string | undefined;
  safetyBackup: boolean;
  /** Asks the operator (or checks the flags); resolves with how it was confirmed, throws UsageError to refuse. */
  confirm(plan: RestorePlan): Promise<InPlaceOutcome['confirmation']>;
  /** The command line that would undo this restore from the safety archive (the CLI knows the config path). */
  undoCommand?(safetyArchive: string): string;
  only?: readonly string[] | undefined;
  failOn?: Severity | undefined;
  log: Logger;
  /** Aborted on SIGINT/SIGTERM. */
  signal: AbortSignal;
  commandStart?: CommandStart;
  provenance?: Provenance;
}

/** Every check of a restore report. */
export function restoreChecks() {
  return checksFor('restore');
}

export function isProduction(environment: string): boolean {
  return /^prod(uction)?$/i.test(environment);
}

/** The archive to restore: the path given, or the newest regular (not safety) archive of the environment. */
export async function resolveArchive(selfHosted: SelfHostedConfig, archive: string, environment: string): Promise<string> {
  if (archive !== 'latest') return resolve(archive);
  const dir = backupDirOf(selfHosted);
  const listing = await listArchiveDirectory(dir).catch((error: unknown) => {
    throw new UsageError(`cannot list ${dir} (${describeError(error)})`, 'check selfHosted.backupDir, or give the archive path instead of `latest`');
  });
  const newest = listing.archives.find((a) => a.name.environment === environment && a.name.name === selfHosted.name);
  if (!newest) {
    throw new UsageError(
      `no archive of ${selfHosted.name} for environment ${environment} in ${dir}`,
      `run \`restorecheck backup --environment ${environment}\` first, or give the archive path`,
    );
  }
  return newest.path;
}

/** The verify checks, for the refusal message: every one that did not pass or skip. */
async function verificationProblems(config: Config, verification: ArchiveVerification, log: Logger): Promise<string[]> {
  const gateways = new LiveGateways(config);
  try {
    const result = await runChecks({
      command: 'verify',
      checks: checksFor('verify').filter((c) => c.id !== 'archive-age'),
      // The stack's own members are the required ones (no MongoDB configured is not a missing MongoDB), as in `verify`.
      config: { ...config, archives: archivesOfStack(config) },
      gateways,
      inputs: { archive: async () => verification },
      log,
      limits: { checkTimeoutMs: 60_000, runTimeoutMs: 120_000 },
    });
    return result.checks.filter((c) => c.status === 'fail' || c.status === 'error').map((c) => `${c.id}: ${c.message}`);
  } finally {
    await gateways.close();
  }
}

function failureOf(error: unknown): StepFailure {
  if (isRestorecheckError(error)) {
    const kind = error.name === 'RestoreFailedError' ? 'restore-failed' : error instanceof EvaluationError ? error.kind : 'config';
    return { kind, message: error.message, hint: error.hint };
  }
  return { kind: 'internal', message: describeError(error), hint: 'run the restore again; the safety backup is in the report' };
}

const seconds = (since: number) => Math.round((performance.now() - since) / 100) / 10;

export async function runRestore(options: RestoreOptions): Promise<{ result: RunResult; outcome: InPlaceOutcome }> {
  const { config, log, signal } = options;
  const commandStart = options.commandStart ?? commandStartNow();
  const selfHosted = config.selfHosted;
  if (!selfHosted) throw new UsageError('the configuration has no selfHosted section', 'add selfHosted (name, backupDir, sources): see the README');
  const environment = config.environment;
  const steps: InPlaceStep[] = [];
  const runId = randomUUID().slice(0, 8);
  const deadline = AbortSignal.any([signal, AbortSignal.timeout(selfHosted.timeoutMinutes * 60_000)]);
  const limits = archivesConfigOrDefault(config.archives).limits;

  // 1. The archive, verified in full before anything else (the signature too, when archives.publicKey is set).
  const path = await resolveArchive(selfHosted, options.archive, options.fromEnvironment ?? environment);
  let t = performance.now();
  log.info(`restore: verifying ${path}`);
  const verification = await verifyArchive(path, { limits, signal: deadline }).catch((error: unknown) => {
    throw new UsageError(`cannot read ${path}: ${describeError(error)}`, 'check the path, or use `latest`');
  });
  const problems = await verificationProblems(config, verification, log);
  steps.push({ name: 'verify', seconds: seconds(t), ok: problems.length === 0 });
  if (problems.length > 0) {
    throw new UsageError(
      `${verification.fileName} failed verification, so nothing was restored or stopped: ${problems.join('; ')}`,
      'restore another archive (`restorecheck verify` each one), or make a new backup',
    );
  }
  const metadata = verification.metadata.value!;

  // 2. The archive's environment: the one restored into, or the one said with --from-environment.
  const archiveEnvironment = metadata.environment;
  const expected = options.fromEnvironment ?? environment;
  if (archiveEnvironment !== expected || (verification.name && verification.name.environment !== archiveEnvironment)) {
    throw new UsageError(
      `${verification.fileName} is an archive of ${archiveEnvironment}, not of ${expected}: nothing was restored`,
      options.fromEnvironment
        ? `give an archive of ${options.fromEnvironment}`
        : `to restore a ${archiveEnvironment} archive into ${environment} on purpose, add --from-environment ${archiveEnvironment}`,
    );
  }

  // What is restored: every configured component whose member the archive holds.
  const present = new Set(verification.entries.map((e) => e.path).filter((p): p is string => typeof p === 'string'));
  const components: Partial<Record<ComponentName, InPlaceComponentResult>> = {};
  const toRestore: ComponentName[] = [];
  for (const name of COMPONENT_NAMES) {
    const members = COMPONENTS[name].members.map(String);
    const inArchive = members.some((m) => present.has(m));
    const configured = selfHosted.sources[name] !== undefined;
    if (!inArchive && !configured) continue;
    if (!inArchive) components[name] = { members, state: 'not-in-archive', steps: [] };
    else if (!configured) components[name] = { members, state: 'not-configured', steps: [] };
    else {
      components[name] = { members, state: 'not-restored', steps: [], reason: 'the restore stopped before it' };
      toRestore.push(name);
    }
  }
  if (toRestore.length === 0) {
    throw new UsageError(
      `${verification.fileName} holds no member of a component configured in selfHosted.sources: nothing to restore`,
      'configure the sources this archive was made from',
    );
  }
  for (const name of toRestore) {
    if (!COMPONENTS[name].inPlace)
      throw new UsageError(`restoring ${name} in place is not supported yet`, `remove selfHosted.sources.${name}, or restore it by hand`);
  }

  // 3. Confirmation.
  const plan: RestorePlan = {
    environment,
    archive: { path, fileName: verification.fileName, sha256: verification.sha256, environment: archiveEnvironment, timestamp: metadata.timestamp },
    components: toRestore,
    production: isProduction(environment),
    safetyBackup: options.safetyBackup,
  };
  const confirmation = await options.confirm(plan);
  if (signal.aborted) throw new UsageError('interrupted before the restore began: nothing was changed', 'run the restore again');

  // 4. Preflight: nothing changes unless every target is ready.
  const ctxFor = (name: ComponentName): InPlaceContext => ({
    runId,
    signal: deadline,
    log,
    config,
    progress: progressLine(name, log),
  });
  t = performance.now();
  const targets: Partial<Record<ComponentName, string>> = {};
  const disks: { path: string; bytes: number }[] = [];
  const known = asideCopies(toRestore, selfHosted, verification);
  for (const name of toRestore) {
    const entry = configuredComponent(name, selfHosted.sources)!;
    try {
      const recorded = (metadata.components as Record<string, JsonValue> | undefined)?.[name];
      const facts = recorded !== null && typeof recorded === 'object' && !Array.isArray(recorded) ? (recorded as Record<string, JsonValue>) : undefined;
      const ready = await entry.module.inPlace!.preflight(entry.source as never, ctxFor(name), facts);
      targets[name] = ready.target;
      // The archive says how large the member is; the component could only guess from the current data.
      const disk = known[name] ?? ready.disk;
      if (disk) disks.push(disk);
      log.info(`restore: ${name}: ready (${ready.target})`);
    } catch (error) {
      const failure = failureOf(error);
      throw new UsageError(`preflight: ${name}: ${failure.message} (nothing was changed)`, failure.hint);
    }
  }
  // The safety backup is about as large as the archive (the same data, compressed the same way), and backup spools
  // its members beside the archive it writes: twice that, in the backup directory.
  if (options.safetyBackup) disks.push({ path: backupDirOf(selfHosted), bytes: Math.ceil(verification.sizeBytes * 2.2) + 64 * 1024 * 1024 });
  await checkFreeSpace(disks);
  steps.push({ name: 'preflight', seconds: seconds(t), ok: true });

  // 5. The way back.
  let safetyBackup: InPlaceOutcome['safetyBackup'] = { state: 'skipped', why: '--no-safety-backup' };
  if (options.safetyBackup) {
    t = performance.now();
    log.info(`restore: safety backup of ${toRestore.join(', ')} before anything is overwritten`);
    const sources = Object.fromEntries(toRestore.map((n) => [n, selfHosted.sources[n]]));
    const safetyConfig: Config = {
      ...config,
      selfHosted: { ...selfHosted, name: `${selfHosted.name}${SAFETY_SUFFIX}`, sources: sources as SelfHostedConfig['sources'] },
    };
    const backup = await runBackup({ config: safetyConfig, log, signal: deadline });
    const written = backup.outcome.archive;
    if (!written || backup.result.outcome !== 'pass') {
      const why =
        backup.outcome.failure?.message ??
        backup.result.checks
          .filter((c) => c.status === 'fail' || c.status === 'error')
          .map((c) => `${c.id}: ${c.message}`)
          .join('; ');
      throw new UsageError(
        `the safety backup failed, so nothing was stopped or overwritten: ${why}`,
        'fix what it names and run the restore again, or (only when the current state is known garbage) add --no-safety-backup',
      );
    }
    safetyBackup = {
      state: 'taken',
      path: written.path,
      fileName: written.fileName,
      sha256: written.sha256,
      sizeBytes: written.size,
      seconds: seconds(t),
      keepDays: selfHosted.safetyBackupKeepDays,
    };
    steps.push({ name: 'safety backup', seconds: safetyBackup.seconds, ok: true, detail: written.fileName });
    log.info(`restore: safety backup ${written.fileName} (${formatBytes(written.size)}) in ${safetyBackup.seconds} s`);
  }

  const outcome: InPlaceOutcome = {
    environment,
    archive: { ...plan.archive, sizeBytes: verification.sizeBytes },
    ...(options.fromEnvironment ? { fromEnvironment: options.fromEnvironment } : {}),
    reason: options.reason ?? null,
    confirmation,
    safetyBackup,
    components,
    steps,
    interrupted: false,
    health: {},
    totalSeconds: 0,
    rtoMinutes: selfHosted.rtoMinutes,
    ...(safetyBackup.state === 'taken' && options.undoCommand ? { undoCommand: options.undoCommand(safetyBackup.path) } : {}),
  };

  // 6. Stop, restore each component as the archive is read again, 7. start.
  let stopped = false;
  try {
    t = performance.now();
    try {
      await runCommands(selfHosted.stop, 'selfHosted.stop', { signal: deadline, log });
      stopped = true;
      if (selfHosted.stop) steps.push({ name: 'stop', seconds: seconds(t), ok: true });
    } catch (error) {
      steps.push({ name: 'stop', seconds: seconds(t), ok: false, detail: failureOf(error).message });
      for (const name of toRestore) components[name]!.reason = `not restored: the stop commands failed (${failureOf(error).message})`;
      throw error;
    }
    await restoreMembers(path, toRestore, metadata as Record<string, JsonValue>, components, targets, ctxFor, {
      limits,
      deadline,
      log,
      steps,
      runId,
      verification,
    });
  } catch (error) {
    log.info(`restore: stopped: ${describeError(error)}`);
  } finally {
    outcome.interrupted = signal.aborted;
    // The services come back on whatever is there now (the restored data, or the untouched data after a failure).
    if (stopped || !selfHosted.stop) {
      t = performance.now();
      try {
        await runCommands(selfHosted.start, 'selfHosted.start', { signal: AbortSignal.timeout(10 * 60_000), log });
        if (selfHosted.start) steps.push({ name: 'start', seconds: seconds(t), ok: true });
      } catch (error) {
        steps.push({ name: 'start', seconds: seconds(t), ok: false, detail: failureOf(error).message });
      }
    }
  }

  // Health: the restored database as the application reaches it, the URL, then the checks (restored-* compare what
  // each target holds with the metadata).
  if (components.postgres?.state === 'restored' && !signal.aborted) {
    const way = applicationDatabaseUrl(config);
    if ('url' in way) {
      t = performance.now();
      log.info('restore: health: reading the restored database as the application does');
      outcome.health.database = await probeRestoredDatabase({
        url: way.url,
        recorded: postgresFacts(metadata as Record<string, JsonValue>),
        alembicTable: selfHosted.sources.postgres?.alembicTable ?? config.database?.alembic.table ?? 'alembic_version',
        timeoutMs: selfHosted.healthTimeoutSeconds * 1000,
      });
      steps.push({ name: 'database health', seconds: seconds(t), ok: outcome.health.database.ok });
    } else outcome.health.databaseNotProbed = way.why;
  }
  if (selfHosted.healthUrl && !signal.aborted) {
    t = performance.now();
    outcome.health.url = await askHealth(selfHosted.healthUrl, selfHosted.healthTimeoutSeconds * 1000, log);
    steps.push({ name: 'health', seconds: seconds(t), ok: outcome.health.url.ok });
  }
  outcome.totalSeconds = Math.round((performance.now() - commandStart.perfMs) / 100) / 10;
  for (const name of toRestore) {
    const c = components[name]!;
    if (c.state === 'not-restored' && signal.aborted) c.reason = 'interrupted (Ctrl-C) before it was restored: it keeps its data';
  }
  const gateways = new LiveGateways(config);
  try {
    const result = await runChecks({
      command: 'restore',
      checks: restoreChecks(),
      config,
      gateways,
      inputs: { inPlace: outcome },
      only: options.only,
      failOn: options.failOn,
      log,
      limits: { checkTimeoutMs: 60_000, runTimeoutMs: 120_000 },
      commandStart,
      ...(options.provenance ? { provenance: options.provenance } : {}),
    });
    return { result, outcome };
  } finally {
    await gateways.close();
  }
}

/**
 * What the restores write beside their target on this machine: MariaDB spools the whole decompressed dump in TMPDIR
 * (read twice, so that a cut dump changes nothing), Redis writes the RDB into its data folder before the swap. (MinIO
 * says its own in preflight; PostgreSQL builds its new database on the server, whose free space no client can read.)
 */
function asideCopies(
  toRestore: ComponentName[],
  selfHosted: SelfHostedConfig,
  verification: ArchiveVerification,
): Partial<Record<ComponentName, { path: string; bytes: number }>> {
  const needs: Partial<Record<ComponentName, { path: string; bytes: number }>> = {};
  const decompressed = (member: string) => Number(verification.dumps.find((d) => d.path === member)?.details.decompressedBytes ?? 0);
  const stored = (member: string) => verification.entries.find((e) => e.path === member)?.size ?? 0;
  if (toRestore.includes('mariadb') && decompressed('mariadb_full.sql.gz') > 0) {
    needs.mariadb = { path: tmpdir(), bytes: decompressed('mariadb_full.sql.gz') + 16 * 1024 * 1024 };
  }
  const redis = selfHosted.sources.redis;
  const redisDir = redis?.restore?.dataDir ?? redis?.dataDir;
  if (toRestore.includes('redis') && redisDir && stored('redis_dump.rdb') > 0) needs.redis = { path: redisDir, bytes: stored('redis_dump.rdb') + 1024 * 1024 };
  return needs;
}

/** Each file system (by device) must hold the sum of what is written on it. */
async function checkFreeSpace(disks: { path: string; bytes: number }[]): Promise<void> {
  const byDevice = new Map<string, { paths: string[]; bytes: number; free: number }>();
  for (const disk of disks) {
    const [info, fs] = await Promise.all([stat(disk.path).catch(() => undefined), statfs(disk.path).catch(() => undefined)]);
    if (!info || !fs) continue; // the component's own preflight says what is wrong with a missing folder
    const key = String(info.dev);
    const entry = byDevice.get(key) ?? { paths: [], bytes: 0, free: fs.bavail * fs.bsize };
    entry.paths.push(disk.path);
    entry.bytes += disk.bytes;
    byDevice.set(key, entry);
  }
  for (const { paths, bytes, free } of byDevice.values()) {
    if (free < bytes) {
      const unique = [...new Set(paths)];
      throw new UsageError(
        `preflight: ${unique.join(' and ')} ${unique.length > 1 ? 'share a file system that has' : 'has'} ${formatBytes(free)} free, the restore needs about ${formatBytes(bytes)} there (nothing was changed)`,
        `free space on that file system (df -h ${paths[0]})`,
      );
    }
  }
}

/** A line every 10 s at most while a member loads. */
function progressLine(name: ComponentName, log: Logger): (bytes: number) => void {
  let last = performance.now();
  return (bytes) => {
    if (performance.now() - last < 10_000) return;
    last = performance.now();
    log.info(`restore: ${name}: ${formatBytes(bytes)} loaded`);
  };
}

/**
 * The second read of the archive: each component's member goes to its in-place restore as it is read (member-tap.ts),
 * one component after the other in archive order. After a failure (or Ctrl-C), the next members are not tapped: they
 * keep their data. The read itself is compared with the first: an archive that changed in between is an error.
 */
async function restoreMembers(
  path: string,
  toRestore: ComponentName[],
  metadata: Record<string, JsonValue>,
  components: Partial<Record<ComponentName, InPlaceComponentResult>>,
  targets: Partial<Record<ComponentName, string>>,
  ctxFor: (name: ComponentName) => InPlaceContext,
  run: {
    limits: ReturnType<typeof archivesConfigOrDefault>['limits'];
    deadline: AbortSignal;
    log: Logger;
    steps: InPlaceStep[];
    runId: string;
    verification: ArchiveVerification;
  },
): Promise<void> {
  const selfHosted = ctxFor('postgres').config.selfHosted!;
  const recordedAll = (metadata.components ?? {}) as Record<string, JsonValue>;
  let stoppedBy: string | undefined;
  /** Settles when the component tapped last has finished, whatever its outcome. */
  let previous: Promise<void> = Promise.resolve();
  const memberOf = new Map<string, ComponentName>();
  for (const name of toRestore) for (const m of COMPONENTS[name].members) memberOf.set(String(m), name);

  /** One component's in-place restore of its member; a failure is recorded, and stops the components after it. */
  const restoreOne = async (name: ComponentName, member: string, content: Readable): Promise<void> => {
    const result = components[name]!;
    const entry = configuredComponent(name, selfHosted.sources)!;
    const recorded: JsonValue | undefined = name === 'postgres' ? postgresFacts(metadata) : recordedAll[name];
    const began = performance.now();
    run.log.info(`restore: ${name}: restoring ${member} into ${targets[name]}`);
    try {
      const done = await entry.module.inPlace!.restore(
        entry.source as never,
        member,
        content,
        recorded !== null && typeof recorded === 'object' && !Array.isArray(recorded) ? (recorded as Record<string, JsonValue>) : undefined,
        ctxFor(name),
      );
      Object.assign(result, { state: 'restored', target: done.target, steps: done.steps, comparison: done.comparison, seconds: seconds(began) });
      delete result.reason;
      run.steps.push({ name, seconds: result.seconds!, ok: true });
      run.log.info(`restore: ${name}: restored in ${result.seconds} s`);
    } catch (error) {
      const failure = failureOf(error);
      Object.assign(result, { state: 'failed', target: targets[name], failure, seconds: seconds(began) });
      delete result.reason;
      stoppedBy = `${name} failed before it (${failure.message})`;
      run.steps.push({ name, seconds: result.seconds!, ok: false, detail: failure.message });
      run.log.info(`restore: ${name}: failed: ${failure.message}`);
    }
  };

  const second = await verifyArchive(path, {
    limits: run.limits,
    signal: run.deadline,
    tap: (member) => {
      const name = memberOf.get(member);
      if (!name || !MEMBER_KINDS[member]) return undefined;
      const result = components[name]!;
      if (stoppedBy || run.deadline.aborted) {
        result.reason = `not restored: ${stoppedBy ?? 'interrupted'} (it keeps its data)`;
        return undefined;
      }
      // The walk reaches this member as soon as the one before was read, while its component may still be finishing
      // (PostgreSQL's COMMIT, counts and swap; a stop or start command): wait for it, so that its failure spares this one.
      // Meanwhile the walk waits on this member's stream (backpressure): the archive is still read once.
      const before = previous;
      let finished!: () => void;
      previous = new Promise<void>((settle) => {
        finished = settle;
      });
      return async (content) => {
        try {
          await before;
          if (stoppedBy || run.deadline.aborted) {
            // Returning without reading: the tee cuts this consumer off and the member is still verified to its end.
            result.reason = `not restored: ${stoppedBy ?? 'interrupted'} (it keeps its data)`;
            return;
          }
          await restoreOne(name, member, content);
        } finally {
          finished();
        }
      };
    },
  });
  if (second.sha256 !== run.verification.sha256) {
    throw new EvaluationError(
      'invalid-response',
      `${run.verification.fileName} changed while it was being restored (SHA-256 ${run.verification.sha256} at verification, ${second.sha256} now)`,
      'find out what writes into the backup directory; restore from the safety backup',
    );
  }
}

/**
 * The URL the application reaches PostgreSQL by: `database.url` (check's own) when configured, else the restore target
 * (`restore.url`, else the source's url) unless an exec prefix says that URL is the container's view.
 */
function applicationDatabaseUrl(config: Config): { url: string } | { why: string } {
  if (config.database?.url) return { url: config.database.url };
  const source = config.selfHosted?.sources.postgres;
  if (!source) return { why: 'selfHosted.sources.postgres is not configured' };
  if (source.exec && !source.restore?.url) {
    return { why: 'its URL is the container’s (selfHosted.sources.postgres.exec): set database.url to the one this machine reaches it by' };
  }
  return { url: source.restore?.url ?? source.url };
}

/** metadata.json's facts for PostgreSQL: components.postgres, else the top-level row_counts and alembic_revision (other tools). */
function postgresFacts(metadata: Record<string, JsonValue>): Record<string, JsonValue> | undefined {
  const own = (metadata.components as Record<string, JsonValue> | undefined)?.postgres;
  if (own !== null && typeof own === 'object' && !Array.isArray(own)) return own as Record<string, JsonValue>;
  return {
    ...(metadata.row_counts !== undefined ? { row_counts: metadata.row_counts } : {}),
    ...(metadata.alembic_revision !== undefined ? { alembic_revision: metadata.alembic_revision } : {}),
  };
}

/** GET the health URL until it answers 2xx or the deadline passes (each attempt bounded, no redirect followed). */
async function askHealth(url: string, timeoutMs: number, log: Logger): Promise<NonNullable<InPlaceOutcome['health']['url']>> {
  const started = performance.now();
  let attempts = 0;
  let status: number | null = null;
  let error: string | undefined;
  log.info(`restore: health: asking ${url}`);
  while (true) {
    attempts++;
    const left = timeoutMs - (performance.now() - started);
    try {
      const response = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(Math.max(1000, Math.min(10_000, left))) });
      status = response.status;
      error = undefined;
      await response.body?.cancel();
      if (status >= 200 && status < 300) break;
    } catch (e) {
      status = null;
      error = describeError(e);
    }
    if (performance.now() - started + 1000 >= timeoutMs) break;
    await new Promise((r) => setTimeout(r, 1000));
  }
  const ok = status !== null && status >= 200 && status < 300;
  return { url, status, ok, seconds: seconds(started), attempts, ...(error ? { error } : {}) };
}
