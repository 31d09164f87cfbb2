import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HEALTHY_BLOB, run, unknown } from '../../helpers/azure-world.js';

describe('blob-soft-delete', () => {
  it('passes with enough days', async () => assert.deepEqual((await run('blob-soft-delete', {})).evidence, { enabled: true, days: 14, minSoftDeleteDays: 7 }));
  it('fails when disabled or too short', async () => {
    assert.equal((await run('blob-soft-delete', { blob: { ...HEALTHY_BLOB, deleteRetentionPolicy: { enabled: false } } })).status, 'fail');
    assert.equal((await run('blob-soft-delete', { blob: { ...HEALTHY_BLOB, deleteRetentionPolicy: { enabled: true, days: 3 } } })).status, 'fail');
  });
  // Blob soft delete is off unless someone turns it on (the portal does so explicitly at creation, and then it is returned).
  it('fails, never configured, when Azure leaves the policy out', async () => {
    const r = await run('blob-soft-delete', { blob: { ...HEALTHY_BLOB, deleteRetentionPolicy: undefined } });
    assert.equal(r.status, 'fail', r.message);
    assert.deepEqual(r.evidence, { enabled: false, days: null, minSoftDeleteDays: 7, neverConfigured: true });
    assert.match(r.message, /never configured on storage account acct/);
  });
  it('is an error when the policy does not say whether it is enabled, or an enabled one has no days', async () => {
    unknown(await run('blob-soft-delete', { blob: { ...HEALTHY_BLOB, deleteRetentionPolicy: { days: 14 } } }));
    unknown(await run('blob-soft-delete', { blob: { ...HEALTHY_BLOB, deleteRetentionPolicy: { enabled: true } } }));
  });
});
