import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HEALTHY_BLOB, run, unknown } from '../../helpers/azure-world.js';

describe('blob-container-soft-delete', () => {
  it('passes when enabled', async () => assert.equal((await run('blob-container-soft-delete', {})).status, 'pass'));
  it('fails when disabled', async () =>
    assert.equal((await run('blob-container-soft-delete', { blob: { ...HEALTHY_BLOB, containerDeleteRetentionPolicy: { enabled: false } } })).status, 'fail'));
  // A fresh account's blobServices/default leaves containerDeleteRetentionPolicy out; Azure's documented default is off.
  it('fails, never configured, when Azure leaves the policy out', async () => {
    const r = await run('blob-container-soft-delete', { blob: { ...HEALTHY_BLOB, containerDeleteRetentionPolicy: undefined } });
    assert.equal(r.status, 'fail', r.message);
    assert.deepEqual(r.evidence, { enabled: false, days: null, neverConfigured: true });
    assert.match(r.message, /never configured on storage account acct/);
  });
  it('is an error when the policy is there but does not say whether it is enabled', async () =>
    unknown(await run('blob-container-soft-delete', { blob: { ...HEALTHY_BLOB, containerDeleteRetentionPolicy: { days: 7 } } })));
});
