import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HEALTHY_BLOB, run, unknown } from '../../helpers/azure-world.js';

describe('blob-versioning', () => {
  it('passes when enabled', async () => assert.deepEqual((await run('blob-versioning', {})).evidence, { enabled: true }));
  it('fails when disabled', async () => assert.equal((await run('blob-versioning', { blob: { ...HEALTHY_BLOB, isVersioningEnabled: false } })).status, 'fail'));
  it('is skipped when not required', async () => {
    const r = await run('blob-versioning', { blob: { ...HEALTHY_BLOB, isVersioningEnabled: false } }, (c) =>
      Object.assign(c.azure.storage, { requireVersioning: false }),
    );
    assert.equal(r.status, 'skipped');
  });
  it('is an error when not returned', async () => unknown(await run('blob-versioning', { blob: { ...HEALTHY_BLOB, isVersioningEnabled: undefined } })));
});
