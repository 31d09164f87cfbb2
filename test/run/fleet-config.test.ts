/**
 * fleet-config: one discovered resource's own configuration. The thresholds layer as documented (the fleet's, then
 * each matching override in order, key by key), the other kind's section goes, and a server's restoreTest overrides
 * (its period, where its copy goes) apply to it alone.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { configSchema } from '../../src/config/schema.js';
import { allowedResourceGroups } from '../../src/restore/azure-restore-plan.js';
import { fleetOf, globMatches, postgresServerId, resourceConfig, storageAccountId, tagsMatch } from '../../src/run/fleet-config.js';
import type { FleetResource } from '../../src/vocabulary.js';

const HOME = '11111111-1111-1111-1111-111111111111';
const OTHER = '22222222-2222-2222-2222-222222222222';

const pg = (name: string, tags: Record<string, string> = {}, subscriptionId = OTHER): FleetResource => ({
  id: postgresServerId(subscriptionId, 'rg-data', name),
  kind: 'postgres',
  name,
  subscriptionId,
  resourceGroup: 'rg-data',
  location: 'francecentral',
  tags,
});

const config = configSchema.parse({
  environment: 'production',
  azure: {
    subscriptionId: HOME,
    postgres: { resourceGroup: 'rg-home', server: 'home-db', minRetentionDays: 14 },
    storage: { resourceGroup: 'rg-home', account: 'homedocs', container: 'documents' },
    discover: {
      subscriptions: [HOME, OTHER],
      overrides: [
        { name: 'prod-*', postgres: { minRetentionDays: 35, maxBackupAgeHours: 12 } },
        { tag: { tier: 'Gold' }, postgres: { minRetentionDays: 40 }, restoreTest: { everyDays: 7, targetResourceGroup: 'rg-restores' } },
      ],
    },
  },
  restoreTest: { everyDays: 30 },
});

describe('resourceConfig', () => {
  it('layers the fleet’s thresholds, then each matching override in order, key by key', () => {
    const plain = resourceConfig(config, pg('dev-db')).azure?.postgres;
    assert.equal(plain?.minRetentionDays, 14, 'azure.postgres’s thresholds are the fleet’s defaults');
    assert.equal(plain?.server, 'dev-db');
    assert.equal(plain?.resourceGroup, 'rg-data');
    const prod = resourceConfig(config, pg('PROD-db')).azure?.postgres;
    assert.deepEqual([prod?.minRetentionDays, prod?.maxBackupAgeHours], [35, 12], 'the glob is case-insensitive');
    const gold = resourceConfig(config, pg('prod-db', { TIER: 'gold' })).azure?.postgres;
    assert.deepEqual([gold?.minRetentionDays, gold?.maxBackupAgeHours], [40, 12], 'the later match wins its keys only');
  });

  it('names the resource alone, in its own subscription, without the other kind or discover', () => {
    const own = resourceConfig(config, pg('dev-db'));
    assert.equal(own.azure?.subscriptionId, OTHER);
    assert.equal(own.azure?.storage, undefined);
    assert.equal(own.azure?.discover, undefined);
    const account: FleetResource = { ...pg('x'), id: storageAccountId(OTHER, 'rg-data', 'acct1'), kind: 'storage', name: 'acct1' };
    const st = resourceConfig(config, account).azure;
    assert.equal(st?.postgres, undefined);
    assert.equal(st?.storage?.account, 'acct1');
    assert.equal(st?.storage?.container, undefined, 'the configured account’s container is not another account’s');
  });

  it('gives a server its own restoreTest period and target group, and only to the servers it matches', () => {
    const gold = resourceConfig(config, pg('billing', { tier: 'gold' }));
    assert.equal(gold.restoreTest.everyDays, 7);
    assert.equal(gold.restoreTest.targetResourceGroup, 'rg-restores');
    assert.deepEqual(allowedResourceGroups(gold), ['rg-restores'], 'cleanup sweeps where its copies go');
    const plain = resourceConfig(config, pg('billing'));
    assert.equal(plain.restoreTest.everyDays, 30);
    assert.deepEqual(allowedResourceGroups(plain), ['rg-data']);
    assert.equal(config.restoreTest.everyDays, 30, 'the fleet configuration itself is unchanged');
  });
});

describe('the fleet', () => {
  it('holds the configured resources whatever their tags, each once, discovery’s description winning', () => {
    const configuredId = postgresServerId(HOME, 'rg-home', 'home-db');
    const discovered = { ...pg('home-db', { restorecheck: 'on' }, HOME), id: configuredId.toUpperCase(), resourceGroup: 'rg-home' };
    const fleet = fleetOf([pg('b-db'), discovered], config);
    assert.equal(fleet.length, 3, 'home-db once, b-db, and the configured storage account');
    assert.equal(fleet.find((r) => r.name === 'home-db')?.location, 'francecentral');
    const keys = fleet.map((r) => r.id.toLowerCase());
    assert.deepEqual(keys, [...keys].sort());
  });

  it('matches globs and tags as documented', () => {
    assert.ok(globMatches('pg-?1*', 'PG-a1-prod'));
    assert.ok(!globMatches('pg-?1', 'pg-a12'));
    assert.ok(!globMatches('pg.db', 'pgxdb'), 'a dot is a dot');
    assert.ok(tagsMatch({ Env: 'Prod' }, { env: 'prod', other: 'x' }));
    assert.ok(!tagsMatch({ env: 'prod' }, { env: 'staging' }));
    assert.ok(tagsMatch({}, {}));
  });
});
