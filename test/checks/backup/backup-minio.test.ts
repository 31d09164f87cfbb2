import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backupOutcome, judgeBackup } from '../../helpers/backup-judge.js';

const sources = { minio: { dataDir: '/srv/minio/data' } };

describe('backup-minio', () => {
  it('passes naming the objects and their bytes', async () => {
    const outcome = backupOutcome(['minio']);
    outcome.components.find((c) => c.name === 'minio')!.facts = { objects: 5, bytes: 20480, format: 'xl-single' };
    const r = (await judgeBackup(outcome, sources))['backup-minio']!;
    assert.equal(r.status, 'pass');
    assert.match(r.message, /; 5 objects, 20 KB\.$/);
  });
  it('is error when the folder could not be packed, skipped when not configured', async () => {
    const failed = backupOutcome(['minio']);
    Object.assign(failed.components.find((c) => c.name === 'minio')!, {
      status: 'failed',
      members: [],
      failure: { kind: 'config', message: 'minio: data/evil is a link out of the folder', hint: 'remove it' },
    });
    assert.equal((await judgeBackup(failed, sources))['backup-minio']!.status, 'error');
    assert.equal((await judgeBackup(backupOutcome([]), {}))['backup-minio']!.status, 'skipped');
  });
});
