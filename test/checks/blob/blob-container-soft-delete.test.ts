import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HEALTHY_BLOB, run, unknown } from '../../helpers/azure-world.js';

describe('blob-container-soft-delete', () => {
  it('passes when enabled', async () => assert.equal((await run('blob-container-soft-delete', {})).status, 'pass'));
  it('fails when disabled', async () =>
    assert.equal((await run('blob-container-soft-delete', { blob: { ...HEALTHY_BLOB, containerDeleteRetentionPolicy: { enabled: false } } })).status, 'fail'));
  it('is an error when not returned', async () =>
    unknown(await run('blob-container-soft-delete', { blob: { ...HEALTHY_BLOB, containerDeleteRetentionPolicy: undefined } })));
});
