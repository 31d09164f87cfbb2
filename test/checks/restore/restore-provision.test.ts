import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RestoreOutcome } from '../../../src/restore/outcome.js';
import { healthy, judge } from '../../helpers/restore-judge.js';

describe('restore-* checks', () => {
  it('a backup that does not restore fails; a restore we could not run is error', async () => {
    const bad = {
      ...healthy(),
      provision: { ok: false as const, failure: { kind: 'restore-failed' as const, message: 'the point-in-time restore ended Failed', hint: 'h' } },
    };
    delete (bad as Partial<RestoreOutcome>).restored;
    const r = await judge(bad);
    assert.equal(r['restore-provision']!.status, 'fail');
    assert.equal(r['restore-row-counts-match']!.status, 'error', 'nothing restored: cannot be evaluated, never pass');
    const denied = {
      ...bad,
      provision: { ok: false as const, failure: { kind: 'permission' as const, message: '403 on servers', hint: 'needs Contributor', requestId: 'r-1' } },
    };
    const d = await judge(denied);
    assert.equal(d['restore-provision']!.status, 'error');
    assert.equal(d['restore-provision']!.requestId, 'r-1');
  });

  it('RTO and RPO from the configuration', async () => {
    const o = healthy();
    o.limits.rtoMinutes = 0.5;
    assert.match((await judge(o))['restore-provision']!.message, /more than the RTO of 0\.5 min/);
    const p = healthy();
    p.limits.rpoMinutes = 5;
    p.provision = { ok: true, value: { restoreSeconds: 10, restorePoint: 't', details: { lagMinutes: 12 } } };
    assert.equal((await judge(p))['restore-provision']!.status, 'fail');
  });
});
