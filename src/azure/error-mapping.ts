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
  /** With sharedKey: the configuration key holding the connection string, and the SAS permissions the call needs (default: azure.storage's, read). */
  connectionString?: { key: string; sasPermissions: string };
  /** The configuration key that names this call's resource group, for ResourceGroupNotFound (e.g. azure.postgres.resourceGroup). */
  resourceGroupKey?: string;
}

interface ErrorShape {
  name?: string;
  message?: string;
  code?: string;
  statusCode?: number;
  errors?: unknown[];
  response?: { headers?: { get(name: string): string | undefined }; parsedBody?: unknown };
  /** The storage SDKs put the x-ms-error-code header here. */
  details?: { errorCode?: string };
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

/** Azure Policy's deny as ARM sends it: the assignment's name in additionalInfo (PolicyViolation), or in the message's "Policy identifiers". */
export function denyingPolicy(e: ErrorShape): string | undefined {
  const body = e.response?.parsedBody as { error?: { additionalInfo?: unknown } } | undefined;
  const infos = Array.isArray(body?.error?.additionalInfo) ? body.error.additionalInfo : [];
  for (const entry of infos as Array<{ type?: unknown; info?: Record<string, unknown> }>) {
    const info = entry?.info;
    if (entry?.type !== 'PolicyViolation' || !info) continue;
    const name = info.policyAssignmentDisplayName ?? info.policyDefinitionDisplayName ?? info.policyAssignmentName;
    if (typeof name === 'string' && name) return typeof info.policyAssignmentId === 'string' ? `${name} (${info.policyAssignmentId})` : name;
  }
  const message = e.message ?? '';
  const assignment = /"policyAssignment":\s*\{\s*"name":\s*"([^"]+)"(?:,\s*"id":\s*"([^"]+)")?/.exec(message);
  if (assignment) return assignment[2] ? `${assignment[1]} (${assignment[2]})` : assignment[1];
  return undefined;
}

/**
 * A 403 by what Azure says it is. Only AuthorizationFailed (ARM) and AuthorizationPermissionMismatch (blob) mean "the
 * identity lacks a role"; a policy deny, a missing permission on a linked resource and a storage firewall each need
 * someone else to act, and a role assignment would not help. Azure's code and message are kept in every case.
 */
function forbidden(e: ErrorShape, call: AzureCall, service: string, opts: { requestId?: string; cause: unknown }): EvaluationError {
  const code = e.code ?? e.details?.errorCode;
  const said = brief(e.message);
  const azure = `${code ?? '403'}: ${said}`;
  const roleName = call.role.replace(/ on .*$/, '');
  const roleHint = `the identity needs ${call.role}: \`az role assignment create --assignee <identity object id> --role "${roleName}" --scope ${call.scope}\``;
  if (code === 'RequestDisallowedByPolicy') {
    const policy = denyingPolicy(e);
    return new EvaluationError(
      'permission',
      `${call.what}: an Azure Policy denies it${policy ? ` (policy assignment ${policy})` : ''}: ${azure}`,
      'a role assignment does not help: ask the policy owner for an exemption for this resource group (`az policy exemption create`), or change ' +
        'the request to what the policy allows; `az policy assignment list --scope ' +
        `${call.scope}\` shows the assignments`,
      opts,
    );
  }
  if (code === 'LinkedAuthorizationFailed') {
    const action = /perform action '([^']+)' on the linked scope/i.exec(e.message ?? '')?.[1];
    const linked = /on the linked scope\(s\) '([^']+)'/i.exec(e.message ?? '')?.[1];
    const what = action ? `${action} on ${linked ?? 'the linked resource'}` : 'a permission on a linked resource (a subnet, a key, an identity)';
    const role = action?.startsWith('Microsoft.Network/') ? 'Network Contributor' : '<a role with that action>';
    return new EvaluationError(
      'permission',
      `403 on ${call.what}: the identity lacks ${what}: ${azure}`,
      `grant it on the linked resource, not on the resource group: \`az role assignment create --assignee <identity object id> --role "${role}" ` +
        `--scope ${linked ?? '<linked resource id>'}\``,
      opts,
    );
  }
  if (call.plane === 'blob' && code === 'AuthorizationFailure') {
    return new EvaluationError(
      'permission',
      `403 on ${call.what}: the storage account's firewall (network rules) refuses this network: ${azure}`,
      "a role does not help: allow this machine's address or subnet on the account (`az storage account network-rule add --ip-address <address>` " +
        'or `--subnet <subnet id>`), or run from a network the account already allows',
      opts,
    );
  }
  if (call.plane === 'blob' && call.sharedKey) {
    return new EvaluationError(
      'permission',
      `403 on ${call.what}: ${azure}`,
      call.connectionString
        ? `the SAS in ${call.connectionString.key} does not allow this call (it needs ${call.connectionString.sasPermissions})`
        : 'the SAS in azure.storage.connectionString does not allow reading blobs (it needs sp=r on the blob service)',
      opts,
    );
  }
  if (code === 'AuthorizationFailed' || (call.plane === 'blob' && code === 'AuthorizationPermissionMismatch')) {
    return new EvaluationError('permission', `403 on ${call.what} ${code}: the identity lacks ${call.role} (${said})`, roleHint, opts);
  }
  return new EvaluationError(
    'permission',
    `403 on ${call.what}: ${service} refused it (${azure})`,
    `Azure's code says why; if it is a missing role, ${roleHint.replace(/^the identity needs/, 'the call needs')}`,
    opts,
  );
}

