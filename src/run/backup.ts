/**
 * `restorecheck backup` as a run: every configured component dumped with its native tool into a spool folder on the
 * backup file system, metadata.json written as the manifest, the archive packed and renamed into place, its sidecar
 * (and signature) written, then the archive verified in one read; the backup-* checks judge each component and the
 * archive-* checks the result, in one RunResult. `pruneAfterBackup` applies the retention policy afterwards.
 * Nothing here prints: progress goes to the logger; the CLI writes the reports and the audit line.
 */
import { execFile } from 'node:child_process';
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { hostname as osHostname } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { listArchiveDirectory } from '../archive/archive-directory.js';
import { signArchive } from '../archive/archive-signature.js';
import { applyRetention, planRetention, type RetentionDeletion } from '../archive/retention.js';
import { type ArchiveVerification, verifyArchive } from '../archive/verify-archive.js';
import { packArchive } from '../backup/archive-writer.js';
import { manifestBytes } from '../backup/manifest.js';
import type { BackupOutcome, ComponentOutcome } from '../backup/outcome.js';
import { type Spool, createSpool, sweepAbandonedSpools } from '../backup/spool.js';
import { formatBytes } from '../checks/backup-texts.js';
import { checksFor } from '../checks/index.js';
import { type ArchivesConfig, type Config, type SelfHostedConfig, archivesConfigOrDefault } from '../config/schema.js';
import { EvaluationError, UsageError, describeError, isRestorecheckError } from '../errors.js';
import { isDiskFull, writeFileAtomic } from '../evidence/atomic-write.js';
import { loadSigningKey } from '../evidence/signing.js';
import { COMPONENT_NAMES, type ComponentName, type SpooledMember } from '../selfhosted/component.js';
import { configuredComponent, expectedMembers } from '../selfhosted/components.js';
import type { Logger, Severity } from '../vocabulary.js';
import { TOOL_VERSION } from '../version.js';
import { LiveGateways, once } from './gateways.js';
import type { Provenance, RunResult } from './result.js';
import { type CommandStart, commandStartNow, runChecks } from './runner.js';

const run = promisify(execFile);

export interface BackupOptions {
  config: Config;
  only?: readonly string[] | undefined;
  failOn?: Severity | undefined;
  log: Logger;
  /** Aborted on SIGINT/SIGTERM: the dumps stop, and nothing with a final name is left. */
  signal: AbortSignal;
  commandStart?: CommandStart;
  provenance?: Provenance;
  /** The clock (tests); the archive's timestamp is its start, in whole seconds. */
  now?: () => Date;
}

/**
 * The archives section as the configuration's own stack implies it: an archive of selfHosted holds exactly the members of
 * the configured sources, so they are the required members unless archives.defaults or the environment's entry say
 * otherwise (a MongoDB that is not configured is not "missing").
 */
export function archivesOfStack(config: Config): ArchivesConfig {
  const archives = archivesConfigOrDefault(config.archives);
  if (!config.selfHosted || archives.defaults.requiredMembers) return archives;
  return { ...archives, defaults: { ...archives.defaults, requiredMembers: expectedMembers(config.selfHosted.sources) } };
}

/** Every check of a backup report, in order: one per component, then the verification of the archive written. */
export function backupChecks() {
  return [...checksFor('backup'), ...checksFor('verify')];
}

export function backupDirOf(selfHosted: SelfHostedConfig): string {
  return selfHosted.backupDir ?? join('/var/backups', selfHosted.name);
}

/** `<name>_<env>_<YYYYMMDD>_<HHMMSS>.tar.gz` (UTC). */
export function backupFileName(name: string, environment: string, at: Date): string {
  const stamp = at.toISOString().replace(/[-:]/g, '').replace('T', '_').slice(0, 15);
  return `${name}_${environment}_${stamp}.tar.gz`;
}

async function gitCommit(gitDir: string, signal: AbortSignal): Promise<string> {
  try {
    const { stdout } = await run('git', ['-C', gitDir, 'rev-parse', 'HEAD'], { timeout: 10_000, signal });
    return stdout.trim();
  } catch (error) {
    throw new UsageError(
      `selfHosted.gitDir: cannot read the commit of ${gitDir} (${describeError(error).split('\n')[0]})`,
      'point selfHosted.gitDir at the git checkout of the deployed application (git must be installed), or remove it',
    );
  }
}

function failureOf(error: unknown, fallbackHint: string): { kind: string; message: string; hint: string } {
  if (error instanceof EvaluationError) return { kind: error.kind, message: error.message, hint: error.hint };
  if (isRestorecheckError(error)) return { kind: 'config', message: error.message, hint: error.hint };
  return { kind: 'internal', message: describeError(error), hint: fallbackHint };
}

