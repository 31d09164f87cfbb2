/** How the restore-* checks turn a failed step into a verdict: a bad backup fails, anything else is `error`. */
import { type LocalText, asParam } from '../checks/messages.js';
import { restoreTexts } from '../checks/restore-texts.js';
import type { Finding } from '../checks/types.js';
import { EvaluationError } from '../errors.js';
import type { Read, RestoreOutcome, StepFailure } from './outcome.js';

/** Throws for an evaluation problem; returns a `fail` finding when the backup itself did not restore. */
export function failedStep(failure: StepFailure, what: LocalText): Finding {
  if (failure.kind === 'restore-failed')
    return { status: 'fail', message: restoreTexts.stepFailed({ what: asParam(what), reason: failure.message }), evidence: {} };
  throw new EvaluationError(failure.kind, failure.message, failure.hint, failure.requestId ? { requestId: failure.requestId } : {});
}

/** The value of a read, or the finding/throw for its failure. */
export function valueOr<T>(read: Read<T>, what: LocalText): { value: T } | { finding: Finding } {
  return read.ok ? { value: read.value } : { finding: failedStep(read.failure, what) };
}

/** When the restore never happened, the checks of the restored data cannot be evaluated. */
export function restoredOrThrow(outcome: RestoreOutcome): NonNullable<RestoreOutcome['restored']> {
  if (outcome.restored) return outcome.restored;
  const why = outcome.provision.ok ? 'the restored database could not be read' : `the restore did not complete (${outcome.provision.failure.message})`;
  throw new EvaluationError('not-found', why, 'see restore-provision for the cause');
}
