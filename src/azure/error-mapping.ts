/**
 * Turns whatever the Azure SDKs throw into one EvaluationError with an actionable hint and Azure's
 * request id. The SDK error classes are matched by shape (`statusCode`, `code`, `name`) rather than
 * with instanceof: three SDK packages bring their own copies of RestError.
 */
import { EvaluationError } from '../errors.js';

/** What was being asked, for messages and hints. */
export interface AzureCall {
  /** e.g. "GET Flexible Server medicappdbprod". */
  what: string;
  /** Which plane answered: Resource Manager or the blob data plane. */
  plane: 'arm' | 'blob';
  /** The role this call needs, e.g. "Reader on resource group medicapp-rg". */
  role: string;
  /** For role assignment hints: the scope the role is granted on. */
  scope: string;
  /** Deadline of the call, for timeout messages. */
  timeoutMs: number;
  /** Blob calls with a connection string: permissions come from the key or SAS, not from a role. */
  sharedKey?: boolean;
}

interface ErrorShape {
  name?: string;
  message?: string;
  code?: string;
  statusCode?: number;
  errors?: unknown[];
  response?: { headers?: { get(name: string): string | undefined } };
  cause?: unknown;
}

const TLS_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'REQUEST_SEND_ERROR',
]);
const CREDENTIAL_ERRORS = new Set(['CredentialUnavailableError', 'AuthenticationError', 'AggregateAuthenticationError', 'AuthenticationRequiredError']);

function shape(error: unknown): ErrorShape {
  return typeof error === 'object' && error !== null ? (error as ErrorShape) : { message: String(error) };
}

/** First line, bounded: SDK messages can be pages long (credential chains list every attempt). */
function brief(text: string | undefined, max = 300): string {
  const line =
    (text ?? '')
      .split('\n')
      .map((l) => l.trim())
      .find(Boolean) ?? '';
  return line.length > max ? `${line.slice(0, max)}…` : line;
}

export function requestIdOf(error: unknown): string | undefined {
  const e = shape(error);
  const headers = e.response?.headers;
  return headers?.get('x-ms-request-id') ?? headers?.get('x-ms-correlation-request-id') ?? undefined;
}

/** True when the chain found no credential at all (as opposed to one that failed to sign in). */
function allUnavailable(e: ErrorShape): boolean {
  if (e.name === 'CredentialUnavailableError') return true;
  if (e.name === 'AggregateAuthenticationError' && Array.isArray(e.errors))
    return e.errors.every((inner) => shape(inner).name === 'CredentialUnavailableError');
  return false;
}