/** A full disk, said with what it needed: `needed` bytes more than were free when it filled. */
function diskFull(backupDir: string, what: string, needed: number): { kind: string; message: string; hint: string } {
  return {
    kind: 'tool',
    message: `the disk of ${backupDir} filled while writing ${what}: the backup needs about ${formatBytes(needed)} free there; nothing with a final name was written`,
    hint: `free at least ${formatBytes(needed)} on the file system of ${backupDir} (df -h ${backupDir}), or point selfHosted.backupDir at a larger one, then run again`,
  };
}

interface WriteResult {
  outcome: BackupOutcome;
  /** Kept after a success, for the checks (the signature's public key); removed by the caller. */
  spool?: Spool;
  /** The public key the archive-signature check uses, when derived from selfHosted.signingKey. */
  publicKey?: string;
}

/** Writes the archive; returns the outcome (never throws for a failed dump: the checks report it). */
async function writeBackup(options: BackupOptions, selfHosted: SelfHostedConfig, started: Date): Promise<WriteResult> {
  const { config, log, signal } = options;
  const t0 = performance.now();
  const backupDir = backupDirOf(selfHosted);
  const fileName = backupFileName(selfHosted.name, config.environment, started);
  const stem = fileName.slice(0, -'.tar.gz'.length);
  const components: ComponentOutcome[] = COMPONENT_NAMES.map((name) => ({
    name,
    status: selfHosted.sources[name] ? 'not-run' : 'not-configured',
    members: [],
    facts: {},
  }));
  const outcome: BackupOutcome = { environment: config.environment, backupDir, fileName, components, timings: {} };
  const stop = (failure: { kind: string; message: string; hint: string }, at?: ComponentOutcome) => {
    outcome.failure = failure;
    if (at) {
      at.status = 'failed';
      at.failure = failure;
    }
    for (const c of components) {
      if (c.status === 'not-run')
        c.failure = { kind: 'internal', message: `${c.name} was not dumped: the backup stopped (${failure.message})`, hint: failure.hint };
    }
  };

  try {
    await mkdir(backupDir, { recursive: true, mode: 0o750 });
    if (!(await stat(backupDir)).isDirectory()) throw new Error('not a directory');
  } catch (error) {
    throw new UsageError(
      `selfHosted.backupDir: cannot use ${backupDir} (${describeError(error)})`,
      'create it (writable by this user), or set selfHosted.backupDir',
    );
  }
  for (const name of await sweepAbandonedSpools(backupDir)) log.info(`backup: removed ${name}, left by a backup that was killed`);
  if (
    await stat(join(backupDir, fileName)).then(
      () => true,
      () => false,
    )
  ) {
    throw new UsageError(`${join(backupDir, fileName)} already exists`, 'another backup of this environment ran in the same second: run again in a moment');
  }
  const commit = selfHosted.gitDir ? await gitCommit(selfHosted.gitDir, signal) : null;

  // Every tool is checked before anything is dumped: a missing one stops the backup now, not after an hour of dumps,
  // and never leaves an archive that silently lacks a member.
  const configured = COMPONENT_NAMES.map((name) => ({ name, entry: configuredComponent(name, selfHosted.sources) })).filter((c) => c.entry);
  const versions = await Promise.all(
    configured.map(async ({ name, entry }) => {
      const outcomeOf = components.find((c) => c.name === name)!;
      outcomeOf.source = entry!.module.describe(entry!.source as never);
      try {
        outcomeOf.tool = await entry!.module.toolVersion(entry!.source as never, signal);
        return undefined;
      } catch (error) {
        return { outcomeOf, failure: failureOf(error, 'check the tool') };
      }
    }),
  );
  const missing = versions.filter((v) => v !== undefined);
  if (missing.length > 0) {
    for (const m of missing) {
      m.outcomeOf.status = 'failed';
      m.outcomeOf.failure = m.failure;
    }
    stop(missing[0]!.failure);
    return { outcome };
  }

  const spool = await createSpool(backupDir, stem);
  let keep = false;
  let publicKey: string | undefined;
  const rowCounts: Record<string, number> = {};
  let alembicRevision: string | string[] | undefined;
  let spooledBytes = 0;
  const spooled = new Map<ComponentName, SpooledMember[]>();
  try {
    for (const { name, entry } of configured) {
      const c = components.find((x) => x.name === name)!;
      if (signal.aborted) {
        stop(failureOf(signal.reason, 'run the backup again'));
        return { outcome };
      }
      log.info(`backup: ${name}: dumping ${c.source} (${c.tool?.version})`);
      const began = performance.now();
      let lastLine = began;
      let written = 0;
      try {
        const result = await entry!.module.backup(entry!.source as never, {
          spoolDir: spool.dir,
          signal,
          log,
          config,
          progress: (bytes) => {
            written = bytes;
            // A line every 10 s at most: a long dump shows it is alive without flooding a CI log.
            if (performance.now() - lastLine >= 10_000) {
              lastLine = performance.now();
              log.info(`backup: ${name}: ${formatBytes(bytes)} written`);
            }
          },
        });
        c.status = 'done';
        c.members = result.members.map((m) => ({ path: m.path, sha256: m.sha256, size: m.size }));
        spooled.set(name, result.members);
        c.facts = {
          ...result.facts,
          ...(name === 'postgres'
            ? { row_counts: result.rowCounts ?? {}, ...(result.alembicRevision ? { alembic_revision: result.alembicRevision } : {}) }
            : {}),
        };
        if (result.rowCounts) Object.assign(rowCounts, result.rowCounts);
        if (result.alembicRevision !== undefined) alembicRevision = result.alembicRevision;
        c.seconds = Math.round((performance.now() - began) / 100) / 10;
        spooledBytes += c.members.reduce((sum, m) => sum + m.size, 0);
        log.info(`backup: ${name}: ${c.members.map((m) => `${m.path} ${formatBytes(m.size)}`).join(', ')} in ${c.seconds} s`);
      } catch (error) {
        const failure = signal.aborted
          ? {
              kind: 'timeout',
              message: `${name}: interrupted (${describeError(signal.reason)})`,
              hint: 'run the backup again; nothing with a final name was written',
            }
          : isDiskFull(error)
            ? diskFull(backupDir, `the ${name} dump`, 2 * (spooledBytes + written) + 64 * 1024 * 1024)
            : failureOf(error, `run the ${name} dump by hand to see why`);
        stop(failure, c);
        return { outcome };
      }
    }
    outcome.timings.dumpSeconds = Math.round((performance.now() - t0) / 100) / 10;

    const metadata = manifestBytes({
      environment: config.environment,
      timestamp: started,
      hostname: osHostname(),
      backupName: selfHosted.name,
      gitCommit: commit,
      toolVersion: TOOL_VERSION,
      components,
      rowCounts,
      ...(alembicRevision !== undefined ? { alembicRevision } : {}),
    });
    const members = configured.flatMap(({ name }) => spooled.get(name) ?? []);
    log.info(`backup: packing ${fileName} (${formatBytes(spooledBytes)} of dumps)`);
    const packStart = performance.now();
    try {
      const packed = await packArchive({ spoolDir: spool.dir, backupDir, fileName, stem, mtime: started, metadata, members, signal });
      outcome.archive = { path: packed.path, fileName, sha256: packed.sha256, size: packed.size, sidecar: packed.sidecar };
    } catch (error) {
      stop(
        signal.aborted
          ? {
              kind: 'timeout',
              message: `interrupted while packing (${describeError(signal.reason)})`,
              hint: 'run the backup again; nothing with a final name was written',
            }
          : isDiskFull(error)
            ? diskFull(backupDir, fileName, spooledBytes + 64 * 1024 * 1024)
            : failureOf(error, 'run the backup again'),
      );
      return { outcome };
    }
    outcome.timings.packSeconds = Math.round((performance.now() - packStart) / 100) / 10;
    const written = outcome.archive;
    if (selfHosted.signingKey) {
      // Authenticity, not only integrity: `<file>.sig` over the archive's hash and the manifest (archive-signature.ts).
      const signer = loadSigningKey(selfHosted.signingKey, 'selfHosted.signingKey');
      const path = `${written.path}.sig`;
      try {
        await writeFileAtomic(path, signArchive({ fileName, sha256: written.sha256, metadataBytes: metadata }, signer), { mode: 0o644 });
      } catch (error) {
        // With a key configured, an unsigned archive is not the backup that was asked for: it loses its final name.
        await rm(written.path, { force: true });
        await rm(written.sidecar, { force: true });
        delete outcome.archive;
        stop(isDiskFull(error) ? diskFull(backupDir, `${fileName}.sig`, 1024 * 1024) : failureOf(error, 'run the backup again'));
        return { outcome };
      }
      written.signature = { path, keyId: signer.keyId };
      if (signer.publicKeyPem && !config.archives?.publicKey) {
        // The verification below checks the signature just written with the key's public half (in the spool folder,
        // removed after the checks), unless archives.publicKey names the key that verify uses elsewhere.
        publicKey = join(spool.dir, 'signing-key.pub.pem');
        await writeFile(publicKey, signer.publicKeyPem, { mode: 0o600 });
      }
    }
    log.info(
      `backup: ${fileName}: ${formatBytes(written.size)}, SHA-256 ${written.sha256}${written.signature ? `, signed by key ${written.signature.keyId.slice(0, 16)}…` : ''}`,
    );
    // The dumps are in the archive now; the folder stays (empty but for the public key) until the checks are done.
    await Promise.all(members.map((m) => rm(m.file, { force: true })));
    keep = true;
    return { outcome, spool, ...(publicKey ? { publicKey } : {}) };
  } finally {
    if (!keep) await spool.remove();
  }
}

