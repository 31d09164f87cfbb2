/**
 * `init --backup-before-deploy`: the reusable GitHub workflow that backs up before a deployment (actionlint, a
 * self-hosted runner, the exit code of `restorecheck backup` never swallowed, the report uploaded whatever happened),
 * the selfHosted sketch in restorecheck.yaml (it validates once uncommented), and nothing changed without the option.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseDocument } from 'yaml';
import { runLint } from '../helpers/actionlint.js';
import { parseConfigText } from '../../src/config/load.js';
import { type RawAnswers, validateAnswers } from '../../src/init/init-answers.js';
import { planInit } from '../../src/init/init-plan.js';

const BASE: RawAnswers = {
  environment: 'production',
  subscriptionId: '1b2c3d4e-0000-4000-8000-000000000001',
  resourceGroup: 'medicapp-rg',
  server: 'medicappdbprod',
  storageAccount: 'medicappstorage',
  installFrom: 'npm',
  ci: 'github',
};
const BACKUP = '.github/workflows/restorecheck-backup.yml';

function filesOf(raw: RawAnswers): Map<string, string> {
  const validated = validateAnswers(raw);
  assert.deepEqual(validated.problems, []);
  return new Map(planInit(validated.answers!).files.map((f) => [f.path, f.content]));
}

type Step = { name?: string; run?: string; uses?: string; if?: string; env?: Record<string, string>; 'continue-on-error'?: unknown };

describe('init --backup-before-deploy', () => {
  for (const sign of ['no', 'yes']) {
    it(`writes a reusable backup workflow that passes actionlint and stops the deployment unless the backup passed (--sign ${sign})`, async () => {
      const files = filesOf({ ...BASE, sign, backupBeforeDeploy: 'yes' });
      const workflow = files.get(BACKUP)!;
      assert.ok(workflow, 'the backup workflow is written');
      // Every finding but one: actionlint knows GitHub's hosted labels only; a self-hosted runner's own label is declared in
      // the repository's .github/actionlint.yaml, which init does not write. Anything else it says fails the test.
      const findings = (await runLint(workflow, BACKUP)).filter(
        (f) => !(f.kind === 'runner-label' && f.message.startsWith('label "restorecheck-backup" is unknown')),
      );
      assert.deepEqual(findings, []);
      const doc = parseDocument(workflow).toJS() as { on: Record<string, unknown>; jobs: { backup: { 'runs-on': string[]; steps: Step[] } } };
      assert.ok('workflow_call' in doc.on, 'a deploy workflow can call it');
      assert.deepEqual(doc.jobs.backup['runs-on'], ['self-hosted', 'restorecheck-backup']);
      const steps = doc.jobs.backup.steps;
      const backup = steps.find((s) => s.run?.startsWith('restorecheck backup'))!;
      assert.equal(backup.run, 'restorecheck backup --config restorecheck.yaml --environment production --out-dir reports --format json --format markdown');
      assert.equal(backup['continue-on-error'], undefined, 'a failed backup fails the job');
      assert.equal(backup.if, undefined);
      for (const step of steps) assert.doesNotMatch(step.run ?? '', /\|\|\s*true|;\s*true$|exit 0/);
      assert.ok(backup.env?.PGPASSWORD && backup.env.DATABASE_URL, 'the configuration loads: its variables are set');
      assert.equal(Boolean(backup.env?.REPORT_SIGNING_KEY), sign === 'yes', 'report.signingKey loads too');
      const upload = steps.find((s) => s.uses?.startsWith('actions/upload-artifact'))!;
      assert.equal(upload.if, 'always()');
      assert.match(workflow, /needs: backup/, 'the header shows the deploy job that needs it');
    });
  }

  it('sketches a selfHosted section in restorecheck.yaml that validates once uncommented', () => {
    const config = filesOf({ ...BASE, backupBeforeDeploy: 'yes' }).get('restorecheck.yaml')!;
    const start = config.indexOf('# selfHosted:\n');
    assert.ok(start > 0, config);
    const uncommented = `${config.slice(0, start)}${config
      .slice(start)
      .split('\n')
      .map((line) => line.replace(/^# /, ''))
      .join('\n')}`;
    const env = { DATABASE_URL: 'postgres://u:p@db.example.net:5432/app', PGPASSWORD: 'pw-0000', BACKUP_SIGNING_KEY: '' };
    // The sketch's signing key line needs a key: use a path placeholder instead of the empty variable.
    const loaded = parseConfigText(uncommented.replace('  signingKey: ${BACKUP_SIGNING_KEY}', ''), '/tmp/x/restorecheck.yaml', env);
    assert.deepEqual(loaded.config.selfHosted?.sources.postgres?.exec, ['docker', 'compose', 'exec', '-T', '-e', 'PGPASSWORD', 'postgres']);
    assert.equal(loaded.config.selfHosted?.name, 'medicapp');
  });

  it('changes nothing without the option', () => {
    const without = filesOf(BASE);
    const no = filesOf({ ...BASE, backupBeforeDeploy: 'no' });
    assert.deepEqual([...without.keys()], ['restorecheck.yaml', '.github/workflows/restorecheck.yml']);
    assert.deepEqual(no, without);
    assert.doesNotMatch(without.get('restorecheck.yaml')!, /selfHosted/);
  });
});
