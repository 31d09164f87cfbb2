/**
 * The in-place restores' errors (component.ts, InPlaceRestore.restore): the thrown error keeps its class (a
 * RestoreFailedError is the content's fault, an EvaluationError anything else) and its message says what state the
 * restore left the target in, which is what the operator needs to read first.
 */
import { EvaluationError, RestoreFailedError, type RestorecheckError, UsageError, describeError } from '../errors.js';

/** `error` of the same class, with `; <state>` appended to its message (a non-restorecheck error becomes an EvaluationError). */
export function withRestoreState(error: unknown, state: string): RestorecheckError {
  const message = `${describeError(error)}; ${state}`;
  if (error instanceof RestoreFailedError) return new RestoreFailedError(message, error.hint, { cause: error });
  if (error instanceof UsageError) return new UsageError(message, error.hint);
  if (error instanceof EvaluationError) return new EvaluationError(error.kind, message, error.hint, { cause: error });
  const code = (error as NodeJS.ErrnoException).code;
  const kind =
    code === 'EACCES' || code === 'EPERM'
      ? 'permission'
      : (error as Error).name === 'AbortError' || (error as Error).name === 'TimeoutError'
        ? 'timeout'
        : 'tool';
  return new EvaluationError(kind, message, 'fix the cause named in the message, then run the restore again', { cause: error });
}
