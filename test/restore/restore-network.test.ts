/**
 * The pure parts of the network-faithful restore (src/restore/restore-network.ts) and its configuration keys:
 * which network block a restore sends, what a customer-managed key adds, the firewall rule's name, the port
 * probed, the bounded TCP probe, and the validation of restoreTest.network and restoreTest.clientIp.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { describe, it } from 'node:test';
import { parseConfigText } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors.js';
import { customerManagedKey, databasePort, firewallRuleName, probeTcp, restoreNetwork } from '../../src/restore/restore-network.js';

const SUB = '00000000-0000-0000-0000-000000000000';
const SUBNET = `/subscriptions/${SUB}/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/v/subnets/pg`;
const ZONE = `/subscriptions/${SUB}/resourceGroups/net/providers/Microsoft.Network/privateDnsZones/z.private.postgres.database.azure.com`;

describe('restoreNetwork', () => {
  it("sends a VNet source's subnet and zone (no publicNetworkAccess), a public source's access, and restoreTest.network over both", () => {
    const vnet = { network: { publicNetworkAccess: 'Disabled', delegatedSubnetResourceId: SUBNET, privateDnsZoneArmResourceId: ZONE } };
    assert.deepEqual(restoreNetwork(vnet, undefined), {
      network: { delegatedSubnetResourceId: SUBNET, privateDnsZoneArmResourceId: ZONE },
      publicAccess: false,
      from: 'the source',
    });
    assert.deepEqual(restoreNetwork({ network: { publicNetworkAccess: 'Enabled' } }, undefined), {
      network: { publicNetworkAccess: 'Enabled' },
      publicAccess: true,
      from: 'the source',
    });
    assert.equal(restoreNetwork({ network: { publicNetworkAccess: 'Disabled' } }, undefined).publicAccess, false);
    const other = { delegatedSubnetResourceId: SUBNET.replace('/v/', '/restore/'), privateDnsZoneArmResourceId: ZONE };
    assert.deepEqual(restoreNetwork(vnet, other), { network: other, publicAccess: false, from: 'restoreTest.network' });
    assert.deepEqual(restoreNetwork({}, undefined), { publicAccess: false, from: 'unknown' });
  });
});

describe('customerManagedKey', () => {
  const id = `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/cmk`;
  it("repeats a customer-managed key's identity and key, and nothing for a system-managed one", () => {
    assert.deepEqual(customerManagedKey({ dataEncryption: { type: 'SystemManaged' }, identity: { type: 'UserAssigned', userAssignedIdentityIds: [id] } }), {});
    assert.deepEqual(
      customerManagedKey({
        identity: { type: 'UserAssigned', userAssignedIdentityIds: [id] },
        dataEncryption: { type: 'AzureKeyVault', primaryKeyURI: 'https://kv.vault.azure.net/keys/k/1', primaryUserAssignedIdentityId: id, geoBackupKeyURI: '' },
      }),
      {
        identity: { type: 'UserAssigned', userAssignedIdentityIds: [id] },
        dataEncryption: { type: 'AzureKeyVault', primaryKeyURI: 'https://kv.vault.azure.net/keys/k/1', primaryUserAssignedIdentityId: id },
      },
    );
  });
});

describe('firewallRuleName and databasePort', () => {
  it('names the rule after the run, within Azure rules; probes the port the copy will be read on', () => {
    assert.equal(firewallRuleName('56bfddcd-8828-4a75-9142-98ddfec6814d'), 'restorecheck-56bfddcd-8828-4a75-9142-98ddfec6814d');
    assert.match(firewallRuleName(`a.b/c${'x'.repeat(200)}`), /^restorecheck-a-b-cx+$/);
    assert.equal(firewallRuleName('x'.repeat(200)).length, 128);
    assert.equal(databasePort('postgres://u:p@db.example/app'), 5432);
    assert.equal(databasePort('postgresql://u:p@db.example:6432/app?sslmode=require'), 6432);
  });
});

describe('probeTcp', () => {
  it('answers reachable for a listener, refused for none, and gives up at its bound', async () => {
    const server = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    try {
      const ok = await probeTcp('127.0.0.1', port, 2000);
      assert.equal(ok.reachable, true);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    assert.deepEqual(await probeTcp('127.0.0.1', port, 2000), { reachable: false, reason: 'ECONNREFUSED' });
    // 192.0.2.1 (TEST-NET-1) is never routed: either no answer within the bound, or refused by the network at once.
    const started = performance.now();
    const silent = await probeTcp('192.0.2.1', 5432, 300);
    assert.equal(silent.reachable, false);
    assert.ok(performance.now() - started < 2000, 'bounded');
  });
});

describe('configuration: restoreTest.network and restoreTest.clientIp', () => {
  const base = 'environment: e2e\nrestoreTest:\n';
  it('accepts resource ids and an IPv4 address', () => {
    const { config } = parseConfigText(
      `${base}  clientIp: 203.0.113.7\n  network:\n    delegatedSubnetResourceId: ${SUBNET}\n    privateDnsZoneArmResourceId: ${ZONE}\n`,
      'c.yaml',
      {},
    );
    assert.equal(config.restoreTest.clientIp, '203.0.113.7');
    assert.deepEqual(config.restoreTest.network, { delegatedSubnetResourceId: SUBNET, privateDnsZoneArmResourceId: ZONE });
  });

  it('refuses what is not a subnet id, a zone id or an IPv4 address, naming each key', () => {
    let problems: string[] = [];
    try {
      parseConfigText(
        `${base}  clientIp: 2001:db8::1\n  network:\n    delegatedSubnetResourceId: ${ZONE}\n    privateDnsZoneArmResourceId: my-zone\n`,
        'c.yaml',
        {},
      );
    } catch (error) {
      assert.ok(error instanceof ConfigError);
      problems = error.problems;
    }
    assert.ok(
      problems.some((p) => /restoreTest\.clientIp: must be an IPv4 address/.test(p)),
      problems.join('\n'),
    );
    assert.ok(problems.some((p) => /restoreTest\.network\.delegatedSubnetResourceId: must be an ARM resource id/.test(p)));
    assert.ok(problems.some((p) => /restoreTest\.network\.privateDnsZoneArmResourceId: must be an ARM resource id/.test(p)));
  });
});
