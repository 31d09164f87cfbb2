/**
 * The simulator's URL table: each official path it answers, by name and group (postgres,
 * operations, storage, identity), with its handler. The listener tries the entries in order and
 * answers InvalidResourceType when none matches; the patterns do not overlap, so the order only
 * keeps the table readable.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ArmHttpError, methodNotAllowed, requireApiVersion, send } from './arm-http.js';
import { handleFirewallRule } from './firewall-rules.js';
import { handleIdentity, MSI_PATH } from './identity-endpoint.js';
import type { Operation } from './long-running-operations.js';
import { lroHeaders, type ServerTarget, startDelete, startRestore } from './restore-and-delete.js';
import {
  accountBody,
  backupBodies,
  blobServiceBody,
  containerBody,
  firewallRuleBody,
  ltrBodies,
  managementPolicyBody,
  operationStatusBody,
  serverBody,
  serverId,
} from './rest-bodies.js';
import { handleResourceGraph, RESOURCE_GRAPH_PATH } from './resource-graph.js';
import { resourceKey, type SimulatorState } from './simulator-state.js';
import type { SimulatedServer } from './simulator-types.js';

export type RouteGroup = 'postgres' | 'operations' | 'storage' | 'identity' | 'resource-graph';

export type RouteHandler = (state: SimulatorState, req: IncomingMessage, res: ServerResponse, url: URL, match: RegExpMatchArray) => void | Promise<void>;

export interface Route {
  name: string;
  group: RouteGroup;
  /** Matched against the URL path; its capture groups are the handler's `match`. */
  pattern: RegExp;
  handle: RouteHandler;
}

