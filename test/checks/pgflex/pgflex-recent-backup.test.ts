import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hoursAgo, run } from '../../helpers/azure-world.js';

describe('pgflex-recent-backup', () => {
  it('passes with the newest completed backup, whatever the order', async () => {
    const r = await run('pgflex-recent-backup', {});
    assert.equal(r.status, 'pass');
    assert.equal(r.evidence.latestBackupAt, hoursAgo(3));
    assert.equal(r.evidence.ageHours, 3);
    assert.equal(r.evidence.backupCount, 3);
    assert.equal(r.evidence.longTermRetentionBackups, 1);
  });
  it('fails when the newest is older than maxBackupAgeHours (from the configuration)', async () => {
    assert.equal((await run('pgflex-recent-backup', { backups: [hoursAgo(30), hoursAgo(40)] })).status, 'fail');
    const relaxed = await run('pgflex-recent-backup', { backups: [hoursAgo(30)] }, (c) => Object.assign(c.azure.postgres, { maxBackupAgeHours: 48 }));
    assert.equal(relaxed.status, 'pass');
  });
  it('fails a backup from the future (this clock 3 days behind Azure): a clock or data anomaly, never fresh', async () => {
    const r = await run('pgflex-recent-backup', { backups: [hoursAgo(30), hoursAgo(-69)] });
    assert.equal(r.status, 'fail', r.message);
    assert.match(r.message, /clock or data anomaly/);
    assert.doesNotMatch(r.message, / -\d/); // never a negative age
    assert.equal(r.evidence.ageHours, null);
    assert.equal(r.evidence.aheadHours, 69);
  });
  it('counts a backup a little ahead (within limits.clockSkewSeconds) as just made, and honours a larger skew', async () => {
    const slightly = await run('pgflex-recent-backup', { backups: [hoursAgo(-0.05)] });
    assert.equal(slightly.status, 'pass', slightly.message);
    assert.equal(slightly.evidence.ageHours, 0);
    assert.equal((await run('pgflex-recent-backup', { backups: [hoursAgo(-0.5)] })).status, 'fail');
    const relaxed = await run('pgflex-recent-backup', { backups: [hoursAgo(-0.5)] }, (c) => Object.assign(c, { limits: { clockSkewSeconds: 3600 } }));
    assert.equal(relaxed.status, 'pass', relaxed.message);
  });
  it('is an error, not a pass, when a completion time cannot be read', async () => {
    const r = await run('pgflex-recent-backup', { backups: ['yesterday'] });
    assert.equal(r.status, 'error', r.message);
    assert.match(r.message, /yesterday/);
  });
  it('fails when no backup is complete', async () => {
    const r = await run('pgflex-recent-backup', { backups: [] });
    assert.equal(r.status, 'fail');
    assert.equal(r.evidence.backupCount, 0);
  });
});
