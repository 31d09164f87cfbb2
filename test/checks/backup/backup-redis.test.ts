import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backupOutcome, judgeBackup } from '../../helpers/backup-judge.js';

const sources = { redis: { url: 'redis://:pw-123456@cache.internal:6379' } };

describe('backup-redis', () => {
  it('passes naming the key count of the snapshot', async () => {
    const outcome = backupOutcome(['redis']);
    outcome.components.find((c) => c.name === 'redis')!.facts = { keys: 55, mode: 'rdb-stream' };
    const r = (await judgeBackup(outcome, sources))['backup-redis']!;
    assert.equal(r.status, 'pass');
    assert.match(r.message, /; 55 keys\.$/);
    assert.equal(r.evidence?.keys, 55);
  });
  it('is error when the snapshot was never taken (the backup stopped before it), skipped when not configured', async () => {
    const notRun = backupOutcome(['redis']);
    Object.assign(notRun.components.find((c) => c.name === 'redis')!, { status: 'not-run', members: [] });
    assert.equal((await judgeBackup(notRun, sources))['backup-redis']!.status, 'error');
    assert.equal((await judgeBackup(backupOutcome([]), {}))['backup-redis']!.status, 'skipped');
  });
});
