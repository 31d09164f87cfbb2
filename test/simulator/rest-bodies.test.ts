/**
 * The simulator's body shapers against the official Azure REST examples (copied verbatim into
 * test/fixtures/azure-spec-examples; see its README): every property our gateways read is where
 * the example has it, with the example's JSON type, every property we send exists in an example
 * (so a renamed key fails), ids have the example's resource-id shape, and the values derived from
 * the scenario (retention days, dates relative to `now`) are right.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Operation } from '../../src/simulator/long-running-operations.js';
import {
  accountBody,
  backupBodies,
  blobServiceBody,
  containerBody,
  firewallRuleBody,
  ltrBodies,
  managementPolicyBody,
  operationStatusBody,
  restoreAcceptedBody,
  serverBody,
} from '../../src/simulator/rest-bodies.js';
import { parseScenario, type ScenarioInput } from '../../src/simulator/scenario.js';
import type { SimulatedServer } from '../../src/simulator/simulator-types.js';

const FIXTURES = join(import.meta.dirname, '../fixtures/azure-spec-examples');
const SUB = '12345678-1234-1234-1234-123456789abc';
const NOW = new Date('2026-03-01T12:00:00.000Z');
const HOUR = 3_600_000;
const ago = (hours: number) => new Date(NOW.getTime() - hours * HOUR).toISOString();

type Json = unknown;

/** The example's 200 body (or another part of the file, by dotted path). */
function example(file: string, path = 'responses.200.body'): Json {
  const parsed: unknown = JSON.parse(readFileSync(join(FIXTURES, file), 'utf8'));
  const found = dig(parsed, path);
  assert.notEqual(found, undefined, `${file} has ${path}`);
  return found;
}

function dig(value: Json, path: string): Json {
  const isObject = (v: Json): v is Record<string, Json> => v !== null && typeof v === 'object' && !Array.isArray(v);
  return path.split('.').reduce<Json>((v, k) => (isObject(v) ? v[k] : undefined), value);
}

const jsonType = (value: Json) => (value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value);

/** Dotted paths of every leaf (arrays are leaves: the examples' arrays are not what we compare). */
function leafPaths(value: Json, prefix = ''): string[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return [prefix];
  return Object.entries(value).flatMap(([k, v]) => leafPaths(v, prefix ? `${prefix}.${k}` : k));
}

/** A resource id with its names replaced: `/subscriptions/{}/resourceGroups/{}/providers/Microsoft.X/type/{}[/child/{}]`. */
function idShape(id: Json): string {
  assert.equal(typeof id, 'string', 'id is a string');
  const parts = (id as string).split('/');
  assert.equal(parts[5], 'providers', `${String(id)}: a resource id`);
  return parts.map((part, i) => (i % 2 === 0 && i !== 0 && i !== 6 ? '{}' : part)).join('/');
}

const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

interface ShapeRule {
  /** What restorecheck's gateways read (src/azure/*-gateway.ts schemas), as wire paths. Each must be in the examples. */
  reads: string[];
  /** Path prefixes we send that no example shows, mapped to one with the same model (SDK-NOTES.md). */
  sameModelAs?: Record<string, string>;
}

/** Where `path` is in the first example that has it, following `sameModelAs` for paths no example shows. */
function inExamples(examples: Json[], path: string, rule: ShapeRule): Json {
  const alias = Object.entries(rule.sameModelAs ?? {}).find(([from]) => path.startsWith(`${from}.`));
  const lookup = alias ? alias[1] + path.slice(alias[0].length) : path;
  return examples.map((e) => dig(e, lookup)).find((v) => v !== undefined);
}

