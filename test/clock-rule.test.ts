import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_CLOCK_SKEW_MS, futureTimestampMessage, judgeTimestamp } from '../src/clock-rule.js';

describe('the clock rule', () => {
  const now = new Date('2026-12-02T12:00:00Z');
  it('a past timestamp has its age', () => {
    assert.deepEqual(judgeTimestamp(new Date('2026-12-02T10:00:00Z'), now), { kind: 'past', ageMs: 7_200_000 });
  });
  it('a timestamp slightly ahead is "now", never a negative age', () => {
    const j = judgeTimestamp(new Date(now.getTime() + 60_000), now);
    assert.deepEqual(j, { kind: 'within-skew', ageMs: 0, aheadMs: 60_000 });
  });
  it('a timestamp beyond the skew is in the future', () => {
    const j = judgeTimestamp(new Date(now.getTime() + DEFAULT_CLOCK_SKEW_MS + 1), now);
    assert.equal(j.kind, 'future');
    assert.match(futureTimestampMessage('backup x', new Date(now.getTime() + 3 * 3_600_000), 3 * 3_600_000), /3 hours after .*clock or data anomaly/);
  });
});
