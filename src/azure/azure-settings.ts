/**
 * What every Azure client of one run shares: the credential (created once per run), the endpoint,
 * deadlines and retry bounds, and the common client options derived from them.
 */
import type { TokenCredential } from '@azure/core-auth';
import { DefaultAzureCredential } from '@azure/identity';
import { connect } from 'node:net';
import type { AzureConfig } from '../config/schema.js';
import { TOOL_VERSION } from '../version.js';
import { abortError, deadline, raceAbort } from '../deadline.js';
import { EvaluationError } from '../errors.js';
import { addRequestGuard } from './request-guard.js';
import { addRequestLimiter, type RequestLimiter } from './request-limiter.js';
import type { Pipeline } from '@azure/core-rest-pipeline';

export interface AzureSettings {
  subscriptionId: string;
  /** Resource Manager endpoint without a trailing slash. */
  endpoint: string;
  requestTimeoutMs: number;
  maxRetries: number;
  maxRetryAfterSeconds: number;
  /** azure.maxPages: the most pages one listing may take. */
  maxPages: number;
  credential: TokenCredential;
  /** A fleet run's one cap on Resource Manager / Resource Graph requests in flight (azure.maxParallelRequests); absent: no cap. */
  limiter?: RequestLimiter;
}

/**
 * DefaultAzureCredential covers every way restorecheck runs: environment variables, workload
 * identity (GitHub OIDC through azure/login), managed identity, and a developer's `az login`.
 */
export function createCredential(tokenTimeoutMs: number): TokenCredential {
  return boundedCredential(new DefaultAzureCredential(), tokenTimeoutMs);
}

