/**
 * The simulator's blob data plane against the official SDK (@azure/storage-blob, signed in by the unchanged
 * ManagedIdentityCredential through the simulator's identity endpoint, over HTTPS with its CA): Put/Get/Delete/
 * Undelete/List Blobs with soft delete and versions as the account's blobService settings say, expiry on the
 * simulator's clock, permanent delete, purgeDeleted, the container data roles, sign-in refusals, the request log and
 * injections; and ManagementPolicies_Get through @azure/arm-storage. Raw HTTPS where the SDK has no call
 * (deletetype=permanent, a request without a token).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { request } from 'node:https';
import { after, afterEach, before, describe, it } from 'node:test';
import type { BlobItem, ContainerClient } from '@azure/storage-blob';
import { type RunningSimulator, startSimulator } from '../../src/simulator/resource-manager.js';
import { parseScenario, type ScenarioInput } from '../../src/simulator/scenario.js';
import { blobService, managedIdentity, storageManagement, uncachedIdentity } from '../helpers/simulator-blob.js';

const DAY = 86_400_000;
const ACCOUNT = 'medicrecords';
type AccountInput = NonNullable<ScenarioInput['storageAccounts']>[number];

let sim: RunningSimulator;
let ca: string;
/** The simulator's clock: the real one, moved ahead by the expiry tests (and back after each test). */
let offsetMs = 0;

/** Loads a scenario with one account (containers `records`, plus those given) and returns its `records` container. */
function load(account: Partial<AccountInput> = {}, container = 'records'): ContainerClient {
  sim.load(
    parseScenario({
      storageAccounts: [{ resourceGroup: 'records-rg', name: ACCOUNT, location: 'francecentral', containers: [{ name: 'records' }], ...account }],
    }),
  );
  return blobService(sim, ACCOUNT).getContainerClient(container);
}

const softDelete = (days: number) => ({ deleteRetentionPolicy: { enabled: true, days } });

async function text(client: ContainerClient, name: string, versionId?: string): Promise<string> {
  const blob = versionId ? client.getBlobClient(name).withVersion(versionId) : client.getBlobClient(name);
  return (await blob.downloadToBuffer()).toString('utf8');
}

async function upload(client: ContainerClient, name: string, content: string) {
  return client.getBlockBlobClient(name).upload(content, Buffer.byteLength(content));
}

async function list(client: ContainerClient, options: Parameters<ContainerClient['listBlobsFlat']>[0] = {}): Promise<BlobItem[]> {
  const items: BlobItem[] = [];
  for await (const item of client.listBlobsFlat(options)) items.push(item);
  return items;
}

/** The SDK's error for `call`: its status and the x-ms-error-code Azure sent. */
async function refusal(call: () => Promise<unknown>): Promise<{ status: number; code: string }> {
  try {
    await call();
  } catch (error) {
    const e = error as { statusCode?: number; code?: string; details?: { errorCode?: string } };
    return { status: e.statusCode ?? 0, code: e.details?.errorCode ?? e.code ?? '' };
  }
  assert.fail('the call succeeded');
}

interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A raw HTTPS request to the blob data plane (path under the account), with a storage token unless told otherwise. */
async function raw(method: string, path: string, token: string | null | 'storage' = 'storage'): Promise<Raw> {
  const bearer = token === 'storage' ? (await managedIdentity(sim).getToken('https://storage.azure.com/.default'))!.token : token;
  return new Promise((resolve, reject) => {
    const req = request(
      `${sim.blobEndpoint(ACCOUNT)}${path}`,
      { method, ca, timeout: 60_000, headers: { 'x-ms-version': '2025-11-05', ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) } },
      (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

const permanentDelete = (name: string, versionId?: string) =>
  raw('DELETE', `/records/${name}?${versionId ? `versionid=${encodeURIComponent(versionId)}&` : ''}deletetype=permanent`);

before(async () => {
  sim = await startSimulator({ scenario: parseScenario({}), now: () => new Date(Date.now() + offsetMs) });
  ca = await readFile(sim.caFile, 'utf8');
});
afterEach(() => {
  offsetMs = 0;
});
after(async () => {
  await sim?.stop();
});

describe('blob data plane: put, overwrite, get', () => {
  it('stores a block blob, answers Content-MD5, ETag and Last-Modified as Azure, and serves the overwrite', async () => {
    const records = load();
    const first = await upload(records, 'dumps/2026-03-01.sql.gz', 'first dump');
    assert.deepEqual(Buffer.from(first.contentMD5!), createHash('md5').update('first dump').digest());
    assert.match(first.etag!, /^"0x[0-9A-F]+"$/);
    assert.ok(first.lastModified instanceof Date);
    assert.equal(first.versionId, undefined, 'no version id without versioning');
    const second = await upload(records, 'dumps/2026-03-01.sql.gz', 'second, longer dump');
    assert.notEqual(second.etag, first.etag);
    assert.equal(await text(records, 'dumps/2026-03-01.sql.gz'), 'second, longer dump');
    const properties = await records.getBlobClient('dumps/2026-03-01.sql.gz').getProperties();
    assert.equal(properties.contentLength, Buffer.byteLength('second, longer dump'));
    assert.equal(properties.etag, second.etag);
    assert.equal(properties.blobType, 'BlockBlob');
    assert.deepEqual(Buffer.from(properties.contentMD5!), createHash('md5').update('second, longer dump').digest());
    const [item] = await list(records);
    assert.equal(item?.name, 'dumps/2026-03-01.sql.gz');
    assert.equal(item?.properties.contentLength, Buffer.byteLength('second, longer dump'));
    assert.equal(item?.properties.etag, second.etag!.replace(/"/g, ''));
    assert.equal(item?.properties.blobType, 'BlockBlob');
    assert.ok(item?.properties.createdOn instanceof Date);
  });

  it('lists by prefix, sorted by name', async () => {
    const records = load();
    for (const name of ['b/2', 'a/1', 'b/1', 'c']) await upload(records, name, name);
    assert.deepEqual(
      (await list(records, { prefix: 'b/' })).map((b) => b.name),
      ['b/1', 'b/2'],
    );
    assert.deepEqual(
      (await list(records)).map((b) => b.name),
      ['a/1', 'b/1', 'b/2', 'c'],
    );
  });
});

describe('blob data plane: soft delete', () => {
  it('on: a deleted blob is listed with include=deleted (Deleted, DeletedTime, RemainingRetentionDays) and Undelete brings it back', async () => {
    const records = load({ blobService: softDelete(7) });
    await upload(records, 'consent-42.pdf', 'signed consent');
    await records.getBlobClient('consent-42.pdf').delete();
    assert.equal(await records.getBlobClient('consent-42.pdf').exists(), false);
    assert.deepEqual(await refusal(() => records.getBlobClient('consent-42.pdf').download()), { status: 404, code: 'BlobNotFound' });
    assert.deepEqual(await list(records), [], 'hidden without include=deleted');
    const [deleted, ...others] = await list(records, { includeDeleted: true });
    assert.equal(others.length, 0);
    assert.equal(deleted?.name, 'consent-42.pdf');
    assert.equal(deleted?.deleted, true);
    assert.ok(deleted?.properties.deletedOn instanceof Date);
    assert.ok(Math.abs(deleted!.properties.deletedOn!.getTime() - Date.now()) < 60_000);
    assert.equal(deleted?.properties.remainingRetentionDays, 7);
    await records.getBlobClient('consent-42.pdf').undelete();
    assert.equal(await text(records, 'consent-42.pdf'), 'signed consent');
    const [restored] = await list(records, { includeDeleted: true });
    assert.equal(restored?.deleted, false);
  });

  it('off: a delete is final; Get, Delete and Undelete of it answer 404 BlobNotFound', async () => {
    const records = load({ blobService: { deleteRetentionPolicy: { enabled: false } } });
    await upload(records, 'consent-42.pdf', 'signed consent');
    const answer = await records.getBlobClient('consent-42.pdf').delete();
    assert.equal(answer._response.headers.get('x-ms-delete-type-permanent'), 'true');
    assert.deepEqual(await list(records, { includeDeleted: true }), []);
    assert.deepEqual(await refusal(() => records.getBlobClient('consent-42.pdf').undelete()), { status: 404, code: 'BlobNotFound' });
    assert.deepEqual(await refusal(() => records.getBlobClient('consent-42.pdf').download()), { status: 404, code: 'BlobNotFound' });
    assert.deepEqual(await refusal(() => records.getBlobClient('consent-42.pdf').delete()), { status: 404, code: 'BlobNotFound' });
  });

  it('a version id on an account without versioning finds no version (404 BlobNotFound), even of a blob that exists', async () => {
    const records = load();
    await upload(records, 'a.txt', 'a');
    const version = records.getBlobClient('a.txt').withVersion('2026-03-01T12:00:00.0000000Z');
    assert.deepEqual(await refusal(() => version.download()), { status: 404, code: 'BlobNotFound' });
  });

  it('expires soft-deleted data after the retention days, by the simulator clock', async () => {
    const make = () => blobService(sim, ACCOUNT, uncachedIdentity(sim)).getContainerClient('records');
    load({ blobService: softDelete(3) });
    await upload(make(), 'old.sql', 'old');
    await make().getBlobClient('old.sql').delete();
    offsetMs = 2 * DAY;
    const [kept] = await list(make(), { includeDeleted: true });
    assert.equal(kept?.properties.remainingRetentionDays, 1);
    offsetMs = 3 * DAY + 60_000;
    assert.deepEqual(await list(make(), { includeDeleted: true }), []);
    assert.deepEqual(await refusal(() => make().getBlobClient('old.sql').undelete()), { status: 404, code: 'BlobNotFound' });
  });
});

describe('blob data plane: versions', () => {
  it('lists every version, serves one by versionid, and deleting the base blob leaves versions only (HasVersionsOnly)', async () => {
    const records = load({ blobService: { isVersioningEnabled: true, ...softDelete(7) } });
    const v1 = (await upload(records, 'report.json', 'v1')).versionId!;
    const v2 = (await upload(records, 'report.json', 'v2')).versionId!;
    assert.match(v1, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$/);
    assert.ok(v2 > v1, 'version ids increase');
    const versions = await list(records, { includeVersions: true });
    assert.deepEqual(
      versions.map((v) => [v.versionId, v.isCurrentVersion === true]),
      [
        [v1, false],
        [v2, true],
      ],
    );
    const old = await records.getBlobClient('report.json').withVersion(v1).download();
    assert.equal(old.versionId, v1);
    assert.equal(old.isCurrentVersion, false);
    assert.equal(await text(records, 'report.json', v1), 'v1');
    const current = await records.getBlobClient('report.json').getProperties();
    assert.equal(current.versionId, v2);
    assert.equal(current.isCurrentVersion, true);

    await records.getBlobClient('report.json').delete();
    assert.equal(await records.getBlobClient('report.json').exists(), false);
    assert.deepEqual(await list(records), []);
    const after = await list(records, { includeVersions: true, includeDeleted: true });
    assert.deepEqual(
      after.map((v) => [v.versionId, v.isCurrentVersion === true, v.deleted]),
      [
        [v1, false, false],
        [v2, false, false],
      ],
      'no current version; the versions themselves are not deleted',
    );
    const [root, ...more] = await list(records, { includeDeletedWithVersions: true });
    assert.equal(more.length, 0);
    assert.equal(root?.name, 'report.json');
    assert.equal(root?.hasVersionsOnly, true);

    // Undelete does not restore the base blob under versioning: a version is promoted by putting it again.
    await records.getBlobClient('report.json').undelete();
    assert.equal(await records.getBlobClient('report.json').exists(), false);
    const promoted = await upload(records, 'report.json', await text(records, 'report.json', v1));
    assert.equal(await text(records, 'report.json'), 'v1');
    assert.equal((await list(records, { includeVersions: true })).find((v) => v.isCurrentVersion)?.versionId, promoted.versionId);
  });

  it('soft delete on: deleting a version soft-deletes it (listed with include=deleted only, not readable) and Undelete restores it', async () => {
    const records = load({ blobService: { isVersioningEnabled: true, ...softDelete(7) } });
    const v1 = (await upload(records, 'r.json', 'v1')).versionId!;
    const v2 = (await upload(records, 'r.json', 'v2')).versionId!;
    assert.deepEqual(await refusal(() => records.getBlobClient('r.json').withVersion(v2).delete()), { status: 403, code: 'OperationNotAllowedOnRootBlob' });
    const answer = await records.getBlobClient('r.json').withVersion(v1).delete();
    assert.equal(answer._response.headers.get('x-ms-delete-type-permanent'), 'false');
    assert.deepEqual(
      (await list(records, { includeVersions: true })).map((v) => v.versionId),
      [v2],
    );
    const withDeleted = await list(records, { includeVersions: true, includeDeleted: true });
    const deleted = withDeleted.find((v) => v.versionId === v1);
    assert.equal(deleted?.deleted, true);
    assert.equal(deleted?.properties.remainingRetentionDays, 7);
    assert.deepEqual(await refusal(() => records.getBlobClient('r.json').withVersion(v1).download()), { status: 404, code: 'BlobNotFound' });
    await records.getBlobClient('r.json').undelete();
    assert.equal(await text(records, 'r.json', v1), 'v1');
  });

  it('soft delete off: deleting a version removes it, and Undelete cannot bring it back', async () => {
    const records = load({ blobService: { isVersioningEnabled: true } });
    const v1 = (await upload(records, 'r.json', 'v1')).versionId!;
    await upload(records, 'r.json', 'v2');
    const answer = await records.getBlobClient('r.json').withVersion(v1).delete();
    assert.equal(answer._response.headers.get('x-ms-delete-type-permanent'), 'true');
    await records.getBlobClient('r.json').undelete();
    assert.equal((await list(records, { includeVersions: true, includeDeleted: true })).length, 1);
    assert.deepEqual(await refusal(() => records.getBlobClient('r.json').withVersion(v1).download()), { status: 404, code: 'BlobNotFound' });
  });

  it('a soft-deleted version expires after the retention days', async () => {
    const make = () => blobService(sim, ACCOUNT, uncachedIdentity(sim)).getContainerClient('records');
    load({ blobService: { isVersioningEnabled: true, ...softDelete(1) } });
    const v1 = (await upload(make(), 'r.json', 'v1')).versionId!;
    await upload(make(), 'r.json', 'v2');
    await make().getBlobClient('r.json').withVersion(v1).delete();
    offsetMs = DAY + 60_000;
    await make().getBlobClient('r.json').undelete();
    assert.deepEqual(
      (await list(make(), { includeVersions: true, includeDeleted: true })).map((v) => v.versionId === v1),
      [false],
    );
  });
});

describe('blob data plane: permanent delete and purgeDeleted', () => {
  const permanentAccount = (role: 'owner' | 'contributor' = 'owner', allow = true): Partial<AccountInput> => ({
    blobService: { isVersioningEnabled: true, deleteRetentionPolicy: { enabled: true, days: 7, allowPermanentDelete: allow } },
    containers: [{ name: 'records', dataRole: role }],
  });

  it('deletetype=permanent removes a soft-deleted version for good, and only that', async () => {
    const records = load(permanentAccount());
    const v1 = (await upload(records, 'r.json', 'v1')).versionId!;
    await upload(records, 'r.json', 'v2');
    const early = await permanentDelete('r.json', v1);
    assert.equal(early.status, 409, early.body);
    assert.equal(early.headers['x-ms-error-code'], 'BlobSnapshotNotSoftDeleted');
    await records.getBlobClient('r.json').withVersion(v1).delete();
    const gone = await permanentDelete('r.json', v1);
    assert.equal(gone.status, 202, gone.body);
    assert.equal(gone.headers['x-ms-delete-type-permanent'], 'true');
    await records.getBlobClient('r.json').undelete();
    const left = await list(records, { includeVersions: true, includeDeleted: true });
    assert.deepEqual(
      left.map((v) => v.versionId === v1),
      [false],
    );
    assert.equal(await text(records, 'r.json'), 'v2');
  });

  it('is refused: 409 without allowPermanentDelete or without a version, 403 for a Contributor', async () => {
    let records = load(permanentAccount('owner', false));
    let v1 = (await upload(records, 'r.json', 'v1')).versionId!;
    await upload(records, 'r.json', 'v2');
    await records.getBlobClient('r.json').withVersion(v1).delete();
    const disabled = await permanentDelete('r.json', v1);
    assert.equal(disabled.status, 409);
    assert.equal(disabled.headers['x-ms-error-code'], 'PermanentDeleteNotEnabled');

    records = load(permanentAccount('owner'));
    await upload(records, 'r.json', 'v1');
    const noVersion = await permanentDelete('r.json');
    assert.equal(noVersion.status, 409);

    records = load(permanentAccount('contributor'));
    v1 = (await upload(records, 'r.json', 'v1')).versionId!;
    await upload(records, 'r.json', 'v2');
    await records.getBlobClient('r.json').withVersion(v1).delete();
    const contributor = await permanentDelete('r.json', v1);
    assert.equal(contributor.status, 403);
    assert.equal(contributor.headers['x-ms-error-code'], 'AuthorizationPermissionMismatch');
  });

  it('purgeDeleted is refused unless allowPermanentDelete is true', () => {
    assert.throws(
      () => parseScenario({ storageAccounts: [{ resourceGroup: 'rg', name: 'a', location: 'x', blobService: softDelete(7), purgeDeleted: true }] }),
      /storageAccounts\.0\.purgeDeleted: purgeDeleted needs blobService\.deleteRetentionPolicy\.allowPermanentDelete: true/,
    );
  });

  it('purgeDeleted: soft-deleted blobs and versions are gone the moment they are deleted', async () => {
    const purge = { deleteRetentionPolicy: { enabled: true, days: 7, allowPermanentDelete: true } };
    let records = load({ blobService: purge, purgeDeleted: true });
    await upload(records, 'consent.pdf', 'signed');
    await records.getBlobClient('consent.pdf').delete();
    assert.deepEqual(await list(records, { includeDeleted: true }), []);
    assert.deepEqual(await refusal(() => records.getBlobClient('consent.pdf').undelete()), { status: 404, code: 'BlobNotFound' });

    records = load({ blobService: { ...purge, isVersioningEnabled: true }, purgeDeleted: true });
    const v1 = (await upload(records, 'r.json', 'v1')).versionId!;
    await upload(records, 'r.json', 'v2');
    await records.getBlobClient('r.json').withVersion(v1).delete();
    await records.getBlobClient('r.json').undelete();
    assert.equal((await list(records, { includeVersions: true, includeDeleted: true })).length, 1);
  });
});

describe('blob data plane: authorisation and sign-in', () => {
  it('a Reader may get and list, not put, delete or undelete (403 AuthorizationPermissionMismatch); a container not listed is 404', async () => {
    load({ containers: [{ name: 'records' }, { name: 'archive', dataRole: 'reader' }, { name: 'locked', dataRole: 'none' }] });
    const service = blobService(sim, ACCOUNT);
    await upload(service.getContainerClient('records'), 'x', 'x');
    const archive = service.getContainerClient('archive');
    const denied = { status: 403, code: 'AuthorizationPermissionMismatch' };
    assert.deepEqual(await refusal(() => upload(archive, 'x', 'x')), denied);
    assert.deepEqual(await refusal(() => archive.getBlobClient('x').delete()), denied);
    assert.deepEqual(await refusal(() => archive.getBlobClient('x').undelete()), denied);
    assert.deepEqual(await list(archive), []);
    assert.deepEqual(await refusal(() => archive.getBlobClient('x').download()), { status: 404, code: 'BlobNotFound' });
    const locked = service.getContainerClient('locked');
    assert.deepEqual(await refusal(() => list(locked)), denied);
    assert.deepEqual(await refusal(() => locked.getBlobClient('x').download()), denied);
    assert.deepEqual(await refusal(() => list(service.getContainerClient('elsewhere'))), { status: 404, code: 'ContainerNotFound' });
    assert.equal(await service.getContainerClient('records').exists(), true);
    assert.equal(await service.getContainerClient('elsewhere').exists(), false);
  });

  it('answers 401 with Azure’s XML error and Bearer challenge without a storage token of this simulator', async () => {
    load();
    const armToken = (await managedIdentity(sim).getToken(`${sim.endpoint}/.default`))!.token;
    const cases: Array<[string | null, string, RegExp]> = [
      [null, 'NoAuthenticationInformation', /Server failed to authenticate the request/],
      [armToken, 'InvalidAuthenticationInfo', /Audience validation failed/],
      ['forged.token.value', 'InvalidAuthenticationInfo', /Server failed to authenticate the request/],
    ];
    for (const [token, code, message] of cases) {
      const answer = await raw('GET', '/records?restype=container&comp=list', token);
      assert.equal(answer.status, 401, code);
      assert.equal(answer.headers['x-ms-error-code'], code);
      assert.match(
        String(answer.headers['www-authenticate']),
        /^Bearer authorization_uri=https:\/\/login\.microsoftonline\.com\/[^ ]+ resource_id=https:\/\/storage\.azure\.com$/,
      );
      assert.match(answer.body, new RegExp(`^<\\?xml version="1.0" encoding="utf-8"\\?><Error><Code>${code}</Code><Message>`));
      assert.match(answer.body, message);
      assert.match(answer.body, /\nRequestId:[0-9a-f-]{36}\nTime:\d{4}-\d\d-\d\dT[\d:]+\.\d{7}Z<\/Message><\/Error>$/);
      assert.ok(answer.headers['x-ms-request-id']);
    }
    const ok = await raw('GET', '/records?restype=container&comp=list');
    assert.equal(ok.status, 200, ok.body);
    assert.match(
      ok.body,
      /^<\?xml version="1.0" encoding="utf-8"\?><EnumerationResults ServiceEndpoint="https:\/\/127\.0\.0\.1:\d+\/medicrecords\/" ContainerName="records">/,
    );
  });

  it('records every blob request (plane, path, token, status), and applies the scenario’s injections to them', async () => {
    const records = load({ containers: [{ name: 'records' }, { name: 'other' }] });
    const from = sim.requests.length;
    await upload(records, 'a.txt', 'a');
    await list(records);
    const log = sim.requests.slice(from).filter((r) => r.plane === 'blob');
    assert.deepEqual(
      log.map((r) => [r.method, r.path, r.token, r.status]),
      [
        ['PUT', `/${ACCOUNT}/records/a.txt`, 'valid', 201],
        ['GET', `/${ACCOUNT}/records`, 'valid', 200],
      ],
    );
    assert.match(log[1]!.query, /comp=list/);
    assert.equal(
      log.some((r) => r.path.includes('/other')),
      false,
    );
    sim.inject({ path: '/records/a.txt', status: 503, code: 'ServerBusy', message: 'Injected busy.', times: 1 });
    const busy = await raw('GET', '/records/a.txt');
    assert.equal(busy.status, 503);
    assert.equal(busy.headers['x-ms-error-code'], 'ServerBusy');
    assert.match(busy.body, /<Code>ServerBusy<\/Code><Message>Injected busy\./);
    assert.equal((await raw('GET', '/records/a.txt')).body, 'a', 'the injection was used up');
  });
});

describe('Resource Manager: blob service and management policy, as the data plane sees them', () => {
  const rules = [
    {
      name: 'expire-dumps',
      enabled: true,
      type: 'Lifecycle' as const,
      definition: {
        filters: { blobTypes: ['blockBlob' as const], prefixMatch: ['records/dumps/'] },
        actions: { baseBlob: { delete: { daysAfterModificationGreaterThan: 90 } }, version: { delete: { daysAfterCreationGreaterThan: 30 } } },
      },
    },
  ];

  it('serves ManagementPolicies_Get through @azure/arm-storage, and ManagementPolicyNotFound (404) without a policy', async () => {
    load({ managementPolicy: { rules } });
    const client = storageManagement(sim);
    const policy = await client.managementPolicies.get('records-rg', ACCOUNT, 'default');
    assert.equal(policy.name, 'DefaultManagementPolicy');
    assert.equal(
      policy.id,
      `/subscriptions/${sim.subscriptionId}/resourceGroups/records-rg/providers/Microsoft.Storage/storageAccounts/${ACCOUNT}/managementPolicies/default`,
    );
    assert.deepEqual(JSON.parse(JSON.stringify(policy.policy?.rules)), rules, 'the SDK reads every rule as the scenario wrote it');
    assert.ok(policy.lastModifiedTime instanceof Date);
    load();
    const missing = await refusal(() => client.managementPolicies.get('records-rg', ACCOUNT, 'default'));
    assert.deepEqual(missing, { status: 404, code: 'ManagementPolicyNotFound' });
  });

  it('returns allowPermanentDelete in BlobServices_GetServiceProperties, the setting the data plane obeys', async () => {
    load({ blobService: { isVersioningEnabled: true, deleteRetentionPolicy: { enabled: true, days: 14, allowPermanentDelete: true } } });
    const properties = await storageManagement(sim).blobServices.getServiceProperties('records-rg', ACCOUNT);
    assert.deepEqual(properties.deleteRetentionPolicy, { enabled: true, days: 14, allowPermanentDelete: true });
    assert.equal(properties.isVersioningEnabled, true);
  });
});

describe('blob data plane: listener', () => {
  it('stop() closes the blob listener too', async () => {
    const other = await startSimulator({ scenario: parseScenario({}) });
    const endpoint = other.blobEndpoint(ACCOUNT);
    const otherCa = await readFile(other.caFile, 'utf8');
    const probe = () =>
      new Promise<string>((resolve) => {
        const req = request(`${endpoint}/records?restype=container&comp=list`, { ca: otherCa, timeout: 30_000 }, (res) => {
          res.resume();
          resolve(String(res.statusCode));
        });
        req.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
        req.end();
      });
    assert.equal(await probe(), '401');
    assert.match(endpoint, /^https:\/\/127\.0\.0\.1:\d+\/medicrecords$/);
    assert.notEqual(new URL(endpoint).port, new URL(other.endpoint).port);
    await other.stop();
    assert.equal(await probe(), 'ECONNREFUSED');
  });
});
