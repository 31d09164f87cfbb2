/**
 * A scenario's `fleet` key (issue 17): hundreds of Flexible Servers and storage accounts over several subscriptions,
 * generated at load from a few numbers instead of written out. Everything is a pure function of the resource's number,
 * so the same scenario is the same fleet at every load: `pg-fleet-001` … and `stfleet001` …, spread round-robin over
 * the subscriptions, a few resource groups in each, healthy in an EEA region with an EEA pair, with the faults the
 * scenario asks for on every n-th resource. `untagged` resources lack the fleet's tag (discovery must not find them).
 *
 * This module returns scenario *input* (the shapes a scenario file would spell out); scenario.ts validates it with the
 * same schemas as hand-written servers and accounts, so a generated resource is exactly what a file could say.
 */
import { z } from 'zod';

const uuid = z.string().regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, { message: 'must be a UUID' });

/** What a fault does to a generated resource; see `fleetSchema.faults`. */
export const FLEET_FAULTS = ['vanished', 'short-retention', 'stale-backup', 'throttled'] as const;
export type FleetFault = (typeof FLEET_FAULTS)[number];

export const fleetSchema = z.strictObject({
  /** The subscriptions the fleet spreads over, round-robin (default: the scenario's subscriptionId). */
  subscriptions: z.array(uuid).min(1).optional(),
  /** Flexible Servers carrying the tag: pg-fleet-001, pg-fleet-002, … */
  servers: z.number().int().nonnegative().max(20_000).default(0),
  /** Storage accounts carrying the tag: stfleet001, stfleet002, … */
  storageAccounts: z.number().int().nonnegative().max(20_000).default(0),
  /** Resource groups per subscription (rg-fleet-1 … in each), the resources spread over them. */
  resourceGroupsPerSubscription: z.number().int().positive().max(100).default(3),
  /** The tag every fleet resource carries (the one azure.discover.tag asks for). */
  tag: z.record(z.string().min(1), z.string()).default({ restorecheck: 'on' }),
  /**
   * This many extra servers AND this many extra accounts (pg-untagged-001, stuntagged001, …) without the tag: the odd ones
   * carry the tag's keys with the value `off`, the even ones no tag at all. Healthy; discovery must not find them.
   */
  untagged: z.number().int().nonnegative().max(20_000).default(0),
  /**
   * Faults, each on every `every`-th resource of each kind (numbers every, 2·every, …), in order (a later one adds to an
   * earlier one): `vanished` (listed by Resource Graph, 404 on every Resource Manager call), `short-retention` (a server
   * keeps backups 7 days, an account soft-deletes for 3), `stale-backup` (a server's newest backup is 60 h old; accounts
   * are untouched), `throttled` (the resource's first two GETs answer 429 SubscriptionRequestsThrottled, Retry-After 1 s).
   */
  faults: z
    .array(
      z.strictObject({
        every: z.number().int().positive(),
        fault: z.enum(FLEET_FAULTS),
        /** Which kinds it applies to; default both. */
        kinds: z
          .array(z.enum(['postgres', 'storage']))
          .min(1)
          .optional(),
      }),
    )
    .default([]),
});

export type FleetScenario = z.output<typeof fleetSchema>;

/**
 * EEA regions whose published pair is in the EEA too (src/residency/azure-regions.ts), so that a healthy fleet resource
 * passes pgflex-geo-redundant-backup and storage-data-residency with the default azure.allowedRegions.
 */
const REGIONS: ReadonlyArray<readonly [string, string]> = [
  ['francecentral', 'francesouth'],
  ['germanywestcentral', 'germanynorth'],
  ['northeurope', 'westeurope'],
  ['swedencentral', 'swedensouth'],
];

/** The scenario input of one server (scenario.ts's serverSchema validates it). */
export interface FleetServerInput {
  subscriptionId: string;
  vanished?: boolean;
  resourceGroup: string;
  name: string;
  location: string;
  state: string;
  version: string;
  tags?: Record<string, string>;
  backup: { backupRetentionDays: number; geoRedundantBackup: string; earliestRestoreDaysAgo: number };
  backupSeries: { count: number; intervalHours: number; newestHoursAgo: number };
  longTermRetention: Array<{ backupName: string; status: string; endedDaysAgo: number }>;
}

/** The scenario input of one storage account (scenario.ts's storageAccountSchema validates it). */
export interface FleetAccountInput {
  subscriptionId: string;
  vanished?: boolean;
  resourceGroup: string;
  name: string;
  location: string;
  secondaryLocation: string;
  sku: string;
  tags?: Record<string, string>;
  blobService: {
    isVersioningEnabled: boolean;
    deleteRetentionPolicy: { enabled: boolean; days: number };
    containerDeleteRetentionPolicy: { enabled: boolean; days: number };
  };
  containers: Array<{ name: string }>;
}

/** The scenario input of one injection (scenario.ts's injectionSchema validates it). */
export interface FleetInjectionInput {
  path: string;
  method: 'GET';
  status: number;
  code: string;
  message: string;
  retryAfter: number;
  times: number;
}

export interface FleetResources {
  servers: FleetServerInput[];
  storageAccounts: FleetAccountInput[];
  injections: FleetInjectionInput[];
}