function assertShape(ours: Json, examples: Json[], rule: ShapeRule) {
  for (const path of rule.reads) {
    const expected = inExamples(examples, path, rule);
    assert.notEqual(expected, undefined, `${path}: the test lists it, so an example must have it`);
    assert.equal(jsonType(dig(ours, path)), jsonType(expected), `${path}: the example's type`);
  }
  for (const path of leafPaths(ours)) {
    const expected = inExamples(examples, path, rule);
    assert.notEqual(expected, undefined, `${path}: we send it, but no example has it (a renamed key?)`);
    const value = dig(ours, path);
    assert.equal(jsonType(value), jsonType(expected), `${path}: the example's type`);
    if (typeof expected === 'string' && ISO_DATE_TIME.test(expected)) assert.match(String(value), ISO_DATE_TIME, `${path}: a date-time, as in the example`);
  }
  assert.equal(idShape(dig(ours, 'id')), idShape(dig(examples[0], 'id')), 'the resource-id shape');
}

function scenario(input: Partial<ScenarioInput>) {
  return parseScenario({ subscriptionId: SUB, ...input });
}

const fullServer = {
  resourceGroup: 'medic-rg',
  name: 'medicdb',
  location: 'francecentral',
  state: 'Ready',
  version: '16',
  backup: { backupRetentionDays: 35, geoRedundantBackup: 'Enabled', earliestRestoreDaysAgo: 30 },
  highAvailability: { mode: 'ZoneRedundant', state: 'Healthy' },
  backups: [
    { name: 'backup_a', completedHoursAgo: 5 },
    { backupType: 'Customer On-Demand', source: 'Customer Initiated', completedHoursAgo: 1 },
    { name: 'in_progress' },
  ],
  longTermRetention: [
    { backupName: 'ltr-weekly', endedDaysAgo: 3 },
    { backupName: 'ltr-now', status: 'Running', endedDaysAgo: 0 },
  ],
};
const server = (): SimulatedServer => scenario({ servers: [fullServer] }).servers[0]!;

describe('serverBody (Servers_Get)', () => {
  // The restore request (the PUT body) is where an example shows createMode, sourceServerResourceId and pointInTimeUTC.
  const examples = [
    example('postgresql-flexible/ServersGet.json'),
    example('postgresql-flexible/ServersCreatePointInTimeRestore.json', 'parameters.parameters'),
  ];
  const reads = [
    'id',
    'name',
    'location',
    'properties.state',
    'properties.version',
    'properties.fullyQualifiedDomainName',
    'properties.backup.backupRetentionDays',
    'properties.backup.geoRedundantBackup',
    'properties.backup.earliestRestoreDate',
    'properties.highAvailability.mode',
  ];

  it('has the example shape for every property restorecheck reads, and no key the examples lack', () => {
    assertShape(serverBody(server(), NOW, SUB), examples, { reads });
  });

  it('a restored server adds createMode and sourceServerResourceId, but claims no pointInTimeUTC (its data is not as of one)', () => {
    const restored: SimulatedServer = {
      ...server(),
      createMode: 'PointInTimeRestore',
      sourceServerResourceId: `/subscriptions/${SUB}/resourceGroups/medic-rg/providers/Microsoft.DBforPostgreSQL/flexibleServers/source`,
      pointInTimeUTC: ago(2),
    };
    const body = serverBody(restored, NOW, SUB);
    assertShape(body, examples, { reads: [...reads, 'properties.createMode', 'properties.sourceServerResourceId'] });
    assert.equal('pointInTimeUTC' in body.properties, false);
  });

  it('takes its values from the scenario and its dates from now', () => {
    const body = serverBody(server(), NOW, SUB);
    assert.equal(body.id, `/subscriptions/${SUB}/resourceGroups/medic-rg/providers/Microsoft.DBforPostgreSQL/flexibleServers/medicdb`);
    assert.equal(body.name, 'medicdb');
    assert.equal(body.location, 'francecentral');
    assert.equal(body.properties.state, 'Ready');
    assert.equal(body.properties.version, '16');
    assert.equal(body.properties.fullyQualifiedDomainName, 'medicdb.postgres.database.azure.com');
    assert.deepEqual(body.properties.backup, { backupRetentionDays: 35, geoRedundantBackup: 'Enabled', earliestRestoreDate: ago(30 * 24) });
    assert.deepEqual(body.properties.highAvailability, { mode: 'ZoneRedundant', state: 'Healthy' });
    assert.equal(body.systemData.createdAt, ago(400 * 24));
    assert.equal('createMode' in body.properties, false);
  });

  it('leaves out what the scenario leaves out, so that a check sees "Azure did not return it"', () => {
    const bare = scenario({ servers: [{ resourceGroup: 'rg', name: 'bare', location: 'westeurope' }] }).servers[0]!;
    const body = serverBody({ ...bare, fullyQualifiedDomainName: '127.0.0.2' }, NOW, SUB);
    assert.equal('state' in body.properties, false);
    assert.equal('version' in body.properties, false);
    assert.equal('backup' in body.properties, false);
    assert.equal('tags' in body, false);
    assert.deepEqual(body.properties.highAvailability, { mode: 'Disabled', state: 'NotEnabled' });
    assert.equal(body.properties.fullyQualifiedDomainName, '127.0.0.2');
    const partial = serverBody({ ...bare, backup: { backupRetentionDays: 7 } }, NOW, SUB);
    assert.deepEqual(partial.properties.backup, { backupRetentionDays: 7 });
  });
});

