/** The engine with fake checks and gateways (unit level; the real gateways are tested elsewhere). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Check, Finding } from '../../src/checks/types.js';
import { parseConfigText } from '../../src/config/load.js';
import { EvaluationError, UsageError } from '../../src/errors.js';
import type { Gateways } from '../../src/run/gateways.js';
import { computeOutcome, exitCodeFor } from '../../src/run/result.js';
import { runChecks } from '../../src/run/runner.js';
import { fakeGateways } from '../helpers/fake-gateways.js';

const { config } = parseConfigText(
  'environment: test\ndatabase:\n  url: postgres://u:p@h/db\nlimits:\n  checkTimeoutMs: 200\n  runTimeoutMs: 5000\n',
  'c.yaml',
  {},
);
const gateways: Gateways = fakeGateways();

function fake(id: string, run: () => Promise<Finding>, extra: Partial<Check> = {}): Check {
  return {
    id,
    title: `${id} title`,
    severity: 'high',
    description: 'd',
    risk: 'r',
    remediation: 'fix it',
    fr: { title: `${id} titre`, description: 'd', risk: 'r', remediation: 'corriger' },
    controls: [],
    needs: [],
    command: 'check',
    run,
    ...extra,
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('runner', () => {
  it('runs checks concurrently and sorts results by id', async () => {
    const started = performance.now();
    const result = await runChecks({
      command: 'check',
      config,
      gateways,
      checks: [
        fake('zeta', async () => {
          await sleep(100);
          return { status: 'pass', message: 'z' };
        }),
        fake('alpha', async () => {
          await sleep(100);
          return { status: 'pass', message: 'a' };
        }),
      ],
    });
    assert.deepEqual(
      result.checks.map((c) => c.id),
      ['alpha', 'zeta'],
    );
    assert.ok(performance.now() - started < 190, 'two 100 ms checks took less than 190 ms together');
    assert.equal(result.outcome, 'pass');
    assert.equal(result.schemaVersion, 1);
    assert.match(result.run.id, /^[0-9a-f-]{36}$/);
  });

  it('turns a throw into error with the hint, and a hang into error at the deadline', async () => {
    const result = await runChecks({
      command: 'check',
      config,
      gateways,
      checks: [
        fake('throws', async () => {
          throw new EvaluationError('auth', 'password authentication failed', 'check the password', { requestId: 'req-1' });
        }),
        fake('hangs', () => new Promise<Finding>(() => undefined)),
        fake('bug', async () => {
          throw new TypeError('x is undefined');
        }),
      ],
    });
    const [bug, hangs, throws] = result.checks;
    assert.equal(throws!.status, 'error');
    assert.equal(throws!.hint, 'check the password');
    assert.equal(throws!.requestId, 'req-1');
    assert.equal(hangs!.status, 'error');
    assert.match(hangs!.message, /did not finish within 0 s|did not finish/);
    assert.equal(bug!.status, 'error');
    assert.match(bug!.message, /unexpected error: x is undefined/);
    assert.equal(result.outcome, 'incomplete');
    assert.equal(exitCodeFor(result.outcome), 2);
  });

  it('skips, with the reason, a check whose inputs are not configured', async () => {
    const result = await runChecks({
      command: 'check',
      config,
      gateways,
      checks: [
        fake('needs-azure', async () => ({ status: 'pass', message: 'never' }), { needs: ['azurePostgres'] }),
        fake('own-reason', async () => ({ status: 'pass', message: 'never' }), { notApplicable: () => 'nothing to do' }),
      ],
    });
    assert.deepEqual(
      result.checks.map((c) => [c.status, c.message]),
      [
        ['skipped', 'Not evaluated: no azure.postgres section in the configuration.'],
        ['skipped', 'Not evaluated: nothing to do.'],
      ],
    );
    assert.equal(result.outcome, 'pass');
  });

  it('--only selects checks and refuses an unknown id', async () => {
    const checks = [fake('one', async () => ({ status: 'pass', message: '1' })), fake('two', async () => ({ status: 'fail', message: '2' }))];
    const result = await runChecks({ command: 'check', config, gateways, checks, only: ['one'] });
    assert.deepEqual(
      result.checks.map((c) => c.id),
      ['one'],
    );
    await assert.rejects(
      runChecks({ command: 'check', config, gateways, checks, only: ['three'] }),
      (e: unknown) => e instanceof UsageError && /unknown check id "three"/.test(e.message) && /one, two/.test(e.hint),
    );
  });

  it('--fail-on lets failures below the threshold pass, but never an error', async () => {
    const base = { title: '', message: '', evidence: {}, remediation: '', controls: [], durationMs: 0 };
    const lowFail = { ...base, id: 'a', status: 'fail' as const, severity: 'low' as const };
    const error = { ...base, id: 'b', status: 'error' as const, severity: 'info' as const };
    assert.equal(computeOutcome([lowFail], 'low'), 'fail');
    assert.equal(computeOutcome([lowFail], 'medium'), 'pass');
    assert.equal(computeOutcome([lowFail, error], 'medium'), 'incomplete');
    assert.equal(computeOutcome([{ ...lowFail, severity: 'critical' }, error], 'high'), 'fail');
  });
});