/** Where resource number `n` (1-based) of a kind lives: subscription round-robin, then its group within that subscription. */
function placeOf(fleet: FleetScenario, subscriptions: readonly string[], n: number) {
  const round = Math.floor((n - 1) / subscriptions.length);
  const subscriptionIndex = (n - 1) % subscriptions.length;
  return {
    subscriptionId: subscriptions[subscriptionIndex]!,
    resourceGroup: `rg-fleet-${(round % fleet.resourceGroupsPerSubscription) + 1}`,
    region: REGIONS[round % REGIONS.length]!,
  };
}

function faultsOf(fleet: FleetScenario, kind: 'postgres' | 'storage', n: number): Set<FleetFault> {
  return new Set(fleet.faults.filter((f) => n % f.every === 0 && (!f.kinds || f.kinds.includes(kind))).map((f) => f.fault));
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');

/**
 * The throttled fault, as an injection on the resource's own path (its GETs and those of its sub-resources). Names of
 * one kind have the same width, so that no name is a prefix of another and the path matches this resource alone.
 * Code and message as ARM throttles reads (MicrosoftDocs/azure-docs issues 51431 and 105248: SubscriptionRequestsThrottled,
 * "Number of 'read' requests for subscription … exceeded").
 */
function throttled(path: string, subscriptionId: string): FleetInjectionInput {
  return {
    path,
    method: 'GET',
    status: 429,
    code: 'SubscriptionRequestsThrottled',
    message: `Number of 'read' requests for subscription '${subscriptionId}' actor '11111111-1111-1111-1111-111111111111' exceeded. Please try again after '1' seconds after additional tickets are available. Refer to https://aka.ms/arm-throttling for additional information.`,
    retryAfter: 1,
    times: 2,
  };
}

/** The fleet's servers, accounts and injections; `defaultSubscription` is the scenario's own. Deterministic. */
export function fleetResources(fleet: FleetScenario, defaultSubscription: string): FleetResources {
  const subscriptions = fleet.subscriptions ?? [defaultSubscription];
  const width = String(Math.max(fleet.servers, fleet.storageAccounts, fleet.untagged, 100)).length;
  const out: FleetResources = { servers: [], storageAccounts: [], injections: [] };
  const offTags = Object.fromEntries(Object.keys(fleet.tag).map((k) => [k, 'off']));
  const server = (n: number, name: string, tags: Record<string, string> | undefined, faults: Set<FleetFault>) => {
    const { subscriptionId, resourceGroup, region } = placeOf(fleet, subscriptions, n);
    const retention = faults.has('short-retention') ? 7 : 35;
    out.servers.push({
      subscriptionId,
      ...(faults.has('vanished') ? { vanished: true } : {}),
      resourceGroup,
      name,
      location: region[0],
      state: 'Ready',
      version: '16',
      ...(tags ? { tags } : {}),
      backup: { backupRetentionDays: retention, geoRedundantBackup: 'Enabled', earliestRestoreDaysAgo: retention },
      // A week of daily backups is enough for pgflex-recent-backup, and keeps a fleet of thousands small.
      backupSeries: { count: 7, intervalHours: 24, newestHoursAgo: faults.has('stale-backup') ? 60 : 1 + (n % 20) },
      longTermRetention: [{ backupName: `ltr-${name}`, status: 'Succeeded', endedDaysAgo: 20 }],
    });
    if (faults.has('throttled')) {
      const path = `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.DBforPostgreSQL/flexibleServers/${name}`;
      out.injections.push(throttled(path, subscriptionId));
    }
  };
  const account = (n: number, name: string, tags: Record<string, string> | undefined, faults: Set<FleetFault>) => {
    const { subscriptionId, resourceGroup, region } = placeOf(fleet, subscriptions, n);
    const days = faults.has('short-retention') ? 3 : 14;
    out.storageAccounts.push({
      subscriptionId,
      ...(faults.has('vanished') ? { vanished: true } : {}),
      resourceGroup,
      name,
      location: region[0],
      secondaryLocation: region[1],
      sku: 'Standard_GZRS',
      ...(tags ? { tags } : {}),
      blobService: {
        isVersioningEnabled: true,
        deleteRetentionPolicy: { enabled: true, days },
        containerDeleteRetentionPolicy: { enabled: true, days },
      },
      containers: [{ name: 'documents' }],
    });
    if (faults.has('throttled')) {
      const path = `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.Storage/storageAccounts/${name}`;
      out.injections.push(throttled(path, subscriptionId));
    }
  };
  for (let n = 1; n <= fleet.servers; n++) server(n, `pg-fleet-${pad(n, width)}`, { ...fleet.tag }, faultsOf(fleet, 'postgres', n));
  for (let n = 1; n <= fleet.storageAccounts; n++) account(n, `stfleet${pad(n, width)}`, { ...fleet.tag }, faultsOf(fleet, 'storage', n));
  for (let n = 1; n <= fleet.untagged; n++) {
    const tags = n % 2 === 1 && Object.keys(offTags).length > 0 ? { ...offTags } : undefined;
    server(n, `pg-untagged-${pad(n, width)}`, tags, new Set());
    account(n, `stuntagged${pad(n, width)}`, tags, new Set());
  }
  return out;
}
