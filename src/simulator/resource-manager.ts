/**
 * A local Azure Resource Manager simulator, following the official REST contract
 * (../shared/azure-spec-examples): the Flexible Server GET, backups and long-term-retention lists
 * (with `nextLink` paging), point-in-time restore (PUT) and delete as long-running operations,
 * storage account, blob service and lifecycle management policy properties, blob containers, the
 * standard error body, per-path fault
 * injection, 429 with Retry-After, and an App Service-style managed-identity token endpoint
 * (IDENTITY_ENDPOINT / IDENTITY_HEADER), so that the unchanged DefaultAzureCredential signs in.
 *
 * HTTPS only (the SDKs' bearer policy refuses http), with a CA generated at start. Every ARM call
 * must carry a token this simulator issued; every URL it emits (nextLink, Azure-AsyncOperation,
 * Location) is its own. Used by `restorecheck simulator`, the demo and the tests.
 *
 * A second HTTPS listener, with the same CA, serves a blob data plane (blob-data-plane.ts: Put, Get,
 * Delete, Undelete and List Blobs with soft delete and versions, which Azurite lacks) at
 * blobEndpoint(account), for storage tokens of the same identity endpoint.
 *
 * This file is the listeners (sign-in, injected faults, dispatch, the error answer); the paths and
 * their handlers are in routes.ts, what changes while it runs in simulator-state.ts, the bodies in
 * rest-bodies.ts, the token endpoint in identity-endpoint.ts, the blob data plane in blob-data-plane.ts
 * and blob-store.ts.
 */
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ArmHttpError, send } from './arm-http.js';
import { handleBlobRequest } from './blob-data-plane.js';
import { azureErrorBody } from './azure-error-bodies.js';
import { databaseToken, MSI_PATH, tokenState } from './identity-endpoint.js';
import type { Operation } from './long-running-operations.js';
import { RESOURCE_GRAPH_PATH, resourceGraphThrottled } from './resource-graph.js';
import { findRoute } from './routes.js';
import type { Injection, Scenario } from './scenario.js';
import { SimulatorState } from './simulator-state.js';
import type { RequestRecord, SimulatedServer, SimulatorHooks } from './simulator-types.js';
import { type CertificateAuthority, createCertificateAuthority } from './tls-authority.js';

export type { PointInTimeRestoreRequest, RequestRecord, RestoredServerUpdate, SimulatedServer, SimulatorHooks } from './simulator-types.js';

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
  /** The blob data plane's URL for a storage account, path-style (`https://127.0.0.1:<port>/<account>`), for BlobServiceClient. */
  blobEndpoint(account: string): string;
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
  /** A server as the simulator holds it (vanished ones too), in `subscriptionId` (default: the scenario's). */
  server(resourceGroup: string, name: string, subscriptionId?: string): SimulatedServer | undefined;
  /** Every subscription of the scenario, its own first (the fleet's and those its items name after it). */
  readonly subscriptions: readonly string[];
  /**
   * Resource Manager and Resource Graph requests in flight now, the most there were at once since the start (or the last
   * resetConcurrency()), and how many scenario.throttle answered 429 for being one too many.
   */
  concurrency(): { inFlight: number; peak: number; throttled: number };
  resetConcurrency(): void;
  /**
   * The Microsoft Entra token the identity endpoint issues for Azure Database for PostgreSQL, the same while the simulator runs:
   * set it as the SCRAM password of the principal's role and that PostgreSQL accepts database.auth: entra (identity-endpoint.ts).
   */
  databaseToken(): string;
  operations(): Operation[];
  stop(): Promise<void>;
}

