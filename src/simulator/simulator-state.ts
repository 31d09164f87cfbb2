/**
 * Everything the simulator holds that changes while it runs: the scenario and the servers,
 * storage accounts and injections loaded from it, the blob data plane's blobs (blob-store.ts),
 * the tokens issued, the requests received, the long-running operations, and the timers behind
 * simulated delays (released at stop, so that they hold nothing open).
 */
import { randomBytes } from 'node:crypto';
import { ArmHttpError } from './arm-http.js';
import { BlobStore } from './blob-store.js';
import type { IssuedToken, TokenBook } from './identity-endpoint.js';
import { OperationTracker } from './long-running-operations.js';
import type { Injection, Scenario, ScenarioStorageAccount } from './scenario.js';
import type { RequestRecord, SimulatedServer, SimulatorHooks } from './simulator-types.js';

/** Resource Manager names are case-insensitive: a map key from an id's parts. */
export const resourceKey = (...parts: string[]) => parts.join('/').toLowerCase();

type ActiveInjection = Injection & { remaining: number };

const activate = (injection: Injection): ActiveInjection => ({ ...injection, remaining: injection.times ?? Number.POSITIVE_INFINITY });

export class SimulatorState implements TokenBook {
  scenario!: Scenario;
  servers = new Map<string, SimulatedServer>();
  accounts = new Map<string, ScenarioStorageAccount>();
  private injections: ActiveInjection[] = [];
  /** The resource groups that exist (resourceKey(subscription, group)): the scenario's own, and those of its servers and accounts as loaded. */
  private groups = new Set<string>();
  /** Every subscription that exists, as the scenario spells it: its own first, then the fleet's and those its items name. */
  subscriptions: string[] = [];
  /** Subscriptions (lower case) on which the identity holds no role (scenario.unreadableSubscriptions). */
  private unreadable = new Set<string>();
  /** Resource Manager and Resource Graph requests being answered now, and the most there ever were at once (resetConcurrency() restarts it). */
  inFlight = 0;
  peakInFlight = 0;
  /** Requests answered 429 by scenario.throttle because too many were in flight. */
  throttledByConcurrency = 0;
  readonly tokens = new Map<string, IssuedToken>();
  readonly identityHeader = randomBytes(24).toString('base64url');
  /** Every request received, in order. */
  readonly requests: RequestRecord[] = [];
  /** The record of each request in flight, so that a handler can note the body it parsed. */
  readonly records = new WeakMap<object, RequestRecord>();
  readonly tracker: OperationTracker;
  /** https://host:port, known once the server listens; every URL the simulator emits starts with it. */
  endpoint = '';
  /** https://host:port of the blob data plane's listener (blobEndpoint(account) is this plus `/<account>`). */
  blobOrigin = '';
  /** The blob data plane's blobs, versions and soft-deleted data; a new, empty one at each load. */
  blobs!: BlobStore;
  private readonly timers = new Map<NodeJS.Timeout, () => void>();

  constructor(
    scenario: Scenario,
    readonly now: () => Date,
    readonly hooks: SimulatorHooks | undefined,
  ) {
    this.tracker = new OperationTracker(now);
    this.load(scenario);
  }

  /** Replaces servers, storage accounts, blobs and injections with another scenario's (tokens and requests stay). */
  load(next: Scenario): void {
    this.scenario = next;
    // Each item knows its subscription from here on (the scenario's when it names none), so that its ids and answers carry it.
    const placed = <T extends { subscriptionId?: string | undefined }>(item: T): T & { subscriptionId: string } => ({
      ...item,
      subscriptionId: item.subscriptionId ?? next.subscriptionId,
    });
    const servers = next.servers.map((s) => placed(structuredClone(s)));
    const accounts = next.storageAccounts.map(placed);
    this.servers = new Map(servers.map((s) => [resourceKey(s.subscriptionId, s.resourceGroup, s.name), s]));
    this.accounts = new Map(accounts.map((a) => [resourceKey(a.subscriptionId, a.resourceGroup, a.name), a]));
    this.injections = next.injections.map(activate);
    this.blobs = new BlobStore(this.now);
    this.groups = new Set([
      ...next.resourceGroups.map((g) => resourceKey(next.subscriptionId, g)),
      ...[...servers, ...accounts].map((item) => resourceKey(item.subscriptionId, item.resourceGroup)),
    ]);
    this.unreadable = new Set(next.unreadableSubscriptions.map((s) => s.toLowerCase()));
    this.subscriptions = [
      ...new Map(
        [next.subscriptionId, ...(next.fleet?.subscriptions ?? []), ...servers.map((s) => s.subscriptionId), ...accounts.map((a) => a.subscriptionId)]
          .concat(next.unreadableSubscriptions)
          .map((s) => [s.toLowerCase(), s] as const),
      ).values(),
    ];
  }

