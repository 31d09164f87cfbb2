/** The restore-* checks judging outcomes (unit level: the orchestration that produces them is tested end to end elsewhere). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checksFor } from '../../src/checks/index.js';
import { parseConfigText } from '../../src/config/load.js';
import type { RestoreOutcome } from '../../src/restore/outcome.js';
import type { CheckResult } from '../../src/run/result.js';
import { runChecks } from '../../src/run/runner.js';
import { fakeGateways } from '../helpers/fake-gateways.js';

const { config } = parseConfigText('environment: test\n', 'c.yaml', {});

function healthy(): RestoreOutcome {
  return {
    method: 'archive',
    target: 'throwaway cluster',
    provision: { ok: true, value: { restoreSeconds: 42, restorePoint: '2026-11-21T03:00:00.000Z', details: {} } },
    source: { label: 'the archive metadata', alembic: { ok: true, value: 'abc' }, counts: { ok: true, value: { patients: 1000n, documents: 10n } } },
    restored: { alembic: { ok: true, value: 'abc' }, counts: { ok: true, value: { patients: 1000n, documents: 10n } } },
    limits: { rowCountTolerancePercent: 0 },
    cleanup: { status: 'deleted', removed: ['cluster x'], leftover: [] },
  };
}

async function judge(outcome: RestoreOutcome): Promise<Record<string, CheckResult>> {
  const result = await runChecks({
    command: 'restore-test', checks: checksFor('restore-test'), config,
    gateways: fakeGateways(), inputs: { restore: outcome },
  });
  return Object.fromEntries(result.checks.map((c) => [c.id, c]));
}

describe('restore-* checks', () => {
  it('pass on a healthy restore, with the contract evidence', async () => {
    const r = await judge(healthy());
    assert.deepEqual(Object.fromEntries(Object.entries(r).map(([id, c]) => [id, c.status])), {
      'restore-alembic-match': 'pass', 'restore-cleanup': 'pass', 'restore-provision': 'pass', 'restore-row-counts-match': 'pass', 'restore-signed-document': 'skipped',
    });
    assert.equal(r['restore-provision']!.evidence.restoreSeconds, 42);
    assert.equal(r['restore-provision']!.evidence.restorePoint, '2026-11-21T03:00:00.000Z');
    assert.equal(r['restore-provision']!.evidence.target, 'throwaway cluster');
    assert.deepEqual(r['restore-row-counts-match']!.evidence.source, { patients: 1000, documents: 10 });
  });

  it('a backup that does not restore fails; a restore we could not run is error', async () => {
    const bad = { ...healthy(), provision: { ok: false as const, failure: { kind: 'restore-failed' as const, message: 'the point-in-time restore ended Failed', hint: 'h' } } };
    delete (bad as Partial<RestoreOutcome>).restored;
    const r = await judge(bad);
    assert.equal(r['restore-provision']!.status, 'fail');
    assert.equal(r['restore-row-counts-match']!.status, 'error', 'nothing restored: cannot be evaluated, never pass');
    const denied = { ...bad, provision: { ok: false as const, failure: { kind: 'permission' as const, message: '403 on servers', hint: 'needs Contributor', requestId: 'r-1' } } };
    const d = await judge(denied);
    assert.equal(d['restore-provision']!.status, 'error');
    assert.equal(d['restore-provision']!.requestId, 'r-1');
  });

  it('row counts: tolerance in percent, exact past 2^53, a missing table fails', async () => {
    const o = healthy();
    o.limits.rowCountTolerancePercent = 1;
    o.restored!.counts = { ok: true, value: { patients: 990n, documents: 10n } };
    assert.equal((await judge(o))['restore-row-counts-match']!.status, 'pass');
    o.restored!.counts = { ok: true, value: { patients: 989n, documents: 10n } };
    assert.equal((await judge(o))['restore-row-counts-match']!.status, 'fail');
    const big = healthy();
    big.source.counts = { ok: true, value: { events: 9007199254740993n } };
    big.restored!.counts = { ok: true, value: { events: 9007199254740992n } };
    const r = (await judge(big))['restore-row-counts-match']!;
    assert.equal(r.status, 'fail', 'one row off past 2^53 is still a difference at 0%');
    assert.deepEqual(r.evidence.source, { events: '9007199254740993' });
    const missing = healthy();
    missing.restored!.counts = { ok: true, value: { patients: 1000n, documents: null } };
    assert.match((await judge(missing))['restore-row-counts-match']!.message, /"documents" is missing from the restore/);
  });

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

  it('RTO and RPO from the configuration', async () => {
    const o = healthy();
    o.limits.rtoMinutes = 0.5;
    assert.match((await judge(o))['restore-provision']!.message, /more than the RTO of 0\.5 min/);
    const p = healthy();
    p.limits.rpoMinutes = 5;
    p.provision = { ok: true, value: { restoreSeconds: 10, restorePoint: 't', details: { lagMinutes: 12 } } };
    assert.equal((await judge(p))['restore-provision']!.status, 'fail');
  });

  it('cleanup: kept is warn, a leftover fails', async () => {
    const kept = healthy();
    kept.cleanup = { status: 'kept', removed: [], leftover: ['srv-restore-1'] };
    assert.equal((await judge(kept))['restore-cleanup']!.status, 'warn');
    const left = healthy();
    left.cleanup = { status: 'failed', removed: [], leftover: ['srv-restore-1'], message: 'DELETE answered 500' };
    const r = (await judge(left))['restore-cleanup']!;
    assert.equal(r.status, 'fail');
    assert.match(r.message, /srv-restore-1 \(DELETE answered 500\)/);
  });
});
