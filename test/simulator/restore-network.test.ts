/**
 * The simulator and the network, as Azure behaves (issue 12): the restore PUT answers 202 with the body
 * Azure sends, a VNet source refuses a restore to public access (or with no network block), a copy takes
 * the network its request asked for, and firewall rules are a long-running PUT on their server, gone
 * with it. Plain HTTPS calls with a token from the simulator's identity endpoint.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { request } from 'node:https';
import { after, before, describe, it } from 'node:test';
import { type RunningSimulator, startSimulator } from '../../src/simulator/resource-manager.js';
import { parseScenario } from '../../src/simulator/scenario.js';

const SUB = '00000000-0000-0000-0000-000000000000';
const RG = 'medic-rg';
const servers = `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.DBforPostgreSQL/flexibleServers`;
const SUBNET = `/subscriptions/${SUB}/resourceGroups/net-rg/providers/Microsoft.Network/virtualNetworks/vnet/subnets/pg`;
const ZONE = `/subscriptions/${SUB}/resourceGroups/net-rg/providers/Microsoft.Network/privateDnsZones/medic.private.postgres.database.azure.com`;
const API = '?api-version=2025-08-01';

let sim: RunningSimulator;
let ca: string;
let token: string;

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  json: () => Record<string, unknown>;
}

function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(path, sim.endpoint),
      { method, ca, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), 'content-type': 'application/json', ...headers } },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, json: () => (text ? JSON.parse(text) : {}) }));
      },
    );
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

const restore = (name: string, source: string, network?: Record<string, unknown>) =>
  call('PUT', `${servers}/${name}${API}`, {
    location: 'francecentral',
    properties: {
      createMode: 'PointInTimeRestore',
      sourceServerResourceId: `${servers}/${source}`,
      pointInTimeUTC: new Date(Date.now() - 60_000).toISOString(),
      ...(network ? { network } : {}),
    },
  });

/** Polls the Azure-AsyncOperation URL until the operation is no longer InProgress. */
async function settled(answer: Answer): Promise<string> {
  const url = String(answer.headers['azure-asyncoperation']);
  for (let i = 0; i < 100; i++) {
    const status = String((await call('GET', url)).json().status);
    if (status !== 'InProgress') return status;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return 'InProgress';
}

before(async () => {
  sim = await startSimulator({
    scenario: parseScenario({
      subscriptionId: SUB,
      lro: { durationMs: 50, pollRetryAfterSeconds: 0 },
      servers: [
        {
          resourceGroup: RG,
          name: 'vnetdb',
          location: 'francecentral',
          state: 'Ready',
          network: { publicNetworkAccess: 'Disabled', delegatedSubnetResourceId: SUBNET, privateDnsZoneArmResourceId: ZONE },
        },
        { resourceGroup: RG, name: 'publicdb', location: 'francecentral', state: 'Ready', network: { publicNetworkAccess: 'Enabled' } },
      ],
    }),
  });
  ca = await readFile(sim.caFile, 'utf8');
  const answer = await call('GET', `/msi/token?api-version=2019-08-01&resource=${encodeURIComponent(sim.endpoint)}`, undefined, {
    'x-identity-header': sim.identityHeader,
  });
  token = String(answer.json().access_token);
});

after(async () => {
  await sim?.stop();
});

describe('Resource Manager simulator: restores and the network', () => {
  it('refuses a restore of a VNet server with no network block, or to public access', async () => {
    for (const network of [undefined, { publicNetworkAccess: 'Enabled' }, { publicNetworkAccess: 'Enabled', delegatedSubnetResourceId: SUBNET }]) {
      const answer = await restore('vnetdb-copy', 'vnetdb', network);
      assert.equal(answer.status, 400, JSON.stringify(network));
      const error = answer.json().error as { code: string; message: string };
      assert.equal(error.code, 'SimulatedVnetRestoreToPublicAccess');
      assert.match(error.message, /integrated into a virtual network; a point-in-time restore of it must name a delegated subnet/);
    }
    assert.equal(sim.server(RG, 'vnetdb-copy'), undefined, 'nothing created');
  });

  it("accepts a VNet restore into a delegated subnet: 202 with Azure's body, and the copy has the network asked for", async () => {
    const answer = await restore('vnetdb-copy', 'vnetdb', { delegatedSubnetResourceId: SUBNET, privateDnsZoneArmResourceId: ZONE });
    assert.equal(answer.status, 202);
    const body = answer.json();
    assert.deepEqual(Object.keys(body), ['operation', 'startTime']);
    assert.equal(body.operation, 'RestoreSnapshotManagementOperation');
    assert.match(String(body.startTime), /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    assert.match(String(answer.headers['azure-asyncoperation']), new RegExp(`^${sim.endpoint}/`));
    assert.equal(await settled(answer), 'Succeeded');
    const copy = (await call('GET', `${servers}/vnetdb-copy${API}`)).json();
    assert.deepEqual((copy.properties as Record<string, unknown>).network, { delegatedSubnetResourceId: SUBNET, privateDnsZoneArmResourceId: ZONE });
    // The request log keeps the body as parsed, for tests of what a client sent.
    const [logged] = sim.requests.filter((r) => r.method === 'PUT' && r.path.endsWith('/vnetdb-copy') && r.status === 202);
    assert.ok(logged, 'the accepted PUT is in the request log');
    assert.deepEqual((logged.body as { properties: { network: unknown } }).properties.network, {
      delegatedSubnetResourceId: SUBNET,
      privateDnsZoneArmResourceId: ZONE,
    });
  });

  it("a public server restored without a network block gets public access (Azure's default)", async () => {
    const answer = await restore('publicdb-copy', 'publicdb');
    assert.equal(answer.status, 202);
    assert.equal(await settled(answer), 'Succeeded');
    const copy = (await call('GET', `${servers}/publicdb-copy${API}`)).json();
    assert.deepEqual((copy.properties as Record<string, unknown>).network, { publicNetworkAccess: 'Enabled' });
  });

  it('a new copy has no earliest restore point before its first backup (Azure omits earliestRestoreDate)', async () => {
    const answer = await restore('publicdb-fresh', 'publicdb');
    assert.equal(await settled(answer), 'Succeeded');
    const copy = (await call('GET', `${servers}/publicdb-fresh${API}`)).json();
    const backup = (copy.properties as { backup?: Record<string, unknown> }).backup ?? {};
    assert.equal('earliestRestoreDate' in backup, false, JSON.stringify(backup));
  });

  it('serves firewall rules as a long-running PUT, readable once done, and gone with their server', async () => {
    const rule = `${servers}/publicdb-copy/firewallRules/restorecheck-run1${API}`;
    assert.equal((await call('GET', rule)).status, 404, 'a copy starts with no rules of ours');
    const put = await call('PUT', rule, { properties: { startIpAddress: '203.0.113.7', endIpAddress: '203.0.113.7' } });
    assert.equal(put.status, 202);
    assert.ok(put.headers.location, 'a Location header');
    assert.equal(await settled(put), 'Succeeded');
    const got = await call('GET', rule);
    assert.equal(got.status, 200);
    assert.deepEqual(got.json(), {
      id: `${servers}/publicdb-copy/firewallRules/restorecheck-run1`,
      name: 'restorecheck-run1',
      type: 'Microsoft.DBforPostgreSQL/flexibleServers/firewallRules',
      properties: { startIpAddress: '203.0.113.7', endIpAddress: '203.0.113.7' },
    });

    const bad = await call('PUT', rule, { properties: { startIpAddress: '203.0.113', endIpAddress: '203.0.113.7' } });
    assert.equal(bad.status, 400);
    assert.equal((bad.json().error as { code: string }).code, 'InvalidRequestContent');
    const onVnet = await call('PUT', `${servers}/vnetdb-copy/firewallRules/r1${API}`, {
      properties: { startIpAddress: '203.0.113.7', endIpAddress: '203.0.113.7' },
    });
    assert.equal(onVnet.status, 400, 'a VNet server has no firewall rules');
    assert.equal(
      (await call('PUT', `${servers}/nosuch/firewallRules/r1${API}`, { properties: { startIpAddress: '1.2.3.4', endIpAddress: '1.2.3.4' } })).status,
      404,
    );

    const deleted = await call('DELETE', `${servers}/publicdb-copy${API}`);
    assert.equal(deleted.status, 202);
    assert.equal(await settled(deleted), 'Succeeded');
    assert.equal((await call('GET', rule)).status, 404, 'the rule went with its server');
  });
});
