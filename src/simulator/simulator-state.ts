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
  /** The resource groups that exist (lower case): the scenario's own, and those of its servers and accounts as loaded. */
  private groups = new Set<string>();
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
    this.servers = new Map(next.servers.map((s) => [resourceKey(next.subscriptionId, s.resourceGroup, s.name), structuredClone(s)]));
    this.accounts = new Map(next.storageAccounts.map((a) => [resourceKey(next.subscriptionId, a.resourceGroup, a.name), a]));
    this.injections = next.injections.map(activate);
    this.blobs = new BlobStore(this.now);
    this.groups = new Set(
      [...next.resourceGroups, ...next.servers.map((s) => s.resourceGroup), ...next.storageAccounts.map((a) => a.resourceGroup)].map((g) => g.toLowerCase()),
    );
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

  server(resourceGroup: string, name: string): SimulatedServer | undefined {
    return this.servers.get(resourceKey(this.scenario.subscriptionId, resourceGroup, name));
  }

  requireSubscription(sub: string): void {
    if (sub.toLowerCase() !== this.scenario.subscriptionId.toLowerCase()) {
      throw new ArmHttpError(404, 'SubscriptionNotFound', `The subscription '${sub}' could not be found.`);
    }
  }

  /** Resource Manager answers a path under a resource group that does not exist with ResourceGroupNotFound, before looking at the resource. */
  requireResourceGroup(group: string): void {
    if (!this.groups.has(group.toLowerCase())) throw new ArmHttpError(404, 'ResourceGroupNotFound', `Resource group '${group}' could not be found.`);
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
