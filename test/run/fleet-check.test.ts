/**
 * The fleet runner (run/fleet-check.ts) on gateways that answer per resource: one finding per check and resource, a
 * vanished resource is `error` for itself only, overrides by name, shards that add up to the whole, the concurrency
 * bound, a failed discovery, an empty scope. The simulator end to end (Resource Graph, the CLI) is in
 * test/azure/fleet-check-simulator.test.ts; this file pins the runner's own rules.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Discovery, DiscoveryScope, FlexibleServerGateway, ResourceGraphGateway, StorageGateway } from '../../src/azure/types.js';
import { checksFor } from '../../src/checks/index.js';
import { type Config, configSchema } from '../../src/config/schema.js';
import { EvaluationError } from '../../src/errors.js';
import { postgresServerId, storageAccountId } from '../../src/run/fleet-config.js';
import { type FleetRunOptions, runFleetChecks } from '../../src/run/fleet-check.js';
import type { CheckResult, RunResult } from '../../src/run/result.js';
import type { FleetResource } from '../../src/vocabulary.js';
import { HEALTHY_ACCOUNT, HEALTHY_BLOB, HEALTHY_SERVER, NOW, hoursAgo } from '../helpers/azure-world.js';
import { fakeGateways } from '../helpers/fake-gateways.js';

const SUBS = ['11111111-1111-1111-1111-111111111111', '22222222-2222-2222-2222-222222222222'];
const PG_CHECKS = checksFor('check').filter((c) => c.needs.includes('azurePostgres')).length;
const ST_CHECKS = checksFor('check').filter((c) => c.needs.includes('azureStorage')).length;

function server(i: number): FleetResource {
  const subscriptionId = SUBS[i % 2] as string;
  const name = `pg-${String(i).padStart(3, '0')}`;
  return {
    id: postgresServerId(subscriptionId, 'rg-a', name),
    kind: 'postgres',
    name,
    subscriptionId,
    resourceGroup: 'rg-a',
    location: 'francecentral',
    tags: { restorecheck: 'on' },
  };
}

function account(i: number): FleetResource {
  const subscriptionId = SUBS[i % 2] as string;
  const name = `st${String(i).padStart(3, '0')}`;
  return {
    id: storageAccountId(subscriptionId, 'rg-b', name),
    kind: 'storage',
    name,
    subscriptionId,
    resourceGroup: 'rg-b',
    location: 'francecentral',
    tags: { restorecheck: 'on' },
  };
}

interface Fleet {
  resources: FleetResource[];
  /** Resource names whose every Resource Manager call is 404 (gone since discovery). */
  vanished?: Set<string>;
  /** Discovery throws this. */
  discoveryError?: EvaluationError;
}

/** Per-resource gateways over a healthy world, counting the resources being evaluated at once. */
function harness(fleet: Fleet) {
  let active = 0;
  let peak = 0;
  const scopes: DiscoveryScope[] = [];
  const graph: ResourceGraphGateway = {
    async discover(scope): Promise<Discovery> {
      scopes.push(scope);
      if (fleet.discoveryError) throw fleet.discoveryError;
      return { resources: fleet.resources, pages: 1, query: 'resources' };
    },
  };
  const gone = (name: string) => {
    if (fleet.vanished?.has(name))
      throw new EvaluationError('not-found', `server or account ${name} was not found (404 ResourceNotFound)`, 'it may have been deleted');
  };
  const gatewaysFor = (config: Config) => {
    const pgName = config.azure?.postgres?.server;
    const stName = config.azure?.storage?.account;
    active++;
    peak = Math.max(peak, active);
    const postgres: FlexibleServerGateway = {
      getServer: async (_g, name) => {
        await new Promise((r) => setImmediate(r));
        gone(name);
        return { ...HEALTHY_SERVER, name };
      },
      listBackups: async (_g, name) => {
        gone(name);
        return { backups: [hoursAgo(50), hoursAgo(3)].map((t, i) => ({ name: `b${i}`, backupType: 'Full', completedTime: t })), pages: 1 };
      },
      listLongTermRetentionOperations: async () => [],
      findServer: async () => null,
      listServers: async () => [],
      restoreToNewServer: async () => ({ status: 'failed', message: 'not in this test' }),
      createFirewallRule: async () => undefined,
      deleteServer: async () => undefined,
    };
    const storage: StorageGateway = {
      getBlobServiceSettings: async (_g, name) => {
        await new Promise((r) => setImmediate(r));
        gone(name);
        return HEALTHY_BLOB;
      },
      getAccount: async (_g, name) => {
        gone(name);
        return HEALTHY_ACCOUNT;
      },
      probeBlob: async () => ({ exists: false }) as never,
      getContainerImmutability: async () => {
        throw new Error('not in this test');
      },
      getLifecycleRules: async () => [],
    };
    return fakeGateways({
      ...(pgName ? { azurePostgres: () => postgres } : {}),
      ...(stName ? { azureStorage: () => storage } : {}),
      close: async () => {
        active--;
      },
    });
  };
  return { graph, gatewaysFor, peak: () => peak, scopes };
}