describe('backupBodies (BackupsAutomaticAndOnDemand_ListByServer)', () => {
  const list = example('postgresql-flexible/BackupsAutomaticAndOnDemandListByServer.json') as { value: Json[] };
  const reads = ['id', 'name', 'type', 'properties.backupType', 'properties.source', 'properties.completedTime'];

  it('gives every listed backup the shape of the example items', () => {
    const bodies = backupBodies(server(), NOW, SUB);
    assert.equal(bodies.length, 3);
    for (const body of bodies.slice(0, 2)) assertShape(body, list.value, { reads });
    // A backup still running has no completedTime, as Azure sends it.
    assertShape(bodies[2], list.value, { reads: reads.filter((r) => r !== 'properties.completedTime') });
    assert.equal('completedTime' in bodies[2]!.properties, false);
  });

  it('takes names, types and completion times from the scenario, in its order', () => {
    const [named, onDemand] = backupBodies(server(), NOW, SUB);
    assert.equal(named!.name, 'backup_a');
    assert.equal(named!.id, `/subscriptions/${SUB}/resourceGroups/medic-rg/providers/Microsoft.DBforPostgreSQL/flexibleServers/medicdb/backups/backup_a`);
    assert.deepEqual(named!.properties, { backupType: 'Full', source: 'Automatic', completedTime: ago(5) });
    assert.deepEqual(onDemand!.properties, { backupType: 'Customer On-Demand', source: 'Customer Initiated', completedTime: ago(1) });
    assert.equal(onDemand!.name, `backup_${ago(1).replace(/[-:.]/g, '').slice(0, 15)}_1`);
  });

  it('generates a backup series after the listed backups, oldest first', () => {
    const series = { count: 3, intervalHours: 24, newestHoursAgo: 2 };
    const daily = { resourceGroup: 'rg', name: 'daily', location: 'westeurope', backups: [{ name: 'first' }], backupSeries: series };
    const s = scenario({ servers: [daily] }).servers[0]!;
    const bodies = backupBodies(s, NOW, SUB);
    assert.deepEqual(
      bodies.map((b) => b.properties.completedTime),
      [undefined, ago(50), ago(26), ago(2)],
    );
    for (const body of bodies.slice(1)) assertShape(body, list.value, { reads });
  });
});

