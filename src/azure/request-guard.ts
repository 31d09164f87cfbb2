/**
 * A pipeline policy added to every Resource Manager client, between the retry policy and the
 * bearer-token policy, so that it sees each attempt before a token is attached and each response
 * before the retry policy decides to wait:
 *
 *  - the token goes only to the configured endpoint: a `nextLink`, `Azure-AsyncOperation` or
 *    `Location` URL on another origin is refused before the bearer policy can sign it (the SDK
 *    follows such links as given);
 *  - a `Retry-After` longer than azure.maxRetryAfterSeconds ends the call at once, as `throttled`,
 *    instead of the SDK's unbounded wait (core-rest-pipeline honours any Retry-After).
 */
import { bearerTokenAuthenticationPolicyName, type Pipeline, type PipelinePolicy, type PipelineResponse } from '@azure/core-rest-pipeline';
import { EvaluationError } from '../errors.js';

export const requestGuardPolicyName = 'restorecheckRequestGuard';

export interface GuardOptions {
  /** scheme://host:port of the configured endpoint. */
  allowedOrigin: string;
  maxRetryAfterSeconds: number;
}

/** Retry-After in milliseconds for a throttling response (429/503), from any of the headers Azure uses; undefined when absent. */
export function retryAfterMs(response: PipelineResponse): number | undefined {
  if (response.status !== 429 && response.status !== 503) return undefined;
  for (const [header, factor] of [
    ['retry-after-ms', 1],
    ['x-ms-retry-after-ms', 1],
    ['retry-after', 1000],
  ] as const) {
    const raw = response.headers.get(header);
    if (raw === undefined) continue;
    const value = Number(raw);
    if (raw.trim() !== '' && Number.isFinite(value)) return value * factor;
    if (header === 'retry-after') {
      const date = Date.parse(raw);
      if (Number.isFinite(date)) return Math.max(0, date - Date.now());
    }
  }
  return undefined;
}

export function requestGuardPolicy(options: GuardOptions): PipelinePolicy {
  return {
    name: requestGuardPolicyName,
    async sendRequest(request, next) {
      const target = new URL(request.url);
      if (target.origin !== options.allowedOrigin) {
        throw new EvaluationError(
          'refused',
          `Resource Manager pointed to ${target.origin}, which is not the configured endpoint ${options.allowedOrigin}: the request was refused so that the token is never sent elsewhere`,
          'something between restorecheck and Resource Manager rewrites links (a proxy?), or azure.resourceManagerEndpoint is not Resource Manager',
        );
      }
      const response = await next(request);
      const waitMs = retryAfterMs(response);
      if (waitMs !== undefined && waitMs > options.maxRetryAfterSeconds * 1000) {
        const requestId = response.headers.get('x-ms-request-id');
        throw new EvaluationError(
          'throttled',
          `${request.method} ${target.pathname}: Resource Manager answered ${response.status} and asked to wait ${Math.round(waitMs / 1000)} s (Retry-After), ` +
            `more than azure.maxRetryAfterSeconds (${options.maxRetryAfterSeconds} s)`,
          'run again later, or raise azure.maxRetryAfterSeconds if such waits are expected',
          requestId ? { requestId } : {},
        );
      }
      return response;
    },
  };
}

/** Inserts the guard after the retry policy and before the bearer-token policy of a client's pipeline. */
export function addRequestGuard(pipeline: Pipeline, options: GuardOptions): void {
  pipeline.addPolicy(requestGuardPolicy(options), { afterPhase: 'Retry', beforePolicies: [bearerTokenAuthenticationPolicyName] });
}