/** An injected fault: after its delay, a dropped connection, or its status with the ARM error body (or its raw body). */
async function answerInjection(state: SimulatorState, injection: Injection, req: IncomingMessage, res: ServerResponse) {
  if (injection.delayMs) await state.delay(injection.delayMs);
  if (injection.reset) {
    // The connection is dropped mid-request, as a load balancer or a lost NAT entry does: the client sees ECONNRESET
    // ("socket hang up"). resetAndDestroy (a true RST) refuses a TLS socket's handle, so this destroys it.
    req.socket.destroy();
    return;
  }
  const headers: Record<string, string> = {
    ...injection.headers,
    ...(injection.retryAfter !== undefined ? { 'retry-after': String(injection.retryAfter) } : {}),
  };
  const message = injection.message ?? `Injected by the scenario for ${injection.path}.`;
  const path = new URL(req.url ?? '/', state.endpoint).pathname;
  const options = {
    ...(injection.lockOn ? { lockOn: injection.lockOn } : {}),
    ...(injection.policyAssignment ? { policyAssignment: injection.policyAssignment } : {}),
  };
  const body =
    injection.body ??
    (injection.azureError
      ? azureErrorBody(injection.azureError, req.method ?? 'GET', path, options)
      : { error: { code: injection.code ?? 'InjectedFault', message } });
  return send(res, injection.status, body, headers);
}

/**
 * Counts a Resource Manager / Resource Graph request in flight until its answer is handed over (or the connection goes), and
 * keeps the peak: what a client's request cap (azure.maxParallelRequests) is measured against.
 */
function countInFlight(state: SimulatorState, res: ServerResponse): void {
  state.inFlight++;
  state.peakInFlight = Math.max(state.peakInFlight, state.inFlight);
  let done = false;
  const end = () => {
    if (done) return;
    done = true;
    state.inFlight--;
  };
  // 'prefinish': when the answer is handed over (res.end), not when TLS has flushed it ('finish' may come after the client
  // has read it and sent its next request); 'close': a connection that went away unanswered.
  res.once('prefinish', end);
  res.once('close', end);
}

/**
 * scenario.throttle: past maxInFlight requests at once, 429 with Azure's throttling body. Resource Manager's read
 * throttling is SubscriptionRequestsThrottled with Retry-After (MicrosoftDocs/azure-docs issues 51431 and 105248; the
 * "Number of 'read' requests for subscription … exceeded" wording); Resource Graph's is RateLimiting with its quota
 * headers (resource-graph.ts).
 */
function throttledByConcurrency(state: SimulatorState, path: string): ArmHttpError | undefined {
  const throttle = state.scenario.throttle;
  if (!throttle || state.inFlight <= throttle.maxInFlight) return undefined;
  state.throttledByConcurrency++;
  if (RESOURCE_GRAPH_PATH.test(path)) return resourceGraphThrottled(throttle.retryAfterSeconds);
  const subscription = /^\/subscriptions\/([^/]+)/i.exec(path)?.[1] ?? state.scenario.subscriptionId;
  return new ArmHttpError(
    429,
    'SubscriptionRequestsThrottled',
    `Number of 'read' requests for subscription '${subscription}' actor '11111111-1111-1111-1111-111111111111' exceeded. ` +
      `Please try again after '${throttle.retryAfterSeconds}' seconds after additional tickets are available. Refer to https://aka.ms/arm-throttling for additional information.`,
    { 'retry-after': String(throttle.retryAfterSeconds) },
  );
}

/** One request: recorded, signed-in (except the token endpoint), then throttled, an injected fault or the route's answer. */
async function handle(state: SimulatorState, req: IncomingMessage, res: ServerResponse) {
  const url = new URL(req.url ?? '/', state.endpoint);
  const record: RequestRecord = { method: req.method ?? 'GET', path: url.pathname, query: url.search, token: tokenState(state, req), status: 0 };
  state.requests.push(record);
  state.records.set(req, record);
  res.on('finish', () => (record.status = res.statusCode));
  const arm = url.pathname !== MSI_PATH;
  if (arm) countInFlight(state, res);
  try {
    if (arm) {
      if (record.token === 'none') throw new ArmHttpError(401, 'AuthenticationFailed', "Authentication failed. The 'Authorization' header is missing.");
      if (record.token === 'invalid') throw new ArmHttpError(401, 'InvalidAuthenticationToken', 'The access token is invalid or has expired.');
      const throttled = throttledByConcurrency(state, url.pathname);
      if (throttled) throw throttled;
      if (state.scenario.latencyMs > 0) await state.delay(state.scenario.latencyMs);
    }
    const injection = state.takeInjection(req.method, url.pathname);
    if (injection) return await answerInjection(state, injection, req, res);
    const found = findRoute(url.pathname);
    if (found) return await found.route.handle(state, req, res, url, found.match);
    throw new ArmHttpError(404, 'InvalidResourceType', `The resource type could not be found for path '${url.pathname}'.`);
  } catch (error) {
    if (res.headersSent) return res.destroy();
    if (error instanceof ArmHttpError) return send(res, error.status, error.body(), error.headers);
    return send(res, 500, { error: { code: 'InternalServerError', message: (error as Error).message } });
  }
}

