/**
 * The runner's run.startedAt / durationMs when the command began before the checks (restore-test), and the provenance
 * it writes to the report (issue 13). Unit level: fake checks and gateways, as test/run/runner.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Check } from '../../src/checks/types.js';
import { parseConfigText } from '../../src/config/load.js';
import { collectProvenance } from '../../src/run/provenance.js';
import { commandStartNow, runChecks } from '../../src/run/runner.js';
import { fakeGateways } from '../helpers/fake-gateways.js';

const { config } = parseConfigText('environment: test\ndatabase:\n  url: postgres://u:secretpw@h:5433/db\n', 'c.yaml', {});

const quick: Check = {
  id: 'quick',
  title: 'quick',
  severity: 'high',
  description: 'd',
  risk: 'r',
  remediation: 'fix it',
  fr: { title: 'rapide', description: 'd', risk: 'r', remediation: 'corriger' },
  controls: [],
  needs: [],
  command: 'check',
  run: async () => ({ status: 'pass', message: 'ok' }),
};

describe('runner: the command start and provenance', () => {
  it('run.startedAt is the command start and durationMs covers what came before the checks', async () => {
    const commandStart = commandStartNow();
    await new Promise((resolve) => setTimeout(resolve, 300)); // the restore, say
    const result = await runChecks({ command: 'restore-test', checks: [quick], config, gateways: fakeGateways(), commandStart });
    assert.equal(result.run.startedAt, commandStart.at.toISOString());
    assert.ok(result.run.durationMs >= 290, `durationMs ${result.run.durationMs}`);
    assert.ok(Date.parse(result.run.finishedAt) - Date.parse(result.run.startedAt) >= 290);
  });

  it('writes the provenance it is given; none when not given', async () => {
    const provenance = collectProvenance({ env: { GITHUB_ACTIONS: 'true', GITHUB_ACTOR: 'octo' }, config, osUser: 'ops', host: 'h1' });
    const result = await runChecks({ command: 'check', checks: [quick], config, gateways: fakeGateways(), provenance });
    assert.deepEqual(result.provenance, provenance);
    assert.equal(result.provenance?.target.database?.url, 'postgres://u:***@h:5433/db');
    assert.doesNotMatch(JSON.stringify(result), /secretpw/);
    const bare = await runChecks({ command: 'check', checks: [quick], config, gateways: fakeGateways() });
    assert.equal('provenance' in bare, false);
  });
});
