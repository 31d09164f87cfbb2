import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HEALTHY_BLOB, run } from '../../helpers/azure-world.js';

describe('blob-versioning', () => {
  it('passes when enabled', async () => assert.deepEqual((await run('blob-versioning', {})).evidence, { enabled: true }));
  it('fails when disabled', async () => assert.equal((await run('blob-versioning', { blob: { ...HEALTHY_BLOB, isVersioningEnabled: false } })).status, 'fail'));
  it('is skipped when not required', async () => {
    const r = await run('blob-versioning', { blob: { ...HEALTHY_BLOB, isVersioningEnabled: false } }, (c) =>
      Object.assign(c.azure.storage, { requireVersioning: false }),
    );
    assert.equal(r.status, 'skipped');
  });
  // A fresh account's blobServices/default leaves isVersioningEnabled out; Azure's documented default is off.
  it('fails, never configured, when Azure leaves it out', async () => {
    const r = await run('blob-versioning', { blob: { ...HEALTHY_BLOB, isVersioningEnabled: undefined } });
    assert.equal(r.status, 'fail', r.message);
    assert.deepEqual(r.evidence, { enabled: false, neverConfigured: true });
    assert.match(r.message, /never configured on storage account acct/);
    assert.doesNotMatch(r.message, /unknown/);
  });
});