describe('ltrBodies (BackupsLongTermRetention_ListByServer)', () => {
  const list = example('postgresql-flexible/BackupsLongTermRetentionListByServer.json') as { value: Json[] };
  const reads = ['id', 'name', 'type', 'properties.backupName', 'properties.status', 'properties.startTime', 'properties.endTime'];

  it('has the example shape, with the server id and the lower-case "b" type the example has', () => {
    const [done, running] = ltrBodies(server(), NOW, SUB);
    assertShape(done, list.value, { reads });
    assertShape(running, list.value, { reads: reads.filter((r) => r !== 'properties.endTime') });
    assert.equal(done!.type, dig(list.value[0], 'type'));
    assert.equal(done!.id, `/subscriptions/${SUB}/resourceGroups/medic-rg/providers/Microsoft.DBforPostgreSQL/flexibleServers/medicdb`);
  });

  it('dates the operation from endedDaysAgo, and a running one has no endTime', () => {
    const [done, running] = ltrBodies(server(), NOW, SUB);
    assert.equal(done!.name, 'ltr-weekly');
    assert.deepEqual(
      { status: done!.properties.status, percent: done!.properties.percentComplete, start: done!.properties.startTime, end: done!.properties.endTime },
      { status: 'Succeeded', percent: 100, start: ago(3 * 24 + 1), end: ago(3 * 24) },
    );
    assert.equal(running!.properties.status, 'Running');
    assert.equal(running!.properties.percentComplete, 50);
    assert.equal(running!.properties.startTime, ago(1));
    assert.equal('endTime' in running!.properties, false);
  });
});

const account = (extra: Record<string, unknown> = {}) =>
  scenario({
    storageAccounts: [
      {
        resourceGroup: 'medic-rg',
        name: 'medicstore',
        location: 'francecentral',
        secondaryLocation: 'francesouth',
        sku: 'Standard_GRS',
        blobService: {
          isVersioningEnabled: true,
          deleteRetentionPolicy: { enabled: true, days: 14 },
          containerDeleteRetentionPolicy: { enabled: true, days: 7 },
          changeFeed: { enabled: false },
        },
        ...extra,
      },
    ],
  }).storageAccounts[0]!;

describe('accountBody (StorageAccounts_GetProperties)', () => {
  // The GetProperties example lacks minimumTlsVersion and allowBlobPublicAccess; the Create example's 200 body (a full StorageAccount) has them.
  const examples = [example('storage/StorageAccountGetProperties.json'), example('storage/StorageAccountCreate.json')];
  const reads = ['id', 'name', 'location', 'properties.primaryLocation', 'properties.secondaryLocation', 'sku.name'];

  it('has the example shape for every property restorecheck reads, and no key the examples lack', () => {
    assertShape(accountBody(account(), NOW, SUB), examples, { reads });
  });

  it('takes locations and the SKU from the scenario, and its creation time from now', () => {
    const body = accountBody(account(), NOW, SUB);
    assert.equal(body.id, `/subscriptions/${SUB}/resourceGroups/medic-rg/providers/Microsoft.Storage/storageAccounts/medicstore`);
    assert.equal(body.properties.primaryLocation, 'francecentral');
    assert.equal(body.properties.secondaryLocation, 'francesouth');
    assert.equal(body.properties.statusOfSecondary, 'available');
    assert.deepEqual(body.sku, { name: 'Standard_GRS', tier: 'Standard' });
    assert.equal(body.properties.creationTime, ago(400 * 24));
    assert.equal(body.properties.primaryEndpoints.blob, 'https://medicstore.blob.core.windows.net/');
  });

  it('has no secondary location unless the scenario gives one, and a Premium tier for a Premium SKU', () => {
    const body = accountBody(account({ secondaryLocation: undefined, sku: 'Premium_LRS', primaryLocation: 'westeurope' }), NOW, SUB);
    assert.equal('secondaryLocation' in body.properties, false);
    assert.equal('statusOfSecondary' in body.properties, false);
    assert.equal(body.properties.primaryLocation, 'westeurope');
    assert.deepEqual(body.sku, { name: 'Premium_LRS', tier: 'Premium' });
  });
});

