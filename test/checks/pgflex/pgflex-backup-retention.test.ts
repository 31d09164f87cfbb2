import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HEALTHY_SERVER, run, unknown } from '../../helpers/azure-world.js';

describe('pgflex-backup-retention', () => {
  it('passes at or above the configured minimum', async () => {
    const r = await run('pgflex-backup-retention', {});
    assert.equal(r.status, 'pass');
    assert.deepEqual(r.evidence, { backupRetentionDays: 35, minRetentionDays: 30 });
  });
  it('fails below it, and the minimum comes from the configuration', async () => {
    assert.equal((await run('pgflex-backup-retention', { server: { ...HEALTHY_SERVER, backupRetentionDays: 14 } })).status, 'fail');
    const relaxed = await run('pgflex-backup-retention', { server: { ...HEALTHY_SERVER, backupRetentionDays: 14 } }, (c) =>
      Object.assign(c.azure.postgres, { minRetentionDays: 14 }),
    );
    assert.equal(relaxed.status, 'pass');
  });
  it('is an error when not returned', async () =>
    unknown(await run('pgflex-backup-retention', { server: { ...HEALTHY_SERVER, backupRetentionDays: undefined } })));
});

describe('pgflex-backup-retention remediation', () => {
  it('fills in the names and days, and offers no --backup-retention beyond what Azure allows (35 days)', async () => {
    const short = await run('pgflex-backup-retention', { server: { ...HEALTHY_SERVER, backupRetentionDays: 7 } });
    assert.match(short.remediation, /`az postgres flexible-server update -g rg -n db --backup-retention 30`/);
    const beyond = await run('pgflex-backup-retention', { server: { ...HEALTHY_SERVER, backupRetentionDays: 35 } }, (c) =>
      Object.assign(c.azure.postgres, { minRetentionDays: 90 }),
    );
    assert.equal(beyond.status, 'fail');
    assert.doesNotMatch(beyond.remediation, /--backup-retention 90/);
    assert.match(beyond.remediation, /--backup-retention 35`\) and keep older backups with long-term retention/);
  });
});
