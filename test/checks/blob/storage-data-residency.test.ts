import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HEALTHY_ACCOUNT, run, unknown } from '../../helpers/azure-world.js';

describe('storage-data-residency', () => {
  it('passes with both locations allowed', async () => assert.equal((await run('storage-data-residency', {})).status, 'pass'));
  it('passes for a locally redundant account without a secondary', async () => {
    assert.equal((await run('storage-data-residency', { account: { primaryLocation: 'westeurope', skuName: 'Standard_ZRS' } })).status, 'pass');
  });
  it('fails when a location is outside', async () => {
    const r = await run('storage-data-residency', { account: { ...HEALTHY_ACCOUNT, secondaryLocation: 'ukwest' } });
    assert.equal(r.status, 'fail');
    assert.match(r.message, /secondary location ukwest/);
  });
  it('is an error when a geo-replicated account has no secondary, or nothing is returned', async () => {
    unknown(await run('storage-data-residency', { account: { primaryLocation: 'francecentral', skuName: 'Standard_RAGRS' } }));
    unknown(await run('storage-data-residency', { account: {} }));
  });
});
