/**
 * The blob recovery drill (issue 18, check blob-recovery-drill): a setting is not a recovery, so restore-test proves by
 * doing that a deleted document comes back. In the dedicated drill container (azure.storage.drill, never the documents'):
 *  1. upload a canary of random content, 2. overwrite it once, 3. delete it,
 *  4. list the container with deleted blobs and versions included: the deleted canary must be there,
 *  5. bring it back: promote its newest version when versioning is on (Azure's Undelete does not restore a base blob
 *     then: the version is read and written back as the current blob), otherwise Undelete Blob,
 *  6. check the current blob's SHA-256 against the content it had when deleted (and, with versioning, that the
 *     overwritten content is kept as its own version),
 *  7. delete the canary and its versions; what soft delete keeps is purged where the account allows it
 *     (allowPermanentDelete), otherwise left to expire with the retention, and the outcome says so.
 * Each step's result and time is evidence. Nothing here judges: the check does (checks/blob/blob-recovery-drill.ts).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { DrillBlobs, DrillListedBlob } from '../azure/types.js';
import type { Logger } from '../vocabulary.js';
import type { BlobDrillOutcome, DrillStepName } from './blob-drill-outcome.js';
import { toFailure } from './restored-database.js';

export type { BlobDrillOutcome, DrillStep, DrillStepName } from './blob-drill-outcome.js';

export interface DrillOptions {
  canaryBytes: number;
  runId: string;
  now: Date;
  signal: AbortSignal;
  log: Logger;
}

/** How long the cleanup may take once the drill is over (it runs after an interruption too). */
const CLEANUP_TIMEOUT_MS = 60_000;
const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const seconds = (since: number) => Math.round((performance.now() - since) / 10) / 100;
/** Version ids are the version's UTC timestamp (2026-12-02T10:11:12.1234567Z): they sort as they were made. */
const newestVersion = (entries: DrillListedBlob[]) => entries.filter((e) => e.versionId).sort((a, b) => (a.versionId! < b.versionId! ? 1 : -1))[0];

