import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HEALTHY_BLOB, run, unknown } from '../../helpers/azure-world.js';

describe('blob-soft-delete', () => {
  it('passes with enough days', async () => assert.deepEqual((await run('blob-soft-delete', {})).evidence, { enabled: true, days: 14, minSoftDeleteDays: 7 }));
  it('fails when disabled or too short', async () => {
    assert.equal((await run('blob-soft-delete', { blob: { ...HEALTHY_BLOB, deleteRetentionPolicy: { enabled: false } } })).status, 'fail');
    assert.equal((await run('blob-soft-delete', { blob: { ...HEALTHY_BLOB, deleteRetentionPolicy: { enabled: true, days: 3 } } })).status, 'fail');
  });
  it('is an error when not returned', async () => {
    unknown(await run('blob-soft-delete', { blob: { ...HEALTHY_BLOB, deleteRetentionPolicy: undefined } }));
    unknown(await run('blob-soft-delete', { blob: { ...HEALTHY_BLOB, deleteRetentionPolicy: { enabled: true } } }));
  });
});
