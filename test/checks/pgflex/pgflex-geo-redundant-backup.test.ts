import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HEALTHY_SERVER, run, unknown } from '../../helpers/azure-world.js';

describe('pgflex-geo-redundant-backup', () => {
  it('passes when Enabled', async () => assert.equal((await run('pgflex-geo-redundant-backup', {})).status, 'pass'));
  it('fails when Disabled, saying it is chosen at creation', async () => {
    const r = await run('pgflex-geo-redundant-backup', { server: { ...HEALTHY_SERVER, geoRedundantBackup: 'Disabled' } });
    assert.equal(r.status, 'fail');
    assert.match(r.remediation, /only be chosen when a server is created/);
  });
  it('is skipped when not required', async () => {
    const r = await run('pgflex-geo-redundant-backup', { server: { ...HEALTHY_SERVER, geoRedundantBackup: 'Disabled' } }, (c) =>
      Object.assign(c.azure.postgres, { requireGeoRedundantBackup: false }),
    );
    assert.equal(r.status, 'skipped');
  });
  it('is an error when not returned or unrecognised', async () => {
    unknown(await run('pgflex-geo-redundant-backup', { server: { ...HEALTHY_SERVER, geoRedundantBackup: undefined } }));
    assert.equal((await run('pgflex-geo-redundant-backup', { server: { ...HEALTHY_SERVER, geoRedundantBackup: 'Maybe' } })).status, 'error');
  });
});
