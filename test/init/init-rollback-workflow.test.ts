/**
 * `init --backup-before-deploy --rollback-on-failure`: the reusable rollback workflow (actionlint, workflow_call with
 * environment and reason, `restorecheck restore … latest` with the production confirmation or --yes, the inputs only
 * through env:, the report uploaded whatever happened), the caller's rollback job in the backup workflow's header (it
 * lints, and rolls back only after a backup that passed), the scripts run by bash with a hostile reason, and the refusal
 * without --backup-before-deploy.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parseDocument } from 'yaml';
import { runLint } from '../helpers/actionlint.js';
import { INIT_QUESTIONS, type RawAnswers, applies, validateAnswers } from '../../src/init/init-answers.js';
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
const ROLLBACK = '.github/workflows/restorecheck-rollback.yml';
// The report goes where the upload step takes it from.
const REPORT_FLAGS = '--out-dir reports --format json --format markdown';
const RESTORE_PREFIX = 'restorecheck restore --config restorecheck.yaml --environment ';

type Step = { name?: string; run?: string; uses?: string; if?: string; env?: Record<string, string>; with?: Record<string, unknown> };
type Input = { type: string; required: boolean; default?: string };
type RollbackWorkflow = {
  on: { workflow_call: { inputs: Record<string, Input> } };
  jobs: { rollback: { 'runs-on': string[]; steps: Step[] } };
};

function filesOf(raw: RawAnswers): Map<string, string> {
  const validated = validateAnswers(raw);
  assert.deepEqual(validated.problems, []);
  return new Map(planInit(validated.answers!).files.map((f) => [f.path, f.content]));
}

/** Strict: any YAML error fails the test. */
function parseYaml<T>(text: string): T {
  const doc = parseDocument(text, { uniqueKeys: true });
  assert.deepEqual(
    doc.errors.map((e) => e.message),
    [],
  );
  return doc.toJS() as T;
}

/** actionlint's findings, but for the self-hosted runner's own label (declared in the repository's actionlint.yaml, which init does not write). */
async function lint(text: string, path: string) {
  return (await runLint(text, path)).filter((f) => !(f.kind === 'runner-label' && f.message.startsWith('label "restorecheck-backup" is unknown')));
}

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/**
 * Runs a step's script as GitHub runs a `run:` on Linux (bash --noprofile --norc -eo pipefail), with `restorecheck` a
 * stand-in on PATH that writes the arguments it got, as JSON, to a file. Returns those arguments and the directory.
 */
