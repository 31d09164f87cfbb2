/**
 * What the blob recovery drill did, step by step (restore/blob-recovery-drill.ts runs it, checks/blob/blob-recovery-drill.ts
 * judges it). Plain data, apart from the drill itself, so that the checks' types can name it without importing the drill.
 */
import type { StepFailure } from './outcome.js';

export type DrillStepName = 'upload' | 'overwrite' | 'delete' | 'list' | 'recover' | 'verify' | 'cleanup';

export interface DrillStep {
  name: DrillStepName;
  ok: boolean;
  seconds: number;
  detail?: string;
}

export interface BlobDrillOutcome {
  /** `container <name> of storage account <account>`. */
  where: string;
  canary: string;
  /** Whether Put Blob created versions (the data plane's own answer: a version id). */
  versioning: boolean;
  steps: DrillStep[];
  /** Wall time of the whole drill, cleanup included. */
  seconds: number;
  /** The listing after the delete: a soft-deleted base blob, and how many versions. */
  listed?: { deletedBase: boolean; versions: number };
  recovery?: { by: 'undelete' | 'promote-version'; versionId?: string };
  sha256: { expected: string; recovered?: string; overwritten?: string; overwrittenKept?: string };
  /** recovered: back with its content; gone: nothing listed after the delete; not-restorable: listed, not brought back; mismatch: other content. */
  verdict?: 'recovered' | 'gone' | 'not-restorable' | 'mismatch';
  /** A step that could not be done (a refusal, a network error): the drill says nothing about recovery then. */
  failure?: StepFailure & { step: DrillStepName };
  cleanup?: { status: 'deleted' | 'left-to-expire' | 'failed'; remaining: number; remainingRetentionDays?: number; detail?: string };
}
