import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { healthy, judge } from '../../helpers/restore-judge.js';

describe('restore-* checks', () => {
  it('row counts: tolerance in percent, exact past 2^53, a missing table fails', async () => {
    const o = healthy();
    o.limits.rowCountTolerancePercent = 1;
    o.restored!.counts = { ok: true, value: { patients: 990n, documents: 10n } };
    assert.equal((await judge(o))['restore-row-counts-match']!.status, 'pass');
    o.restored!.counts = { ok: true, value: { patients: 989n, documents: 10n } };
    assert.equal((await judge(o))['restore-row-counts-match']!.status, 'fail');
    const big = healthy();
    big.source.counts = { ok: true, value: { events: 9007199254740993n } };
    big.restored!.counts = { ok: true, value: { events: 9007199254740992n } };
    const r = (await judge(big))['restore-row-counts-match']!;
    assert.equal(r.status, 'fail', 'one row off past 2^53 is still a difference at 0%');
    assert.deepEqual(r.evidence.source, { events: '9007199254740993' });
    const missing = healthy();
    missing.restored!.counts = { ok: true, value: { patients: 1000n, documents: null } };
    assert.match((await judge(missing))['restore-row-counts-match']!.message, /"documents" is missing from the restore/);
  });
});
