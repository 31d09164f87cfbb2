/**
 * The two restore tests as runs, each ending in one RunResult: the restore (orchestrated in src/restore/) hands its
 * outcome to the restore-* checks as a plain input, and they judge it.
 *  - Azure: a point-in-time restore of the configured Flexible Server to a new server.
 *  - Archive: one read of the archive verifies it and restores its dump into a throwaway PostgreSQL at the same time;
 *    a restore that verification then finds bad (the archive, or its own member) is discarded; the gate's verdicts
 *    come again beside the restore-* checks in one report.
 * The CLI (cli/commands/restore-test.ts) parses the arguments and writes the reports; nothing here prints.
 */
import { randomUUID } from 'node:crypto';
import { verifyArchive } from '../archive/verify-archive.js';
import { signedDocument } from '../checks/db/signed-document.js';
import { archiveRestoreGate, checksFor, componentRestoreChecks } from '../checks/index.js';
import { type Config, archivesConfigOrDefault } from '../config/schema.js';
import { runBlobRecoveryDrill } from '../restore/blob-recovery-drill.js';
import { DUMP_MEMBER, type VerificationVerdict, startArchiveRestore } from '../restore/archive-restore.js';
import { discardReason } from '../restore/discard.js';
import { type CopyReading, restoreAzurePointInTime } from '../restore/azure-restore.js';
import { ComponentRestores } from '../restore/component-restores.js';
import type { RestoreOutcome } from '../restore/outcome.js';
import type { LocalText } from '../checks/messages.js';
import type { Check } from '../checks/types.js';
import type { SignedDocumentProbe } from '../restore/restored-database.js';
import type { Logger, Severity } from '../vocabulary.js';
import { type Gateways, LiveGateways, once, withDatabase } from './gateways.js';
import type { Provenance, RunResult } from './result.js';
import { type CommandStart, commandStartNow, runChecks, selectChecks } from './runner.js';

export interface RestoreTestOptions {
  config: Config;
  keep: boolean;
  /** Deadline of the whole restore. */
  timeoutMs: number;
  only: readonly string[] | undefined;
  failOn: Severity | undefined;
  log: Logger;
  /** Aborted on SIGINT/SIGTERM. */
  signal: AbortSignal;
  /** When the command began (default: when this function was called): the report's start, before the restore request. */
  commandStart?: CommandStart;
  provenance?: Provenance;
  /** The doors of this run (default: LiveGateways of the configuration); a fleet run hands each server's its own. */
  gateways?: (config: Config) => Gateways;
}

/** What a fleet run (run/fleet-restore-test.ts) changes in one server's Azure restore test. */
export interface FleetServerOptions {
  /** How production and the copy are read (restoreConfigFor). */
  reading?: CopyReading;
  /** The signed-document probe is not run on the copy, for this reason. */
  signedDocumentNotRead?: LocalText;
  /** The checks judging it (default: every check of an Azure restore test): a fleet runs blob-recovery-drill once, not per server. */
  checks?: readonly Check[];
}

/** Every check a restore test reports, in the order of its report; `--only` is checked against these before anything starts. */
export function restoreTestChecks(method: 'archive' | 'azure-point-in-time') {
  return method === 'archive'
    ? [...archiveRestoreGate, ...checksFor('restore-test')]
    : checksFor('restore-test').filter((check) => !componentRestoreChecks.includes(check));
}

/** Throws UsageError for an `--only` id that is not a check of a restore test: a typo must cost nothing (nothing restored or created). */
export function checkOnly(only: readonly string[] | undefined): void {
  selectChecks(restoreTestChecks('archive'), only);
}

/** The signed-document check, run against another database (the restored one). */
function signedDocumentProbe(gateways: Gateways, config: Config, log: Logger, signal: AbortSignal): SignedDocumentProbe {
  return (db) => signedDocument.run({ config, gateways: withDatabase(gateways, db), now: () => new Date(), signal, log });
}

/**
 * The blob recovery drill (azure.storage.drill) runs beside the restore: it needs only its own container, and a
 * point-in-time restore spends minutes waiting for Azure anyway. Undefined when not configured or not selected (--only).
 * It never throws: a step that fails is in its outcome, for blob-recovery-drill to judge.
 */
export function startBlobDrill(config: Config, gateways: Gateways, only: readonly string[] | undefined, signal: AbortSignal, log: Logger) {
  const drill = config.azure?.storage?.drill;
  if (!drill || (only && !only.includes('blob-recovery-drill'))) return Promise.resolve(undefined);
  return runBlobRecoveryDrill(gateways.drillBlobs(), { canaryBytes: drill.canaryBytes, runId: randomUUID(), now: new Date(), signal, log });
}

/** The deadlines of the judging runs: they only read the outcome, so the restore's own deadline bounds them. */
const judgingLimits = (timeoutMs: number) => ({ checkTimeoutMs: timeoutMs, runTimeoutMs: timeoutMs + 60_000 });

