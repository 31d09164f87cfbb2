/**
 * A setting Azure did not return is unknown: the check that needs it is `error`, never `pass` or
 * `fail` (contract.md). Shared by the pgflex-* and blob-* checks.
 */
import { EvaluationError } from '../errors.js';

export function known<T>(value: T | undefined | null, what: string): T {
  if (value === undefined || value === null) {
    throw new EvaluationError(
      'invalid-response',
      `${what} is unknown: Azure did not return it`,
      "check the resource in the Azure portal or with the az command in the remediation; the API version or the identity's permissions may hide it",
    );
  }
  return value;
}

/** Whole days between two instants, one decimal. */
export function daysBetween(from: Date, to: Date): number {
  return Math.round(((to.getTime() - from.getTime()) / 86_400_000) * 10) / 10;
}
