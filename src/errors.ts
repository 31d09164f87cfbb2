/**
 * The few error classes of restorecheck. Each carries a hint: what the user should do next.
 *
 * - UsageError: bad command-line input (exit 2).
 * - ConfigError: the configuration file cannot be read or is invalid; lists every problem (exit 2).
 * - EvaluationError: a check could not evaluate something (a database, an Azure call); the runner
 *   turns it into status `error` with the hint, and the Azure request id when there is one.
 * - RestoreFailedError: the backup's own content did not restore (a dump the server rejects, an RDB that does not
 *   load): the restore check `fail`s, unlike an EvaluationError (we could not tell).
 *
 * Anything else that escapes is a bug: main.ts reports it in one line, without a stack trace
 * unless RESTORECHECK_DEBUG is set.
 */

import type { Evidence } from './vocabulary.js';

export abstract class RestorecheckError extends Error {
  abstract readonly hint: string;
}

export class UsageError extends RestorecheckError {
  override readonly name = 'UsageError';
  constructor(
    message: string,
    readonly hint: string = 'run the command with --help to see its options',
  ) {
    super(message);
  }
}

export class ConfigError extends RestorecheckError {
  override readonly name = 'ConfigError';
  /** One line per problem, each `key.path: message`. */
  readonly problems: string[];
  constructor(
    problems: string[],
    readonly hint: string = 'fix the configuration file (see the configuration reference in the README), then run `restorecheck validate-config --config FILE`',
  ) {
    super(problems.length === 1 ? `invalid configuration: ${problems[0]}` : `invalid configuration (${problems.length} problems)`);
    this.problems = problems;
  }
}

/** What kind of failure prevented an evaluation; stable strings, shown in reports. */
export type EvaluationErrorKind =
  | 'auth'
  | 'permission'
  | 'unreachable'
  | 'refused'
  | 'timeout'
  | 'tls'
  | 'not-found'
  | 'invalid-response'
  | 'throttled'
  /** The peer reset the connection (ECONNRESET): not a timeout, not a refusal. */
  | 'reset'
  /** 409: the request conflicts with the resource's state, e.g. a lock (ScopeLocked). */
  | 'conflict'
  /** Azure could not do it for a reason outside what was tested: quota, an internal error (a restore that never tried the backup). */
  | 'platform'
  | 'query'
  | 'config'
  | 'tool'
  | 'internal';

export class EvaluationError extends RestorecheckError {
  override readonly name = 'EvaluationError';
  readonly kind: EvaluationErrorKind;
  readonly hint: string;
  /** Azure's x-ms-request-id (or similar), kept as evidence of a failed call. */
  readonly requestId?: string;
  /**
   * What a check did evaluate before it found something it could not (restore-smoke: the queries that ran): the runner
   * keeps it as the `error` result's evidence, so that the report shows the parts that were judged.
   */
  readonly evidence?: Evidence;
  constructor(kind: EvaluationErrorKind, message: string, hint: string, options: { requestId?: string; cause?: unknown; evidence?: Evidence } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.kind = kind;
    this.hint = hint;
    if (options.requestId !== undefined) this.requestId = options.requestId;
    if (options.evidence !== undefined) this.evidence = options.evidence;
  }
}

export class RestoreFailedError extends RestorecheckError {
  override readonly name = 'RestoreFailedError';
  constructor(
    message: string,
    readonly hint: string,
    options: { cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
  }
}

export function isRestorecheckError(error: unknown): error is RestorecheckError {
  return error instanceof RestorecheckError;
}

/** A one-line description of any thrown value, for places that must not print a stack trace. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}
