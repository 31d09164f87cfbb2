import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backupOutcome, judgeBackup } from '../../helpers/backup-judge.js';

const sources = { mongodb: { url: 'mongodb://backup:pw-123456@mongo.internal:27017' } };

describe('backup-mongodb', () => {
  it('passes with the archive member written', async () => {
    const r = (await judgeBackup(backupOutcome(['mongodb']), sources))['backup-mongodb']!;
    assert.equal(r.status, 'pass');
    assert.match(r.message, /^mongodb\.member \(2\.0 KB\) written from /);
  });
  it('is error when mongodump is missing, skipped when not configured', async () => {
    const failed = backupOutcome(['mongodb']);
    Object.assign(failed.components.find((c) => c.name === 'mongodb')!, {
      status: 'failed',
      members: [],
      failure: { kind: 'tool', message: 'mongodb: mongodump is not installed on this machine', hint: 'set exec' },
    });
    const r = (await judgeBackup(failed, sources))['backup-mongodb']!;
    assert.equal(r.status, 'error');
    assert.match(r.message, /mongodump is not installed/);
    assert.equal((await judgeBackup(backupOutcome([]), {}))['backup-mongodb']!.status, 'skipped');
  });
});
