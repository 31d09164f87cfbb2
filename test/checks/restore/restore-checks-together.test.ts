/** The five restore-* checks judging one healthy restore together: each verdict, and the evidence the contract names. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { healthy, judge } from '../../helpers/restore-judge.js';

describe('restore-* checks', () => {
  it('pass on a healthy restore, with the contract evidence', async () => {
    const r = await judge(healthy());
    assert.deepEqual(Object.fromEntries(Object.entries(r).map(([id, c]) => [id, c.status])), {
      'restore-alembic-match': 'pass',
      'restore-cleanup': 'pass',
      // no component restored beside PostgreSQL: their checks say so
      'restore-mariadb': 'skipped',
      'restore-minio': 'skipped',
      'restore-mongodb': 'skipped',
      'restore-provision': 'pass',
      'restore-redis': 'skipped',
      'restore-row-counts-match': 'pass',
      'restore-signed-document': 'skipped',
      'restore-smoke': 'skipped',
      'blob-recovery-drill': 'skipped',
    });
    assert.equal(r['restore-provision']!.evidence.restoreSeconds, 42);
    assert.equal(r['restore-provision']!.evidence.restorePoint, '2026-11-21T03:00:00.000Z');
    assert.equal(r['restore-provision']!.evidence.target, 'throwaway cluster');
    assert.deepEqual(r['restore-row-counts-match']!.evidence.source, { patients: 1000, documents: 10 });
  });
});