/**
 * 409 ScopeLocked: a management lock (CanNotDelete or ReadOnly) on the resource group or the resource. Azure's message names
 * the locked scope, not the lock, so the hint lists the locks of that scope first; waiting never helps.
 */
function scopeLocked(message: string, call: AzureCall, service: string, opts: { requestId?: string; cause: unknown }): EvaluationError {
  const lockedScope = /scope\(s\) are locked: '([^']+)'/i.exec(message)?.[1] ?? call.scope;
  const group = /\/resourceGroups\/([^/']+)/i.exec(lockedScope)?.[1];
  const resource = /\/providers\/([^/]+\/[^/]+)\/([^/']+)$/i.exec(lockedScope);
  const on = resource ? `the resource ${resource[2]}` : group ? `the resource group ${group}` : `the scope ${lockedScope}`;
  const target = resource ? ` --resource ${resource[2]} --resource-type ${resource[1]}` : '';
  const hint = group
    ? `find the lock with \`az lock list --resource-group ${group}${target} --output table\`, ` +
      `then remove it (\`az lock delete --name LOCK --resource-group ${group}${target}\`) ` +
      'or run the restore test in a resource group without a CanNotDelete/ReadOnly lock (restoreTest.targetResourceGroup)'
    : `find the lock with \`az lock list --scope ${lockedScope}\`, then remove it (\`az lock delete --ids LOCK_ID\`)`;
  return new EvaluationError(
    'conflict',
    `${call.what}: ${service} answered 409 ScopeLocked: a lock on ${lockedScope} forbids it (${on} is locked): ${brief(message)}`,
    hint,
    opts,
  );
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
        ? `the account key or SAS in ${call.connectionString?.key ?? 'azure.storage.connectionString'} is wrong or expired: take a fresh one (\`az storage account keys list\`)`
        : `the token was rejected: make sure the identity belongs to the subscription's tenant (AZURE_TENANT_ID, \`az account show\`) and that azure.resourceManagerEndpoint is the right cloud`;
    return new EvaluationError('auth', `${call.what}: ${service} answered ${status}${azureCode} (not authenticated)`, hint, opts);
  }
  if (status === 403) return forbidden(e, call, service, opts);
  if (status === 404 && e.code === 'ResourceGroupNotFound') {
    // A typo in the configuration, not a finding about the resource: no check may score it as `fail`.
    const group = /resourceGroups\/([^/]+)/i.exec(call.scope)?.[1] ?? 'the resource group';
    const key = call.resourceGroupKey ?? 'the resourceGroup of this call';
    return new EvaluationError(
      'config',
      `${call.what}: resource group ${group} (${key}) does not exist in subscription ${call.scope.split('/')[2] ?? ''} ` +
        `(ResourceGroupNotFound: ${brief(e.message)})`,
      `fix ${key} in the configuration (\`az group list --query "[].name"\` lists the resource groups), or check azure.subscriptionId`,
      opts,
    );
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
    if (e.code === 'ScopeLocked' || /ScopeLocked/.test(message)) return scopeLocked(message, call, service, opts);
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