  /** The subscription of a server or account as loaded (load() sets it on each). */
  subscriptionOf(item: { subscriptionId?: string | undefined }): string {
    return item.subscriptionId ?? this.scenario.subscriptionId;
  }

  inject(injection: Injection): void {
    this.injections.push(activate(injection));
  }

  clearInjections(): void {
    this.injections = [];
  }

  /** The first injection that still applies to this request, counted as used. */
  takeInjection(method: string | undefined, path: string): ActiveInjection | undefined {
    const found = this.injections.find((i) => i.remaining > 0 && (!i.method || i.method === method) && path.toLowerCase().includes(i.path.toLowerCase()));
    if (found) found.remaining--;
    return found;
  }

  /** Notes the parsed body of `req` in its request record. */
  noteBody(req: object, body: unknown): void {
    const record = this.records.get(req);
    if (record) record.body = structuredClone(body);
  }

  /** The server as Resource Manager describes it: with the hooks' address when the scenario gives none. */
  described(server: SimulatedServer): SimulatedServer {
    if (server.fullyQualifiedDomainName || !this.hooks?.fullyQualifiedDomainName) return server;
    const address = this.hooks.fullyQualifiedDomainName(server);
    return address ? { ...server, fullyQualifiedDomainName: address } : server;
  }

  /** A server by resource group and name, in `subscriptionId` (default: the scenario's); a vanished one too. */
  server(resourceGroup: string, name: string, subscriptionId = this.scenario.subscriptionId): SimulatedServer | undefined {
    return this.servers.get(resourceKey(subscriptionId, resourceGroup, name));
  }

  /** The subscription as the scenario spells it (ids keep one spelling whatever case a path uses). */
  canonicalSubscription(sub: string): string {
    return this.subscriptions.find((s) => s.toLowerCase() === sub.toLowerCase()) ?? sub;
  }

  /** Whether the subscription exists (whether or not the identity may read it). */
  hasSubscription(sub: string): boolean {
    return this.subscriptions.some((s) => s.toLowerCase() === sub.toLowerCase());
  }

  /** Whether the identity holds a role on the subscription. */
  canRead(sub: string): boolean {
    return this.hasSubscription(sub) && !this.unreadable.has(sub.toLowerCase());
  }

  /**
   * A subscription path's first check: SubscriptionNotFound when it does not exist, and for one the identity holds no role
   * on, ARM's AuthorizationFailed in its documented wording (Microsoft Learn, "Resolve errors for … authorization").
   */
  requireSubscription(sub: string, method = 'GET', path = `/subscriptions/${sub}`): void {
    if (!this.hasSubscription(sub)) throw new ArmHttpError(404, 'SubscriptionNotFound', `The subscription '${sub}' could not be found.`);
    if (!this.canRead(sub)) {
      const type = /\/providers\/([^/]+\/[^/]+)/i.exec(path)?.[1] ?? 'Microsoft.Resources/subscriptions';
      const action = `${type}/${method === 'GET' ? 'read' : method === 'DELETE' ? 'delete' : 'write'}`;
      throw new ArmHttpError(
        403,
        'AuthorizationFailed',
        "The client '11111111-1111-1111-1111-111111111111' with object id '11111111-1111-1111-1111-111111111111' does not have authorization to perform " +
          `action '${action}' over scope '${path}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
      );
    }
  }

  /** Resource Manager answers a path under a resource group that does not exist with ResourceGroupNotFound, before looking at the resource. */
  requireResourceGroup(sub: string, group: string): void {
    if (!this.groups.has(resourceKey(sub, group))) throw new ArmHttpError(404, 'ResourceGroupNotFound', `Resource group '${group}' could not be found.`);
  }

  /** Restarts the in-flight peak and the throttled count (a test's next phase). */
  resetConcurrency(): void {
    this.peakInFlight = this.inFlight;
    this.throttledByConcurrency = 0;
  }

  /** Waits `ms`, or less if the simulator stops first. */
  delay(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, ms);
      this.timers.set(timer, resolve);
    });
  }

  /** Ends every pending delay now. */
  releaseTimers(): void {
    for (const [timer, resolve] of this.timers) {
      clearTimeout(timer);
      resolve();
    }
    this.timers.clear();
  }
}
