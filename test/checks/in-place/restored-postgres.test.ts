/**
 * restored-postgres, and with it every branch of the restored-* factory (in-place-component-texts.ts): skipped when
 * the archive lacks the member or the source is not configured, error when the restore stopped before it or could not
 * tell, fail when the content did not restore or differs, warn when something was not compared, pass otherwise.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { judgeInPlace, restored, restoredOutcome } from '../../helpers/in-place-judge.js';

const ID = 'restored-postgres';
const MEMBER = ['postgres_full.sql.gz'];

describe(ID, () => {
  it('passes when everything compared is equal, naming what matched', async () => {
    const r = (await judgeInPlace(restoredOutcome()))[ID]!;
    assert.equal(r.status, 'pass', r.message);
    assert.match(
      r.message,
      /postgres_full\.sql\.gz restored into database medicapp on db:5432 in 3\.2 s; equal to the archive's metadata: alembic_revision, row_counts patients/,
    );
    assert.deepEqual((r.evidence as { matched: string[] }).matched, ['alembic_revision', 'row_counts patients']);
    assert.equal((r.evidence as { state: string }).state, 'restored');
  });

  it('fails when the target differs from the metadata, naming the differences', async () => {
    const o = restoredOutcome();
    o.components.postgres = restored(MEMBER, {
      comparison: { restored: {}, matched: ['alembic_revision'], differences: ['row_counts patients: 12 restored, 300 recorded'], notCompared: [] },
    });
    const r = (await judgeInPlace(o))[ID]!;
    assert.equal(r.status, 'fail');
    assert.match(r.message, /now differs from the archive's metadata: row_counts patients: 12 restored, 300 recorded/);
  });

  it('warns when something was not compared, and when nothing matched at all (never a silent pass)', async () => {
    const o = restoredOutcome();
    o.components.postgres = restored(MEMBER, {
      comparison: { restored: {}, matched: ['alembic_revision'], differences: [], notCompared: ['row counts (the metadata records none)'] },
    });
    const partly = (await judgeInPlace(o))[ID]!;
    assert.equal(partly.status, 'warn');
    assert.match(partly.message, /not compared with anything for: row counts \(the metadata records none\)/);
    o.components.postgres = restored(MEMBER, { comparison: { restored: {}, matched: [], differences: [], notCompared: [] } });
    const nothing = (await judgeInPlace(o))[ID]!;
    assert.equal(nothing.status, 'warn');
    assert.match(nothing.message, /not compared with anything for: its content/);
  });

  it('fails when the content did not restore (RestoreFailedError), and errors when it could not tell', async () => {
    const o = restoredOutcome();
    o.components.postgres = {
      members: MEMBER,
      state: 'failed',
      steps: [],
      failure: { kind: 'restore-failed', message: 'psql stopped at line 42: relation "x" does not exist', hint: 'fix the dump' },
    };
    const failed = (await judgeInPlace(o))[ID]!;
    assert.equal(failed.status, 'fail');
    assert.match(failed.message, /postgres_full\.sql\.gz did not restore: psql stopped at line 42/);
    assert.equal((failed.evidence as { failure: { kind: string } }).failure.kind, 'restore-failed');
    o.components.postgres = { members: MEMBER, state: 'failed', steps: [], failure: { kind: 'unreachable', message: 'connection refused', hint: 'start it' } };
    const unreachable = (await judgeInPlace(o))[ID]!;
    assert.equal(unreachable.status, 'error');
    assert.match(unreachable.message, /connection refused/);
  });

  it('errors when the restore stopped before it: it was meant to be restored', async () => {
    const o = restoredOutcome();
    o.components.postgres = { members: MEMBER, state: 'not-restored', steps: [], reason: 'interrupted (Ctrl-C) before it was restored: it keeps its data' };
    const r = (await judgeInPlace(o))[ID]!;
    assert.equal(r.status, 'error');
    assert.match(r.message, /postgres_full\.sql\.gz was not restored: interrupted \(Ctrl-C\)/);
  });

  it('is skipped when not configured, not in the archive, or neither', async () => {
    const o = restoredOutcome();
    o.components.postgres = { members: MEMBER, state: 'not-configured', steps: [] };
    const notConfigured = (await judgeInPlace(o))[ID]!;
    assert.equal(notConfigured.status, 'skipped');
    assert.match(notConfigured.message, /selfHosted\.sources\.postgres is not configured: not restored/);
    o.components.postgres = { members: MEMBER, state: 'not-in-archive', steps: [] };
    const absent = (await judgeInPlace(o))[ID]!;
    assert.equal(absent.status, 'skipped');
    assert.match(absent.message, /The archive holds no postgres_full\.sql\.gz: postgres was not restored and keeps its current data/);
    delete o.components.postgres;
    assert.equal((await judgeInPlace(o))[ID]!.status, 'skipped');
  });
});
