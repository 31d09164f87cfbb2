/**
 * The plumbing every Resource Manager read shares: a description of the call (for messages and
 * role hints), one deadline-bound attempt per key and run (five checks read the same server; Resource
 * Manager is asked once, and a failure is reported the same way to each), and zod validation of the
 * SDK's answer before anything relies on it.
 */
import type { z } from 'zod';
import { EvaluationError } from '../errors.js';
import { type AzureSettings, withDeadline } from './azure-settings.js';
import { type AzureCall, toEvaluationError } from './error-mapping.js';

export class ResourceManagerCalls {
  private readonly cache = new Map<string, Promise<unknown>>();

  /** `resourceGroupKey`: the configuration key of the resource groups this gateway reads, named when one does not exist. */
  constructor(
    private readonly settings: AzureSettings,
    private readonly resourceGroupKey?: string,
  ) {}

  /** A call needing `role` (default Reader) on the resource group; `key` names the resource group's configuration key if not the gateway's. */
  describe(what: string, resourceGroup: string, role = 'Reader', key = this.resourceGroupKey): AzureCall {
    return {
      ...(key ? { resourceGroupKey: key } : {}),
      what,
      plane: 'arm',
      role: `${role} on resource group ${resourceGroup}`,
      scope: `/subscriptions/${this.settings.subscriptionId}/resourceGroups/${resourceGroup}`,
      timeoutMs: this.settings.requestTimeoutMs,
    };
  }

  /** Runs `work` afresh (not memoised) under the call's deadline and an outer signal; errors become EvaluationErrors. */
  fresh<T>(call: AzureCall, work: (abortSignal: AbortSignal) => Promise<T>, outer?: AbortSignal): Promise<T> {
    return withDeadline(call.timeoutMs, work, (error) => toEvaluationError(error, call), outer);
  }

  /** Runs `work` once per key under the call's deadline; errors become EvaluationErrors. */
  once<T>(key: string, call: AzureCall, work: (abortSignal: AbortSignal) => Promise<T>): Promise<T> {
    const cacheKey = key.toLowerCase();
    let pending = this.cache.get(cacheKey) as Promise<T> | undefined;
    if (!pending) {
      pending = withDeadline(call.timeoutMs, work, (error) => toEvaluationError(error, call));
      // A check that never awaits it must not cause an unhandled rejection.
      pending.catch(() => undefined);
      this.cache.set(cacheKey, pending);
    }
    return pending;
  }
}

/**
 * A copy without the properties that are `null`, at every depth. Azure sends `null` for some unset optional fields
 * (secondaryLocation, tags, earliestRestoreDate, a network's subnet), and the SDK passes them on; null is the same as
 * absent (contract.md). Done here, once, so that every gateway schema, present and future, reads it so. Dates and
 * other class instances are kept as they are. A field whose null means something else (changeFeed.retentionInDays:
 * infinite) would need reading before this; restorecheck reads none.
 */
function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (value === null || typeof value !== 'object') return value;
  const prototype = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, v]) => v !== null)
      .map(([k, v]) => [k, withoutNulls(v)]),
  );
}

/** The SDK's answer checked against what restorecheck relies on (a null read as absent); a mismatch is `invalid-response`. */
export function validated<T>(schema: z.ZodType<T>, value: unknown, call: AzureCall, apiHint: string): T {
  const parsed = schema.safeParse(withoutNulls(value));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.map(String).join('.') || '(body)';
    throw new EvaluationError(
      'invalid-response',
      `${call.what}: Resource Manager answered with an unexpected ${where} (${issue?.message ?? 'invalid'})`,
      apiHint,
    );
  }
  return parsed.data;
}
