import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { healthy, judge } from '../../helpers/restore-judge.js';

describe('restore-* checks', () => {
  it('alembic with several heads: the same set in any order passes, a different set fails naming the difference', async () => {
    const o = healthy();
    o.source.alembic = { ok: true, value: ['f1', 'e1'] };
    o.restored!.alembic = { ok: true, value: ['e1', 'f1'] };
    assert.equal((await judge(o))['restore-alembic-match']!.status, 'pass');
    o.source.alembic = { ok: true, value: 'e1' };
    const one = (await judge(o))['restore-alembic-match']!;
    assert.equal(one.status, 'fail');
    assert.match(one.message, /not in the source: f1/);
    o.source.alembic = { ok: true, value: ['e1', 'f1'] };
    o.restored!.alembic = { ok: true, value: null };
    assert.match((await judge(o))['restore-alembic-match']!.message, /missing e1, f1/);
  });

  it('alembic mismatch fails; nothing recorded is skipped', async () => {
    const o = healthy();
    o.restored!.alembic = { ok: true, value: 'old' };
    assert.match((await judge(o))['restore-alembic-match']!.message, /at Alembic revision old; the archive metadata is at abc/);
    delete o.source.alembic;
    assert.equal((await judge(o))['restore-alembic-match']!.status, 'skipped');
  });
});