describe('blobServiceBody (BlobServices_GetServiceProperties)', () => {
  const examples = [example('storage/BlobServicesGet.json')];
  const reads = [
    'id',
    'name',
    'properties.isVersioningEnabled',
    'properties.deleteRetentionPolicy.enabled',
    'properties.deleteRetentionPolicy.days',
    'properties.changeFeed.enabled',
  ];
  // No 2025-08-01 example shows containerDeleteRetentionPolicy; the SDK model gives it deleteRetentionPolicy's type (DeleteRetentionPolicy).
  const sameModelAs = { 'properties.containerDeleteRetentionPolicy': 'properties.deleteRetentionPolicy' };

  it('has the example shape for every property restorecheck reads, and no key the example lacks', () => {
    assertShape(blobServiceBody(account(), SUB), examples, { reads: [...reads, 'properties.containerDeleteRetentionPolicy.days'], sameModelAs });
  });

  it('sends the scenario settings as they are, in a copy', () => {
    const a = account();
    const body = blobServiceBody(a, SUB);
    assert.equal(body.id, `/subscriptions/${SUB}/resourceGroups/medic-rg/providers/Microsoft.Storage/storageAccounts/medicstore/blobServices/default`);
    assert.deepEqual(body.properties, a.blobService);
    assert.notEqual(body.properties, a.blobService);
    assert.deepEqual(body.sku, { name: 'Standard_GRS', tier: 'Standard' });
  });

  it('leaves out a setting the scenario leaves out', () => {
    assert.deepEqual(blobServiceBody(account({ blobService: {} }), SUB).properties, {});
  });

  // As real Azure answers for a fresh account: no isVersioningEnabled and no containerDeleteRetentionPolicy, not `false`.
  it('a fresh account (only blob soft delete set) has neither versioning nor container soft delete, not false', () => {
    const properties: Record<string, unknown> = blobServiceBody(account({ blobService: { deleteRetentionPolicy: { enabled: false } } }), SUB).properties;
    assert.deepEqual(properties, { deleteRetentionPolicy: { enabled: false } });
    assert.equal('isVersioningEnabled' in properties, false);
    assert.equal('containerDeleteRetentionPolicy' in properties, false);
    assert.deepEqual(
      blobServiceBody(parseScenario({ storageAccounts: [{ resourceGroup: 'rg', name: 'fresh', location: 'westeurope' }] }).storageAccounts[0]!, SUB).properties,
      {},
    );
  });

  it('sends allowPermanentDelete where BlobServicesPutAllowPermanentDelete.json has it (the setting the blob data plane obeys)', () => {
    const a = account({ blobService: { isVersioningEnabled: true, deleteRetentionPolicy: { enabled: true, days: 300, allowPermanentDelete: true } } });
    const body = blobServiceBody(a, SUB);
    assertShape(body, [...examples, example('storage/BlobServicesPutAllowPermanentDelete.json')], {
      reads: [...reads.filter((r) => !r.startsWith('properties.changeFeed')), 'properties.deleteRetentionPolicy.allowPermanentDelete'],
    });
    assert.deepEqual(body.properties, example('storage/BlobServicesPutAllowPermanentDelete.json', 'responses.200.body.properties'));
  });

  it('with nullForUnset, sends null for each setting the scenario leaves unset', () => {
    const a = account({ nullForUnset: true, blobService: { deleteRetentionPolicy: { enabled: true, days: 7 } } });
    assert.deepEqual(blobServiceBody(a, SUB).properties, {
      deleteRetentionPolicy: { enabled: true, days: 7 },
      isVersioningEnabled: null,
      containerDeleteRetentionPolicy: null,
      changeFeed: null,
    });
  });
});