/** ARM's ResourceNotFound, word for word. */
const resourceNotFound = (type: string, rg: string, name: string) =>
  new ArmHttpError(
    404,
    'ResourceNotFound',
    `The Resource '${type}/${name}' under resource group '${rg}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
  );
const notFound = (rg: string, name: string) => resourceNotFound('Microsoft.DBforPostgreSQL/flexibleServers', rg, name);

/**
 * The checks every flexible-server path makes first (api-version, then subscription), and the server it names: in the
 * path's subscription only, and not a vanished one (Resource Graph still lists it; Resource Manager no longer has it).
 */
function serverTarget(state: SimulatorState, req: IncomingMessage, url: URL, m: RegExpMatchArray): ServerTarget {
  const [, sub, rg, name] = m as unknown as [string, string, string, string];
  const apiVersion = requireApiVersion(url, 'postgres');
  state.requireSubscription(sub, req.method, url.pathname);
  state.requireResourceGroup(sub, rg);
  const id = resourceKey(sub, rg, name);
  const found = state.servers.get(id);
  return { sub, rg, name, id, apiVersion, existing: found?.vanished ? undefined : found };
}

/** Servers_Get, Servers_CreateOrUpdate (point-in-time restore only), Servers_Delete. */
function handleServer(state: SimulatorState, req: IncomingMessage, res: ServerResponse, url: URL, m: RegExpMatchArray) {
  const target = serverTarget(state, req, url, m);
  if (req.method === 'GET') {
    if (!target.existing) throw notFound(target.rg, target.name);
    return send(res, 200, serverBody(state.described(target.existing), state.now(), state.subscriptionOf(target.existing)));
  }
  if (req.method === 'PUT') return startRestore(state, req, res, target);
  if (req.method === 'DELETE') return startDelete(state, res, target);
  throw methodNotAllowed(req.method);
}

/** BackupsAutomaticAndOnDemand_ListByServer, paged by scenario.paging.backupsPageSize with a `$skipToken` nextLink. */
function handleBackups(state: SimulatorState, req: IncomingMessage, res: ServerResponse, url: URL, m: RegExpMatchArray) {
  const { rg, name, apiVersion, existing } = serverTarget(state, req, url, m);
  if (req.method !== 'GET') throw methodNotAllowed(req.method);
  if (!existing) throw notFound(rg, name);
  const all = backupBodies(existing, state.now(), state.subscriptionOf(existing));
  const pageSize = state.scenario.paging.backupsPageSize;
  const skip = Number(url.searchParams.get('$skipToken') ?? '0');
  if (!Number.isInteger(skip) || skip < 0) throw new ArmHttpError(400, 'InvalidSkipToken', 'The skip token is invalid.');
  const page = all.slice(skip, skip + pageSize);
  const body: { value: unknown[]; nextLink?: string } = { value: page };
  if (skip + pageSize < all.length) {
    const origin = state.scenario.nextLinkOrigin ?? state.endpoint;
    body.nextLink = `${origin.replace(/\/+$/, '')}${url.pathname}?api-version=${apiVersion}&$skipToken=${skip + pageSize}`;
  }
  return send(res, 200, body);
}

/** BackupsLongTermRetention_ListByServer: one page. */
function handleLtrOperations(state: SimulatorState, req: IncomingMessage, res: ServerResponse, url: URL, m: RegExpMatchArray) {
  const { rg, name, existing } = serverTarget(state, req, url, m);
  if (req.method !== 'GET') throw methodNotAllowed(req.method);
  if (!existing) throw notFound(rg, name);
  return send(res, 200, { value: ltrBodies(existing, state.now(), state.subscriptionOf(existing)) });
}

/** Servers_ListByResourceGroup: one page (the SDK would follow a nextLink; none is needed here). */
function handleServerList(state: SimulatorState, req: IncomingMessage, res: ServerResponse, url: URL, m: RegExpMatchArray) {
  const [, sub, rg] = m as unknown as [string, string, string];
  requireApiVersion(url, 'postgres');
  state.requireSubscription(sub, req.method, url.pathname);
  state.requireResourceGroup(sub, rg);
  if (req.method !== 'GET') throw methodNotAllowed(req.method);
  const value = [...state.servers.values()]
    .filter((s) => !s.vanished && resourceKey(state.subscriptionOf(s), s.resourceGroup) === resourceKey(sub, rg))
    .map((s) => serverBody(state.described(s), state.now(), state.subscriptionOf(s)));
  return send(res, 200, { value });
}

/** The checks both operation URLs make, and the operation they name. */
function trackedOperation(state: SimulatorState, req: IncomingMessage, url: URL, m: RegExpMatchArray): { op: Operation; apiVersion: string } {
  const [, sub, id] = m as unknown as [string, string, string];
  const apiVersion = requireApiVersion(url, 'postgres');
  state.requireSubscription(sub, req.method, url.pathname);
  if (req.method !== 'GET') throw methodNotAllowed(req.method);
  const op = state.tracker.get(id);
  if (!op) throw new ArmHttpError(404, 'OperationNotFound', `The operation '${id}' was not found.`);
  return { op, apiVersion };
}

/** The Azure-AsyncOperation URL: the status, with Retry-After while it runs. */
function handleOperationStatus(state: SimulatorState, req: IncomingMessage, res: ServerResponse, url: URL, m: RegExpMatchArray) {
  const { op } = trackedOperation(state, req, url, m);
  const running = op.status === 'InProgress';
  return send(res, 200, operationStatusBody(op), running ? { 'retry-after': String(state.scenario.lro.pollRetryAfterSeconds) } : {});
}

/** The Location URL: 202 while running, then the outcome (the restored server, or nothing after a delete). */
function handleOperationResult(state: SimulatorState, req: IncomingMessage, res: ServerResponse, url: URL, m: RegExpMatchArray) {
  const { op, apiVersion } = trackedOperation(state, req, url, m);
  if (op.status === 'InProgress') return send(res, 202, undefined, lroHeaders(state, op, apiVersion));
  if (op.status === 'Failed') return send(res, 500, { error: op.error });
  if (op.kind === 'delete') return send(res, 204, undefined);
  const idOf = (s: SimulatedServer) => serverId(state.subscriptionOf(s), s).toLowerCase();
  if (op.kind === 'firewall-rule') {
    const [serverPath, rule = ''] = op.resourceId.split('/firewallRules/');
    const server = [...state.servers.values()].find((s) => idOf(s) === serverPath?.toLowerCase());
    const found = server?.firewallRules?.[rule.toLowerCase()];
    return server && found ? send(res, 200, firewallRuleBody(state.subscriptionOf(server), server, found)) : send(res, 204, undefined);
  }
  const restored = [...state.servers.values()].find((s) => idOf(s) === op.resourceId.toLowerCase());
  return restored ? send(res, 200, serverBody(state.described(restored), state.now(), state.subscriptionOf(restored))) : send(res, 204, undefined);
}

/** FirewallRules_CreateOrUpdate (a long-running PUT) and FirewallRules_Get. */
function handleFirewallRules(state: SimulatorState, req: IncomingMessage, res: ServerResponse, url: URL, m: RegExpMatchArray) {
  return handleFirewallRule(state, req, res, serverTarget(state, req, url, m), m[4] ?? '');
}

/**
 * The checks every storage path makes first (api-version, subscription, resource group, GET only), and the account it
 * names, or ARM's ResourceNotFound. `what` names the resource in the 405 message.
 */
function storageAccountOf(state: SimulatorState, req: IncomingMessage, url: URL, m: RegExpMatchArray, what: string) {
  const [, sub, rg, name] = m as unknown as [string, string, string, string];
  requireApiVersion(url, 'storage');
  state.requireSubscription(sub, req.method, url.pathname);
  state.requireResourceGroup(sub, rg);
  if (req.method !== 'GET') throw new ArmHttpError(405, 'MethodNotAllowed', `The simulator serves GET only on ${what}, not ${req.method}.`);
  const account = state.accounts.get(resourceKey(sub, rg, name));
  // A vanished account is still in Resource Graph's index, no longer in Resource Manager.
  if (!account || account.vanished) throw resourceNotFound('Microsoft.Storage/storageAccounts', rg, name);
  return account;
}

/** StorageAccounts_GetProperties and BlobServices_GetServiceProperties (GET only). */
function storageHandler(body: 'account' | 'blobService'): RouteHandler {
  return (state, req, res, url, m) => {
    const account = storageAccountOf(state, req, url, m, 'storage accounts');
    const subscriptionId = state.subscriptionOf(account);
    return send(res, 200, body === 'blobService' ? blobServiceBody(account, subscriptionId) : accountBody(account, state.now(), subscriptionId));
  };
}

/** ManagementPolicies_Get (GET only): the account's lifecycle policy, or Azure's ManagementPolicyNotFound when it has none. */
function handleManagementPolicy(state: SimulatorState, req: IncomingMessage, res: ServerResponse, url: URL, m: RegExpMatchArray) {
  const account = storageAccountOf(state, req, url, m, 'management policies');
  // The code is the one Azure's SDK tests assert (azure-sdk-for-net, Azure.ResourceManager.Storage tests:
  // ManagementPolicyNotFound); the message is the one reported from Azure's answers ("No ManagementPolicy found for account …").
  if (!account.managementPolicy) throw new ArmHttpError(404, 'ManagementPolicyNotFound', `No ManagementPolicy found for account ${account.name}`);
  return send(res, 200, managementPolicyBody(account, state.now(), state.subscriptionOf(account)));
}

/** BlobContainers_Get (GET only): a container the scenario lists, or ContainerNotFound. */
function handleContainer(state: SimulatorState, req: IncomingMessage, res: ServerResponse, url: URL, m: RegExpMatchArray) {
  const container = m[4] ?? '';
  const account = storageAccountOf(state, req, url, m, 'blob containers');
  const found = account.containers.find((c) => c.name.toLowerCase() === container.toLowerCase());
  if (!found) throw new ArmHttpError(404, 'ContainerNotFound', 'The specified container does not exist.');
  return send(res, 200, containerBody(account, found, state.subscriptionOf(account)));
}

const FLEXIBLE_SERVERS = String.raw`^/subscriptions/([^/]+)/resourceGroups/([^/]+)/providers/Microsoft\.DBforPostgreSQL/flexibleServers`;
const OPERATIONS = String.raw`^/subscriptions/([^/]+)/providers/Microsoft\.DBforPostgreSQL/locations/[^/]+`;
const STORAGE_ACCOUNT = String.raw`^/subscriptions/([^/]+)/resourceGroups/([^/]+)/providers/Microsoft\.Storage/storageAccounts/([^/]+)`;
/** Resource Manager paths are case-insensitive; the identity endpoint's is the exact string the simulator hands out. */
const arm = (pattern: string) => new RegExp(`${pattern}$`, 'i');

export const routes: readonly Route[] = [
  { name: 'managed-identity-token', group: 'identity', pattern: new RegExp(`^${MSI_PATH}$`), handle: handleIdentity },
  { name: 'flexible-server', group: 'postgres', pattern: arm(`${FLEXIBLE_SERVERS}/([^/]+)`), handle: handleServer },
  { name: 'flexible-server-backups', group: 'postgres', pattern: arm(`${FLEXIBLE_SERVERS}/([^/]+)/backups`), handle: handleBackups },
  { name: 'flexible-server-ltr-operations', group: 'postgres', pattern: arm(`${FLEXIBLE_SERVERS}/([^/]+)/ltrBackupOperations`), handle: handleLtrOperations },
  { name: 'flexible-server-firewall-rule', group: 'postgres', pattern: arm(`${FLEXIBLE_SERVERS}/([^/]+)/firewallRules/([^/]+)`), handle: handleFirewallRules },
  { name: 'flexible-server-list', group: 'postgres', pattern: arm(FLEXIBLE_SERVERS), handle: handleServerList },
  { name: 'operation-status', group: 'operations', pattern: arm(`${OPERATIONS}/azureAsyncOperation/([^/]+)`), handle: handleOperationStatus },
  { name: 'operation-result', group: 'operations', pattern: arm(`${OPERATIONS}/operationResults/([^/]+)`), handle: handleOperationResult },
  { name: 'storage-account', group: 'storage', pattern: arm(STORAGE_ACCOUNT), handle: storageHandler('account') },
  { name: 'blob-service', group: 'storage', pattern: arm(`${STORAGE_ACCOUNT}/blobServices/default`), handle: storageHandler('blobService') },
  {
    name: 'management-policy',
    group: 'storage',
    pattern: arm(`${STORAGE_ACCOUNT}/managementPolicies/default`),
    handle: handleManagementPolicy,
  },
  { name: 'blob-container', group: 'storage', pattern: arm(`${STORAGE_ACCOUNT}/blobServices/default/containers/([^/]+)`), handle: handleContainer },
  { name: 'resource-graph-resources', group: 'resource-graph', pattern: RESOURCE_GRAPH_PATH, handle: handleResourceGraph },
];

/** The first route whose pattern matches the path, with its captures. */
export function findRoute(pathname: string): { route: Route; match: RegExpMatchArray } | undefined {
  for (const route of routes) {
    const match = route.pattern.exec(pathname);
    if (match) return { route, match };
  }
  return undefined;
}
