/**
 * restore-smoke's judgement of the smoke results (restore/smoke-test.ts runs them; test/restore/smoke-test.test.ts
 * against a real server): skipped, pass, fail (naming what it saw and expected), error (never pass with a part not
 * evaluated, the evaluated parts kept as evidence), fail over error, and the expectation comparisons.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { restoreSmoke, smokeEquals } from '../../../src/checks/restore/restore-smoke.js';
import { parseConfigText } from '../../../src/config/load.js';
import type { RestoreOutcome, SmokeCommandResult, SmokeQueryResult } from '../../../src/restore/outcome.js';
import type { CheckResult } from '../../../src/run/result.js';
import { runChecks } from '../../../src/run/runner.js';
import { fakeGateways } from '../../helpers/fake-gateways.js';
import { healthy } from '../../helpers/restore-judge.js';

const configured = parseConfigText(
  'environment: test\nrestoreTest:\n  smoke:\n    - { name: q, sql: SELECT 1, expect: { returnsRow: true } }\n',
  'c.yaml',
  {},
).config;

async function judge(outcome: RestoreOutcome, config = configured): Promise<CheckResult> {
  const result = await runChecks({ command: 'restore-test', checks: [restoreSmoke], config, gateways: fakeGateways(), inputs: { restore: outcome } });
  return result.checks[0]!;
}

const query = (name: string, expect: SmokeQueryResult['expect'], value: string | null | undefined, rows = value === undefined ? 0 : 1): SmokeQueryResult => ({
  name,
  sql: `SELECT ${name}`,
  expect,
  observed: { ok: true, value: { rows, ...(value === undefined ? {} : { firstValue: value }), column: { name: 'x', type: 'int8' } } },
  seconds: 0.01,
});
const broken = (name: string, kind: 'query' | 'timeout' = 'query'): SmokeQueryResult => ({
  name,
  sql: 'SELECT 1 FROM appointments',
  expect: { returnsRow: true },
  observed: { ok: false, failure: { kind, message: `PostgreSQL error 42P01: relation "appointments" does not exist`, hint: 'h' } },
  seconds: 0.01,
});
const command = (exitCode: number | null, ran = true): SmokeCommandResult => ({
  argv: ['pytest', '-m', 'restore'],
  cwd: '/srv/app',
  ran: ran
    ? { ok: true, value: { exitCode, signal: exitCode === null ? 'SIGSEGV' : null } }
    : { ok: false, failure: { kind: 'tool', message: 'could not be started (ENOENT)', hint: 'h' } },
  seconds: 1.5,
  output: '3 passed',
  outputBytes: 8,
});
const withSmoke = (queries: SmokeQueryResult[], cmd?: SmokeCommandResult): RestoreOutcome => {
  const o = healthy();
  o.restored!.smoke = { queries, ...(cmd ? { command: cmd } : {}) };
  return o;
};

describe('restore-smoke', () => {
  it('is skipped when neither smoke nor smokeCommand is configured', async () => {
    const none = parseConfigText('environment: test\n', 'c.yaml', {}).config;
    const r = await judge(healthy(), none);
    assert.equal(r.status, 'skipped');
    assert.match(r.message, /No smoke test is configured/);
  });

  it('passes when every query meets its expectation and the command exits 0', async () => {
    const r = await judge(withSmoke([query('a', { returnsRow: true }, '1'), query('b', { atLeast: 100 }, '120'), query('c', { equals: 0 }, '0')], command(0)));
    assert.equal(r.status, 'pass', r.message);
    assert.match(r.message, /3 queries met their expectations, and the smoke command pytest -m restore exited 0/);
    const evidence = r.evidence as { queries: { status: string; value: string }[]; command: { exitCode: number; output: string }; summary: object };
    assert.deepEqual(
      evidence.queries.map((q) => q.status),
      ['pass', 'pass', 'pass'],
    );
    assert.equal(evidence.command.exitCode, 0);
    assert.equal(evidence.command.output, '3 passed');
    assert.deepEqual(evidence.summary, { pass: 4, fail: 0, error: 0 });
  });

  it('fails naming each failing part with what it saw against what was expected', async () => {
    const r = await judge(withSmoke([query('patients', { atLeast: 100 }, '12'), query('ok', { returnsRow: true }, '1')], command(1)));
    assert.equal(r.status, 'fail');
    assert.match(r.message, /"patients" returned 12, expected at least 100/);
    assert.match(r.message, /the smoke command pytest -m restore exited with 1, expected 0/);
    assert.match(r.message, /2 of 3 part/);
    assert.equal(r.messageKey, 'restore-smoke/failed');
  });

  it('fail wins over error, and the part not evaluated is named too', async () => {
    const r = await judge(withSmoke([query('patients', { atLeast: 100 }, '12'), broken('appointments')]));
    assert.equal(r.status, 'fail');
    assert.match(r.message, /"appointments" could not be evaluated: .*does not exist/);
  });

  it('is error (never pass) when a part could not be evaluated and none failed, keeping the evaluated parts as evidence', async () => {
    const r = await judge(withSmoke([query('a', { returnsRow: true }, '1'), broken('appointments', 'timeout')]));
    assert.equal(r.status, 'error');
    assert.equal(r.errorKind, 'timeout');
    assert.match(r.message, /1 of 2 smoke test part\(s\) could not be evaluated/);
    const evidence = r.evidence as { queries: { name: string; status: string }[] };
    assert.deepEqual(
      evidence.queries.map((q) => [q.name, q.status]),
      [
        ['a', 'pass'],
        ['appointments', 'error'],
      ],
    );
    const notStarted = await judge(withSmoke([], command(0, false)));
    assert.equal(notStarted.status, 'error');
    assert.match(notStarted.message, /could not be started/);
    const notNumber = await judge(withSmoke([query('n', { atLeast: 1 }, 'abc')]));
    assert.equal(notNumber.status, 'error');
    assert.match(notNumber.message, /not a number/);
  });

  it('is error when the restore never completed, and fails a command ended by a signal', async () => {
    const o = healthy();
    delete o.restored;
    assert.equal((await judge(o)).status, 'error');
    const killed = await judge(withSmoke([], command(null)));
    assert.equal(killed.status, 'fail');
    assert.match(killed.message, /was ended by SIGSEGV/);
  });

  it('compares expectations sensibly: numbers numerically and bigint-safe, booleans by PostgreSQL spelling, null only NULL', async () => {
    assert.equal(smokeEquals('0', 0), true);
    assert.equal(smokeEquals('0.00', 0), true);
    assert.equal(smokeEquals('1.5', 1.5), true);
    assert.equal(smokeEquals('t', true), true);
    assert.equal(smokeEquals('f', true), false);
    assert.equal(smokeEquals('abc', 'abc'), true);
    assert.equal(smokeEquals('abc ', 'abc'), false);
    assert.equal(smokeEquals(null, null), true);
    assert.equal(smokeEquals('', null), false);
    assert.equal(smokeEquals(null, 0), false);
    const big = await judge(withSmoke([query('big', { atLeast: 9007199254740992 }, '9007199254740993')]));
    assert.equal(big.status, 'pass');
    const just = await judge(withSmoke([query('just', { atLeast: 9007199254740992 }, '9007199254740991')]));
    assert.equal(just.status, 'fail');
    const noRow = await judge(withSmoke([query('none', { equals: 0 }, undefined)]));
    assert.equal(noRow.status, 'fail');
    assert.match(noRow.message, /returned no row, expected 0/);
    const noRowWanted = await judge(withSmoke([query('orphans', { returnsRow: false }, undefined)]));
    assert.equal(noRowWanted.status, 'pass');
    const nullCount = await judge(withSmoke([query('max', { atLeast: 1 }, null)]));
    assert.equal(nullCount.status, 'fail');
    assert.match(nullCount.message, /returned NULL, expected at least 1/);
  });
});