describe('managementPolicyBody (ManagementPolicies_Get)', () => {
  const examples = [example('storage/StorageAccountGetManagementPolicy.json')];
  // The example's rule, as a scenario writes it (the tier actions included: they pass through as they are).
  const rule = dig(example('storage/StorageAccountGetManagementPolicy.json'), 'properties.policy.rules') as Json[];
  const withPolicy = () => account({ managementPolicy: { rules: rule } });

  it('has the example shape, and no key the example lacks', () => {
    assertShape(managementPolicyBody(withPolicy(), NOW, SUB), examples, {
      reads: ['id', 'name', 'type', 'properties.lastModifiedTime', 'properties.policy.rules'],
    });
  });

  it('sends the scenario’s rules as they are (the example’s rule gives back the example’s rules), named as the example', () => {
    const body = managementPolicyBody(withPolicy(), NOW, SUB);
    assert.deepEqual(body.properties.policy.rules, rule);
    assert.equal(body.name, 'DefaultManagementPolicy');
    assert.equal(body.id, `/subscriptions/${SUB}/resourceGroups/medic-rg/providers/Microsoft.Storage/storageAccounts/medicstore/managementPolicies/default`);
    assert.equal(body.properties.lastModifiedTime, ago(30 * 24));
  });

  it('fills a rule’s defaults (enabled, type Lifecycle, blobTypes blockBlob) as Azure shows them', () => {
    const a = account({
      managementPolicy: {
        rules: [{ name: 'r', definition: { filters: { prefixMatch: ['records/'] }, actions: { version: { delete: { daysAfterCreationGreaterThan: 30 } } } } }],
      },
    });
    assert.deepEqual(managementPolicyBody(a, NOW, SUB).properties.policy.rules, [
      {
        name: 'r',
        enabled: true,
        type: 'Lifecycle',
        definition: {
          filters: { blobTypes: ['blockBlob'], prefixMatch: ['records/'] },
          actions: { version: { delete: { daysAfterCreationGreaterThan: 30 } } },
        },
      },
    ]);
  });
});

describe('containerBody (BlobContainers_Get)', () => {
  const examples = [example('storage/BlobContainersGetWithAllowProtectedAppendWritesAll.json'), example('storage/BlobContainersPutObjectLevelWorm.json')];
  const withContainers = (containers: unknown[]) => {
    const a = scenario({ storageAccounts: [{ resourceGroup: 'medic-rg', name: 'medicstore', location: 'francecentral', containers }] as never })
      .storageAccounts[0]!;
    return (i = 0) => containerBody(a, a.containers[i]!, SUB);
  };
  // What storage-gateway.ts reads (the SDK flattens properties and the policy's own properties).
  const reads = [
    'id',
    'name',
    'properties.immutabilityPolicy.properties.state',
    'properties.immutabilityPolicy.properties.immutabilityPeriodSinceCreationInDays',
    'properties.immutableStorageWithVersioning.enabled',
    'properties.hasLegalHold',
  ];

  it('has the examples’ shape for every property restorecheck reads, and no key the examples lack', () => {
    const body = withContainers([
      { name: 'records', immutabilityPolicy: { state: 'Locked', days: 400, allowProtectedAppendWritesAll: true }, versionLevelImmutability: true },
    ])();
    assertShape(body, examples, { reads });
    assert.equal(
      body.id,
      `/subscriptions/${SUB}/resourceGroups/medic-rg/providers/Microsoft.Storage/storageAccounts/medicstore/blobServices/default/containers/records`,
    );
  });

  it('sends the scenario’s policy as it is, and no policy when the scenario has none', () => {
    const bodies = withContainers([{ name: 'a', immutabilityPolicy: { state: 'Unlocked', days: 7 } }, { name: 'b' }]);
    assert.deepEqual(bodies(0).properties.immutabilityPolicy?.properties, { immutabilityPeriodSinceCreationInDays: 7, state: 'Unlocked' });
    assert.equal(bodies(0).properties.hasImmutabilityPolicy, true);
    assert.equal('immutabilityPolicy' in bodies(1).properties, false);
    assert.equal(bodies(1).properties.hasImmutabilityPolicy, false);
    assert.equal('immutableStorageWithVersioning' in bodies(1).properties, false);
  });
});

