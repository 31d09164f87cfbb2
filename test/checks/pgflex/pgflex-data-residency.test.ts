import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HEALTHY_SERVER, run, unknown } from '../../helpers/azure-world.js';

describe('pgflex-data-residency', () => {
  it('passes in the EEA with an EEA pair (display names normalised)', async () => {
    const r = await run('pgflex-data-residency', {});
    assert.equal(r.status, 'pass');
    assert.equal(r.evidence.backupRegion, 'francesouth');
  });
  it('fails outside the allowed regions, server or backup pair', async () => {
    assert.equal((await run('pgflex-data-residency', { server: { ...HEALTHY_SERVER, location: 'eastus' } })).status, 'fail');
    const pairOutside = await run('pgflex-data-residency', { server: { ...HEALTHY_SERVER, location: 'switzerlandnorth' } }, (c) =>
      Object.assign(c.azure, { allowedRegions: ['switzerlandnorth'] }),
    );
    assert.equal(pairOutside.status, 'fail');
    assert.match(pairOutside.message, /geo-redundant backups in switzerlandwest/);
  });
  it('ignores the pair when geo-redundancy is off', async () => {
    const r = await run('pgflex-data-residency', { server: { ...HEALTHY_SERVER, location: 'italynorth', geoRedundantBackup: 'Disabled' } });
    assert.equal(r.status, 'pass');
  });
  it('is an error when the pair is unknown, unless configured', async () => {
    const server = { ...HEALTHY_SERVER, location: 'polandcentral' };
    unknown(await run('pgflex-data-residency', { server }));
    const configured = await run('pgflex-data-residency', { server }, (c) => Object.assign(c.azure.postgres, { pairedRegion: 'germanywestcentral' }));
    assert.equal(configured.status, 'pass');
  });
});
