import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EvaluationError } from '../../../src/errors.js';
import { HEALTHY_SERVER, hoursAgo, run } from '../../helpers/azure-world.js';

describe('pgflex-recent-backup', () => {
  it('passes with the newest completed backup, whatever the order', async () => {
    const r = await run('pgflex-recent-backup', {});
    assert.equal(r.status, 'pass');
    assert.equal(r.evidence.latestBackupAt, hoursAgo(3));
    assert.equal(r.evidence.ageHours, 3);
    assert.equal(r.evidence.backupCount, 3);
    assert.equal(r.evidence.longTermRetentionBackups, 1);
  });
  // Issue 12: this test used to fail any newest backup older than maxBackupAgeHours, on the healthy server (a full 35-day
  // restore window). That is a quiet database (Azure suspends snapshots while nothing changes): see the tests below.
  it('fails when the newest is older than maxBackupAgeHours and the restore window does not reach back (from the configuration)', async () => {
    const stopped = { earliestRestoreDate: hoursAgo(3 * 24) };
    const r = await run('pgflex-recent-backup', { backups: [hoursAgo(30), hoursAgo(40)], server: { ...HEALTHY_SERVER, ...stopped } });
    assert.equal(r.status, 'fail', r.message);
    assert.match(
      r.message,
      /is 30 h old .*, more than 26 h, and its point-in-time restore window reaches back 3 days .*less than its 35-day retention less 1 day\(s\) of slack: backups look stopped/,
    );
    assert.equal(r.evidence.quietDatabase, false);
    assert.equal(r.evidence.restoreWindowDays, 3);
    const relaxed = await run('pgflex-recent-backup', { backups: [hoursAgo(30)] }, (c) => Object.assign(c.azure.postgres, { maxBackupAgeHours: 48 }));
    assert.equal(relaxed.status, 'pass');
  });
  it('warns, never fails, a quiet database: an old snapshot while the restore window still reaches back the retention', async () => {
    const r = await run('pgflex-recent-backup', { backups: [hoursAgo(30), hoursAgo(54)] });
    assert.equal(r.status, 'warn', r.message);
    assert.match(r.message, /is 30 h old .*, more than 26 h, but its point-in-time restore window reaches back 35 days \(earliestRestoreDate /);
    assert.match(r.message, /consistent with Azure suspending snapshots while nothing changes \(a quiet database\), not with stopped backups/);
    assert.equal(r.evidence.quietDatabase, true);
    assert.equal(r.evidence.restoreWindowDays, 35);
    assert.equal(r.evidence.backupRetentionDays, 35);
    assert.equal(r.evidence.requiredWindowDays, 34);
    assert.match(String(r.evidence.reasoning), /Azure suspends the daily snapshot while no database changes/);
    assert.equal(r.evidence.ageHours, 30, 'the contract keys are kept');
    // However long nothing changed: the snapshot needed for the window is kept (Microsoft), so the window still decides.
    const weeks = await run('pgflex-recent-backup', { backups: [hoursAgo(40 * 24)] });
    assert.equal(weeks.status, 'warn', weeks.message);
  });

  it("judges the window by the server's own retention (whether backups continue, not whether the retention is enough)", async () => {
    const week = { ...HEALTHY_SERVER, backupRetentionDays: 7, earliestRestoreDate: hoursAgo(7 * 24) };
    const quiet = await run('pgflex-recent-backup', { backups: [hoursAgo(30)], server: week }, (c) =>
      Object.assign(c.azure.postgres, { minRetentionDays: 30 }),
    );
    assert.equal(quiet.status, 'warn', quiet.message);
    const short = await run('pgflex-recent-backup', { backups: [hoursAgo(30)], server: { ...week, earliestRestoreDate: hoursAgo(5 * 24) } });
    assert.equal(short.status, 'fail', short.message);
    assert.equal(short.evidence.requiredWindowDays, 6);
  });

  it('fails an old snapshot when Azure gives no earliest restore point, a future one, or the server cannot be read', async () => {
    const { earliestRestoreDate: _gone, ...noWindow } = HEALTHY_SERVER;
    const none = await run('pgflex-recent-backup', { backups: [hoursAgo(30)], server: noWindow });
    assert.equal(none.status, 'fail', none.message);
    assert.match(none.message, /Azure gives no earliest restore point for it: backups look stopped/);
    assert.equal(none.evidence.earliestRestoreDate, null);
    const future = await run('pgflex-recent-backup', { backups: [hoursAgo(30)], server: { ...HEALTHY_SERVER, earliestRestoreDate: hoursAgo(-48) } });
    assert.equal(future.status, 'fail', future.message);
    assert.match(future.message, /in the future/);
    const denied = new EvaluationError('permission', '403 on flexibleServers/db', 'needs Reader');
    const unread = await run('pgflex-recent-backup', { backups: [hoursAgo(30)], server: denied });
    assert.equal(unread.status, 'fail', unread.message);
    assert.match(unread.message, /its restore window could not be read/);
    assert.match(String(unread.evidence.restoreWindowUnavailable), /403 on flexibleServers\/db/);
  });

  it('reads the server only for an old snapshot: a recent one passes whatever the restore window', async () => {
    const r = await run('pgflex-recent-backup', { server: new EvaluationError('permission', '403', 'h') });
    assert.equal(r.status, 'pass', r.message);
    assert.equal(r.evidence.quietDatabase, undefined);
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
