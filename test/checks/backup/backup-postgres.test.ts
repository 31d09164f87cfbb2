import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backupOutcome, judgeBackup } from '../../helpers/backup-judge.js';

const sources = { postgres: { url: 'postgres://backup:secret-pw-123@db.internal:5432/medicapp' } };

describe('backup-postgres', () => {
  it('passes with the member, the tool and the counts of the dump', async () => {
    const outcome = backupOutcome(['postgres']);
    outcome.components[0]!.facts = { row_counts: { patients: 200, documents: 20 }, alembic_revision: '4b2d9c1e7f00' };
    const r = (await judgeBackup(outcome, sources))['backup-postgres']!;
    assert.equal(r.status, 'pass');
    assert.match(r.message, /postgres\.member \(2\.0 KB\) written from postgres:\/\/backup@db\.internal with postgres-tool 1\.0 in 1\.5 s/);
    assert.match(r.message, /Alembic revision 4b2d9c1e7f00; rows: patients 200, documents 20/);
    assert.deepEqual(r.evidence?.row_counts, { patients: 200, documents: 20 });
  });

  it('warns when a configured core table is not in the database', async () => {
    const outcome = backupOutcome(['postgres']);
    outcome.components[0]!.facts = { row_counts: {}, missing_tables: ['patients'] };
    const r = (await judgeBackup(outcome, sources))['backup-postgres']!;
    assert.equal(r.status, 'warn');
    assert.match(r.message, /patients do not exist/);
  });

  it('is error (never pass) when the dump failed or never ran', async () => {
    const failed = backupOutcome(['postgres']);
    failed.components[0] = {
      ...failed.components[0]!,
      status: 'failed',
      members: [],
      failure: { kind: 'auth', message: 'postgres: pg_dump exited with code 1: password authentication failed', hint: 'check the password' },
    };
    const r = (await judgeBackup(failed, sources))['backup-postgres']!;
    assert.equal(r.status, 'error');
    assert.match(r.message, /password authentication failed/);
    assert.equal(r.hint, 'check the password');

    const notRun = backupOutcome(['postgres']);
    notRun.components[0] = { ...notRun.components[0]!, status: 'not-run', members: [] };
    assert.equal((await judgeBackup(notRun, sources))['backup-postgres']!.status, 'error');
  });

  it('is skipped when selfHosted.sources.postgres is not configured', async () => {
    const r = (await judgeBackup(backupOutcome([]), {}))['backup-postgres']!;
    assert.equal(r.status, 'skipped');
    assert.match(r.message, /selfHosted\.sources\.postgres is not configured/);
  });
});
