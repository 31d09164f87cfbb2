/**
 * What `restorecheck restore` did, in one plain object (issue 16): the orchestration (src/run/restore.ts) fills it as it
 * goes, and the restored-* and restore-* checks of the command's report each judge one part of it. It is also what
 * the audit line records: who, why, from which archive, the way back, each step's timing, the health.
 */
import type { ComponentName, RestoreComparison } from '../selfhosted/component.js';
import type { DatabaseHealth } from './database-health.js';
import type { StepFailure } from './outcome.js';

export interface InPlaceComponentResult {
  members: string[];
  /**
   * `restored`: done, `comparison` says what the target holds now; `failed`: `failure` says why (kind `restore-failed`:
   * the archive's content did not restore); `not-restored`: not attempted (`reason`: an earlier failure, Ctrl-C);
   * `not-configured`: the archive has it, selfHosted.sources does not; `not-in-archive`: configured, absent from the archive.
   */
  state: 'restored' | 'failed' | 'not-restored' | 'not-configured' | 'not-in-archive';
  target?: string;
  seconds?: number;
  /** What was done, in order (stops, loads, swaps, starts), one sentence each. */
  steps: string[];
  comparison?: RestoreComparison;
  failure?: StepFailure;
  reason?: string;
}

export interface InPlaceStep {
  /** e.g. `verify`, `safety backup`, `stop`, `postgres`, `start`, `health`. */
  name: string;
  seconds: number;
  ok: boolean;
  detail?: string;
}

export interface InPlaceOutcome {
  environment: string;
  archive: { path: string; fileName: string; sha256: string; sizeBytes: number; environment: string; timestamp: string | null };
  /** `--from-environment`: restoring another environment's archive, on purpose. */
  fromEnvironment?: string;
  reason: string | null;
  /** How the restore was confirmed: the phrase typed, `--confirm`, the countdown run out, `--yes`. */
  confirmation: 'typed' | 'flag' | 'countdown' | 'yes';
  safetyBackup:
    | { state: 'taken'; path: string; fileName: string; sha256: string; sizeBytes: number; seconds: number; keepDays: number }
    | { state: 'skipped'; why: string };
  components: Partial<Record<ComponentName, InPlaceComponentResult>>;
  steps: InPlaceStep[];
  /** Ctrl-C (or SIGTERM) arrived during the restore: what the components say is where it stopped. */
  interrupted: boolean;
  health: {
    url?: { url: string; status: number | null; ok: boolean; seconds: number; attempts: number; error?: string };
    /** The restored PostgreSQL database as the application reaches it, once started again (database-health.ts). */
    database?: DatabaseHealth;
    /** Why the database was not probed although PostgreSQL was restored (e.g. its URL is the container's, behind exec). */
    databaseNotProbed?: string;
  };
  /** From the command's start to the end of the health checks. */
  totalSeconds: number;
  rtoMinutes: number;
  /** The command that puts back what the restore overwrote (from the safety backup). */
  undoCommand?: string;
}