export async function runAzureRestoreTest(options: RestoreTestOptions & FleetServerOptions & { pointInTime?: Date }): Promise<RunResult> {
  const { config, log, timeoutMs } = options;
  // The report's start and duration cover the restore, not only the checks that judge it afterwards.
  const commandStart = options.commandStart ?? commandStartNow();
  const deadline = AbortSignal.any([options.signal, AbortSignal.timeout(timeoutMs)]);
  const gateways = options.gateways?.(config) ?? new LiveGateways(config);
  const drill = startBlobDrill(config, gateways, options.only, deadline, log);
  try {
    const outcome = await restoreAzurePointInTime({
      config,
      gateways,
      runId: randomUUID(),
      keep: options.keep,
      timeoutMs,
      signal: deadline,
      log,
      signedDocument: signedDocumentProbe(gateways, config, log, deadline),
      ...(options.pointInTime ? { pointInTime: options.pointInTime } : {}),
      ...(options.reading ? { reading: options.reading } : {}),
      ...(options.signedDocumentNotRead ? { signedDocumentNotRead: options.signedDocumentNotRead } : {}),
    });
    const blobDrill = await drill;
    // No abort signal here: after Ctrl-C the checks still judge what happened (they only read the outcome).
    return await runChecks({
      command: 'restore-test',
      checks: options.checks ?? restoreTestChecks('azure-point-in-time'),
      config,
      gateways,
      inputs: { restore: stampDeletion(outcome), ...(blobDrill ? { blobDrill } : {}) },
      only: options.only,
      failOn: options.failOn,
      log,
      limits: judgingLimits(timeoutMs),
      commandStart,
      ...(options.provenance ? { provenance: options.provenance } : {}),
    });
  } finally {
    // A restore that threw must not leave the drill's canary writes running behind the report.
    await drill;
    await gateways.close();
  }
}

export async function runArchiveRestoreTest(options: RestoreTestOptions & { path: string; fileName: string }): Promise<RunResult> {
  const { config, log, timeoutMs, signal } = options;
  const commandStart = options.commandStart ?? commandStartNow();
  const deadline = AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]);
  const gateways = new LiveGateways(config);
  // The judging runs are local and quick: after Ctrl-C they must still report what was cleaned up,
  // so only the gate (which reads the archive) takes the user's signal.
  const common = { config, gateways, failOn: options.failOn, log, limits: judgingLimits(timeoutMs) } as const;
  // One read: the dump is restored as verification reads it (the restore is a consumer of the verifier's tap), and
  // the restore's result is judged once the verdict is in (a damaged archive's restore is discarded, discard.ts).
  const runId = randomUUID().slice(0, 8);
  const startedAt = performance.now();
  const restore = startArchiveRestore({
    config,
    runId,
    fileName: options.fileName,
    startedAt,
    keep: options.keep,
    signal: deadline,
    log,
    signedDocument: signedDocumentProbe(gateways, config, log, deadline),
  });
  // The other components (MariaDB, Redis, MinIO, MongoDB), each into a throwaway target of its own, fed by the same read.
  const components = new ComponentRestores({ config, runId, signal: deadline, log, startedAt });
  const archive = once(() =>
    verifyArchive(options.path, {
      limits: archivesConfigOrDefault(config.archives).limits,
      signal: deadline,
      tap: (member, kind) => restore.tap(member, kind) ?? components.tap(member),
      onMetadata: (metadata) => {
        restore.onMetadata(metadata);
        components.onMetadata(metadata);
      },
    }),
  );
  log.info(`restore-test: verifying ${options.fileName} and restoring it as it is read`);
  const drill = startBlobDrill(config, gateways, options.only, deadline, log);
  let outcome: RestoreOutcome | undefined;
  try {
    const gate = await runChecks({ ...common, signal, command: 'restore-test', checks: archiveRestoreGate, inputs: { archive } });
    const verdict: VerificationVerdict = await archive().then(
      (verification) => {
        const discard = discardReason(gate.checks, verification, DUMP_MEMBER);
        if (discard) log.info(`restore-test: verification failed (${discard.reason}); the restore is discarded`);
        return discard ? { ok: true as const, verification, discard } : { ok: true as const, verification };
      },
      (error: unknown) => ({ ok: false as const, error }),
    );
    // PostgreSQL's outcome and the components' results are judged and cleaned up side by side.
    const [pg, others] = await Promise.all([
      restore.finish(verdict),
      verdict.ok
        ? components.finish({
            metadata: verdict.verification.metadata.value,
            discardReason: (member) => discardReason(gate.checks, verdict.verification, member),
          })
        : components.dispose().then(() => undefined),
    ]);
    outcome = others ? { ...pg, components: others } : pg;
    const blobDrill = await drill;
    // The archive verdicts come again from the one pass already made (memoised), beside the restore-* checks.
    return await runChecks({
      ...common,
      command: 'restore-test',
      checks: restoreTestChecks('archive'),
      inputs: { archive, restore: stampDeletion(outcome), ...(blobDrill ? { blobDrill } : {}) },
      only: options.only,
      commandStart,
      ...(options.provenance ? { provenance: options.provenance } : {}),
    });
  } finally {
    // A throw before finish (the gate itself failing) must not leave the cluster behind.
    if (!outcome) await restore.finish({ ok: false, error: new Error('the restore test stopped early') }).catch(() => undefined);
    await components.dispose();
    await drill;
    await gateways.close();
  }
}

/** The restore and its cleanup are over when it returns: a deletion done is stamped then (restore-cleanup's `deletedAt`). */
function stampDeletion(outcome: RestoreOutcome): RestoreOutcome {
  if (outcome.cleanup.status === 'deleted' && outcome.cleanup.removed.length > 0 && !outcome.cleanup.deletedAt)
    outcome.cleanup.deletedAt = new Date().toISOString();
  return outcome;
}
