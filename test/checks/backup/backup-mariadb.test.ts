import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backupOutcome, judgeBackup } from '../../helpers/backup-judge.js';

const sources = { mariadb: { url: 'mariadb://backup:pw-123456@db.internal:3306' } };

describe('backup-mariadb', () => {
  it('passes naming the per-table counts of the dump', async () => {
    const outcome = backupOutcome(['mariadb']);
    outcome.components.find((c) => c.name === 'mariadb')!.facts = { table_counts: { 'agenda.appointments': 100 } };
    const r = (await judgeBackup(outcome, sources))['backup-mariadb']!;
    assert.equal(r.status, 'pass');
    assert.match(r.message, /rows: agenda\.appointments 100/);
  });
  it('is error when its dump failed, skipped when not configured', async () => {
    const failed = backupOutcome(['mariadb']);
    Object.assign(failed.components.find((c) => c.name === 'mariadb')!, {
      status: 'failed',
      members: [],
      failure: { kind: 'tool', message: 'mariadb: mariadb-dump exited with code 2: Access denied', hint: 'check the user' },
    });
    assert.equal((await judgeBackup(failed, sources))['backup-mariadb']!.status, 'error');
    assert.equal((await judgeBackup(backupOutcome([]), {}))['backup-mariadb']!.status, 'skipped');
  });
});
