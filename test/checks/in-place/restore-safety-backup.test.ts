/** restore-safety-backup: pass with the safety archive named and the undo command; warn when none was taken. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { judgeInPlace, restoredOutcome } from '../../helpers/in-place-judge.js';

const ID = 'restore-safety-backup';

describe(ID, () => {
  it('passes when it was taken, naming the archive, its size, how long it is kept and how to undo', async () => {
    const r = (await judgeInPlace(restoredOutcome()))[ID]!;
    assert.equal(r.status, 'pass', r.message);
    assert.match(
      r.message,
      /taken first: medicapp-safety_production_20261203_101500\.tar\.gz \(2\.5 MB, 4\.1 s\), kept 30 days\. To undo: restorecheck restore --config c\.yaml/,
    );
    const evidence = r.evidence as { taken: boolean; sha256: string; undo: string };
    assert.equal(evidence.taken, true);
    assert.equal(evidence.sha256, 'b'.repeat(64));
    assert.match(evidence.undo, /medicapp-safety_production_20261203_101500\.tar\.gz$/);
  });

  it('warns with --no-safety-backup: what was overwritten cannot be put back', async () => {
    const o = restoredOutcome();
    o.safetyBackup = { state: 'skipped', why: '--no-safety-backup' };
    delete o.undoCommand;
    const r = (await judgeInPlace(o))[ID]!;
    assert.equal(r.status, 'warn');
    assert.match(r.message, /No safety backup was taken \(--no-safety-backup\): what the restore overwrote cannot be put back/);
    assert.deepEqual(r.evidence, { taken: false, why: '--no-safety-backup' });
  });
});