/** Whether a TCP connection to the endpoint's host and port is accepted within 2 s (the probe sends nothing). */
async function acceptsConnections(endpoint: string | undefined): Promise<boolean> {
  if (!endpoint) return false;
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return false;
  }
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  return new Promise((resolve) => {
    const socket = connect({ host: url.hostname.replace(/^\[|\]$/g, ''), port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(2_000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** The message of an error and of its causes and inner errors, for recognising a reset inside a credential chain's error. */
function errorText(error: unknown, depth = 0): string {
  if (depth > 4 || typeof error !== 'object' || error === null) return String(error ?? '');
  const e = error as { message?: unknown; code?: unknown; cause?: unknown; errors?: unknown };
  const inner = Array.isArray(e.errors) ? e.errors.map((x) => errorText(x, depth + 1)).join(' ') : '';
  return `${String(e.code ?? '')} ${String(e.message ?? '')} ${errorText(e.cause, depth + 1)} ${inner}`;
}

/** Where a managed identity would answer, for messages: App Service / Container Apps style, or the VM's IMDS. */
function identityEndpointOf(env: NodeJS.ProcessEnv): string {
  const raw = env.IDENTITY_ENDPOINT ?? env.MSI_ENDPOINT;
  if (!raw) return 'the managed-identity endpoint (IMDS, 169.254.169.254)';
  try {
    const url = new URL(raw);
    return `the managed-identity endpoint ${url.origin}${url.pathname} (IDENTITY_ENDPOINT)`;
  } catch {
    return 'the managed-identity endpoint in IDENTITY_ENDPOINT';
  }
}

/**
 * Every getToken gets its own deadline and the caller's signal. Without it, a managed-identity
 * endpoint that accepts the connection and never answers keeps a socket (and the process) alive
 * forever after the run's report is written: the credential's request had no abort signal.
 */
export function boundedCredential(inner: TokenCredential, timeoutMs: number, env: NodeJS.ProcessEnv = process.env): TokenCredential {
  return {
    async getToken(scopes, options) {
      const outer = options?.abortSignal;
      const bound = deadline(timeoutMs, {
        ...(outer ? { outer } : {}),
        reason: () =>
          new EvaluationError(
            'timeout',
            `no Azure token: ${identityEndpointOf(env)} did not answer within ${Math.round(timeoutMs / 1000)} s`,
            'the identity endpoint accepts connections but does not answer: check the managed identity of this runner, or sign in another way (azure/login with OIDC, `az login`)',
          ),
      });
      try {
        return await raceAbort(inner.getToken(scopes, { ...options, abortSignal: bound.signal }), bound.signal).catch((error: unknown) => {
          throw outer?.aborted && error === bound.signal.reason ? abortError() : error;
        });
      } catch (error) {
        // The credential chain folds every attempt into one message; a reset must not read as a timeout or a missing credential.
        const text = errorText(error);
        // MSAL reports both a refused and a reset connection as "network_error", without the code: a TCP probe of the
        // endpoint tells them apart, so that a reset is not read as a missing credential or a timeout.
        const networkError = /ManagedIdentityCredential: Network unreachable|network_error/i.test(text);
        const accepts = networkError ? await acceptsConnections(env.IDENTITY_ENDPOINT ?? env.MSI_ENDPOINT) : false;
        if (networkError && !accepts && (env.IDENTITY_ENDPOINT ?? env.MSI_ENDPOINT)) {
          throw new EvaluationError(
            'unreachable',
            `no Azure token: ${identityEndpointOf(env)} cannot be reached (connection refused or no route)`,
            'check the managed identity of this runner (IDENTITY_ENDPOINT), or sign in another way (azure/login with OIDC, `az login`)',
            { cause: error },
          );
        }
        if (!(error instanceof EvaluationError) && (accepts || /ECONNRESET|socket hang up/i.test(text))) {
          throw new EvaluationError(
            'reset',
            `no Azure token: the connection was reset by ${identityEndpointOf(env)} (ECONNRESET)`,
            'the identity endpoint (or something in front of it) drops the connection: run again, or check the managed identity of this runner',
            { cause: error },
          );
        }
        throw error;
      } finally {
        bound.clear();
      }
    },
  };
}

export function azureSettings(config: AzureConfig, credential: TokenCredential, limiter?: RequestLimiter): AzureSettings {
  return {
    ...(limiter ? { limiter } : {}),
    subscriptionId: config.subscriptionId,
    endpoint: config.resourceManagerEndpoint.replace(/\/+$/, ''),
    requestTimeoutMs: config.requestTimeoutMs,
    maxRetries: config.maxRetries,
    maxRetryAfterSeconds: config.maxRetryAfterSeconds,
    maxPages: config.maxPages,
    credential,
  };
}

/** The token audience of a Resource Manager endpoint: the public cloud's, a sovereign cloud's, or a simulator's. */
export function armScope(endpoint: string): string {
  return `${new URL(endpoint).origin}/.default`;
}

/** Pipeline options shared by the Resource Manager clients. */
export function armPipelineOptions(settings: AzureSettings) {
  return {
    endpoint: settings.endpoint,
    retryOptions: { maxRetries: settings.maxRetries, retryDelayInMs: 500, maxRetryDelayInMs: settings.maxRetryAfterSeconds * 1000 },
    // Resource Manager does not redirect these calls; following a redirect would carry the token along.
    redirectOptions: { maxRetries: 0 },
    userAgentOptions: { userAgentPrefix: `restorecheck/${TOOL_VERSION}` },
  };
}

/** The request guard on every Resource Manager / Resource Graph pipeline, and a fleet run's request cap when it has one. */
export function guardPipeline(pipeline: Pipeline, settings: AzureSettings): void {
  addRequestGuard(pipeline, { allowedOrigin: new URL(settings.endpoint).origin, maxRetryAfterSeconds: settings.maxRetryAfterSeconds });
  if (settings.limiter) addRequestLimiter(pipeline, settings.limiter);
}

/**
 * Runs one Azure call under its own deadline (retries and pages included) and maps any failure to
 * an EvaluationError. The race makes the deadline hold even if an SDK ignored the signal.
 */
export async function withDeadline<T>(
  timeoutMs: number,
  run: (signal: AbortSignal) => Promise<T>,
  mapError: (error: unknown) => Error,
  outer?: AbortSignal,
): Promise<T> {
  // AbortSignal.timeout rather than deadline(): an Azure call's timer must not hold the process open on its own.
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = outer ? AbortSignal.any([outer, timeout]) : timeout;
  try {
    return await raceAbort(run(signal), signal).catch((error: unknown) => {
      throw signal.aborted && error === signal.reason ? abortError() : error;
    });
  } catch (error) {
    throw mapError(error);
  }
}
