/**
 * The simulator's fleet (issue 17): a scenario's `fleet` key expanded into servers and accounts over several
 * subscriptions, each answering under its own subscription only; vanished resources (404 on Resource Manager);
 * subscriptions the identity holds no role on (403); and examples/scenarios/fleet.yaml served by `restorecheck simulator`.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { EEA_AZURE_REGIONS, pairedRegion } from '../../src/residency/azure-regions.js';
import { type RunningSimulator, startSimulator } from '../../src/simulator/resource-manager.js';
import { loadScenarioFile, parseScenario, type Scenario } from '../../src/simulator/scenario.js';
import { startCli } from '../helpers/cli.js';
import { dig, type SimulatorClient, simulatorClient } from '../helpers/simulator-https.js';

const EXAMPLE = join(import.meta.dirname, '../../examples/scenarios/fleet.yaml');
const A = 'aaaaaaaa-0000-4000-8000-000000000001';
const B = 'bbbbbbbb-0000-4000-8000-000000000002';
const C = 'cccccccc-0000-4000-8000-000000000003';
const LOCKED = 'dddddddd-0000-4000-8000-000000000004';
const PG = 'providers/Microsoft.DBforPostgreSQL/flexibleServers';
const ST = 'providers/Microsoft.Storage/storageAccounts';

const fleetInput = {
  subscriptionId: A,
  unreadableSubscriptions: [LOCKED],
  fleet: {
    subscriptions: [A, B, C],
    servers: 30,
    storageAccounts: 30,
    untagged: 4,
    faults: [
      { every: 10, fault: 'vanished' },
      { every: 15, fault: 'short-retention' },
      { every: 7, fault: 'throttled', kinds: ['postgres'] },
    ],
  },
};

let sim: RunningSimulator;
let client: SimulatorClient;
let token: string;
let scenario: Scenario;

before(async () => {
  scenario = parseScenario(fleetInput);
  sim = await startSimulator({ scenario });
  client = await simulatorClient(sim);
  token = await client.token();
});
after(async () => {
  await sim?.stop();
});

const get = (path: string) => client.call('GET', path, { token });

describe('fleet scenario', () => {
  it('expands into the same servers and accounts at every load, round-robin over the subscriptions', () => {
    assert.deepEqual(parseScenario(fleetInput), scenario);
    assert.equal(scenario.servers.length, 34);
    assert.equal(scenario.storageAccounts.length, 34);
    assert.deepEqual(
      scenario.servers.slice(0, 4).map((s) => [s.name, s.subscriptionId, s.resourceGroup]),
      [
        ['pg-fleet-001', A, 'rg-fleet-1'],
        ['pg-fleet-002', B, 'rg-fleet-1'],
        ['pg-fleet-003', C, 'rg-fleet-1'],
        ['pg-fleet-004', A, 'rg-fleet-2'],
      ],
    );
    assert.equal(scenario.storageAccounts[0]!.name, 'stfleet001');
    const tagged = scenario.servers.filter((s) => s.tags?.restorecheck === 'on');
    assert.equal(tagged.length, 30);
    // Untagged: odd ones carry the key with "off", even ones no tags at all.
    assert.deepEqual(
      scenario.servers.filter((s) => s.name.startsWith('pg-untagged-')).map((s) => s.tags ?? null),
      [{ restorecheck: 'off' }, null, { restorecheck: 'off' }, null],
    );
  });

  it('is healthy in the EEA with an EEA pair, except where a fault says otherwise', () => {
    for (const s of scenario.servers) {
      assert.ok(EEA_AZURE_REGIONS.includes(s.location), s.location);
      assert.ok(EEA_AZURE_REGIONS.includes(pairedRegion(s.location) ?? ''), s.location);
      assert.equal(s.state, 'Ready');
      assert.equal(s.backup?.geoRedundantBackup, 'Enabled');
    }
    for (const a of scenario.storageAccounts) assert.equal(pairedRegion(a.location), a.secondaryLocation);
    const numbers = (items: Array<{ name: string }>, pick: (item: never) => boolean) =>
      items.filter((i) => pick(i as never)).map((i) => Number(i.name.replace(/\D/g, '')));
    assert.deepEqual(
      numbers(scenario.servers, (s: Scenario['servers'][number]) => s.vanished === true),
      [10, 20, 30],
    );
    assert.deepEqual(
      numbers(scenario.storageAccounts, (a: Scenario['storageAccounts'][number]) => a.vanished === true),
      [10, 20, 30],
    );
    assert.deepEqual(
      numbers(scenario.servers, (s: Scenario['servers'][number]) => s.backup?.backupRetentionDays === 7),
      [15, 30],
    );
    assert.deepEqual(
      numbers(scenario.storageAccounts, (a: Scenario['storageAccounts'][number]) => a.blobService.deleteRetentionPolicy?.days === 3),
      [15, 30],
    );
    // throttled: postgres only, as asked.
    assert.deepEqual(
      scenario.injections.map((i) => i.path.split('/').pop()),
      ['pg-fleet-007', 'pg-fleet-014', 'pg-fleet-021', 'pg-fleet-028'],
    );
  });

  it('refuses a scenario that names one resource twice', () => {
    assert.throws(
      () => parseScenario({ servers: [{ resourceGroup: 'rg-fleet-1', name: 'pg-fleet-001', location: 'francecentral' }], fleet: { servers: 1 } }),
      /servers\.1\.name: pg-fleet-001 is listed twice/,
    );
  });

  it('answers a resource under its own subscription only', async () => {
    const own = await get(`/subscriptions/${B}/resourceGroups/rg-fleet-1/${PG}/pg-fleet-002?api-version=2025-08-01`);
    assert.equal(own.status, 200, own.body);
    assert.equal(dig(own.json(), 'id'), `/subscriptions/${B}/resourceGroups/rg-fleet-1/${PG}/pg-fleet-002`);
    // The same group name exists in A, the server does not.
    const elsewhere = await get(`/subscriptions/${A}/resourceGroups/rg-fleet-1/${PG}/pg-fleet-002?api-version=2025-08-01`);
    assert.equal(elsewhere.status, 404);
    assert.equal(dig(elsewhere.json(), 'error.code'), 'ResourceNotFound');
    const backups = await get(`/subscriptions/${B}/resourceGroups/rg-fleet-1/${PG}/pg-fleet-002/backups?api-version=2025-08-01`);
    assert.match(String(dig(backups.json(), 'value.0.id')), new RegExp(`^/subscriptions/${B}/`));
    const account = await get(`/subscriptions/${C}/resourceGroups/rg-fleet-1/${ST}/stfleet003?api-version=2025-08-01`);
    assert.equal(account.status, 200);
    assert.deepEqual(dig(account.json(), 'tags'), { restorecheck: 'on' });
    assert.equal((await get(`/subscriptions/${A}/resourceGroups/rg-fleet-1/${ST}/stfleet003/blobServices/default?api-version=2025-08-01`)).status, 404);
    // A resource group's list holds that subscription's servers alone (vanished ones are gone from it).
    const list = await get(`/subscriptions/${C}/resourceGroups/rg-fleet-1/${PG}?api-version=2025-08-01`);
    assert.deepEqual(
      (dig(list.json(), 'value') as Array<{ name: string }>).map((s) => s.name),
      scenario.servers.filter((s) => s.subscriptionId === C && s.resourceGroup === 'rg-fleet-1' && !s.vanished).map((s) => s.name),
    );
  });

  it('names a subscription that does not exist, and refuses one the identity holds no role on', async () => {
    const missing = await get(`/subscriptions/eeeeeeee-0000-4000-8000-000000000005/resourceGroups/rg-fleet-1/${PG}/pg-fleet-001?api-version=2025-08-01`);
    assert.equal(missing.status, 404);
    assert.equal(dig(missing.json(), 'error.code'), 'SubscriptionNotFound');
    const locked = await get(`/subscriptions/${LOCKED}/resourceGroups/rg/${PG}/db?api-version=2025-08-01`);
    assert.equal(locked.status, 403);
    assert.equal(dig(locked.json(), 'error.code'), 'AuthorizationFailed');
    assert.match(
      String(dig(locked.json(), 'error.message')),
      /does not have authorization to perform action 'Microsoft\.DBforPostgreSQL\/flexibleServers\/read'/,
    );
  });

  it('answers 404 ResourceNotFound on every Resource Manager path of a vanished resource', async () => {
    const base = `/subscriptions/${A}/resourceGroups/rg-fleet-1/${PG}/pg-fleet-010`; // 10 → A, round 3 → rg-fleet-1
    for (const path of [base, `${base}/backups`, `${base}/ltrBackupOperations`]) {
      const answer = await get(`${path}?api-version=2025-08-01`);
      assert.equal(answer.status, 404, path);
      assert.equal(dig(answer.json(), 'error.code'), 'ResourceNotFound');
      assert.equal(
        dig(answer.json(), 'error.message'),
        "The Resource 'Microsoft.DBforPostgreSQL/flexibleServers/pg-fleet-010' under resource group 'rg-fleet-1' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix",
      );
    }
    const account = await get(`/subscriptions/${A}/resourceGroups/rg-fleet-1/${ST}/stfleet010/blobServices/default?api-version=2025-08-01`);
    assert.equal(account.status, 404);
    assert.equal(dig(account.json(), 'error.code'), 'ResourceNotFound');
    assert.ok(sim.server('rg-fleet-1', 'pg-fleet-010', A)?.vanished, 'the simulator still holds it (Resource Graph lists it)');
  });

  it('throttles the throttled fault twice with Retry-After, then answers', async () => {
    const path = `/subscriptions/${A}/resourceGroups/rg-fleet-3/${PG}/pg-fleet-007?api-version=2025-08-01`;
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      const answer = await get(path);
      statuses.push(answer.status);
      if (answer.status === 429) {
        assert.equal(answer.headers['retry-after'], '1');
        assert.equal(dig(answer.json(), 'error.code'), 'SubscriptionRequestsThrottled');
      }
    }
    assert.deepEqual(statuses, [429, 429, 200]);
  });
});

describe('restorecheck simulator --scenario examples/scenarios/fleet.yaml', () => {
  it('loads the example fleet and serves it', async () => {
    const example = await loadScenarioFile(EXAMPLE);
    assert.equal(example.servers.length, 210);
    assert.equal(example.storageAccounts.length, 210);
    assert.equal(new Set(example.servers.map((s) => s.subscriptionId)).size, 3);
    for (const fault of ['vanished', 'short-retention', 'throttled', 'stale-backup']) assert.ok(JSON.stringify(example.fleet).includes(fault), fault);
    const cli = startCli(['simulator', '--scenario', EXAMPLE], { timeoutMs: 60_000 });
    try {
      for (let i = 0; i < 300 && !/azure\.subscriptionId/.test(cli.stdout()); i++) await new Promise((resolve) => setTimeout(resolve, 100));
      assert.match(cli.stderr(), /\(210 server\(s\), 210 storage account\(s\)\)/);
      // Served: a server of the second subscription, through the printed endpoint, CA and identity header.
      const vars = Object.fromEntries([...cli.stdout().matchAll(/^export (\w+)='([^']*)'$/gm)].map((m) => [m[1], m[2]]));
      const endpoint = /# azure\.resourceManagerEndpoint: (\S+)/.exec(cli.stdout())?.[1] ?? '';
      const served = await simulatorClient({ endpoint, caFile: vars.NODE_EXTRA_CA_CERTS!, identityHeader: vars.IDENTITY_HEADER! } as RunningSimulator);
      const server = await served.call(
        'GET',
        `/subscriptions/${example.fleet!.subscriptions![1]}/resourceGroups/rg-fleet-1/${PG}/pg-fleet-002?api-version=2025-08-01`,
        {
          token: await served.token(endpoint),
        },
      );
      assert.equal(server.status, 200, server.body);
    } finally {
      cli.child.kill('SIGINT');
    }
    const result = await cli.result;
    assert.equal(result.code, 0, result.stderr);
  });
});