export async function startSimulator(options: SimulatorOptions): Promise<RunningSimulator> {
  const host = options.host ?? '127.0.0.1';
  const ownsAuthority = !options.authority;
  const authority = options.authority ?? (await createCertificateAuthority());
  const state = new SimulatorState(options.scenario, options.now ?? (() => new Date()), options.hooks);

  // A start that fails (port taken, openssl missing) must not leave the CA directory, private key included, in TMPDIR.
  const abandon = async (error: unknown): Promise<never> => {
    if (ownsAuthority) await authority.remove();
    throw error;
  };
  const certificate = await authority
    .issue(host === '127.0.0.1' || host === 'localhost' ? ['localhost', '127.0.0.1'] : [host, 'localhost', '127.0.0.1'])
    .catch(abandon);
  const server: Server = createServer({ cert: certificate.cert, key: certificate.key }, (req, res) => {
    void handle(state, req, res);
  });
  // The blob data plane: its own port (its paths are /<account>/…, which Resource Manager's could not tell apart).
  const blobServer: Server = createServer({ cert: certificate.cert, key: certificate.key }, (req, res) => {
    void handleBlobRequest(state, req, res);
  });
  const listen = (target: Server, port: number) =>
    new Promise<void>((resolve, reject) => {
      target.once('error', reject);
      target.listen(port, host, () => resolve());
    });
  const close = (target: Server) =>
    new Promise<void>((resolve) => {
      if (!target.listening) return resolve();
      target.close(() => resolve());
      target.closeAllConnections();
    });
  await listen(server, options.port ?? 0).catch(abandon);
  await listen(blobServer, 0).catch(async (error: unknown) => {
    await close(server);
    return abandon(error);
  });
  const origin = (port: number) => `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
  state.endpoint = origin((server.address() as AddressInfo).port);
  state.blobOrigin = origin((blobServer.address() as AddressInfo).port);

  async function stop() {
    await Promise.all([close(server), close(blobServer)]);
    state.releaseTimers();
    // Hooks (real work, such as a PostgreSQL copy) are stopped, then awaited, so that nothing is left running.
    await state.hooks?.stop?.();
    await state.tracker.settle();
    if (ownsAuthority) await authority.remove();
  }
  return running(state, authority.caFile, stop);
}

/** The handle a caller gets: the simulator's addresses and environment, and its state behind named methods. */
function running(state: SimulatorState, caFile: string, stop: () => Promise<void>): RunningSimulator {
  const identityEndpoint = `${state.endpoint}${MSI_PATH}`;
  return {
    endpoint: state.endpoint,
    blobEndpoint: (account) => `${state.blobOrigin}/${account}`,
    caFile,
    identityEndpoint,
    identityHeader: state.identityHeader,
    get subscriptionId() {
      return state.scenario.subscriptionId;
    },
    env: { NODE_EXTRA_CA_CERTS: caFile, IDENTITY_ENDPOINT: identityEndpoint, IDENTITY_HEADER: state.identityHeader },
    requests: state.requests,
    inject: (injection) => state.inject(injection),
    clearInjections: () => state.clearInjections(),
    load: (scenario) => state.load(scenario),
    server: (resourceGroup, name, subscriptionId) => state.server(resourceGroup, name, subscriptionId),
    get subscriptions() {
      return state.subscriptions;
    },
    concurrency: () => ({ inFlight: state.inFlight, peak: state.peakInFlight, throttled: state.throttledByConcurrency }),
    resetConcurrency: () => state.resetConcurrency(),
    databaseToken: () => databaseToken(state).token,
    operations: () => state.tracker.list(),
    stop,
  };
}
