/**
 * `restorecheck restore-test` and the network (issue 12): what the point-in-time restore PUT carries
 * (the source's network block or restoreTest.network, a customer-managed key's identity and key, the
 * region name), the refusal before any PUT when the source is unreachable from here, and the firewall
 * rule a public-access copy gets for restoreTest.clientIp. The built binary against the simulator with
 * the real-restore hooks (each copy a real PostgreSQL cluster); the bodies are read from the
 * simulator's request log, as restorecheck sent them.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RealRestoreHooks } from '../../src/simulator/point-in-time-restore.js';
import type { PostgresCluster } from '../../src/simulator/postgres-cluster.js';
import type { RunningSimulator } from '../../src/simulator/resource-manager.js';
import { parseScenario, type ScenarioInput } from '../../src/simulator/scenario.js';
import { type RestoreWorld, startRestoreWorld } from '../helpers/restore-world.js';
import { runCli, type CliResult } from '../helpers/cli.js';

const SUB = '00000000-0000-0000-0000-000000000000';
const RG = 'medicapp-rg';
const SOURCE = 'medicappdbprod';
const SUBNET = `/subscriptions/${SUB}/resourceGroups/network-rg/providers/Microsoft.Network/virtualNetworks/prod-vnet/subnets/postgres`;
const ZONE = `/subscriptions/${SUB}/resourceGroups/network-rg/providers/Microsoft.Network/privateDnsZones/medicapp.private.postgres.database.azure.com`;
const TEST_SUBNET = `/subscriptions/${SUB}/resourceGroups/restore-test-rg/providers/Microsoft.Network/virtualNetworks/restore-vnet/subnets/postgres`;
const TEST_ZONE = `/subscriptions/${SUB}/resourceGroups/restore-test-rg/providers/Microsoft.Network/privateDnsZones/restore.private.postgres.database.azure.com`;
const IDENTITY = `/subscriptions/${SUB}/resourceGroups/medicapp-rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/medicapp-cmk`;
const KEY = 'https://medicapp-kv.vault.azure.net/keys/pg-cmk/0123456789abcdef0123456789abcdef';
const CLIENT_IP = '203.0.113.7';

let world: RestoreWorld;
let sim: RunningSimulator;
let hooks: RealRestoreHooks;
let cluster: PostgresCluster;
let dir: string;

interface Check {
  id: string;
  status: string;
  message: string;
  evidence: Record<string, unknown>;
}

type ServerInput = NonNullable<ScenarioInput['servers']>[number];

const sourceServer = (change: Partial<ServerInput> = {}): ServerInput => ({
  resourceGroup: RG,
  name: SOURCE,
  location: 'France Central',
  state: 'Ready',
  version: '16',
  backup: { backupRetentionDays: 35, geoRedundantBackup: 'Enabled', earliestRestoreDaysAgo: 35 },
  restore: { databaseUrl: cluster.url(), durationSeconds: 1 },
  ...change,
});

function scenario(server: ServerInput): void {
  sim.load(parseScenario({ subscriptionId: SUB, lro: { durationMs: 200, pollRetryAfterSeconds: 0 }, servers: [server] }));
  sim.requests.length = 0;
}

let configCount = 0;
async function config(restoreTest: Record<string, unknown> = {}): Promise<{ path: string; ledger: string }> {
  const n = ++configCount;
  const path = join(dir, `config-${n}.json`);
  const ledgerDir = join(dir, `ledger-${n}`);
  await writeFile(
    path,
    JSON.stringify({
      environment: 'e2e',
      database: { url: '${DATABASE_URL}', coreTables: [{ name: 'patients', minRows: 1 }] },
      azure: { subscriptionId: SUB, resourceManagerEndpoint: sim.endpoint, postgres: { resourceGroup: RG, server: SOURCE } },
      restoreTest: { pollIntervalSeconds: 0.2, progressIntervalSeconds: 5, ledgerDir, ...restoreTest },
    }),
  );
  return { path, ledger: join(ledgerDir, 'ledger.jsonl') };
}

async function restoreTest(configPath: string): Promise<CliResult & { checks: Check[] }> {
  const result = await runCli(['restore-test', '--config', configPath, '--format', 'json'], {
    env: { ...sim.env, DATABASE_URL: cluster.url() },
    timeoutMs: 120_000,
  });
  let checks: Check[] = [];
  try {
    checks = (JSON.parse(result.stdout) as { checks: Check[] }).checks;
  } catch {
    // A refusal prints no report: the caller asserts on the exit code and stderr.
  }
  return { ...result, checks };
}

const byId = (checks: Check[], id: string): Check => {
  const found = checks.find((c) => c.id === id);
  assert.ok(found, `${id} in the report`);
  return found;
};

/** The body of the one restore PUT (a server path, not a firewall rule), as the simulator parsed it. */
function restorePut(): { body: Record<string, unknown>; status: number } {
  const puts = sim.requests.filter((r) => r.method === 'PUT' && /\/flexibleServers\/[^/]+$/.test(r.path));
  assert.equal(puts.length, 1, 'one restore PUT');
  return { body: puts[0]!.body as Record<string, unknown>, status: puts[0]!.status };
}

