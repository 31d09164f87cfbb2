/**
 * A local Azure Resource Manager simulator, following the official REST contract
 * (../shared/azure-spec-examples): the Flexible Server GET, backups and long-term-retention lists
 * (with `nextLink` paging), point-in-time restore (PUT) and delete as long-running operations,
 * storage account and blob service properties, the standard error body, per-path fault
 * injection, 429 with Retry-After, and an App Service-style managed-identity token endpoint
 * (IDENTITY_ENDPOINT / IDENTITY_HEADER), so that the unchanged DefaultAzureCredential signs in.
 *
 * HTTPS only (the SDKs' bearer policy refuses http), with a CA generated at start. Every ARM call
 * must carry a token this simulator issued; every URL it emits (nextLink, Azure-AsyncOperation,
 * Location) is its own. Used by `restorecheck simulator`, the demo and the tests.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { type CertificateAuthority, createCertificateAuthority } from './tls-authority.js';
import { ArmOperationError, type Operation, OperationTracker } from './long-running-operations.js';
import type { Injection, Scenario, ScenarioServer, ScenarioStorageAccount } from './scenario.js';

/** The api-versions the simulator answers, per provider (the SDKs pinned by restorecheck send 2025-08-01). */
const API_VERSIONS = {
  postgres: ['2025-08-01', '2025-06-01-preview', '2024-08-01'],
  storage: ['2025-08-01', '2025-06-01', '2025-01-01', '2024-01-01'],
} as const;

const MSI_PATH = '/msi/token';
const MSI_API_VERSION = '2019-08-01';

/** A server as the simulator holds it: the scenario's description plus what restores and deletes change. */
export interface SimulatedServer extends ScenarioServer {
  fullyQualifiedDomainName?: string;
  createMode?: string;
  sourceServerResourceId?: string;
  pointInTimeUTC?: string;
}

export interface PointInTimeRestoreRequest {
  source: SimulatedServer;
  /** The new server, already listed with state Provisioning. */
  target: SimulatedServer;
  pointInTime: Date;
  /** The scenario's lro.durationMs (a server's own `restore.durationSeconds` is more specific). */
  durationMs: number;
}

/** Fields a restore hook may set on the new server (e.g. where a real PostgreSQL copy listens). */
export interface RestoredServerUpdate {
  fullyQualifiedDomainName?: string;
  /** Tests only: replace the new server's tags (someone changing them before restorecheck's DELETE). */
  tags?: Record<string, string>;
}

/**
 * Where a caller plugs in real work behind the long-running operations (the restore-test issue:
 * "create a real PostgreSQL cluster copy"). A hook that throws makes the operation Failed; throw
 * ArmOperationError to choose the ARM error code.
 */
export interface SimulatorHooks {
  pointInTimeRestore?(request: PointInTimeRestoreRequest): Promise<RestoredServerUpdate | void>;
  deleteServer?(server: SimulatedServer): Promise<void>;
  /** Called first when the simulator stops: end the hooks' work in progress and release what they hold. */
  stop?(): Promise<void>;
}

export interface RequestRecord {
  method: string;
  path: string;
  query: string;
  /** Whether a bearer token came along, and whether the simulator had issued it. */
  token: 'none' | 'valid' | 'invalid';
  status: number;
}

export interface SimulatorOptions {
  scenario: Scenario;
  /** Listen address; default 127.0.0.1 (loopback only). */
  host?: string;
  /** Default: a free port. */
  port?: number;
  hooks?: SimulatorHooks;
  /** Share a CA between several servers (a decoy host in tests); default: a new one, removed at stop. */
  authority?: CertificateAuthority;
  now?: () => Date;
}

export interface RunningSimulator {
  /** https://host:port, the value for azure.resourceManagerEndpoint. */
  endpoint: string;
  /** PEM of the CA that signed the server certificate: the value for NODE_EXTRA_CA_CERTS. */
  caFile: string;
  identityEndpoint: string;
  identityHeader: string;
  subscriptionId: string;
  /** The environment a client needs: NODE_EXTRA_CA_CERTS, IDENTITY_ENDPOINT, IDENTITY_HEADER. */
  env: Record<string, string>;
  /** Every request received, in order. */
  requests: RequestRecord[];
  inject(injection: Injection): void;
  clearInjections(): void;
  /** Replaces the whole state (servers, storage accounts, injections) with another scenario. */
  load(scenario: Scenario): void;
  server(resourceGroup: string, name: string): SimulatedServer | undefined;
  operations(): Operation[];
  stop(): Promise<void>;
}

class ArmHttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

const restoreBodySchema = z.object({
  location: z.string().min(1),
  tags: z.record(z.string(), z.string()).optional(),
  properties: z.object({
    createMode: z.string(),
    sourceServerResourceId: z.string().optional(),
    pointInTimeUTC: z.string().optional(),
  }),
});

const SERVER_ID = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.DBforPostgreSQL\/flexibleServers\/([^/]+)$/i;
const ROUTES = {
  server: /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.DBforPostgreSQL\/flexibleServers\/([^/]+)(\/backups|\/ltrBackupOperations)?$/i,
  servers: /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.DBforPostgreSQL\/flexibleServers$/i,
  operation: /^\/subscriptions\/([^/]+)\/providers\/Microsoft\.DBforPostgreSQL\/locations\/([^/]+)\/(azureAsyncOperation|operationResults)\/([^/]+)$/i,
  storage: /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Storage\/storageAccounts\/([^/]+)(\/blobServices\/default)?$/i,
};

const key = (...parts: string[]) => parts.join('/').toLowerCase();
const hoursAgo = (now: Date, hours: number) => new Date(now.getTime() - hours * 3_600_000).toISOString();

/** A token shaped like Entra ID's (a JWT; unsigned, since only this simulator reads it). */
function issueToken(resource: string, expiresOn: number): string {
  const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const claims = { aud: resource, iss: 'https://sts.windows.net/restorecheck-simulator/', exp: expiresOn, oid: randomUUID(), jti: randomUUID() };
  return `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.${randomBytes(16).toString('base64url')}`;
}