/** Runs the backup, then the checks (per component, and the verification of the archive written). */
export async function runBackup(options: BackupOptions): Promise<{ result: RunResult; outcome: BackupOutcome; verification?: ArchiveVerification }> {
  const selfHosted = options.config.selfHosted;
  if (!selfHosted) {
    throw new UsageError('the configuration has no selfHosted section', 'add selfHosted (name, backupDir, sources) to the configuration: see the README');
  }
  const commandStart = options.commandStart ?? commandStartNow();
  const started = new Date(Math.floor((options.now?.() ?? commandStart.at).getTime() / 1000) * 1000);
  const deadline = AbortSignal.any([options.signal, AbortSignal.timeout(selfHosted.timeoutMinutes * 60_000)]);
  const stack = archivesOfStack(options.config);
  const written0 = await writeBackup({ ...options, config: { ...options.config, archives: stack }, signal: deadline }, selfHosted, started);
  try {
    return await judgeBackup(options, written0, stack, commandStart, deadline);
  } finally {
    await written0.spool?.remove();
  }
}

/** The verification of the archive written (one read), then the checks. */
async function judgeBackup(
  options: BackupOptions,
  { outcome, publicKey }: WriteResult,
  stack: ArchivesConfig,
  commandStart: CommandStart,
  deadline: AbortSignal,
): Promise<{ result: RunResult; outcome: BackupOutcome; verification?: ArchiveVerification }> {
  const archives: ArchivesConfig = publicKey ? { ...stack, publicKey } : stack;
  const config: Config = { ...options.config, archives };
  let verification: ArchiveVerification | undefined;
  const written = outcome.archive;
  const archive = written
    ? once(async () => {
        options.log.info(`backup: verifying ${written.fileName}`);
        const verifyStart = performance.now();
        verification = await verifyArchive(written.path, { limits: archives.limits, signal: deadline });
        outcome.timings.verifySeconds = Math.round((performance.now() - verifyStart) / 100) / 10;
        return verification;
      })
    : async (): Promise<ArchiveVerification> => {
        throw new EvaluationError(
          'internal',
          `no archive was written: ${outcome.failure?.message ?? 'the backup stopped'}`,
          outcome.failure?.hint ?? 'run the backup again',
        );
      };
  if (written) await archive().catch(() => undefined); // verified before the checks, so the timings are known to them
  outcome.timings.totalSeconds = Math.round((performance.now() - commandStart.perfMs) / 100) / 10;
  const { dumpSeconds, packSeconds, verifySeconds, totalSeconds } = outcome.timings;
  if (written) options.log.info(`backup: dumps ${dumpSeconds} s, packing ${packSeconds} s, verification ${verifySeconds} s; ${totalSeconds} s in all`);
  const gateways = new LiveGateways(config);
  try {
    const result = await runChecks({
      command: 'backup',
      checks: backupChecks(),
      config,
      gateways,
      inputs: { backup: outcome, archive },
      only: options.only,
      failOn: options.failOn,
      log: options.log,
      limits: { checkTimeoutMs: archives.timeoutMs, runTimeoutMs: archives.timeoutMs + 60_000 },
      commandStart,
      ...(options.provenance ? { provenance: options.provenance } : {}),
    });
    return { result, outcome, ...(verification ? { verification } : {}) };
  } finally {
    await gateways.close();
  }
}

/**
 * `backup --prune`: the retention policy (archives config: production 30 days and its newest 3 always kept), applied to
 * the backup directory after a backup that passed. The archive just written is never deleted, whatever the policy says.
 * Each deletion (archive, sidecar, signature) is recorded before the next one.
 */
export async function pruneAfterBackup(
  config: Config,
  outcome: BackupOutcome,
  record: (deletion: RetentionDeletion) => Promise<void>,
): Promise<NonNullable<BackupOutcome['pruned']>> {
  const listing = await listArchiveDirectory(outcome.backupDir);
  const plan = planRetention(listing, archivesConfigOrDefault(config.archives), new Date(), {
    ...(config.selfHosted ? { safetyKeepDays: config.selfHosted.safetyBackupKeepDays } : {}),
  });
  plan.decisions = plan.decisions.map((d) =>
    d.archive.name.fileName === outcome.fileName ? { ...d, action: 'keep', reason: 'the archive this backup just wrote' } : d,
  );
  const applied = await applyRetention(plan, record);
  return {
    deleted: applied.deleted.map((d) => d.archive),
    failed: applied.failed,
    kept: plan.decisions.filter((d) => d.action === 'keep').length,
  };
}