const firewallPuts = () => sim.requests.filter((r) => r.method === 'PUT' && r.path.includes('/firewallRules/'));

/** For the note: the bodies as sent, on stderr of the test run. */
const show = (what: string, body: unknown) => process.stderr.write(`# ${what}:\n# ${JSON.stringify(body)}\n`);

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'restorecheck-azure-network-'));
  world = await startRestoreWorld();
  ({ sim, hooks, cluster } = world);
  await cluster.sql(`
    CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY);
    INSERT INTO alembic_version VALUES ('4b2d9c1e7f00');
    CREATE TABLE patients (id serial PRIMARY KEY, name text);
    INSERT INTO patients (name) SELECT 'patient ' || g FROM generate_series(1, 50) g;`);
});

after(async () => {
  await world?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('restore-test and the network', () => {
  it('a public-access source: the PUT carries its network and the region name; the copy gets a firewall rule for clientIp, gone with it', async () => {
    scenario(sourceServer({ network: { publicNetworkAccess: 'Enabled' } }));
    const { path, ledger } = await config({ clientIp: CLIENT_IP });
    const { code, stderr, checks } = await restoreTest(path);
    assert.equal(code, 0, `${stderr}\n${JSON.stringify(checks.filter((c) => c.status !== 'pass'))}`);

    const put = restorePut();
    show('public restore PUT body', put.body);
    assert.equal(put.status, 202);
    assert.equal(put.body.location, 'francecentral', 'the region name, not the display name');
    const properties = put.body.properties as Record<string, unknown>;
    assert.deepEqual(properties.network, { publicNetworkAccess: 'Enabled' });
    assert.equal(properties.createMode, 'PointInTimeRestore');
    assert.equal('identity' in put.body, false, 'no identity for a source without a customer-managed key');
    assert.equal('dataEncryption' in properties, false);

    const [rule] = firewallPuts();
    assert.ok(rule, 'a firewall rule was requested');
    show('firewall rule PUT', { path: rule.path.split('/flexibleServers/')[1], body: rule.body });
    assert.equal(rule.status, 202);
    assert.deepEqual(rule.body, { properties: { startIpAddress: CLIENT_IP, endIpAddress: CLIENT_IP } });
    const provision = byId(checks, 'restore-provision');
    const runId = String(provision.evidence.runId);
    assert.match(rule.path, new RegExp(`/flexibleServers/${SOURCE}-restore-\\d{12}/firewallRules/restorecheck-${runId}$`));
    assert.equal(provision.evidence.firewallRule, `restorecheck-${runId}`);
    assert.equal(provision.evidence.firewallRuleIp, CLIENT_IP);
    assert.match(String(provision.evidence.firewallRuleRemoval), /deleted with the server/);
    assert.equal(provision.evidence.network, 'public access');
    // Created once the server was ready, before it was read: the rule's PUT comes after the restore and before the DELETE.
    const order = sim.requests.filter((r) => r.method !== 'GET').map((r) => `${r.method} ${r.path.includes('/firewallRules/') ? 'rule' : 'server'}`);
    assert.deepEqual(order, ['PUT server', 'PUT rule', 'DELETE server']);

    const lines = (await readFile(ledger, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(
      lines.map((l) => l.event),
      ['requested', 'firewall-rule', 'deleted'],
    );
    assert.equal(lines[1]!.rule, `restorecheck-${runId}`);
    assert.equal(lines[1]!.ip, CLIENT_IP);
    assert.equal(byId(checks, 'restore-cleanup').status, 'pass');
    assert.equal(byId(checks, 'restore-row-counts-match').status, 'pass');
    assert.deepEqual(hooks.running(), [], 'the copy (and its rule with it) is gone');
  });

  it('a public-access source without clientIp: no firewall rule, and the log says why', async () => {
    scenario(sourceServer({ network: { publicNetworkAccess: 'Enabled' } }));
    const { code, stderr, checks } = await restoreTest((await config()).path);
    assert.equal(code, 0, stderr);
    assert.deepEqual(firewallPuts(), []);
    assert.match(stderr, /restoreTest\.clientIp is not set: no firewall rule/);
    assert.equal(byId(checks, 'restore-provision').evidence.firewallRule, null);
  });

  it('a VNet source: the PUT carries its delegated subnet and private DNS zone, and no firewall rule is asked for', async () => {
    scenario(sourceServer({ network: { publicNetworkAccess: 'Disabled', delegatedSubnetResourceId: SUBNET, privateDnsZoneArmResourceId: ZONE } }));
    const { code, stderr, checks } = await restoreTest((await config({ clientIp: CLIENT_IP })).path);
    assert.equal(code, 0, `${stderr}\n${JSON.stringify(checks.filter((c) => c.status !== 'pass'))}`);
    const put = restorePut();
    show('private (VNet) restore PUT body', put.body);
    assert.deepEqual((put.body.properties as Record<string, unknown>).network, { delegatedSubnetResourceId: SUBNET, privateDnsZoneArmResourceId: ZONE });
    assert.deepEqual(firewallPuts(), [], 'a VNet server has no firewall rules');
    assert.equal(byId(checks, 'restore-provision').evidence.network, `delegated subnet ${SUBNET}`);
  });

  it('restoreTest.network puts the copy in another delegated subnet', async () => {
    scenario(sourceServer({ network: { publicNetworkAccess: 'Disabled', delegatedSubnetResourceId: SUBNET, privateDnsZoneArmResourceId: ZONE } }));
    const { code, stderr } = await restoreTest(
      (await config({ network: { delegatedSubnetResourceId: TEST_SUBNET, privateDnsZoneArmResourceId: TEST_ZONE } })).path,
    );
    assert.equal(code, 0, stderr);
    assert.deepEqual((restorePut().body.properties as Record<string, unknown>).network, {
      delegatedSubnetResourceId: TEST_SUBNET,
      privateDnsZoneArmResourceId: TEST_ZONE,
    });
  });

  it('a customer-managed-key source: the PUT repeats its user-assigned identity and its key', async () => {
    scenario(
      sourceServer({
        network: { publicNetworkAccess: 'Enabled' },
        identity: { type: 'UserAssigned', userAssignedIdentities: [IDENTITY] },
        dataEncryption: { type: 'AzureKeyVault', primaryKeyURI: KEY, primaryUserAssignedIdentityId: IDENTITY },
      }),
    );
    const { code, stderr } = await restoreTest((await config()).path);
    assert.equal(code, 0, stderr);
    const put = restorePut();
    show('customer-managed-key restore PUT body', put.body);
    assert.deepEqual(put.body.identity, { type: 'UserAssigned', userAssignedIdentities: { [IDENTITY]: {} } });
    assert.deepEqual((put.body.properties as Record<string, unknown>).dataEncryption, {
      type: 'AzureKeyVault',
      primaryKeyURI: KEY,
      primaryUserAssignedIdentityId: IDENTITY,
    });
  });

  it('a source unreachable from here is refused before any PUT (exit 2), saying where to run instead', async () => {
    // 127.0.0.254: loopback, where nothing listens on the database port.
    scenario(sourceServer({ fullyQualifiedDomainName: '127.0.0.254', network: { publicNetworkAccess: 'Disabled', delegatedSubnetResourceId: SUBNET } }));
    const { path, ledger } = await config({ clientIp: CLIENT_IP });
    const started = performance.now();
    const { code, stdout, stderr } = await restoreTest(path);
    assert.equal(code, 2, stderr);
    assert.equal(stdout, '');
    assert.match(stderr, /127\.0\.0\.254:\d+\) is not reachable from this machine \(ECONNREFUSED\)/);
    assert.match(stderr, /nothing was restored, nothing is billed/);
    assert.match(stderr, /self-hosted runner, or an Azure Container Apps \/ ACI job in the VNet/);
    assert.match(stderr, /public-access source with restoreTest\.clientIp/);
    assert.deepEqual(
      sim.requests.filter((r) => r.method !== 'GET'),
      [],
      'the simulator saw no PUT (nothing created)',
    );
    await assert.rejects(readFile(ledger), { code: 'ENOENT' }, 'nothing recorded: nothing was requested');
    assert.ok(performance.now() - started < 30_000);
  });
});