export async function startSimulator(options: SimulatorOptions): Promise<RunningSimulator> {
  const host = options.host ?? '127.0.0.1';
  const now = options.now ?? (() => new Date());
  const ownsAuthority = !options.authority;
  const authority = options.authority ?? (await createCertificateAuthority());
  const identityHeader = randomBytes(24).toString('base64url');
  const tokens = new Map<string, { resource: string; expiresOn: number }>();
  const requests: RequestRecord[] = [];
  const tracker = new OperationTracker(now);
  // Injected delays and simulated operation durations end early at stop, so that they hold nothing open.
  const timers = new Map<NodeJS.Timeout, () => void>();
  const delay = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolve();
      }, ms);
      timers.set(timer, resolve);
    });

  let scenario: Scenario;
  let servers = new Map<string, SimulatedServer>();
  let accounts = new Map<string, ScenarioStorageAccount>();
  let injections: Array<Injection & { remaining: number }> = [];
  const load = (next: Scenario) => {
    scenario = next;
    servers = new Map(next.servers.map((s) => [key(next.subscriptionId, s.resourceGroup, s.name), structuredClone(s)]));
    accounts = new Map(next.storageAccounts.map((a) => [key(next.subscriptionId, a.resourceGroup, a.name), a]));
    injections = next.injections.map((i) => ({ ...i, remaining: i.times ?? Number.POSITIVE_INFINITY }));
  };
  load(options.scenario);

  // A start that fails (port taken, openssl missing) must not leave the CA directory, private key included, in TMPDIR.
  const abandon = async (error: unknown): Promise<never> => {
    if (ownsAuthority) await authority.remove();
    throw error;
  };
  const certificate = await authority
    .issue(host === '127.0.0.1' || host === 'localhost' ? ['localhost', '127.0.0.1'] : [host, 'localhost', '127.0.0.1'])
    .catch(abandon);
  let endpoint = '';

  // ---- bodies, shaped like the official examples ----
  const serverId = (s: { resourceGroup: string; name: string }) =>
    `/subscriptions/${scenario.subscriptionId}/resourceGroups/${s.resourceGroup}/providers/Microsoft.DBforPostgreSQL/flexibleServers/${s.name}`;
  const accountId = (a: { resourceGroup: string; name: string }) => `/subscriptions/${scenario.subscriptionId}/resourceGroups/${a.resourceGroup}/providers/Microsoft.Storage/storageAccounts/${a.name}`;

  function serverBody(s: SimulatedServer) {
    const at = now();
    const backup: Record<string, unknown> = {};
    if (s.backup?.backupRetentionDays !== undefined) backup.backupRetentionDays = s.backup.backupRetentionDays;
    if (s.backup?.geoRedundantBackup !== undefined) backup.geoRedundantBackup = s.backup.geoRedundantBackup;
    if (s.backup?.earliestRestoreDaysAgo !== undefined) backup.earliestRestoreDate = hoursAgo(at, s.backup.earliestRestoreDaysAgo * 24);
    return {
      sku: { name: 'Standard_D2ds_v5', tier: 'GeneralPurpose' },
      systemData: { createdAt: hoursAgo(at, 24 * 400) },
      properties: {
        storage: { type: '', iops: 500, tier: 'P10', storageSizeGB: 128, autoGrow: 'Disabled' },
        network: { publicNetworkAccess: 'Disabled' },
        dataEncryption: { type: 'SystemManaged' },
        authConfig: { activeDirectoryAuth: 'Enabled', passwordAuth: 'Enabled' },
        fullyQualifiedDomainName: s.fullyQualifiedDomainName ?? `${s.name}.postgres.database.azure.com`,
        ...(s.version !== undefined ? { version: s.version } : {}),
        administratorLogin: 'restorecheckadmin',
        ...(s.state !== undefined ? { state: s.state } : {}),
        availabilityZone: '1',
        ...(s.backup ? { backup } : {}),
        highAvailability: s.highAvailability ?? { mode: 'Disabled', state: 'NotEnabled' },
        ...(s.createMode ? { createMode: s.createMode, sourceServerResourceId: s.sourceServerResourceId, pointInTimeUTC: s.pointInTimeUTC } : {}),
        replicationRole: 'Primary',
      },
      location: s.location,
      ...(s.tags ? { tags: s.tags } : {}),
      id: serverId(s),
      name: s.name,
      type: 'Microsoft.DBforPostgreSQL/flexibleServers',
    };
  }

  function backupBodies(s: SimulatedServer) {
    const at = now();
    const items = [...s.backups];
    if (s.backupSeries) {
      const { count, intervalHours, newestHoursAgo } = s.backupSeries;
      for (let i = count - 1; i >= 0; i--) items.push({ backupType: 'Full', source: 'Automatic', completedHoursAgo: newestHoursAgo + i * intervalHours });
    }
    return items.map((b, index) => {
      const completed = b.completedHoursAgo !== undefined ? hoursAgo(at, b.completedHoursAgo) : undefined;
      const name = b.name ?? `backup_${(completed ?? at.toISOString()).replace(/[-:.]/g, '').slice(0, 15)}_${index}`;
      return {
        properties: { backupType: b.backupType, source: b.source, ...(completed ? { completedTime: completed } : {}) },
        id: `${serverId(s)}/backups/${name}`,
        name,
        type: 'Microsoft.DBforPostgreSQL/flexibleServers/backups',
      };
    });
  }

  function ltrBodies(s: SimulatedServer) {
    const at = now();
    return s.longTermRetention.map((op) => ({
      // As in the official example: the id is the server's, and the type has a lower-case "b".
      id: serverId(s),
      name: op.backupName,
      type: 'Microsoft.DBforPostgreSQL/flexibleServers/ltrbackupOperations',
      properties: {
        backupName: op.backupName,
        datasourceSizeInBytes: 1_048_576,
        dataTransferredInBytes: 1_048_576,
        status: op.status,
        percentComplete: op.status === 'Succeeded' ? 100 : 50,
        startTime: hoursAgo(at, op.endedDaysAgo * 24 + 1),
        ...(op.status === 'Running' ? {} : { endTime: hoursAgo(at, op.endedDaysAgo * 24) }),
      },
    }));
  }

  function accountBody(a: ScenarioStorageAccount) {
    return {
      name: a.name,
      type: 'Microsoft.Storage/storageAccounts',
      id: accountId(a),
      kind: 'StorageV2',
      location: a.location,
      sku: { name: a.sku, tier: a.sku.startsWith('Premium') ? 'Premium' : 'Standard' },
      properties: {
        creationTime: hoursAgo(now(), 24 * 400),
        encryption: { keySource: 'Microsoft.Storage', services: { blob: { enabled: true, keyType: 'Account' } } },
        primaryEndpoints: { blob: `https://${a.name}.blob.core.windows.net/` },
        primaryLocation: a.primaryLocation ?? a.location,
        provisioningState: 'Succeeded',
        statusOfPrimary: 'available',
        ...(a.secondaryLocation ? { secondaryLocation: a.secondaryLocation, statusOfSecondary: 'available' } : {}),
        supportsHttpsTrafficOnly: true,
        minimumTlsVersion: 'TLS1_2',
        allowBlobPublicAccess: false,
      },
    };
  }

  function blobServiceBody(a: ScenarioStorageAccount) {
    return {
      name: 'default',
      type: 'Microsoft.Storage/storageAccounts/blobServices',
      id: `${accountId(a)}/blobServices/default`,
      properties: { ...a.blobService },
      sku: { name: a.sku, tier: a.sku.startsWith('Premium') ? 'Premium' : 'Standard' },
    };
  }

  // ---- request handling ----
  function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
    const text = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'x-ms-request-id': randomUUID(),
      'x-ms-correlation-request-id': randomUUID(),
      'content-length': Buffer.byteLength(text),
      ...headers,
    });
    res.end(text);
  }

  function requireApiVersion(url: URL, provider: keyof typeof API_VERSIONS): string {
    const version = url.searchParams.get('api-version');
    if (!version) throw new ArmHttpError(400, 'MissingApiVersionParameter', "The api-version query parameter (?api-version=) is required for all requests.");
    if (!(API_VERSIONS[provider] as readonly string[]).includes(version)) {
      throw new ArmHttpError(400, 'InvalidApiVersionParameter', `The api-version '${version}' is invalid. The supported versions are '${API_VERSIONS[provider].join(',')}'.`);
    }
    return version;
  }

  function requireSubscription(sub: string) {
    if (sub.toLowerCase() !== scenario.subscriptionId.toLowerCase()) throw new ArmHttpError(404, 'SubscriptionNotFound', `The subscription '${sub}' could not be found.`);
  }

  async function readBody(req: IncomingMessage): Promise<unknown> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > 1_048_576) throw new ArmHttpError(413, 'RequestEntityTooLarge', 'The request body is too large.');
      chunks.push(chunk as Buffer);
    }
    try {
      return JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
    } catch {
      throw new ArmHttpError(400, 'InvalidRequestContent', 'The request content was invalid and could not be deserialized.');
    }
  }

  function lroHeaders(op: Operation, apiVersion: string): Record<string, string> {
    const base = `${endpoint}/subscriptions/${scenario.subscriptionId}/providers/Microsoft.DBforPostgreSQL/locations/${op.location}`;
    return {
      'azure-asyncoperation': `${base}/azureAsyncOperation/${op.id}?api-version=${apiVersion}`,
      location: `${base}/operationResults/${op.id}?api-version=${apiVersion}`,
      'retry-after': String(scenario.lro.pollRetryAfterSeconds),
    };
  }

  async function handleServer(req: IncomingMessage, res: ServerResponse, url: URL, m: RegExpMatchArray) {
    const [, sub, rg, name, child] = m as unknown as [string, string, string, string, string | undefined];
    const apiVersion = requireApiVersion(url, 'postgres');
    requireSubscription(sub);
    const id = key(sub, rg, name);
    const server = servers.get(id);
    const notFound = () => new ArmHttpError(404, 'ResourceNotFound', `The Resource 'Microsoft.DBforPostgreSQL/flexibleServers/${name}' under resource group '${rg}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`);

    if (child) {
      if (req.method !== 'GET') throw new ArmHttpError(405, 'MethodNotAllowed', `The method ${req.method} is not allowed here.`);
      if (!server) throw notFound();
      if (child.toLowerCase() === '/ltrbackupoperations') return send(res, 200, { value: ltrBodies(server) });
      const all = backupBodies(server);
      const pageSize = scenario.paging.backupsPageSize;
      const skip = Number(url.searchParams.get('$skipToken') ?? '0');
      if (!Number.isInteger(skip) || skip < 0) throw new ArmHttpError(400, 'InvalidSkipToken', 'The skip token is invalid.');
      const page = all.slice(skip, skip + pageSize);
      const body: { value: unknown[]; nextLink?: string } = { value: page };
      if (skip + pageSize < all.length) {
        const origin = scenario.nextLinkOrigin ?? endpoint;
        body.nextLink = `${origin.replace(/\/+$/, '')}${url.pathname}?api-version=${apiVersion}&$skipToken=${skip + pageSize}`;
      }
      return send(res, 200, body);
    }

    if (req.method === 'GET') {
      if (!server) throw notFound();
      return send(res, 200, serverBody(server));
    }
    if (req.method === 'PUT') return startRestore(req, res, { sub, rg, name, id, apiVersion, existing: server });
    if (req.method === 'DELETE') {
      if (!server) return send(res, 204, undefined);
      server.state = 'Dropping';
      const op = tracker.start('delete', serverId(server), server.location, async () => {
        if (options.hooks?.deleteServer) await options.hooks.deleteServer(server);
        else await delay(scenario.lro.durationMs);
        servers.delete(id);
      });
      return send(res, 202, undefined, lroHeaders(op, apiVersion));
    }
    throw new ArmHttpError(405, 'MethodNotAllowed', `The method ${req.method} is not allowed here.`);
  }

  async function startRestore(
    req: IncomingMessage,
    res: ServerResponse,
    target: { sub: string; rg: string; name: string; id: string; apiVersion: string; existing: SimulatedServer | undefined },
  ) {
    const parsed = restoreBodySchema.safeParse(await readBody(req));
    if (!parsed.success) throw new ArmHttpError(400, 'InvalidRequestContent', `The request content was invalid: ${parsed.error.issues[0]?.path.join('.') ?? ''} ${parsed.error.issues[0]?.message ?? ''}`.trim());
    const body = parsed.data;
    if (body.properties.createMode.toLowerCase() !== 'pointintimerestore') {
      throw new ArmHttpError(400, 'UnsupportedCreateMode', `The simulator implements createMode PointInTimeRestore only, not '${body.properties.createMode}'.`);
    }
    if (target.existing) throw new ArmHttpError(409, 'ServerNameAlreadyExists', `Specified server name '${target.name}' is already used. Please use a different name and try again.`);
    const sourceMatch = SERVER_ID.exec(body.properties.sourceServerResourceId ?? '');
    const source = sourceMatch ? servers.get(key(sourceMatch[1]!, sourceMatch[2]!, sourceMatch[3]!)) : undefined;
    if (!source) throw new ArmHttpError(404, 'ResourceNotFound', `The source server '${body.properties.sourceServerResourceId ?? ''}' was not found.`);
    const pointInTime = new Date(body.properties.pointInTimeUTC ?? '');
    const at = now();
    const earliest = source.backup?.earliestRestoreDaysAgo !== undefined ? at.getTime() - source.backup.earliestRestoreDaysAgo * 86_400_000 : Number.NEGATIVE_INFINITY;
    if (Number.isNaN(pointInTime.getTime()) || pointInTime.getTime() > at.getTime() || pointInTime.getTime() < earliest) {
      throw new ArmHttpError(400, 'InvalidPointInTimeRestoreTime', `The point in time '${body.properties.pointInTimeUTC ?? ''}' is outside the restore window of server '${source.name}'.`);
    }
    const restored: SimulatedServer = {
      ...structuredClone(source),
      resourceGroup: target.rg,
      name: target.name,
      location: body.location,
      state: 'Provisioning',
      backups: [],
      backupSeries: undefined,
      longTermRetention: [],
      backup: { ...source.backup, earliestRestoreDaysAgo: 0 },
      tags: body.tags,
      fullyQualifiedDomainName: undefined,
      createMode: 'PointInTimeRestore',
      sourceServerResourceId: serverId(source),
      pointInTimeUTC: pointInTime.toISOString(),
      // The copy is not linked to the source's real database: restoring it again restores nothing real.
      restore: undefined,
    };
    servers.set(target.id, restored);
    const op = tracker.start('restore', serverId(restored), body.location, async () => {
      try {
        if (scenario.lro.failRestore) {
          await delay(scenario.lro.durationMs);
          throw new ArmOperationError('InternalServerError', 'The point-in-time restore failed (simulated by the scenario).');
        }
        let update: RestoredServerUpdate | void = undefined;
        if (options.hooks?.pointInTimeRestore) update = await options.hooks.pointInTimeRestore({ source, target: restored, pointInTime, durationMs: scenario.lro.durationMs });
        else await delay(scenario.lro.durationMs);
        if (update?.fullyQualifiedDomainName) restored.fullyQualifiedDomainName = update.fullyQualifiedDomainName;
        if (update?.tags) restored.tags = update.tags;
        restored.state = 'Ready';
      } catch (error) {
        servers.delete(target.id);
        throw error;
      }
    });
    return send(res, 202, undefined, lroHeaders(op, target.apiVersion));
  }

  /** Servers_ListByResourceGroup: one page (the SDK would follow a nextLink; none is needed here). */
  function handleServerList(req: IncomingMessage, res: ServerResponse, url: URL, m: RegExpMatchArray) {
    const [, sub, rg] = m as unknown as [string, string, string];
    requireApiVersion(url, 'postgres');
    requireSubscription(sub);
    if (req.method !== 'GET') throw new ArmHttpError(405, 'MethodNotAllowed', `The method ${req.method} is not allowed here.`);
    const value = [...servers.values()].filter((s) => s.resourceGroup.toLowerCase() === rg.toLowerCase()).map(serverBody);
    return send(res, 200, { value });
  }

  function handleOperation(req: IncomingMessage, res: ServerResponse, url: URL, m: RegExpMatchArray) {
    const [, sub, , kind, id] = m as unknown as [string, string, string, string, string];
    const apiVersion = requireApiVersion(url, 'postgres');
    requireSubscription(sub);
    if (req.method !== 'GET') throw new ArmHttpError(405, 'MethodNotAllowed', `The method ${req.method} is not allowed here.`);
    const op = tracker.get(id);
    if (!op) throw new ArmHttpError(404, 'OperationNotFound', `The operation '${id}' was not found.`);
    const running = op.status === 'InProgress';
    if (kind.toLowerCase() === 'azureasyncoperation') {
      return send(
        res,
        200,
        { name: op.id, status: op.status, startTime: op.startTime, ...(op.endTime ? { endTime: op.endTime } : {}), ...(op.error ? { error: op.error } : {}) },
        running ? { 'retry-after': String(scenario.lro.pollRetryAfterSeconds) } : {},
      );
    }
    // operationResults (the Location URL): 202 while running, then the outcome.
    if (running) return send(res, 202, undefined, lroHeaders(op, apiVersion));
    if (op.status === 'Failed') return send(res, 500, { error: op.error });
    if (op.kind === 'delete') return send(res, 204, undefined);
    const restored = [...servers.values()].find((s) => serverId(s).toLowerCase() === op.resourceId.toLowerCase());
    return restored ? send(res, 200, serverBody(restored)) : send(res, 204, undefined);
  }

  function handleStorage(req: IncomingMessage, res: ServerResponse, url: URL, m: RegExpMatchArray) {
    const [, sub, rg, name, child] = m as unknown as [string, string, string, string, string | undefined];
    requireApiVersion(url, 'storage');
    requireSubscription(sub);
    if (req.method !== 'GET') throw new ArmHttpError(405, 'MethodNotAllowed', `The simulator serves GET only on storage accounts, not ${req.method}.`);
    const account = accounts.get(key(sub, rg, name));
    if (!account) throw new ArmHttpError(404, 'ResourceNotFound', `The Resource 'Microsoft.Storage/storageAccounts/${name}' under resource group '${rg}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`);
    return send(res, 200, child ? blobServiceBody(account) : accountBody(account));
  }

  function handleIdentity(req: IncomingMessage, res: ServerResponse, url: URL) {
    // App Service managed identity protocol, as @azure/identity (MSAL) sends it: GET IDENTITY_ENDPOINT
    // ?api-version=2019-08-01&resource=… with the X-IDENTITY-HEADER secret.
    if (req.headers['x-identity-header'] !== identityHeader) return send(res, 401, { statusCode: 401, message: 'The X-IDENTITY-HEADER header is missing or wrong.' });
    if (url.searchParams.get('api-version') !== MSI_API_VERSION) return send(res, 400, { statusCode: 400, message: `api-version must be ${MSI_API_VERSION}.` });
    const resource = url.searchParams.get('resource');
    if (!resource) return send(res, 400, { statusCode: 400, message: 'The resource query parameter is required.' });
    const expiresOn = Math.floor(now().getTime() / 1000) + 3600;
    const token = issueToken(resource, expiresOn);
    tokens.set(token, { resource, expiresOn });
    return send(res, 200, { access_token: token, expires_on: String(expiresOn), resource, token_type: 'Bearer', client_id: '11111111-1111-1111-1111-111111111111' });
  }

  function tokenState(req: IncomingMessage): RequestRecord['token'] {
    const header = req.headers.authorization;
    if (!header) return 'none';
    const match = /^Bearer (\S+)$/.exec(header);
    const issued = match ? tokens.get(match[1]!) : undefined;
    // A storage token is not a Resource Manager token.
    if (!issued || issued.expiresOn * 1000 < now().getTime() || /storage\.azure\.com/i.test(issued.resource)) return 'invalid';
    return 'valid';
  }

  function matchInjection(req: IncomingMessage, path: string): (Injection & { remaining: number }) | undefined {
    const found = injections.find((i) => i.remaining > 0 && (!i.method || i.method === req.method) && path.toLowerCase().includes(i.path.toLowerCase()));
    if (found) found.remaining--;
    return found;
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', endpoint);
    const record: RequestRecord = { method: req.method ?? 'GET', path: url.pathname, query: url.search, token: tokenState(req), status: 0 };
    requests.push(record);
    res.on('finish', () => (record.status = res.statusCode));
    try {
      if (url.pathname !== MSI_PATH) {
        if (record.token === 'none') throw new ArmHttpError(401, 'AuthenticationFailed', "Authentication failed. The 'Authorization' header is missing.");
        if (record.token === 'invalid') throw new ArmHttpError(401, 'InvalidAuthenticationToken', 'The access token is invalid or has expired.');
      }
      const injection = matchInjection(req, url.pathname);
      if (injection) {
        if (injection.delayMs) await delay(injection.delayMs);
        if (injection.reset) {
          // The connection is dropped mid-request, as a load balancer or a lost NAT entry does: the client sees ECONNRESET
          // ("socket hang up"). resetAndDestroy (a true RST) refuses a TLS socket's handle, so this destroys it.
          req.socket.destroy();
          return;
        }
        const headers: Record<string, string> = injection.retryAfter !== undefined ? { 'retry-after': String(injection.retryAfter) } : {};
        const body = injection.body ?? { error: { code: injection.code ?? 'InjectedFault', message: injection.message ?? `Injected by the scenario for ${injection.path}.` } };
        return send(res, injection.status, body, headers);
      }
      if (url.pathname === MSI_PATH) return handleIdentity(req, res, url);
      let m: RegExpMatchArray | null;
      if ((m = ROUTES.server.exec(url.pathname))) return await handleServer(req, res, url, m);
      if ((m = ROUTES.servers.exec(url.pathname))) return handleServerList(req, res, url, m);
      if ((m = ROUTES.operation.exec(url.pathname))) return handleOperation(req, res, url, m);
      if ((m = ROUTES.storage.exec(url.pathname))) return handleStorage(req, res, url, m);
      throw new ArmHttpError(404, 'InvalidResourceType', `The resource type could not be found for path '${url.pathname}'.`);
    } catch (error) {
      if (res.headersSent) return res.destroy();
      if (error instanceof ArmHttpError) return send(res, error.status, { error: { code: error.code, message: error.message } }, error.headers);
      return send(res, 500, { error: { code: 'InternalServerError', message: (error as Error).message } });
    }
  }

  const server: Server = createServer({ cert: certificate.cert, key: certificate.key }, (req, res) => {
    void handle(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  }).catch(abandon);
  const port = (server.address() as AddressInfo).port;
  endpoint = `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const identityEndpoint = `${endpoint}${MSI_PATH}`;

  return {
    endpoint,
    caFile: authority.caFile,
    identityEndpoint,
    identityHeader,
    get subscriptionId() {
      return scenario.subscriptionId;
    },
    env: { NODE_EXTRA_CA_CERTS: authority.caFile, IDENTITY_ENDPOINT: identityEndpoint, IDENTITY_HEADER: identityHeader },
    requests,
    inject: (injection) => injections.push({ ...injection, remaining: injection.times ?? Number.POSITIVE_INFINITY }),
    clearInjections: () => {
      injections = [];
    },
    load,
    server: (resourceGroup, name) => servers.get(key(scenario.subscriptionId, resourceGroup, name)),
    operations: () => tracker.list(),
    async stop() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      for (const [timer, resolve] of timers) {
        clearTimeout(timer);
        resolve();
      }
      timers.clear();
      // Hooks (real work, such as a PostgreSQL copy) are stopped, then awaited, so that nothing is left running.
      await options.hooks?.stop?.();
      await tracker.settle();
      if (ownsAuthority) await authority.remove();
    },
  };
}
