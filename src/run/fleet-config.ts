/**
 * Fleet mode (azure.discover, issue 17): each discovered resource is checked as if it were configured alone. This is
 * the one place that turns a fleet configuration and one resource into that single-resource configuration, so that
 * `check`, `restore-test` and the shards all judge a resource by the same thresholds.
 */
import { type Config, type DiscoverConfig, postgresThresholdsSchema, storageThresholdsSchema } from '../config/schema.js';
import type { DiscoveryScope } from '../azure/types.js';
import type { FleetResource } from '../vocabulary.js';

type AzureConfig = NonNullable<Config['azure']>;

const POSTGRES_PROVIDER = 'Microsoft.DBforPostgreSQL/flexibleServers';
const STORAGE_PROVIDER = 'Microsoft.Storage/storageAccounts';

export function postgresServerId(subscriptionId: string, resourceGroup: string, server: string): string {
  return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/${POSTGRES_PROVIDER}/${server}`;
}

export function storageAccountId(subscriptionId: string, resourceGroup: string, account: string): string {
  return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/${STORAGE_PROVIDER}/${account}`;
}

/** Resource Manager compares ids without regard to case. */
export const sameId = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/** The Resource Graph query azure.discover asks for (check, restore-test and cleanup ask the same). */
export function discoveryScope(discover: DiscoverConfig): DiscoveryScope {
  return { subscriptions: discover.subscriptions, tag: discover.tag, kinds: discover.kinds, pageSize: discover.pageSize };
}

/**
 * The resources the configuration names itself (azure.postgres, azure.storage): always in scope, tagged or not, so that
 * the server a team configured by hand is never silently dropped by a missing tag. Their location is unknown until read.
 */
export function configuredResources(config: Config): FleetResource[] {
  const azure = config.azure;
  if (!azure) return [];
  const out: FleetResource[] = [];
  if (azure.postgres) {
    const { resourceGroup, server } = azure.postgres;
    out.push({
      id: postgresServerId(azure.subscriptionId, resourceGroup, server),
      kind: 'postgres',
      name: server,
      subscriptionId: azure.subscriptionId,
      resourceGroup,
      location: '',
      tags: {},
    });
  }
  if (azure.storage) {
    const { resourceGroup, account } = azure.storage;
    out.push({
      id: storageAccountId(azure.subscriptionId, resourceGroup, account),
      kind: 'storage',
      name: account,
      subscriptionId: azure.subscriptionId,
      resourceGroup,
      location: '',
      tags: {},
    });
  }
  return out;
}

/**
 * Discovery's answer and the configured resources, each once (by id, case-insensitively; discovery's description wins,
 * it knows the location and tags), sorted by lower-case id: the fleet as the report records it.
 */
export function fleetOf(discovered: readonly FleetResource[], config: Config): FleetResource[] {
  const byId = new Map<string, FleetResource>();
  for (const resource of configuredResources(config)) byId.set(resource.id.toLowerCase(), resource);
  for (const resource of discovered) byId.set(resource.id.toLowerCase(), resource);
  return [...byId.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, resource]) => resource);
}

/** A name glob (`*` any run of characters, `?` one), matched whole and case-insensitively (Azure names are). */
export function globMatches(glob: string, name: string): boolean {
  const pattern = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${pattern}$`, 'i').test(name);
}

/** Every key of `filter` carries its value on the resource (keys and values compared case-insensitively, as Resource Graph's `=~`). */
export function tagsMatch(filter: Record<string, string>, tags: Record<string, string>): boolean {
  const lower = new Map(Object.entries(tags).map(([k, v]) => [k.toLowerCase(), v.toLowerCase()]));
  return Object.entries(filter).every(([k, v]) => lower.get(k.toLowerCase()) === v.toLowerCase());
}

type Override = DiscoverConfig['overrides'][number];

function overridesFor(discover: DiscoverConfig | undefined, resource: FleetResource): Override[] {
  return (discover?.overrides ?? []).filter(
    (o) => (o.name === undefined || globMatches(o.name, resource.name)) && (o.tag === undefined || tagsMatch(o.tag, resource.tags)),
  );
}

/**
 * The configuration of one resource of the fleet: azure.subscriptionId is the resource's, azure.postgres (or
 * azure.storage) names it alone, with the fleet's thresholds (azure.postgres / azure.storage's, else the defaults) and
 * then each matching override's, in order (for a server, its restoreTest settings too); the other kind's section and azure.discover are gone. For the configured
 * resource itself, its own section is kept whole (a storage account's container, endpoint and drill).
 */
export function resourceConfig(config: Config, resource: FleetResource): Config {
  const azure = config.azure;
  if (!azure) throw new Error('resourceConfig: fleet mode needs an azure section'); // the caller checks azure.discover first
  const { discover, postgres, storage, ...rest } = azure;
  const matching = overridesFor(discover, resource);
  const base: AzureConfig = { ...rest, subscriptionId: resource.subscriptionId };
  if (resource.kind === 'postgres') {
    const own = postgres && sameId(postgresServerId(azure.subscriptionId, postgres.resourceGroup, postgres.server), resource.id) ? postgres : undefined;
    const { resourceGroup: _g, server: _s, ...fleetThresholds } = postgres ?? { resourceGroup: '', server: '', ...postgresThresholdsSchema.parse({}) };
    const thresholds = Object.assign({}, fleetThresholds, ...matching.map((o) => o.postgres ?? {}));
    // A server's restore tests: how often (restoreTest.everyDays) and where its copy goes (targetResourceGroup), per match.
    const restoreTest = Object.assign({}, config.restoreTest, ...matching.map((o) => o.restoreTest ?? {}));
    return {
      ...config,
      restoreTest,
      azure: { ...base, postgres: { ...(own ?? {}), ...thresholds, resourceGroup: resource.resourceGroup, server: resource.name } },
    };
  }
  const own = storage && sameId(storageAccountId(azure.subscriptionId, storage.resourceGroup, storage.account), resource.id) ? storage : undefined;
  const fleetThresholds = storage
    ? { minSoftDeleteDays: storage.minSoftDeleteDays, requireVersioning: storage.requireVersioning }
    : storageThresholdsSchema.parse({});
  const thresholds = Object.assign({}, fleetThresholds, ...matching.map((o) => o.storage ?? {}));
  return { ...config, azure: { ...base, storage: { ...(own ?? {}), ...thresholds, resourceGroup: resource.resourceGroup, account: resource.name } } };
}