function runStep(script: string, env: Record<string, string>): { argv: string[]; cwd: string } {
  const cwd = mkdtempSync(join(tmpdir(), 'restorecheck-rollback-step-'));
  dirs.push(cwd);
  const bin = join(cwd, 'bin');
  mkdirSync(bin);
  const fake = join(bin, 'restorecheck');
  writeFileSync(
    fake,
    `#!${process.execPath}\nrequire('node:fs').writeFileSync(${JSON.stringify(join(cwd, 'argv.json'))}, JSON.stringify(process.argv.slice(2)));\n`,
  );
  chmodSync(fake, 0o755);
  const result = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', script], {
    cwd,
    env: { PATH: `${bin}:${process.env.PATH}`, ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.equal(result.status, 0, result.stderr);
  return { argv: JSON.parse(readFileSync(join(cwd, 'argv.json'), 'utf8')) as string[], cwd };
}

describe('init --rollback-on-failure', () => {
  for (const sign of ['no', 'yes']) {
    it(`writes a reusable rollback workflow that passes actionlint and restores latest on the backup's runner (--sign ${sign})`, async () => {
      const files = filesOf({ ...BASE, sign, backupBeforeDeploy: 'yes', rollbackOnFailure: 'yes' });
      const workflow = files.get(ROLLBACK);
      assert.ok(workflow, 'the rollback workflow is written');
      assert.deepEqual(await lint(workflow, ROLLBACK), []);
      const doc = parseYaml<RollbackWorkflow>(workflow);
      const inputs = doc.on.workflow_call.inputs;
      assert.deepEqual(Object.keys(inputs).sort(), ['environment', 'reason']);
      assert.equal(inputs.reason!.required, true, 'a rollback always says why');
      assert.deepEqual({ type: inputs.environment!.type, default: inputs.environment!.default }, { type: 'string', default: 'production' });
      assert.deepEqual(doc.jobs.rollback['runs-on'], ['self-hosted', 'restorecheck-backup'], 'the runner of the backup, where the archive is');
      const steps = doc.jobs.rollback.steps;
      const restores = steps.filter((s) => s.run?.startsWith('restorecheck restore'));
      assert.equal(restores.length, 2);
      const [production, other] = restores as [Step, Step];
      assert.equal(production.if, "inputs.environment == 'production'");
      assert.equal(production.run, `${RESTORE_PREFIX}production latest --confirm "RESTORE PRODUCTION" --reason "$ROLLBACK_REASON" ${REPORT_FLAGS}`);
      assert.equal(other.if, "inputs.environment != 'production'");
      assert.equal(other.run, `${RESTORE_PREFIX}"$ROLLBACK_ENVIRONMENT" latest --yes --reason "$ROLLBACK_REASON" ${REPORT_FLAGS}`);
      for (const step of restores) {
        assert.doesNotMatch(step.run!, /--no-safety-backup/, 'the safety backup is kept');
        assert.equal(step.env?.ROLLBACK_REASON, '${{ inputs.reason }}', 'the reason arrives through env:');
        assert.equal(step.env?.ROLLBACK_ENVIRONMENT, '${{ inputs.environment }}');
        assert.ok(step.env?.DATABASE_URL && step.env.PGPASSWORD && 'BACKUP_SIGNING_KEY' in step.env, 'the configuration loads: its variables are set');
        assert.equal(Boolean(step.env?.REPORT_SIGNING_KEY), sign === 'yes', 'report.signingKey loads too');
      }
      // No expression in any script: GitHub splices ${{ }} into the script text before bash reads it.
      for (const step of steps) {
        assert.doesNotMatch(step.run ?? '', /\$\{\{/, `${step.name ?? step.uses}: no expression in run:`);
        assert.doesNotMatch(step.run ?? '', /\|\|\s*true|;\s*true$|exit 0/);
      }
      assert.ok(!workflow.includes('run: ${{') && !/run:.*\$\{\{\s*inputs\.reason/.test(workflow));
      const upload = steps.find((s) => s.uses?.startsWith('actions/upload-artifact'))!;
      assert.equal(upload.if, 'always()');
      assert.equal(upload.with?.path, 'reports/');
      assert.equal(steps.at(-1), upload, 'the upload comes after the restore');
    });
  }

  it('the restore scripts, run by bash, pass a hostile reason and environment to restorecheck as single arguments and run nothing of them', () => {
    const doc = parseYaml<RollbackWorkflow>(filesOf({ ...BASE, backupBeforeDeploy: 'yes', rollbackOnFailure: 'yes' }).get(ROLLBACK)!);
    const [production, other] = doc.jobs.rollback.steps.filter((s) => s.run?.startsWith('restorecheck restore')) as [Step, Step];
    // A reason built from a branch name or a commit message: quotes, substitutions, a second command.
    const reason = 'rollback: deploy of "main"; touch pwned-1 $(touch pwned-2) `touch pwned-3` $HOME \\ \' ${IFS}x';
    const prod = runStep(production.run!, { ROLLBACK_ENVIRONMENT: 'production', ROLLBACK_REASON: reason });
    assert.deepEqual(prod.argv, [
      'restore',
      '--config',
      'restorecheck.yaml',
      '--environment',
      'production',
      'latest',
      '--confirm',
      'RESTORE PRODUCTION',
      '--reason',
      reason,
      ...REPORT_FLAGS.split(' '),
    ]);
    const staging = runStep(other.run!, { ROLLBACK_ENVIRONMENT: 'staging; touch pwned-4', ROLLBACK_REASON: reason });
    assert.deepEqual(staging.argv, [
      'restore',
      '--config',
      'restorecheck.yaml',
      '--environment',
      'staging; touch pwned-4',
      'latest',
      '--yes',
      '--reason',
      reason,
      ...REPORT_FLAGS.split(' '),
    ]);
    for (const { cwd } of [prod, staging]) assert.deepEqual(readdirSync(cwd).sort(), ['argv.json', 'bin'], 'nothing of the text ran');
    assert.equal(existsSync(join(prod.cwd, 'pwned-1')), false);
  });

  it("shows the deploy workflow's rollback job in the backup workflow's header: it lints, and rolls back only after a backup that passed", async () => {
    const files = filesOf({ ...BASE, backupBeforeDeploy: 'yes', rollbackOnFailure: 'yes' });
    const header = files
      .get(BACKUP)!
      .split('\n')
      .filter((line) => line.startsWith('#'))
      .map((line) => line.replace(/^# ?/, ''));
    const start = header.indexOf('  jobs:');
    const end = header.indexOf('', start);
    assert.ok(start > 0 && end > start, header.join('\n'));
    // The snippet as a deploy workflow: its "..." filled in with a deployment.
    const snippet = header
      .slice(start, end)
      .map((line) => line.slice(2))
      .join('\n')
      .replace(/^( +)\.\.\.$/m, '$1runs-on: [self-hosted, restorecheck-backup]\n$1steps:\n$1  - run: docker compose up -d');
    const deploy = `name: deploy\non: push\npermissions:\n  contents: read\n${snippet}\n`;
    const jobs = parseYaml<{ jobs: Record<string, { needs?: unknown; if?: string; uses?: string; with?: Record<string, string> }> }>(deploy).jobs;
    assert.deepEqual(jobs.rollback?.needs, ['backup', 'deploy']);
    assert.equal(jobs.rollback?.if, "failure() && needs.backup.result == 'success'");
    assert.equal(jobs.rollback?.uses, `./${ROLLBACK}`);
    assert.equal(jobs.rollback?.with?.environment, 'production');
    assert.equal(
      jobs.rollback?.with?.reason,
      'rollback: deploy run ${{ github.run_id }} of ${{ github.sha }} failed (${{ github.server_url }}/${{ github.repository }}/actions/runs/${{ github.run_id }})',
    );
    // actionlint checks the expressions (needs.backup exists, github.sha is a property) and the jobs' shape.
    assert.deepEqual(await lint(deploy, '.github/workflows/deploy.yml'), []);
    assert.match(files.get(ROLLBACK)!, /# +if: failure\(\) && needs\.backup\.result == 'success'/, 'and so does the rollback workflow');
  });

  it('is asked on a terminal only after yes to the backup before deploy, and only with GitHub', () => {
    const question = INIT_QUESTIONS.find((q) => q.flag === '--rollback-on-failure')!;
    assert.equal(question.boolean, true);
    assert.equal(question.defaultFor?.({}), 'no');
    assert.equal(applies(question, { ...BASE, backupBeforeDeploy: 'yes' }), true);
    assert.equal(applies(question, { ...BASE, backupBeforeDeploy: 'no' }), false);
    assert.equal(applies(question, BASE), false, 'the backup question defaults to no');
    assert.equal(applies(question, { ...BASE, ci: 'azure-devops', backupBeforeDeploy: 'yes' }), false);
    assert.ok(INIT_QUESTIONS.indexOf(question) > INIT_QUESTIONS.findIndex((q) => q.key === 'backupBeforeDeploy'), 'asked after it');
  });

  it('is refused without --backup-before-deploy, naming both flags', () => {
    for (const backupBeforeDeploy of [undefined, 'no'] as const) {
      const validated = validateAnswers({ ...BASE, ...(backupBeforeDeploy ? { backupBeforeDeploy } : {}), rollbackOnFailure: 'yes' });
      assert.equal(validated.answers, undefined);
      assert.equal(validated.problems.length, 1, validated.problems.join('\n'));
      assert.match(validated.problems[0]!, /^--rollback-on-failure: .*--backup-before-deploy/);
    }
  });

  it('writes nothing more by default (no), and leaves the backup workflow as it was', () => {
    const backupOnly = filesOf({ ...BASE, backupBeforeDeploy: 'yes' });
    const no = filesOf({ ...BASE, backupBeforeDeploy: 'yes', rollbackOnFailure: 'no' });
    assert.deepEqual([...backupOnly.keys()], ['restorecheck.yaml', '.github/workflows/restorecheck.yml', BACKUP]);
    assert.deepEqual(no, backupOnly);
    assert.doesNotMatch(backupOnly.get(BACKUP)!, /rollback/);
    const validated = validateAnswers({ ...BASE, backupBeforeDeploy: 'yes' });
    assert.doesNotMatch(planInit(validated.answers!).nextSteps.join('\n'), /rollback/i);
    const withRollback = validateAnswers({ ...BASE, backupBeforeDeploy: 'yes', rollbackOnFailure: 'yes' });
    assert.match(
      planInit(withRollback.answers!).nextSteps.join('\n'),
      /\.\/\.github\/workflows\/restorecheck-rollback\.yml/,
      'the next steps name the new file',
    );
  });
});
