/**
 * restored-redis: its verdict on outcomes built here. Every branch of the shared judgement is tested in
 * restored-postgres.test.ts; this one proves the check reads redis's own result and names its member.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { judgeInPlace, restored, restoredOutcome } from '../../helpers/in-place-judge.js';

const ID = 'restored-redis';
const MEMBER = ['redis_dump.rdb'];

describe(ID, () => {
  it('passes on its own restored result, and fails on a difference in it alone', async () => {
    const o = restoredOutcome();
    o.components.redis = restored(MEMBER, { target: 'redis target' });
    const ok = (await judgeInPlace(o))[ID]!;
    assert.equal(ok.status, 'pass', ok.message);
    assert.match(ok.message, /^redis_dump\.rdb restored into redis target in 3\.2 s; equal to the archive's metadata: rows\./);
    o.components.redis = restored(MEMBER, { comparison: { restored: {}, matched: [], differences: ['redis differs'], notCompared: [] } });
    const results = await judgeInPlace(o);
    assert.equal(results[ID]!.status, 'fail');
    assert.match(results[ID]!.message, /redis differs/);
    assert.equal(results['restored-postgres']!.status, 'pass', 'another component is judged on its own result');
  });

  it('is skipped when the archive lacks it or it is not configured, and errors when the restore stopped before it', async () => {
    const o = restoredOutcome();
    o.components.redis = { members: MEMBER, state: 'not-in-archive', steps: [] };
    assert.equal((await judgeInPlace(o))[ID]!.status, 'skipped');
    o.components.redis = { members: MEMBER, state: 'not-configured', steps: [] };
    const notConfigured = (await judgeInPlace(o))[ID]!;
    assert.equal(notConfigured.status, 'skipped');
    assert.match(notConfigured.message, /selfHosted\.sources\.redis is not configured/);
    o.components.redis = { members: MEMBER, state: 'not-restored', steps: [], reason: 'not restored: postgres failed before it' };
    const stopped = (await judgeInPlace(o))[ID]!;
    assert.equal(stopped.status, 'error');
    assert.match(stopped.message, /redis_dump\.rdb was not restored: not restored: postgres failed before it/);
  });
});
