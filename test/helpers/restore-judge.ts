/**
 * The restore-* checks judging a restore outcome, at unit level (the orchestration that produces outcomes is tested end
 * to end in test/restore/): `healthy()` is the outcome of a restore that went well, which a test damages where it
 * needs; `judge()` runs every restore-test check on it through the real runner and returns the results by id.
 */
import { checksFor } from '../../src/checks/index.js';
import { parseConfigText } from '../../src/config/load.js';
import type { RestoreOutcome } from '../../src/restore/outcome.js';
import type { CheckResult } from '../../src/run/result.js';
import { runChecks } from '../../src/run/runner.js';
import { fakeGateways } from './fake-gateways.js';

const { config } = parseConfigText('environment: test\n', 'c.yaml', {});

/** What a restore that went well produces, fresh on each call: each test damages its own copy. */
export function healthy(): RestoreOutcome {
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

/** Every restore-test check's verdict on `outcome`, by check id. */
export async function judge(outcome: RestoreOutcome): Promise<Record<string, CheckResult>> {
  const result = await runChecks({
    command: 'restore-test',
    checks: checksFor('restore-test'),
    config,
    gateways: fakeGateways(),
    inputs: { restore: outcome },
  });
  return Object.fromEntries(result.checks.map((c) => [c.id, c]));
}
