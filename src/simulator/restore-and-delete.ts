/**
 * The two writes the simulator accepts on a Flexible Server, both long-running operations (202
 * with Azure-AsyncOperation and Location): PUT with createMode PointInTimeRestore, and DELETE.
 * The work behind them is the caller's hooks (a real PostgreSQL copy) or, without hooks, a wait
 * of the scenario's lro.durationMs.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { ArmHttpError, readBody, send } from './arm-http.js';
import { ArmOperationError, type Operation } from './long-running-operations.js';
import { restoreAcceptedBody, serverId } from './rest-bodies.js';
import { resourceKey, type SimulatorState } from './simulator-state.js';
import type { RestoredServerUpdate, SimulatedServer } from './simulator-types.js';

/** The server a PUT or DELETE names, as the route matched it. */
export interface ServerTarget {
  sub: string;
  rg: string;
  name: string;
  /** The servers map key. */
  id: string;
  apiVersion: string;
  existing: SimulatedServer | undefined;
}

const restoreBodySchema = z.object({
  location: z.string().min(1),
  tags: z.record(z.string(), z.string()).optional(),
  properties: z.object({
    createMode: z.string(),
    sourceServerResourceId: z.string().optional(),
    pointInTimeUTC: z.string().optional(),
    network: z
      .object({
        publicNetworkAccess: z.enum(['Enabled', 'Disabled']).optional(),
        delegatedSubnetResourceId: z.string().optional(),
        privateDnsZoneArmResourceId: z.string().optional(),
      })
      .optional(),
    dataEncryption: z.object({ type: z.string() }).passthrough().optional(),
  }),
  identity: z.object({ type: z.string(), userAssignedIdentities: z.record(z.string(), z.unknown()).optional() }).optional(),
});
type RestoreBody = z.output<typeof restoreBodySchema>;

const SERVER_ID = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.DBforPostgreSQL\/flexibleServers\/([^/]+)$/i;

/** Where the client polls an operation: the simulator's own URLs, never management.azure.com. */
export function lroHeaders(state: SimulatorState, op: Operation, apiVersion: string): Record<string, string> {
  // Under the subscription of the resource the operation works on, as Azure's operation URLs are.
  const subscription = /^\/subscriptions\/([^/]+)/i.exec(op.resourceId)?.[1] ?? state.scenario.subscriptionId;
  const base = `${state.endpoint}/subscriptions/${subscription}/providers/Microsoft.DBforPostgreSQL/locations/${op.location}`;
  return {
    'azure-asyncoperation': `${base}/azureAsyncOperation/${op.id}?api-version=${apiVersion}`,
    location: `${base}/operationResults/${op.id}?api-version=${apiVersion}`,
    'retry-after': String(state.scenario.lro.pollRetryAfterSeconds),
  };
}

export function startDelete(state: SimulatorState, res: ServerResponse, target: ServerTarget) {
  const server = target.existing;
  if (!server) return send(res, 204, undefined);
  server.state = 'Dropping';
  const op = state.tracker.start('delete', serverId(state.subscriptionOf(server), server), server.location, async () => {
    if (state.hooks?.deleteServer) await state.hooks.deleteServer(server);
    else await state.delay(state.scenario.lro.durationMs);
    state.servers.delete(target.id);
  });
  return send(res, 202, undefined, lroHeaders(state, op, target.apiVersion));
}

export async function startRestore(state: SimulatorState, req: IncomingMessage, res: ServerResponse, target: ServerTarget) {
  const body = await restoreRequest(req, target);
  state.noteBody(req, body);
  const sourceMatch = SERVER_ID.exec(body.properties.sourceServerResourceId ?? '');
  const found = sourceMatch ? state.servers.get(resourceKey(sourceMatch[1]!, sourceMatch[2]!, sourceMatch[3]!)) : undefined;
  const source = found?.vanished ? undefined : found;
  if (!source) throw new ArmHttpError(404, 'ResourceNotFound', `The source server '${body.properties.sourceServerResourceId ?? ''}' was not found.`);
  const pointInTime = new Date(body.properties.pointInTimeUTC ?? '');
  const at = state.now();
  const earliestDaysAgo = source.backup?.earliestRestoreDaysAgo;
  const earliest = earliestDaysAgo !== undefined ? at.getTime() - earliestDaysAgo * 86_400_000 : Number.NEGATIVE_INFINITY;
  if (Number.isNaN(pointInTime.getTime()) || pointInTime.getTime() > at.getTime() || pointInTime.getTime() < earliest) {
    const asked = body.properties.pointInTimeUTC ?? '';
    throw new ArmHttpError(400, 'InvalidPointInTimeRestoreTime', `The point in time '${asked}' is outside the restore window of server '${source.name}'.`);
  }
  refuseNetworkChange(source, body);
  const restored = restoredServer(state.subscriptionOf(source), state.canonicalSubscription(target.sub), source, target, body, pointInTime);
  state.servers.set(target.id, restored);
  const op = state.tracker.start('restore', serverId(state.subscriptionOf(restored), restored), body.location, () =>
    runRestore(state, { source, restored, id: target.id, pointInTime }),
  );
  // Azure answers the PUT with a small body of its own (recorded by the Azure CLI's tests), not the server.
  return send(res, 202, restoreAcceptedBody(op.startTime), lroHeaders(state, op, target.apiVersion));
}

