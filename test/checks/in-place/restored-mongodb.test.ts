/**
 * restored-mongodb: its verdict on outcomes built here. Every branch of the shared judgement is tested in
 * restored-postgres.test.ts; this one proves the check reads mongodb's own result and names its member.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { judgeInPlace, restored, restoredOutcome } from '../../helpers/in-place-judge.js';

const ID = 'restored-mongodb';
const MEMBER = ['mongodb/dump.archive.gz'];

describe(ID, () => {
  it('passes on its own restored result, and fails on a difference in it alone', async () => {
    const o = restoredOutcome();
    o.components.mongodb = restored(MEMBER, { target: 'mongodb target' });
    const ok = (await judgeInPlace(o))[ID]!;
    assert.equal(ok.status, 'pass', ok.message);
    assert.match(ok.message, /^mongodb\/dump\.archive\.gz restored into mongodb target in 3\.2 s; equal to the archive's metadata: rows\./);
    o.components.mongodb = restored(MEMBER, { comparison: { restored: {}, matched: [], differences: ['mongodb differs'], notCompared: [] } });
    const results = await judgeInPlace(o);
    assert.equal(results[ID]!.status, 'fail');
    assert.match(results[ID]!.message, /mongodb differs/);
    assert.equal(results['restored-postgres']!.status, 'pass', 'another component is judged on its own result');
  });

  it('is skipped when the archive lacks it or it is not configured, and errors when the restore stopped before it', async () => {
    const o = restoredOutcome();
    o.components.mongodb = { members: MEMBER, state: 'not-in-archive', steps: [] };
    assert.equal((await judgeInPlace(o))[ID]!.status, 'skipped');
    o.components.mongodb = { members: MEMBER, state: 'not-configured', steps: [] };
    const notConfigured = (await judgeInPlace(o))[ID]!;
    assert.equal(notConfigured.status, 'skipped');
    assert.match(notConfigured.message, /selfHosted\.sources\.mongodb is not configured/);
    o.components.mongodb = { members: MEMBER, state: 'not-restored', steps: [], reason: 'not restored: postgres failed before it' };
    const stopped = (await judgeInPlace(o))[ID]!;
    assert.equal(stopped.status, 'error');
    assert.match(stopped.message, /mongodb\/dump\.archive\.gz was not restored: not restored: postgres failed before it/);
  });
});
