/**
 * `restore-test cleanup` in fleet mode (azure.discover, issue 17): a fleet restore creates each server's restore in that
 * server's subscription and in its own target resource group (restoreConfigFor), so a run killed by SIGKILL, or a CI
 * runner whose ledger died, can leave servers anywhere the fleet lives. Cleanup therefore sweeps every (subscription,
 * resource group) a restore of the fleet may have used, plus those of the ledger's runs that never said how they ended
 * (a server that left the fleet since is still swept), each with cleanupExpiredRestores and its unchanged safety rules.
 */
import type { Config } from '../config/schema.js';
import { type CleanupDecision, cleanupExpiredRestores } from '../restore/azure-restore.js';
import { allowedResourceGroups, restoreNamePrefix } from '../restore/azure-restore-plan.js';
import type { LedgerRun } from '../restore/restore-ledger.js';
import type { FleetResource, Logger } from '../vocabulary.js';
import { restoreConfigFor } from './fleet-restore-test.js';
import type { Gateways } from './gateways.js';

/** One resource group of one subscription to sweep, with the configuration to sweep it with. */
export interface CleanupScope {
  subscriptionId: string;
  resourceGroup: string;
  /** A single-server configuration: azure.subscriptionId is the scope's, restoreTest.allowedResourceGroups its group alone. */
  config: Config;
  /** The restore-name prefixes of the fleet's servers restored into this scope (none for a scope known from the ledger only). */
  prefixes: string[];
}

/**
 * The scopes a fleet's restores may have created servers in (pure): for each Flexible Server of the fleet, the allowed
 * resource groups of its restore configuration in its subscription; then the scope of every ledger run still
 * `requested`, unless restoreTest.allowedResourceGroups leaves its group out (a restore is never made there). Sorted by
 * subscription and group (lower case), each once.
 */
export function fleetCleanupScopes(config: Config, fleet: readonly FleetResource[], runs: Iterable<LedgerRun>): CleanupScope[] {
  const azure = config.azure;
  if (!azure) throw new Error('fleetCleanupScopes: fleet mode needs an azure section'); // the caller checks azure.discover first
  const scopes = new Map<string, CleanupScope>();
  const add = (base: Config, subscriptionId: string, resourceGroup: string, prefix: string | undefined) => {
    const key = `${subscriptionId}/${resourceGroup}`.toLowerCase();
    const scope = scopes.get(key) ?? {
      subscriptionId,
      resourceGroup: resourceGroup.toLowerCase(),
      config: { ...base, restoreTest: { ...base.restoreTest, allowedResourceGroups: [resourceGroup.toLowerCase()] } },
      prefixes: [],
    };
    if (prefix && !scope.prefixes.includes(prefix)) scope.prefixes.push(prefix);
    scopes.set(key, scope);
  };
  for (const server of fleet) {
    if (server.kind !== 'postgres') continue;
    const own = restoreConfigFor(config, server).config;
    for (const group of allowedResourceGroups(own)) add(own, server.subscriptionId, group, restoreNamePrefix(own));
  }
  const allowed = config.restoreTest.allowedResourceGroups?.map((g) => g.toLowerCase());
  const { discover: _d, postgres: _p, storage: _s, ...rest } = azure;
  for (const run of runs) {
    if (run.state !== 'requested') continue;
    const { subscriptionId, resourceGroup } = run.request;
    if (allowed && !allowed.includes(resourceGroup.toLowerCase())) continue;
    // A server no longer in the fleet: the fleet's settings in its subscription; only its ledger entry can make it ours.
    add({ ...config, azure: { ...rest, subscriptionId } }, subscriptionId, resourceGroup, undefined);
  }
  return [...scopes.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, scope]) => scope);
}

export interface FleetCleanupOptions {
  scopes: readonly CleanupScope[];
  /** The doors of one scope (the CLI: LiveGateways of its configuration on the fleet's one credential). */
  gateways: (config: Config) => Gateways;
  log: Logger;
  now: Date;
  record?: (decision: CleanupDecision) => Promise<void>;
}

/** A scope whose servers could not be listed (its leftovers, if any, are still there). */
export interface UnsweptScope {
  subscriptionId: string;
  resourceGroup: string;
  error: unknown;
}

/**
 * Sweeps the scopes one after the other: every scope's decisions, in that order. A scope that cannot be listed (no
 * Reader there, a subscription gone) does not stop the others: it is returned, and the command ends with exit 2.
 */
export async function cleanupFleetRestores(options: FleetCleanupOptions): Promise<{ decisions: CleanupDecision[]; unswept: UnsweptScope[] }> {
  const decisions: CleanupDecision[] = [];
  const unswept: UnsweptScope[] = [];
  for (const scope of options.scopes) {
    const gateways = options.gateways(scope.config);
    try {
      const swept = await cleanupExpiredRestores({
        config: scope.config,
        gateways,
        log: options.log,
        now: options.now,
        prefixes: scope.prefixes,
        ...(options.record ? { record: options.record } : {}),
      });
      decisions.push(...swept.decisions);
    } catch (error) {
      unswept.push({ subscriptionId: scope.subscriptionId, resourceGroup: scope.resourceGroup, error });
    } finally {
      await gateways.close();
    }
  }
  return { decisions, unswept };
}