/**
 * A VNet-integrated server (delegated subnet) cannot be restored to public access: a restore of it must name a delegated subnet
 * (its own or another). Azure's own error code for this was not established (no recording shows it): the simulator's is named
 * for what it refuses.
 */
function refuseNetworkChange(source: SimulatedServer, body: RestoreBody): void {
  if (!source.network?.delegatedSubnetResourceId) return;
  const network = body.properties.network;
  if (network?.delegatedSubnetResourceId && network.publicNetworkAccess !== 'Enabled') return;
  const asked = !network ? 'has no network block (public access, by default)' : 'asks for public access';
  throw new ArmHttpError(
    400,
    'SimulatedVnetRestoreToPublicAccess',
    `Server '${source.name}' is integrated into a virtual network; a point-in-time restore of it must name a delegated subnet, but the request ${asked}.`,
  );
}

/** The PUT body, refused (in this order) when malformed, not a point-in-time restore, or aimed at an existing server. */
async function restoreRequest(req: IncomingMessage, target: ServerTarget): Promise<RestoreBody> {
  const parsed = restoreBodySchema.safeParse(await readBody(req));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ArmHttpError(400, 'InvalidRequestContent', `The request content was invalid: ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`.trim());
  }
  const body = parsed.data;
  if (body.properties.createMode.toLowerCase() !== 'pointintimerestore') {
    throw new ArmHttpError(400, 'UnsupportedCreateMode', `The simulator implements createMode PointInTimeRestore only, not '${body.properties.createMode}'.`);
  }
  if (target.existing) {
    const message = `Specified server name '${target.name}' is already used. Please use a different name and try again.`;
    throw new ArmHttpError(409, 'ServerNameAlreadyExists', message);
  }
  return body;
}

/** The new server as Azure lists it while the restore runs: the source's settings, no backups of its own yet. */
function restoredServer(
  sourceSubscription: string,
  targetSubscription: string,
  source: SimulatedServer,
  target: ServerTarget,
  body: RestoreBody,
  pointInTime: Date,
): SimulatedServer {
  return {
    ...structuredClone(source),
    // In the subscription of the PUT's path (the same as the source's in every restore restorecheck makes).
    subscriptionId: targetSubscription,
    vanished: undefined,
    resourceGroup: target.rg,
    name: target.name,
    location: body.location,
    state: 'Provisioning',
    backups: [],
    backupSeries: undefined,
    longTermRetention: [],
    // A new server has no earliest restore point before its first backup (Azure omits earliestRestoreDate then).
    backup: { ...source.backup, earliestRestoreDaysAgo: undefined },
    tags: body.tags,
    // What the request asked for: Azure's default without a network block is public access.
    network: body.properties.network ?? { publicNetworkAccess: 'Enabled' },
    identity: body.identity ? { type: body.identity.type, userAssignedIdentities: Object.keys(body.identity.userAssignedIdentities ?? {}) } : undefined,
    dataEncryption: body.properties.dataEncryption
      ? (body.properties.dataEncryption as NonNullable<SimulatedServer['dataEncryption']>)
      : { type: 'SystemManaged' },
    // Whether Azure copies the source's firewall rules was not established: the copy starts with none, so a client must add its own.
    firewallRules: {},
    fullyQualifiedDomainName: undefined,
    createMode: 'PointInTimeRestore',
    sourceServerResourceId: serverId(sourceSubscription, source),
    pointInTimeUTC: pointInTime.toISOString(),
    // The copy is not linked to the source's real database: restoring it again restores nothing real.
    restore: undefined,
  };
}

/** The operation's work: the hook (or a wait), then Ready; a failure removes the new server. */
async function runRestore(state: SimulatorState, run: { source: SimulatedServer; restored: SimulatedServer; id: string; pointInTime: Date }) {
  const { source, restored, pointInTime } = run;
  try {
    if (state.scenario.lro.failRestore) {
      await state.delay(state.scenario.lro.durationMs);
      throw new ArmOperationError('InternalServerError', 'The point-in-time restore failed (simulated by the scenario).');
    }
    let update: RestoredServerUpdate | undefined;
    const durationMs = state.scenario.lro.durationMs;
    if (state.hooks?.pointInTimeRestore) update = await state.hooks.pointInTimeRestore({ source, target: restored, pointInTime, durationMs });
    else await state.delay(state.scenario.lro.durationMs);
    if (update?.fullyQualifiedDomainName) restored.fullyQualifiedDomainName = update.fullyQualifiedDomainName;
    if (update?.tags) restored.tags = update.tags;
    restored.state = 'Ready';
  } catch (error) {
    state.servers.delete(run.id);
    throw error;
  }
}
