/**
 * What a check makes of a setting Azure did not return (contract.md): where Microsoft documents a
 * default for it, that default, marked "never configured" (documentedDefault); otherwise it is
 * unknown and the check is `error`, never `pass` or `fail` (known). A `null` is the same as absent.
 * Shared by the pgflex-* and blob-* checks.
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

/**
 * A setting Azure leaves out until someone sets it (a fresh storage account's blobServices/default
 * has no isVersioningEnabled), read as the default Microsoft documents for it. `neverConfigured`
 * goes into the evidence, so that an auditor sees the verdict rests on the default. Only for
 * settings whose default is documented; every other setting goes through known().
 */
export function documentedDefault<T>(value: T | undefined | null, defaultValue: T): { value: T; neverConfigured: boolean } {
  return value === undefined || value === null ? { value: defaultValue, neverConfigured: true } : { value, neverConfigured: false };
}

/** Whole days between two instants, one decimal. */
export function daysBetween(from: Date, to: Date): number {
  return Math.round(((to.getTime() - from.getTime()) / 86_400_000) * 10) / 10;
}
