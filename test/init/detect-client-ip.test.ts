/**
 * The step the CI files `init` writes to find the runner's public IPv4 address, run as the runners run it (bash -e, -o pipefail)
 * with a stand-in curl: it exports RESTORECHECK_CLIENT_IP only for a dotted quad, and never fails, whatever the service does.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { azurePipelineData } from '../../src/init/azure-pipeline.js';
import { githubWorkflowData } from '../../src/init/github-workflow.js';
import type { InitAnswers } from '../../src/init/init-answers.js';

const ANSWERS: InitAnswers = {
  environment: 'production',
  databaseUrlEnv: 'DATABASE_URL',
  subscriptionId: '1b2c3d4e-0000-4000-8000-000000000001',
  resourceGroup: 'medicapp-rg',
  server: 'medicappdbprod',
  storageResourceGroup: 'medicapp-rg',
  storageAccount: 'medicappstorage',
  ci: 'both',
};

type Step = Record<string, unknown>;
const isDetection = (s: Step) => /api\.ipify\.org/.test(String(s.run ?? s.script ?? ''));
const githubSteps = () => (githubWorkflowData(ANSWERS).jobs as { restorecheck: { steps: Step[] } }).restorecheck.steps;
const azureSteps = () => (azurePipelineData(ANSWERS).jobs as Array<{ steps: Step[] }>)[0]!.steps;

const dir = mkdtempSync(join(tmpdir(), 'restorecheck-client-ip-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `script` as GitHub's and Azure DevOps' default bash does, with a curl that prints `answer` and exits with `code`. */
function run(script: string, answer: string, code = 0): { status: number | null; stdout: string; githubEnv: string } {
  const bin = mkdtempSync(join(dir, 'bin-'));
  writeFileSync(join(bin, 'curl'), `#!/bin/sh\nprintf '%s' '${answer}'\nexit ${code}\n`);
  chmodSync(join(bin, 'curl'), 0o755);
  const githubEnv = join(bin, 'github-env');
  const result = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', script], {
    encoding: 'utf8',
    env: { PATH: `${bin}:${process.env.PATH ?? ''}`, GITHUB_ENV: githubEnv },
  });
  return { status: result.status, stdout: result.stdout, githubEnv: existsSync(githubEnv) ? readFileSync(githubEnv, 'utf8') : '' };
}

describe('finding the runner public IPv4 address (init CI files)', () => {
  it('GitHub: a step before any restorecheck command, that cannot fail the job, asks api.ipify.org with a 10 s bound', () => {
    const steps = githubSteps();
    const detection = steps.findIndex(isDetection);
    assert.ok(detection >= 0, 'a detection step');
    const firstRestorecheck = steps.findIndex((s) => /^restorecheck /.test(String(s.run ?? '')));
    assert.ok(detection < firstRestorecheck, 'before the first command that reads the configuration');
    assert.equal(steps[detection]!['continue-on-error'], true);
    assert.match(String(steps[detection]!.run), /curl -fsS --max-time 10 https:\/\/api\.ipify\.org/);
  });

  it('Azure DevOps: the same, with continueOnError', () => {
    const steps = azureSteps();
    const detection = steps.findIndex(isDetection);
    assert.ok(detection >= 0, 'a detection step');
    const firstRestorecheck = steps.findIndex((s) => /restorecheck (check|restore-test)/.test(String((s.inputs as Step | undefined)?.inlineScript ?? '')));
    assert.ok(detection < firstRestorecheck, 'before the first command that reads the configuration');
    assert.equal(steps[detection]!.continueOnError, true);
  });

  it('GitHub: an IPv4 answer is written to $GITHUB_ENV', () => {
    const result = run(String(githubSteps().find(isDetection)!.run), '203.0.113.7');
    assert.equal(result.status, 0);
    assert.equal(result.githubEnv, 'RESTORECHECK_CLIENT_IP=203.0.113.7\n');
  });

  it('Azure DevOps: an IPv4 answer becomes a task.setvariable line', () => {
    const result = run(String(azureSteps().find(isDetection)!.script), '203.0.113.7');
    assert.equal(result.status, 0);
    assert.match(result.stdout, /^##vso\[task\.setvariable variable=RESTORECHECK_CLIENT_IP\]203\.0\.113\.7$/m);
  });

  for (const [what, answer, code] of [
    ['curl fails (no network, timeout)', '', 28],
    ['an HTTP error page', '<html>502 Bad Gateway</html>', 22],
    ['an IPv6 address', '2001:db8::1', 0],
    ['an octet over 255', '203.0.113.256', 0],
    ['an address with something after it', '203.0.113.7; rm -rf /', 0],
    ['an empty answer', '', 0],
  ] as const) {
    it(`${what}: nothing exported, and the step still succeeds`, () => {
      for (const script of [String(githubSteps().find(isDetection)!.run), String(azureSteps().find(isDetection)!.script)]) {
        const result = run(script, answer, code);
        assert.equal(result.status, 0, result.stdout);
        assert.equal(result.githubEnv, '');
        assert.doesNotMatch(result.stdout, /##vso/);
      }
    });
  }
});
