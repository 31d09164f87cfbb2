/**
 * The one deadline helper. Every call that leaves the process (a check, an Azure request, a token request) runs under
 * a deadline built from these two pieces:
 *  - `deadline(ms)`: an abort signal that fires after `ms`. Unlike AbortSignal.timeout, its timer keeps the process
 *    alive, so a call hung on a promise with no pending I/O still ends (as an error), rather than the process exiting
 *    in silence with nothing reported; `clear()` it when the work is done.
 *  - `raceAbort(promise, signal)`: settles with the promise, or rejects as soon as the signal aborts, even when the
 *    code behind the promise (an SDK) ignores the signal. The promise is left to settle on its own.
 */

export interface Deadline {
  signal: AbortSignal;
  clear(): void;
}

/** An AbortSignal, or the SDKs' AbortSignalLike (which has no `reason`). */
export interface OuterSignal {
  readonly aborted: boolean;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/** Fires after `ms` (with `reason`, or an Error naming the deadline), or when `outer` aborts (with its reason). */
export function deadline(ms: number, options: { outer?: OuterSignal; reason?: () => unknown } = {}): Deadline {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(options.reason ? options.reason() : new Error(`deadline of ${ms} ms passed`)), ms);
  const outer = options.outer;
  const onOuter = () => controller.abort(outer && 'reason' in outer ? outer.reason : undefined);
  if (outer?.aborted) onOuter();
  else outer?.addEventListener('abort', onOuter, { once: true });
  return {
    signal: controller.signal,
    clear: () => {
      clearTimeout(timer);
      outer?.removeEventListener('abort', onOuter);
    },
  };
}

/** Resolves with the promise, or rejects with the signal's reason as soon as it aborts. */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/** The error an SDK throws on abort, for code that tells an abort from other failures by its name. */
export function abortError(): Error {
  return Object.assign(new Error('The operation was aborted.'), { name: 'AbortError' });
}