export function toEvaluationError(error: unknown, call: AzureCall): EvaluationError {
  if (error instanceof EvaluationError) return error;
  const e = shape(error);
  const requestId = requestIdOf(error);
  const opts = { ...(requestId ? { requestId } : {}), cause: error };
  const service = call.plane === 'arm' ? 'Resource Manager' : 'Blob Storage';

  const innerCode0 = e.code ?? shape(e.cause).code;
  if (innerCode0 === 'ECONNRESET' || (e.statusCode === undefined && /ECONNRESET|socket hang up/i.test(e.message ?? ''))) {
    return new EvaluationError(
      'reset',
      `${call.what}: the connection was reset by ${service} (ECONNRESET) after the allowed retries`,
      `something between restorecheck and ${service} (a proxy, a firewall, a NAT gateway) drops the connection: run again, or check that path`,
      opts,
    );
  }
  if (e.name === 'AbortError' || e.code === 'ABORT_ERR') {
    return new EvaluationError(
      'timeout',
      `${call.what}: no answer from ${service} within ${Math.round(call.timeoutMs / 1000)} s`,
      `check the network path to ${service}, or raise azure.requestTimeoutMs`,
      opts,
    );
  }
  if (e.name && CREDENTIAL_ERRORS.has(e.name)) {
    if (allUnavailable(e)) {
      return new EvaluationError(
        'auth',
        `${call.what}: no Azure credential could get a token (DefaultAzureCredential tried environment variables, workload identity, managed identity and the Azure CLI)`,
        'sign in with `az login`, or in CI use azure/login with a federated credential (OIDC), or set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_FEDERATED_TOKEN_FILE',
        opts,
      );
    }
    return new EvaluationError(
      'auth',
      `${call.what}: Azure sign-in failed: ${brief(e.message)}`,
      'check AZURE_TENANT_ID / AZURE_CLIENT_ID and the federated credential or secret of the identity (`az login` locally)',
      opts,
    );
  }

  const status = e.statusCode;
  const azureCode = e.code && !NETWORK_CODES.has(e.code) && !TLS_CODES.has(e.code) ? ` ${e.code}` : '';
  if (status === 401 || (call.plane === 'blob' && status === 403 && e.code === 'AuthenticationFailed')) {
    const hint =
      call.plane === 'blob' && call.sharedKey
        ? 'the account key or SAS in azure.storage.connectionString is wrong or expired: take a fresh one (`az storage account keys list`)'
        : `the token was rejected: make sure the identity belongs to the subscription's tenant (AZURE_TENANT_ID, \`az account show\`) and that azure.resourceManagerEndpoint is the right cloud`;
    return new EvaluationError('auth', `${call.what}: ${service} answered ${status}${azureCode} (not authenticated)`, hint, opts);
  }
  if (status === 403) {
    const hint =
      call.plane === 'blob' && call.sharedKey
        ? 'the SAS in azure.storage.connectionString does not allow reading blobs (it needs sp=r on the blob service)'
        : `the identity needs ${call.role}: \`az role assignment create --assignee <identity object id> --role "${call.role.replace(/ on .*$/, '')}" --scope ${call.scope}\``;
    return new EvaluationError('permission', `403 on ${call.what}${azureCode}: the identity lacks ${call.role}`, hint, opts);
  }
  if (status === 404) {
    return new EvaluationError(
      'not-found',
      `${call.what}: ${service} answered 404${azureCode} (not found)`,
      'check the subscription, resource group and resource names in the configuration',
      opts,
    );
  }
  if (status === 409) {
    const message = e.message ?? '';
    if (e.code === 'ScopeLocked' || /ScopeLocked/.test(message)) {
      const lockedScope = /scope\(s\) are locked: '([^']+)'/i.exec(message)?.[1] ?? call.scope;
      const group = /\/resourceGroups\/([^/']+)/i.exec(lockedScope)?.[1];
      const hint = group
        ? `remove the lock (\`az lock list --resource-group ${group}\`, then \`az lock delete --name <lock> --resource-group ${group}\`), or run ` +
          `the restore test in a resource group without a CanNotDelete/ReadOnly lock`
        : `remove the lock (\`az lock list --scope ${lockedScope}\`, then \`az lock delete --ids <lock id>\`)`;
      return new EvaluationError('conflict', `${call.what}: ${service} answered 409 ScopeLocked: a lock on ${lockedScope} forbids it`, hint, opts);
    }
    return new EvaluationError(
      'conflict',
      `${call.what}: ${service} answered 409${azureCode} (conflict): ${brief(message)}`,
      'another operation on this resource is in progress or its state forbids the call: wait and run again',
      opts,
    );
  }
  if (status === 429) {
    return new EvaluationError(
      'throttled',
      `${call.what}: ${service} kept answering 429 (throttled) after the allowed retries`,
      'run again later, or raise azure.maxRetries',
      opts,
    );
  }
  if (status !== undefined && status >= 500) {
    return new EvaluationError(
      'unreachable',
      `${call.what}: ${service} answered ${status}${azureCode} after the allowed retries`,
      'Azure had a problem: run again later (the request id identifies the call for Azure support)',
      opts,
    );
  }
  if (e.code === 'PARSE_ERROR') {
    return new EvaluationError(
      'invalid-response',
      `${call.what}: ${service} answered with a body that is not valid JSON`,
      'a proxy or the endpoint in azure.resourceManagerEndpoint is not Azure Resource Manager',
      opts,
    );
  }
  if (status !== undefined) {
    return new EvaluationError(
      'invalid-response',
      `${call.what}: ${service} answered ${status}${azureCode}: ${brief(e.message)}`,
      'check the configuration values used in this call',
      opts,
    );
  }
  const innerCode = e.code ?? shape(e.cause).code;
  if ((innerCode && TLS_CODES.has(innerCode)) || /certificate|self.signed/i.test(e.message ?? '')) {
    return new EvaluationError(
      'tls',
      `${call.what}: the TLS certificate of ${service} is not trusted (${brief(e.message)})`,
      'for a local simulator, export NODE_EXTRA_CA_CERTS with its CA file; never turn TLS verification off',
      opts,
    );
  }
  if ((innerCode && NETWORK_CODES.has(innerCode)) || e.name === 'RestError') {
    return new EvaluationError(
      'unreachable',
      `${call.what}: cannot reach ${service} (${brief(e.message) || innerCode})`,
      'check azure.resourceManagerEndpoint / the blob endpoint, DNS, proxy and firewall',
      opts,
    );
  }
  return new EvaluationError(
    'invalid-response',
    `${call.what}: ${brief(e.message) || 'unexpected error'}`,
    'run again with RESTORECHECK_DEBUG=1 for details',
    opts,
  );
}
