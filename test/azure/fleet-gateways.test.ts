/**
 * Many gateways, one run (issue 17): a LiveGateways per resource on one sharedAzure(config), against the simulator with
 * a latency (concurrent requests overlap) and throttling by concurrency. One token for the whole run; the request cap
 * (azure.maxParallelRequests) holds whatever the number of gateways; 429s past the simulator's limit are retried; the
 * checks of resources in several subscriptions read each from its own. Production code in a child process that trusts
 * the simulator's CA (test/helpers/fleet-driver.ts).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type RunningSimulator, startSimulator } from '../../src/simulator/resource-manager.js';
import { parseScenario, type Scenario } from '../../src/simulator/scenario.js';
import type { FleetResource } from '../../src/vocabulary.js';
import type { StepResult } from '../helpers/fleet-driver.js';
import { drive, simulatorConfig } from '../helpers/fleet-driver-client.js';

const A = 'aaaaaaaa-0000-4000-8000-000000000001';
const B = 'bbbbbbbb-0000-4000-8000-000000000002';
const C = 'cccccccc-0000-4000-8000-000000000003';
/** The simulator's limit: a request beyond this many in flight is answered 429. */
const M = 4;

let sim: RunningSimulator;
let scenario: Scenario;
let dir: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'restorecheck-fleet-gateways-'));
  scenario = parseScenario({
    subscriptionId: A,
    // Held a second each: requests sent together are in flight together, whatever the machine's load.
    latencyMs: 1000,
    throttle: { maxInFlight: M, retryAfterSeconds: 1 },
    fleet: {
      subscriptions: [A, B, C],
      servers: 24,
      storageAccounts: 3,
      faults: [
        { every: 3, fault: 'short-retention', kinds: ['postgres'] },
        { every: 2, fault: 'vanished', kinds: ['storage'] },
      ],
    },
  });
  sim = await startSimulator({ scenario });
});
after(async () => {
  await sim?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The fleet's servers (or accounts) as discovery describes them. */
function resources(kind: FleetResource['kind']): FleetResource[] {
  const items = kind === 'postgres' ? scenario.servers : scenario.storageAccounts;
  const type = kind === 'postgres' ? 'Microsoft.DBforPostgreSQL/flexibleServers' : 'Microsoft.Storage/storageAccounts';
  return items.map((i) => ({
    id: `/subscriptions/${i.subscriptionId}/resourceGroups/${i.resourceGroup}/providers/${type}/${i.name}`,
    kind,
    name: i.name,
    subscriptionId: i.subscriptionId ?? A,
    resourceGroup: i.resourceGroup,
    location: i.location,
    tags: i.tags ?? {},
  }));
}

/** Runs getServer on every server at once; what the simulator saw meanwhile. */
async function readAll(shared: boolean, azure: Record<string, unknown>) {
  const from = sim.requests.length;
  sim.resetConcurrency();
  const [result] = await drive(sim, dir, { config: simulatorConfig(sim, azure), steps: [{ op: 'getServers', resources: resources('postgres'), shared }] });
  assert.ok(result?.op === 'getServers');
  const seen = sim.requests.slice(from);
  return {
    result,
    failed: result.results.filter((r) => !r.ok),
    tokens: seen.filter((r) => r.path === '/msi/token').length,
    statuses: seen.filter((r) => r.path !== '/msi/token').map((r) => r.status),
    simulator: sim.concurrency(),
  };
}

describe('gateways of one fleet run', () => {
  it('with azure.maxParallelRequests ≤ the simulator’s limit: no 429, at most the cap in flight, one token', async () => {
    const run = await readAll(true, { maxParallelRequests: M });
    assert.deepEqual(run.failed, []);
    assert.equal(run.result.results.length, 24);
    assert.equal(run.statuses.length, 24, 'one GET per server, none retried');
    assert.ok(
      run.statuses.every((s) => s === 200),
      run.statuses.join(),
    );
    assert.equal(run.simulator.throttled, 0);
    assert.ok(run.simulator.peak <= M, `peak ${run.simulator.peak}`);
    assert.equal(run.result.stats?.peak, M, 'the cap was used, not only respected');
    assert.equal(run.result.stats?.max, M);
    // 24 gateways (three subscriptions), one credential: one token for Resource Manager.
    assert.equal(run.tokens, 1);
    assert.equal(run.result.stats?.tokensFetched, 1);
  });

  it('with a cap above it: the 429s are waited out (Retry-After within azure.maxRetryAfterSeconds) and every read succeeds', async () => {
    const cap = 2 * M;
    const run = await readAll(true, { maxParallelRequests: cap, maxRetries: 10 });
    assert.deepEqual(run.failed, []);
    assert.ok(run.simulator.throttled > 0, 'the simulator throttled some');
    assert.equal(run.statuses.filter((s) => s === 429).length, run.simulator.throttled);
    assert.equal(run.statuses.filter((s) => s === 200).length, 24);
    assert.ok(run.simulator.peak <= cap, `peak ${run.simulator.peak}`);
    assert.ok((run.result.stats?.peak ?? 0) <= cap);
  });

  it('without the shared parts, as before: a credential and no cap per gateway', async () => {
    // What sharedAzure prevents (the same reads through LiveGateways of their own): a token per gateway, no cap.
    const run = await readAll(false, { maxParallelRequests: M, maxRetries: 10 });
    assert.deepEqual(run.failed, []);
    assert.ok(run.tokens > 1, `${run.tokens} token requests`);
    assert.ok(run.simulator.peak > M, `peak ${run.simulator.peak}`);
  });

  it('judges each resource in its own subscription: healthy ones pass, faults show', async () => {
    const servers = resources('postgres');
    const accounts = resources('storage');
    const pick = [servers[0]!, servers[1]!, servers[2]!, accounts[0]!, accounts[1]!];
    const only = [
      'pgflex-backup-retention',
      'pgflex-data-residency',
      'pgflex-geo-redundant-backup',
      'pgflex-recent-backup',
      'pgflex-restore-window',
      'pgflex-server-state',
      'blob-soft-delete',
      'blob-versioning',
      'blob-container-soft-delete',
      'storage-data-residency',
    ];
    const [result]: StepResult[] = await drive(sim, dir, {
      config: simulatorConfig(sim, { maxParallelRequests: M, maxRetries: 10 }),
      steps: [{ op: 'check', resources: pick, only }],
    });
    assert.ok(result?.op === 'check');
    const verdicts = Object.fromEntries(result.results.map((r) => [r.id.split('/').pop(), Object.fromEntries(r.checks.map((c) => [c.id, c.status]))]));
    // resourceConfig keeps the resource's own kind only: the other kind's checks skip (the fleet runner picks the kind's).
    const pgflex = (status: string) => Object.fromEntries(only.map((id) => [id, id.startsWith('pgflex-') ? status : 'skipped']));
    const storage = (status: string) => Object.fromEntries(only.map((id) => [id, id.startsWith('pgflex-') ? 'skipped' : status]));
    // pg-fleet-001 in A, -002 in B: healthy, every check passes (a check skipped for want of configuration would show).
    assert.deepEqual(verdicts['pg-fleet-001'], pgflex('pass'));
    assert.deepEqual(verdicts['pg-fleet-002'], pgflex('pass'));
    // pg-fleet-003 in C keeps its backups 7 days (short-retention).
    assert.equal(verdicts['pg-fleet-003']?.['pgflex-backup-retention'], 'fail');
    assert.equal(verdicts['pg-fleet-003']?.['pgflex-server-state'], 'pass');
    assert.deepEqual(verdicts.stfleet001, storage('pass'));
    // stfleet002 vanished between discovery and its check: an error (not found), never a pass.
    assert.deepEqual(verdicts.stfleet002, storage('error'));
  });
});