function fleetConfig(discover: Record<string, unknown> = {}): Config {
  return configSchema.parse({
    environment: 'production',
    azure: { subscriptionId: SUBS[0], discover: { subscriptions: SUBS, ...discover } },
  });
}

async function runFleet(fleet: Fleet, config = fleetConfig(), extra: Partial<FleetRunOptions> = {}) {
  const h = harness(fleet);
  const result = await runFleetChecks({
    command: 'check',
    checks: checksFor('check'),
    config,
    gateways: fakeGateways({ resourceGraph: () => h.graph }),
    gatewaysFor: h.gatewaysFor,
    now: () => NOW,
    ...extra,
  });
  return { result, peak: h.peak(), scopes: h.scopes };
}

const findingsOf = (result: RunResult, resource: string) => result.checks.filter((c) => c.resource === resource);
/** A finding without what differs from run to run. */
const stable = ({ durationMs: _d, ...rest }: CheckResult) => rest;

describe('fleet check: one finding per check and resource', () => {
  const resources = [...Array.from({ length: 6 }, (_, i) => server(i)), ...Array.from({ length: 4 }, (_, i) => account(i))];

  it('judges every resource alone, names it on each finding, and counts findings', async () => {
    const { result, scopes } = await runFleet({ resources });
    assert.deepEqual(scopes, [{ subscriptions: SUBS, tag: { restorecheck: 'on' }, kinds: ['postgres', 'storage'], pageSize: 1000 }]);
    for (const r of resources) {
      const own = findingsOf(result, r.id);
      assert.equal(own.length, r.kind === 'postgres' ? PG_CHECKS : ST_CHECKS, r.name);
      for (const f of own) assert.equal(f.status, 'pass', `${r.name} ${f.id}: ${f.message}`);
    }
    // Run-wide checks once, without a resource; the summary counts findings.
    const wide = result.checks.filter((c) => c.resource === undefined);
    assert.ok(wide.length > 0);
    assert.equal(new Set(wide.map((c) => c.id)).size, wide.length);
    assert.equal(result.checks.length, 6 * PG_CHECKS + 4 * ST_CHECKS + wide.length);
    assert.equal(
      Object.values(result.summary).reduce((a, b) => a + b, 0),
      result.checks.length,
    );
    assert.deepEqual(
      result.fleet?.discovered.map((r) => r.id),
      resources.map((r) => r.id).sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : 1)),
    );
    assert.equal(result.fleet?.evaluated.length, 10);
    // Sorted by id, then resource.
    const keys = result.checks.map((c) => `${c.id}\u0000${c.resource?.toLowerCase() ?? ''}`);
    assert.deepEqual(keys, [...keys].sort());
    // The remediation names each resource's own group and name.
    const retention = result.checks.find((c) => c.id === 'pgflex-backup-retention' && c.resource === server(3).id);
    assert.match(retention?.remediation ?? '', /pg-003/);
  });

  it('a resource gone since discovery is error for itself only; the others are still evaluated', async () => {
    const { result } = await runFleet({ resources, vanished: new Set(['pg-002', 'st001']) });
    for (const r of resources) {
      const own = findingsOf(result, r.id);
      const expected = r.name === 'pg-002' || r.name === 'st001' ? 'error' : 'pass';
      for (const f of own) assert.equal(f.status, expected, `${r.name} ${f.id}: ${f.message}`);
    }
    const gone = findingsOf(result, server(2).id)[0];
    assert.match(gone?.message ?? '', /not found/);
    // Not the configured-names hint of a single-resource run: the configuration names no such resource.
    for (const f of [...findingsOf(result, server(2).id), ...findingsOf(result, account(1).id)])
      assert.match(f.hint ?? '', /Resource Graph listed this resource/, f.id);
    assert.equal(result.outcome, 'incomplete');
  });

  it('overrides by name glob set that resource’s thresholds, and only its', async () => {
    const config = fleetConfig({
      overrides: [
        { name: 'PG-00[3]'.replace('[3]', '3'), postgres: { minRetentionDays: 40 } },
        { name: 'pg-00?', tag: { restorecheck: 'off' }, postgres: { minRetentionDays: 99 } },
      ],
    });
    const { result } = await runFleet({ resources }, config);
    const retention = (name: number) => result.checks.find((c) => c.id === 'pgflex-backup-retention' && c.resource === server(name).id);
    assert.equal(retention(3)?.status, 'fail');
    assert.equal(retention(4)?.status, 'pass');
  });

  it('three shards hold exactly the unsharded findings between them, run-wide checks in the first only', async () => {
    const whole = await runFleet({ resources, vanished: new Set(['pg-004']) });
    const shards = [];
    for (const index of [1, 2, 3])
      shards.push((await runFleet({ resources, vanished: new Set(['pg-004']) }, fleetConfig(), { shard: { index, count: 3 } })).result);
    const joined = shards.flatMap((s) => s.checks).map(stable);
    const key = (c: Omit<CheckResult, 'durationMs'>) => `${c.id}\u0000${c.resource ?? ''}`;
    assert.deepEqual(joined.map(key).sort(), whole.result.checks.map(stable).map(key).sort());
    assert.deepEqual(
      [...joined].sort((a, b) => (key(a) < key(b) ? -1 : 1)),
      whole.result.checks.map(stable).sort((a, b) => (key(a) < key(b) ? -1 : 1)),
    );
    for (const [i, s] of shards.entries()) {
      assert.deepEqual(s.fleet?.shard, { index: i + 1, count: 3 });
      assert.equal(s.fleet?.discovered.length, 10, 'every shard records the whole fleet');
      assert.equal(
        s.checks.some((c) => c.resource === undefined),
        i === 0,
      );
    }
    assert.equal(
      shards.reduce((n, s) => n + (s.fleet?.evaluated.length ?? 0), 0),
      10,
    );
  });

  it('evaluates at most discover.concurrency resources at once', async () => {
    const many = Array.from({ length: 30 }, (_, i) => server(i));
    const { result, peak } = await runFleet({ resources: many }, fleetConfig({ concurrency: 3 }));
    assert.equal(findingsOf(result, server(29).id).length, PG_CHECKS);
    assert.ok(peak <= 3, `peak ${peak}`);
    assert.ok(peak >= 2, `peak ${peak}: the resources ran one at a time`);
  });

  it('a failed discovery is error for every resource check (never a pass), and the configured resources are still checked', async () => {
    const config = configSchema.parse({
      environment: 'production',
      azure: { subscriptionId: SUBS[0], discover: { subscriptions: 'all' }, postgres: { resourceGroup: 'rg-a', server: 'pg-000' } },
    });
    const denied = new EvaluationError(
      'permission',
      'POST /providers/Microsoft.ResourceGraph/resources: 403 AuthorizationFailed',
      'the identity needs Reader on the subscriptions',
    );
    const { result } = await runFleet({ resources: [], discoveryError: denied }, config);
    const unnamed = result.checks.filter(
      (c) => c.resource === undefined && (c.id.startsWith('pgflex-') || c.id.startsWith('blob-') || c.id === 'storage-data-residency'),
    );
    assert.equal(unnamed.length, PG_CHECKS + ST_CHECKS);
    for (const f of unnamed) {
      assert.equal(f.status, 'error');
      assert.match(f.message, /could not be discovered.*403/);
      assert.equal(f.hint, 'the identity needs Reader on the subscriptions');
    }
    const configured = postgresServerId(SUBS[0] as string, 'rg-a', 'pg-000');
    assert.equal(findingsOf(result, configured).length, PG_CHECKS);
    assert.equal(result.outcome, 'incomplete');
  });

  it('a failed discovery is said by every shard, so that no shard job passes without seeing the fleet', async () => {
    const denied = new EvaluationError(
      'permission',
      'POST /providers/Microsoft.ResourceGraph/resources: 403 AuthorizationFailed',
      'the identity needs Reader on the subscriptions',
    );
    for (const index of [1, 2]) {
      const { result } = await runFleet({ resources: [], discoveryError: denied }, fleetConfig(), { shard: { index, count: 2 } });
      assert.equal(result.outcome, 'incomplete', `shard ${index}`);
      assert.equal(result.checks.filter((c) => c.messageKey === 'fleet/discoveryFailed').length, PG_CHECKS + ST_CHECKS);
    }
  });

  it('an empty scope is said: each check skipped with the tag, not left out', async () => {
    const { result } = await runFleet({ resources: [] });
    const pg = result.checks.filter((c) => c.id.startsWith('pgflex-'));
    assert.equal(pg.length, PG_CHECKS);
    for (const f of pg) {
      assert.equal(f.status, 'skipped');
      assert.match(f.message, /no Flexible Server in scope \(tag restorecheck=on\)/);
    }
  });
});
