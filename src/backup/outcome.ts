/**
 * What a backup did, as plain data: the run hands it to the backup-* checks, which judge it (as the restore-* checks
 * judge a restore outcome). Nothing here holds a secret: sources are described with their passwords masked.
 */
import type { ComponentName, ToolVersion } from '../selfhosted/component.js';
import type { JsonValue } from '../vocabulary.js';

export interface ComponentOutcome {
  name: ComponentName;
  /**
   * - `not-configured`: no selfHosted.sources.<name>: not backed up (metadata.json says so);
   * - `done`: its members are in the archive;
   * - `failed`: its tool or its source failed (error), or the disk filled;
   * - `not-run`: the backup stopped before it (another component failed, or the run was interrupted).
   */
  status: 'not-configured' | 'done' | 'failed' | 'not-run';
  /** Where it was dumped from, without any secret. */
  source?: string;
  tool?: ToolVersion;
  members: { path: string; sha256: string; size: number }[];
  facts: Record<string, JsonValue>;
  seconds?: number;
  failure?: { kind: string; message: string; hint: string };
}

export interface WrittenArchive {
  path: string;
  fileName: string;
  sha256: string;
  size: number;
  sidecar: string;
  /** `<file>.sig`, with selfHosted.signingKey. */
  signature?: { path: string; keyId: string };
}

export interface BackupOutcome {
  environment: string;
  backupDir: string;
  /** `<name>_<env>_<YYYYMMDD>_<HHMMSS>.tar.gz`, chosen before anything is written. */
  fileName: string;
  components: ComponentOutcome[];
  /** Set once the archive has its final name (renamed, sidecar written). */
  archive?: WrittenArchive;
  /** Why no archive was written, when none was. */
  failure?: { kind: string; message: string; hint: string };
  /** Seconds of each phase, for the report and the benchmark. */
  timings: { dumpSeconds?: number; packSeconds?: number; verifySeconds?: number; totalSeconds?: number };
  /** With --prune: what the retention policy deleted after the backup. */
  pruned?: { deleted: string[]; failed: { archive: string; error: string }[]; kept: number };
}
