import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { localizedMessage, localizedRemediation } from '../../../src/checks/localize.js';
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

  // Issue 13: the fix offered must work in the observed state. A geo-restore needs geo-redundant backup and goes to the paired
  // region only; a point-in-time restore stays in the server's region.
  it('offers no geo-restore for a server without geo-redundant backup: a read replica in an allowed region, with the real names', async () => {
    const r = await run('pgflex-data-residency', { server: { ...HEALTHY_SERVER, location: 'eastus', geoRedundantBackup: 'Disabled' } });
    assert.equal(r.status, 'fail');
    assert.doesNotMatch(r.remediation, /geo-restore -g/);
    assert.match(r.remediation, /`az postgres flexible-server replica create -g rg --source-server db --replica-name <new-server> --location francecentral`/);
    assert.match(r.remediation, /`az postgres flexible-server replica promote -g rg -n <new-server> --promote-mode standalone`/);
    assert.doesNotMatch(r.remediation, /\bRG\b|\bSERVER\b|<resource-group>|<server>/);
    assert.equal(r.remediationKey, 'pgflex-data-residency/fixReplica');
    const fr = localizedRemediation(r, 'fr');
    assert.match(fr, /^Déplacer le serveur dans une région autorisée\./);
    assert.match(fr, /`az postgres flexible-server replica create -g rg --source-server db --replica-name <new-server> --location francecentral`/);
  });
  it('offers a geo-restore into the paired region when geo-redundant backup is on and the pair is allowed', async () => {
    // A server outside the allowed regions whose pair is allowed (allowedRegions names only the pair).
    const r = await run('pgflex-data-residency', { server: { ...HEALTHY_SERVER, location: 'switzerlandnorth' } }, (c) =>
      Object.assign(c.azure, { allowedRegions: ['switzerlandwest'] }),
    );
    assert.equal(r.status, 'fail');
    assert.match(r.remediation, /`az postgres flexible-server geo-restore -g rg -n <new-server> --source-server db --location switzerlandwest`/);
  });
  it('names the backup pair as the problem when only the geo-redundant backups are outside', async () => {
    const r = await run('pgflex-data-residency', { server: { ...HEALTHY_SERVER, location: 'switzerlandnorth' } }, (c) =>
      Object.assign(c.azure, { allowedRegions: ['switzerlandnorth'] }),
    );
    assert.equal(r.status, 'fail');
    assert.match(r.remediation, /go to switzerlandwest/);
    assert.match(r.remediation, /`az postgres flexible-server restore -g rg -n <new-server> --source-server db --geo-redundant-backup Disabled`/);
    assert.match(
      localizedMessage(r, 'fr'),
      /^Flexible Server db : sauvegardes géo-redondantes en switzerlandwest, hors des régions autorisées \(switzerlandnorth\)\.$/,
    );
  });
  it('keeps the general remediation, names filled in, when it passes', async () => {
    const r = await run('pgflex-data-residency', {});
    assert.equal(r.remediationKey, undefined);
    assert.match(r.remediation, /geo-restore -g rg -n <new-server> --source-server db --location <paired-region>/);
    assert.deepEqual(r.remediationParams, { 'resource-group': 'rg', server: 'db', days: 30 });
  });
});
