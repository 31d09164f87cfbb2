/** restore-rto: the whole restore against selfHosted.rtoMinutes; warn over it, with each step's time as evidence. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { judgeInPlace, restoredOutcome } from '../../helpers/in-place-judge.js';

const ID = 'restore-rto';

describe(ID, () => {
  it('passes within the objective, up to exactly it', async () => {
    const o = restoredOutcome();
    const r = (await judgeInPlace(o))[ID]!;
    assert.equal(r.status, 'pass', r.message);
    assert.match(r.message, /The restore took 42 s, within the recovery time objective of 5 minutes/);
    assert.deepEqual(
      (r.evidence as { steps: { name: string }[] }).steps.map((s) => s.name),
      ['verify', 'postgres'],
    );
    o.totalSeconds = 300;
    assert.equal((await judgeInPlace(o))[ID]!.status, 'pass');
  });

  it('warns past it (the data is back; the promise was not kept)', async () => {
    const o = restoredOutcome();
    o.totalSeconds = 300.1;
    const r = (await judgeInPlace(o))[ID]!;
    assert.equal(r.status, 'warn');
    assert.match(r.message, /took 300\.1 s, over the recovery time objective of 5 minutes/);
    o.rtoMinutes = 10;
    assert.equal((await judgeInPlace(o))[ID]!.status, 'pass');
  });
});