describe('nullForUnset: null on the wire where the scenario leaves a property unset (as Azure does for some)', () => {
  it('servers: state, version, backup, tags, and earliestRestoreDate in a partial backup', () => {
    const bare = scenario({ servers: [{ resourceGroup: 'rg', name: 'bare', location: 'westeurope', nullForUnset: true }] }).servers[0]!;
    const body = serverBody(bare, NOW, SUB) as unknown as { properties: Record<string, unknown>; tags: unknown };
    assert.equal(body.properties.state, null);
    assert.equal(body.properties.version, null);
    assert.equal(body.properties.backup, null);
    assert.equal(body.tags, null);
    const partial = serverBody({ ...bare, backup: { backupRetentionDays: 7 } }, NOW, SUB);
    assert.deepEqual(partial.properties.backup, { backupRetentionDays: 7, geoRedundantBackup: null, earliestRestoreDate: null });
    const full = serverBody({ ...server(), nullForUnset: true }, NOW, SUB);
    assert.deepEqual(full, { ...serverBody(server(), NOW, SUB), tags: null }, 'only what is unset becomes null');
  });

  it('backups without completedTime and running long-term retention operations without endTime', () => {
    const s = { ...server(), nullForUnset: true };
    assert.equal(backupBodies(s, NOW, SUB)[2]!.properties.completedTime, null);
    assert.equal(ltrBodies(s, NOW, SUB)[1]!.properties.endTime, null);
    assert.equal(backupBodies(s, NOW, SUB)[0]!.properties.completedTime, ago(5));
  });

  it('storage accounts: secondaryLocation', () => {
    const body = accountBody(account({ secondaryLocation: undefined, nullForUnset: true }), NOW, SUB) as unknown as { properties: Record<string, unknown> };
    assert.equal(body.properties.secondaryLocation, null);
    assert.equal(accountBody(account({ nullForUnset: true }), NOW, SUB).properties.secondaryLocation, 'francesouth');
  });

  it('sends no null without the option', () => {
    const bodies = [
      serverBody(scenario({ servers: [{ resourceGroup: 'rg', name: 'bare', location: 'westeurope' }] }).servers[0]!, NOW, SUB),
      accountBody(account({ secondaryLocation: undefined }), NOW, SUB),
      blobServiceBody(account({ blobService: {} }), SUB),
      ...backupBodies(server(), NOW, SUB),
      ...ltrBodies(server(), NOW, SUB),
    ];
    assert.doesNotMatch(JSON.stringify(bodies), /null/);
  });
});

describe('operationStatusBody (Azure-AsyncOperation; no official example shows one)', () => {
  const op: Operation = { id: 'op-1', kind: 'restore', resourceId: '/x', location: 'francecentral', status: 'InProgress', startTime: ago(1) };

  it('follows the ARM convention: name, status, startTime, then endTime and error once they exist', () => {
    assert.deepEqual(operationStatusBody(op), { name: 'op-1', status: 'InProgress', startTime: ago(1) });
    const failed: Operation = { ...op, status: 'Failed', endTime: ago(0), error: { code: 'RestoreFailed', message: 'no copy' } };
    assert.deepEqual(operationStatusBody(failed), {
      name: 'op-1',
      status: 'Failed',
      startTime: ago(1),
      endTime: ago(0),
      error: { code: 'RestoreFailed', message: 'no copy' },
    });
  });
});

