import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RestoreOutcome } from '../../../src/restore/outcome.js';
import { healthy, judge } from '../../helpers/restore-judge.js';

describe('restore-* checks', () => {
  it('a backup that does not restore fails; a restore we could not run is error', async () => {
    const bad = {
      ...healthy(),
      provision: { ok: false as const, failure: { kind: 'restore-failed' as const, message: 'the point-in-time restore ended Failed', hint: 'h' } },
    };
    delete (bad as Partial<RestoreOutcome>).restored;
    const r = await judge(bad);
    assert.equal(r['restore-provision']!.status, 'fail');
    assert.equal(r['restore-row-counts-match']!.status, 'error', 'nothing restored: cannot be evaluated, never pass');
    const denied = {
      ...bad,
      provision: { ok: false as const, failure: { kind: 'permission' as const, message: '403 on servers', hint: 'needs Contributor', requestId: 'r-1' } },
    };
    const d = await judge(denied);
    assert.equal(d['restore-provision']!.status, 'error');
    assert.equal(d['restore-provision']!.requestId, 'r-1');
  });

  it('RTO from the configuration', async () => {
    const o = healthy();
    o.limits.rtoMinutes = 0.5;
    assert.match((await judge(o))['restore-provision']!.message, /more than the RTO of 0\.5 min/);
  });

  // Issue 12: this test used to expect `fail` from lagMinutes 12 > rpoMinutes 5. lagMinutes is how far before the request
  // restorecheck itself chose the point in time: it measures nothing about the data, so it is no longer judged as the RPO.
  it('never judges the RPO by lagMinutes (the point in time restorecheck chose): without a freshness query it is not measured', async () => {
    const p = healthy();
    p.limits.rpoMinutes = 5;
    p.provision = { ok: true, value: { restoreSeconds: 10, restorePoint: '2026-11-21T03:00:00.000Z', details: { lagMinutes: 12 } } };
    const r = (await judge(p))['restore-provision']!;
    assert.equal(r.status, 'warn', r.message);
    assert.match(r.message, /the RPO of 5 min could not be measured: no restoreTest\.freshnessQuery is configured \(set restoreTest\.freshnessQuery/);
    assert.equal(r.evidence.lagMinutes, 12, 'the old evidence is kept');
    assert.equal(r.evidence.rpoMeasured, false);
    assert.equal(r.evidence.rpoMinutes, 5);
    assert.match(String(r.evidence.rpoNotMeasured), /^The RPO was not measured: no restoreTest\.freshnessQuery/);
    assert.equal(r.evidence.measuredRpoMinutes, undefined);
  });

  it('without rpoMinutes nor a query: the RTO verdict stands, and the message says the RPO was not measured, never that it passed', async () => {
    const r = (await judge(healthy()))['restore-provision']!;
    assert.equal(r.status, 'pass', r.message);
    assert.match(r.message, /; the RPO was not measured \(no restoreTest\.freshnessQuery\)\.$/);
    assert.equal(r.evidence.rpoMeasured, false);
  });

  type Freshness = NonNullable<NonNullable<RestoreOutcome['restored']>['freshness']>;
  const withNewestRow = (freshness: Freshness, rpoMinutes?: number) => {
    const o = healthy();
    if (rpoMinutes !== undefined) o.limits.rpoMinutes = rpoMinutes;
    o.restored!.freshness = freshness;
    return o;
  };
  const query = 'SELECT max(created_at) FROM appointments';
  const row = (at: string | null) => ({ query, newestRowAt: { ok: true as const, value: at } });

  it('measures the RPO as the newest row of restoreTest.freshnessQuery before the restore point, and fails past rpoMinutes', async () => {
    // healthy(): restore point 2026-11-21T03:00:00.000Z; the newest restored row 12 minutes earlier.
    const late = (await judge(withNewestRow(row('2026-11-21T02:48:00.000Z'), 5)))['restore-provision']!;
    assert.equal(late.status, 'fail', late.message);
    assert.match(late.message, /is from 2026-11-21T02:48:00\.000Z, 12\.0 min before the restore point 2026-11-21T03:00:00\.000Z: more than the RPO of 5 min/);
    assert.equal(late.evidence.measuredRpoMinutes, 12);
    assert.equal(late.evidence.rpoMeasured, true);
    assert.equal(late.evidence.freshnessQuery, query);
    assert.equal(late.evidence.newestRowAt, '2026-11-21T02:48:00.000Z');

    const within = (await judge(withNewestRow(row('2026-11-21T02:48:00.000Z'), 15)))['restore-provision']!;
    assert.equal(within.status, 'pass', within.message);
    assert.match(within.message, /the newest restored row is 12\.0 min older than the restore point, within the RPO of 15 min\.$/);

    const noLimit = (await judge(withNewestRow(row('2026-11-21T02:48:00.000Z'))))['restore-provision']!;
    assert.equal(noLimit.status, 'pass', noLimit.message);
    assert.match(noLimit.message, /no restoreTest\.rpoMinutes to judge it against/);
    assert.equal(noLimit.evidence.measuredRpoMinutes, 12);
  });

  it('a freshness query that fails or finds no row leaves the RPO not measured, with the reason: warn, never a pass', async () => {
    const failed = withNewestRow(
      { query, newestRowAt: { ok: false, failure: { kind: 'query', message: 'relation "appointments" does not exist', hint: 'h' } } },
      5,
    );
    const f = (await judge(failed))['restore-provision']!;
    assert.equal(f.status, 'warn', f.message);
    assert.match(f.message, /the RPO of 5 min could not be measured: the freshness query failed on the restored database: relation "appointments"/);
    assert.match(String(f.evidence.rpoNotMeasured), /relation "appointments" does not exist/);
    assert.equal(f.evidence.rpoMeasured, false);

    const empty = (await judge(withNewestRow(row(null))))['restore-provision']!;
    assert.equal(empty.status, 'warn', 'a query configured but not answered is not a pass, even without rpoMinutes');
    assert.match(empty.message, /the RPO could not be measured: the freshness query returned no row/);

    const noPoint = withNewestRow(row('2026-11-21T02:48:00.000Z'), 5);
    noPoint.provision = { ok: true, value: { restoreSeconds: 10, restorePoint: null, details: {} } };
    const n = (await judge(noPoint))['restore-provision']!;
    assert.equal(n.status, 'warn');
    assert.match(n.message, /the restore point is not known/);
  });

  it('a newest row after the restore point is a clock or data anomaly (not measured), unless within limits.clockSkewSeconds', async () => {
    const ahead = (await judge(withNewestRow(row('2026-11-21T04:00:00.000Z'), 5)))['restore-provision']!;
    assert.equal(ahead.status, 'warn', ahead.message);
    assert.match(ahead.message, /is 60\.0 min after the restore point .*clock or data anomaly/);
    assert.equal(ahead.evidence.measuredRpoMinutes, undefined);
    const skew = (await judge(withNewestRow(row('2026-11-21T03:02:00.000Z'), 5)))['restore-provision']!;
    assert.equal(skew.status, 'pass', skew.message);
    assert.equal(skew.evidence.measuredRpoMinutes, 0);
  });

  it('the RTO is judged first; the RPO evidence is there all the same', async () => {
    const o = withNewestRow(row('2026-11-21T02:00:00.000Z'), 5);
    o.limits.rtoMinutes = 0.5;
    const r = (await judge(o))['restore-provision']!;
    assert.equal(r.status, 'fail');
    assert.match(r.message, /more than the RTO/);
    assert.equal(r.evidence.measuredRpoMinutes, 60);
  });
});