export async function runBlobRecoveryDrill(blobs: DrillBlobs, options: DrillOptions): Promise<BlobDrillOutcome> {
  const began = performance.now();
  const { signal, log } = options;
  const stamp = options.now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  const canary = `restorecheck-drill/${stamp}-${options.runId.slice(0, 8)}.bin`;
  const first = randomBytes(options.canaryBytes);
  const second = randomBytes(options.canaryBytes);
  const outcome: BlobDrillOutcome = {
    where: blobs.where,
    canary,
    versioning: false,
    steps: [],
    seconds: 0,
    sha256: { expected: sha(second), overwritten: sha(first) },
  };
  log.info(`restore-test: blob drill: canary ${canary} in ${blobs.where}`);

  /** One step, timed; a failure is kept (the first one) and ends the drill before its cleanup. */
  const step = async <T>(name: DrillStepName, work: () => Promise<T>, detail?: (value: T) => string): Promise<T | undefined> => {
    const t = performance.now();
    try {
      const value = await work();
      outcome.steps.push({ name, ok: true, seconds: seconds(t), ...(detail ? { detail: detail(value) } : {}) });
      return value;
    } catch (error) {
      const failure = toFailure(error);
      outcome.steps.push({ name, ok: false, seconds: seconds(t), detail: failure.message });
      if (name !== 'cleanup') outcome.failure ??= { ...failure, step: name };
      log.info(`restore-test: blob drill: ${name} failed: ${failure.message}`);
      return undefined;
    }
  };

  let created = false;
  try {
    const put1 = await step(
      'upload',
      () => blobs.put(canary, first, signal),
      (r) => (r.versionId ? `version ${r.versionId}` : 'no version (versioning off)'),
    );
    if (!put1) return outcome;
    created = true;
    outcome.versioning = Boolean(put1.versionId);
    const put2 = await step(
      'overwrite',
      () => blobs.put(canary, second, signal),
      (r) => (r.versionId ? `version ${r.versionId}` : 'no version'),
    );
    if (!put2) return outcome;
    if (!(await step('delete', () => blobs.delete(canary, signal)))) return outcome;

    const entries = await step(
      'list',
      async () => (await blobs.list(canary, signal)).filter((e) => e.name === canary),
      (found) => `${found.filter((e) => e.deleted && !e.versionId).length} soft-deleted blob, ${found.filter((e) => e.versionId).length} version(s)`,
    );
    if (!entries) return outcome;
    const deletedBase = entries.some((e) => e.deleted && !e.versionId);
    const versions = entries.filter((e) => e.versionId && !e.deleted);
    outcome.listed = { deletedBase, versions: versions.length };
    if (!deletedBase && versions.length === 0) {
      outcome.verdict = 'gone';
      log.info('restore-test: blob drill: the deleted canary is gone (nothing listed with deleted blobs and versions included)');
      return outcome;
    }

    // With versioning the deleted blob lives on as its previous versions (Undelete would not bring the base blob back).
    const version = newestVersion(versions);
    const recovered = await step(
      'recover',
      async () => {
        if (version?.versionId) {
          const read = await blobs.read(canary, signal, version.versionId);
          if (!read.exists) return undefined;
          await blobs.put(canary, read.bytes, signal);
          outcome.recovery = { by: 'promote-version', versionId: version.versionId };
        } else {
          await blobs.undelete(canary, signal);
          outcome.recovery = { by: 'undelete' };
        }
        return blobs.read(canary, signal);
      },
      (read) => (read?.exists ? `${outcome.recovery?.by}, ${read.size} bytes` : 'nothing to read back'),
    );
    if (!recovered) {
      if (!outcome.failure) outcome.verdict = 'not-restorable';
      return outcome;
    }
    if (!recovered.exists) {
      outcome.verdict = 'not-restorable';
      return outcome;
    }
    outcome.sha256.recovered = recovered.sha256;
    const checked = await step(
      'verify',
      async () => {
        // The overwritten content is kept too when versioning is on: its own (older) version.
        const older = versions.filter((v) => v.versionId !== version?.versionId).sort((a, b) => (a.versionId! < b.versionId! ? 1 : -1))[0];
        if (older?.versionId) {
          const read = await blobs.read(canary, signal, older.versionId);
          if (read.exists) outcome.sha256.overwrittenKept = read.sha256;
        }
        return recovered.sha256 === outcome.sha256.expected;
      },
      (same) => (same ? 'SHA-256 matches the content it had when deleted' : 'SHA-256 differs from the content it had when deleted'),
    );
    if (checked === undefined) return outcome;
    const overwrittenLost = outcome.versioning && outcome.sha256.overwrittenKept !== outcome.sha256.overwritten;
    outcome.verdict = checked && !overwrittenLost ? 'recovered' : 'mismatch';
    log.info(`restore-test: blob drill: ${outcome.verdict} (${outcome.recovery?.by})`);
    return outcome;
  } finally {
    // A deadline of its own, not the run's: after Ctrl-C or a timeout the canary must still go.
    if (created) outcome.cleanup = await cleanUp(blobs, canary, AbortSignal.timeout(CLEANUP_TIMEOUT_MS), step);
    outcome.seconds = seconds(began);
  }
}

/** Deletes the canary and its versions, purges what soft delete kept where allowed, and says what is left. */
async function cleanUp(
  blobs: DrillBlobs,
  canary: string,
  signal: AbortSignal,
  step: <T>(name: DrillStepName, work: () => Promise<T>, detail?: (value: T) => string) => Promise<T | undefined>,
): Promise<NonNullable<BlobDrillOutcome['cleanup']>> {
  let refused: string | undefined;
  const left = await step(
    'cleanup',
    async () => {
      await blobs.delete(canary, signal);
      const ours = async () => (await blobs.list(canary, signal)).filter((e) => e.name === canary);
      for (const entry of await ours()) if (entry.versionId && !entry.deleted) await blobs.delete(canary, signal, { versionId: entry.versionId });
      for (const entry of await ours()) {
        if (!entry.versionId || !entry.deleted) continue;
        try {
          await blobs.delete(canary, signal, { versionId: entry.versionId, permanent: true });
        } catch (error) {
          // Without allowPermanentDelete Azure refuses: the soft-deleted version expires with the retention instead.
          refused ??= toFailure(error).message;
        }
      }
      return ours();
    },
    (remaining) => (remaining.length ? `${remaining.length} soft-deleted entr${remaining.length === 1 ? 'y' : 'ies'} left to expire` : 'nothing left'),
  );
  if (!left) return { status: 'failed', remaining: -1, detail: 'the canary could not be deleted: delete it by hand' };
  if (left.length === 0) return { status: 'deleted', remaining: 0 };
  const days = Math.max(...left.map((e) => e.remainingRetentionDays ?? 0));
  return {
    status: 'left-to-expire',
    remaining: left.length,
    ...(days > 0 ? { remainingRetentionDays: days } : {}),
    ...(refused ? { detail: `permanent delete refused: ${refused}` } : {}),
  };
}
