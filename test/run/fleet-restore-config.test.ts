/**
 * One server's restore test in a fleet (restoreConfigFor, issue 17): how its copy is read (database.url as configured,
 * at its own host with one Entra identity, or not at all, with the reason), its own restore name prefix, and the
 * configured server's storage (its signed documents) without the drill, which the fleet runs once.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { configSchema } from '../../src/config/schema.js';
import { resolveTarget } from '../../src/restore/azure-restore-plan.js';
import { postgresServerId } from '../../src/run/fleet-config.js';
import { fleetNamePrefix, restoreConfigFor } from '../../src/run/fleet-restore-test.js';
import type { FleetResource } from '../../src/vocabulary.js';

const SUB = '00000000-0000-0000-0000-000000000000';
const OTHER_SUB = '11111111-1111-1111-1111-111111111111';

const server = (name: string, subscriptionId = SUB, resourceGroup = 'rg-b'): FleetResource => ({
  id: postgresServerId(subscriptionId, resourceGroup, name),
  kind: 'postgres',
  name,
  subscriptionId,
  resourceGroup,
  location: 'francecentral',
  tags: {},
});

function config(database: Record<string, unknown> | undefined, restoreTest: Record<string, unknown> = {}) {
  return configSchema.parse({
    environment: 'prod',
    ...(database ? { database } : {}),
    azure: {
      subscriptionId: SUB,
      postgres: { resourceGroup: 'rg-a', server: 'db-a', minRetentionDays: 14 },
      storage: { resourceGroup: 'rg-a', account: 'docs', container: 'documents', drill: { container: 'drill' } },
      discover: { subscriptions: [SUB, OTHER_SUB] },
    },
    restoreTest,
  });
}

const password = { url: 'postgres://reader:secret@db-a.postgres.database.azure.com:5432/app', signedDocument: { query: 'SELECT 1' } };
const entra = { url: 'postgres://fleet-identity@db-a.postgres.database.azure.com:5432/app', auth: 'entra', signedDocument: { query: 'SELECT 1' } };

describe('how a fleet server’s copy is read', () => {
  it('the configured server: as in a single-server run, with its signed documents (its storage, without the drill)', () => {
    const own = { ...server('db-a', SUB, 'rg-a') };
    const r = restoreConfigFor(config(password), own);
    assert.equal(r.reading, 'configured');
    assert.equal(r.signedDocumentNotRead, undefined);
    assert.equal(r.config.azure?.storage?.account, 'docs');
    assert.equal(r.config.azure?.storage?.drill, undefined, 'the drill runs once for the fleet');
    assert.equal(r.config.azure?.postgres?.minRetentionDays, 14);
    assert.equal(r.config.azure?.discover, undefined);
  });

  it('another server, database.auth: entra: at its own host, with the same identity; its documents are not known', () => {
    const r = restoreConfigFor(config(entra), server('db-b', OTHER_SUB));
    assert.equal(r.reading, 'at-source');
    assert.match(r.signedDocumentNotRead?.en ?? '', /documents of the discovered server db-b is not known/);
    assert.equal(r.config.azure?.subscriptionId, OTHER_SUB);
    assert.deepEqual([r.config.azure?.postgres?.resourceGroup, r.config.azure?.postgres?.server], ['rg-b', 'db-b']);
    assert.equal(r.config.azure?.storage, undefined);
  });

  it('another server, a password URL: not read, saying the password fits only the server the URL names', () => {
    const r = restoreConfigFor(config(password), server('db-b'));
    assert.ok(typeof r.reading === 'object');
    assert.equal(
      r.reading.notRead.en,
      'Not read: database.url signs in with a password, which fits only the server it names (db-a.postgres.database.azure.com), not db-b; ' +
        'with database.auth: entra one identity reads the restored copy of every server of the fleet.',
    );
    assert.ok(!JSON.stringify(r.reading).includes('secret'), 'the password stays out of the reason');
  });

  it('a password URL naming the discovered server itself is that server’s: read as configured', () => {
    const named = { url: 'postgres://reader:secret@db-b.postgres.database.azure.com:5432/app' };
    assert.equal(restoreConfigFor(config(named), server('db-b')).reading, 'configured');
    assert.ok(typeof restoreConfigFor(config(named), server('db-bb')).reading === 'object', 'db-bb is not db-b');
  });

  it('no database section: not read, saying so', () => {
    const r = restoreConfigFor(config(undefined), server('db-b'));
    assert.ok(typeof r.reading === 'object');
    assert.match(r.reading.notRead.en, /^Not read: the configuration has no database section/);
  });
});

describe('a fleet server’s restore name', () => {
  it('is <server>-restore-<minute> for every discovered server, whatever restoreTest.namePrefix (the configured server’s only)', () => {
    const c = config(password, { namePrefix: 'prod-restore' });
    const at = new Date('2026-12-01T03:04:00Z');
    assert.equal(resolveTarget(restoreConfigFor(c, server('db-a', SUB, 'rg-a')).config, at).name, 'prod-restore-202612010304');
    const b = resolveTarget(restoreConfigFor(c, server('db-b')).config, at);
    assert.deepEqual(b, { resourceGroup: 'rg-b', name: 'db-b-restore-202612010304', source: { resourceGroup: 'rg-b', name: 'db-b' } });
  });

  it('fits Azure’s 63 characters for a long server name, and two long names sharing a beginning differ', () => {
    const long = (suffix: string) => server(`${'a'.repeat(55)}-${suffix}`);
    const names = ['one', 'two'].map((suffix) => resolveTarget(restoreConfigFor(config(password), long(suffix)).config, new Date()).name);
    assert.notEqual(fleetNamePrefix(long('one')), fleetNamePrefix(long('two')));
    assert.notEqual(names[0], names[1]);
    for (const name of names) assert.ok(name.length <= 63, name);
    assert.equal(fleetNamePrefix(server('db-b')), 'db-b-restore');
  });
});
