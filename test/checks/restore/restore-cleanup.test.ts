import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { healthy, judge } from '../../helpers/restore-judge.js';

describe('restore-* checks', () => {
  it('cleanup: kept is warn, a leftover fails', async () => {
    const kept = healthy();
    kept.cleanup = { status: 'kept', removed: [], leftover: ['srv-restore-1'] };
    assert.equal((await judge(kept))['restore-cleanup']!.status, 'warn');
    const left = healthy();
    left.cleanup = { status: 'failed', removed: [], leftover: ['srv-restore-1'], message: 'DELETE answered 500' };
    const r = (await judge(left))['restore-cleanup']!;
    assert.equal(r.status, 'fail');
    assert.match(r.message, /srv-restore-1 \(DELETE answered 500\)/);
  });
});