describe('serverBody: network, identity and key (ServersGetWithVnet.json, ServersCreateWithDataEncryptionEnabled.json)', () => {
  const vnet = example('postgresql-flexible/ServersGetWithVnet.json');
  const subnet = `/subscriptions/${SUB}/resourceGroups/net-rg/providers/Microsoft.Network/virtualNetworks/vnet/subnets/pg`;
  const zone = `/subscriptions/${SUB}/resourceGroups/net-rg/providers/Microsoft.Network/privateDnsZones/medic.private.postgres.database.azure.com`;
  const networkReads = [
    'properties.network.publicNetworkAccess',
    'properties.network.delegatedSubnetResourceId',
    'properties.network.privateDnsZoneArmResourceId',
  ];

  it("a VNet server's network block has the example's keys and types", () => {
    const s: SimulatedServer = {
      ...server(),
      network: { publicNetworkAccess: 'Disabled', delegatedSubnetResourceId: subnet, privateDnsZoneArmResourceId: zone },
    };
    const body = serverBody(s, NOW, SUB);
    assertShape(body, [vnet, example('postgresql-flexible/ServersGet.json')], { reads: networkReads });
    assert.deepEqual(body.properties.network, { publicNetworkAccess: 'Disabled', delegatedSubnetResourceId: subnet, privateDnsZoneArmResourceId: zone });
  });

  it('without a scenario network, publicNetworkAccess Disabled as before', () => {
    assert.deepEqual(serverBody(server(), NOW, SUB).properties.network, { publicNetworkAccess: 'Disabled' });
  });

  it("a customer-managed-key server's identity and dataEncryption have the example's shape", () => {
    const created = example('postgresql-flexible/ServersCreateWithDataEncryptionEnabled.json', 'parameters.parameters') as Record<string, Json>;
    const identity = `/subscriptions/${SUB}/resourceGroups/medic-rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/cmk`;
    const key = 'https://medic-kv.vault.azure.net/keys/pg/0123456789abcdef0123456789abcdef';
    const s: SimulatedServer = {
      ...server(),
      identity: { type: 'UserAssigned', userAssignedIdentities: [identity] },
      dataEncryption: { type: 'AzureKeyVault', primaryKeyURI: key, primaryUserAssignedIdentityId: identity },
    };
    const body = serverBody(s, NOW, SUB);
    assert.deepEqual(body.identity, { type: 'UserAssigned', userAssignedIdentities: { [identity]: {} } });
    assert.equal(jsonType(dig(created, 'identity.type')), 'string');
    for (const [k, v] of Object.entries(body.properties.dataEncryption)) {
      assert.equal(jsonType(v), jsonType(dig(created, `properties.dataEncryption.${k}`)), `dataEncryption.${k}: the example's type`);
    }
  });
});

describe('firewallRuleBody (FirewallRulesGet.json)', () => {
  it("has the example's keys and types, the rule's id under its server", () => {
    const ours = firewallRuleBody(SUB, server(), { name: 'restorecheck-run1', startIpAddress: '203.0.113.7', endIpAddress: '203.0.113.7' });
    const theirs = example('postgresql-flexible/FirewallRulesGet.json');
    assert.deepEqual(leafPaths(ours).sort(), leafPaths(theirs).sort());
    assert.equal(ours.type, dig(theirs, 'type'));
    assert.equal(
      ours.id,
      `/subscriptions/${SUB}/resourceGroups/medic-rg/providers/Microsoft.DBforPostgreSQL/flexibleServers/medicdb/firewallRules/restorecheck-run1`,
    );
    // The request body restorecheck sends is the example's request body, values aside.
    const request = example('postgresql-flexible/FirewallRulesCreateOrUpdate.json', 'parameters.parameters');
    assert.deepEqual(leafPaths({ properties: ours.properties }).sort(), leafPaths(request).sort());
  });
});

describe('restoreAcceptedBody (the 202 of a point-in-time restore PUT)', () => {
  it('is what Azure answered in the Azure CLI recording (no official example shows a body)', () => {
    // Azure/azure-cli, src/azure-cli/azure/cli/command_modules/rdbms/tests/latest/recordings/test_flexible_server_ssdv2_restore_mgmt.yaml
    // (commit 00bf86aac2f9c99f6deebe208d7968c37bb8eb4e), the response to `PUT .../flexibleServers/azuredbclitest-ssdv2-restore-000005`.
    const recorded = JSON.parse('{"operation":"RestoreSnapshotManagementOperation","startTime":"2024-11-15T00:21:18.583Z"}') as Json;
    assert.deepEqual(restoreAcceptedBody('2024-11-15T00:21:18.583Z'), recorded);
  });
});
