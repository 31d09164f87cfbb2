/**
 * `init --fleet [--shards N]` (issue 17): the GitHub workflow splits the check into a matrix of N shard jobs, merges
 * their reports in a job after them, then runs the fleet's restore test (and its cleanup) in a job after the merge, and
 * passes actionlint (which reports a broken one, so this test can fail); the Azure DevOps pipeline does the same with
 * `strategy: parallel` (strict YAML, its structure); the configuration gets
 * azure.discover and loads; --shards is validated. Through the built binary: the files, validate-config, and the merge
 * job's command line run by bash as written, on shard directories laid out as the download step leaves them.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parseDocument } from 'yaml';
import { reportBaseName } from '../../src/cli/report-files.js';
import { parseConfigText } from '../../src/config/load.js';
import { writeChainedReport } from '../../src/evidence/report-directory.js';
import { type RawAnswers, validateAnswers } from '../../src/init/init-answers.js';
import { planInit } from '../../src/init/init-plan.js';
import { runLint } from '../helpers/actionlint.js';
import { BIN, runCli } from '../helpers/cli.js';
import { shardReports } from '../helpers/shard-reports.js';

const SUBSCRIPTION = '1b2c3d4e-0000-4000-8000-000000000001';
const BASE: RawAnswers = {
  environment: 'production',
  subscriptionId: SUBSCRIPTION,
  resourceGroup: 'medicapp-rg',
  server: 'medicappdbprod',
  storageAccount: 'medicappstorage',
  installFrom: 'git+https://github.com/example/restorecheck.git',
  fleet: 'yes',
};
const GITHUB = '.github/workflows/restorecheck.yml';
const AZURE_DEVOPS = '.azure-pipelines/restorecheck.yml';
const CONFIG = 'restorecheck.yaml';

function filesOf(raw: RawAnswers): Map<string, string> {
  const validated = validateAnswers(raw);
  assert.deepEqual(validated.problems, []);
  return new Map(planInit(validated.answers!).files.map((f) => [f.path, f.content]));
}

/** Strict: a duplicate key or an alias fails (Azure DevOps rejects aliases). */
function strict(text: string): Record<string, unknown> {
  const doc = parseDocument(text, { uniqueKeys: true });
  assert.deepEqual(doc.errors, []);
  assert.doesNotMatch(text, /^\s*[^#\n]*[&*][a-z]\d+\b/m, 'no anchors or aliases');
  return doc.toJS() as Record<string, unknown>;
}

type Step = {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
  'continue-on-error'?: boolean;
};
type Job = { needs?: string | string[]; if?: string; strategy?: unknown; steps: Step[]; name?: string };

/** The fleet's restore test: every due server of the fleet, not a shard (restore-test takes no --shard in CI). */
const RESTORE_TEST = 'restorecheck restore-test --config restorecheck.yaml --out-dir reports --format json --format markdown --format html --format junit';
const CLEANUP = 'restorecheck restore-test cleanup --config restorecheck.yaml';

describe('init --fleet: the GitHub workflow', () => {
  const combinations: RawAnswers[] = [
    { ...BASE, ci: 'github' },
    { ...BASE, ci: 'both', shards: '5', sign: 'yes' },
    { ...BASE, ci: 'github', shards: '2', reportStore: 'medicapprecords/restorecheck-records', installFrom: 'npm' },
    { ...BASE, ci: 'both', shards: '256', databaseUrlEnv: 'MEDICAPP_DB_URL' },
  ];
  for (const raw of combinations) {
    const n = Number(raw.shards ?? 3);
    it(`--shards ${raw.shards ?? '(default 3)'} --ci ${raw.ci}${raw.sign ? ' --sign' : ''}${raw.reportStore ? ' --report-store' : ''}: passes actionlint, a matrix of ${n} shards, the merge job, then the restore-test job`, async () => {
      const workflow = filesOf(raw).get(GITHUB)!;
      assert.deepEqual(await runLint(workflow, GITHUB), []);
      const { jobs } = strict(workflow) as { jobs: Record<string, Job> };
      assert.deepEqual(Object.keys(jobs), ['check', 'merge', 'restore-test']);

      const check = jobs.check!;
      assert.deepEqual(check.strategy, { 'fail-fast': false, matrix: { shard: Array.from({ length: n }, (_, i) => i + 1) } });
      const run = check.steps.find((s) => /^restorecheck check /.test(s.run ?? ''))!;
      assert.ok(run, 'a check step');
      assert.ok(run.run!.includes(`--shard \${{ matrix.shard }}/${n} `), run.run);
      assert.ok(run.run!.includes('--out-dir shard-reports/shard-${{ matrix.shard }} '), run.run);
      assert.ok(run.run!.includes('--config restorecheck.yaml'));
      // The same setup and login as the monthly workflow, before the check.
      const uses = check.steps.map((s) => s.uses).filter(Boolean);
      assert.deepEqual(uses.slice(0, 3), ['actions/checkout@v7', 'actions/setup-node@v7', 'azure/login@v3']);
      assert.ok(check.steps.findIndex((s) => s.uses === 'azure/login@v3') < check.steps.indexOf(run));
      const upload = check.steps.find((s) => s.uses === 'actions/upload-artifact@v7')!;
      assert.equal(upload.if, 'always()', "a failed shard's report is uploaded too");
      assert.deepEqual(upload.with, { name: 'shard-${{ matrix.shard }}', path: 'shard-reports/shard-${{ matrix.shard }}/', 'if-no-files-found': 'warn' });

      const merge = jobs.merge!;
      assert.equal(merge.needs, 'check');
      assert.equal(merge.if, 'always()');
      const download = merge.steps.find((s) => s.uses === 'actions/download-artifact@v7')!;
      assert.deepEqual(download.with, { pattern: 'shard-*', path: 'shard-reports' });
      const mergeRun = merge.steps.find((s) => /^restorecheck report merge /.test(s.run ?? ''))!;
      assert.equal(
        mergeRun.run,
        'restorecheck report merge shard-reports/shard-* --config restorecheck.yaml --out-dir reports --format json --format markdown --format html --format junit',
      );
      assert.ok(merge.steps.indexOf(download) < merge.steps.indexOf(mergeRun));
      assert.equal(mergeRun.if, undefined, 'its exit code fails the job (and the workflow)');
      assert.equal(merge.steps.at(-1)!.if, 'always()', 'the merged report is kept as an artifact whatever the outcome');

      // After the merge (the two never write report.store at once), even when the check failed, not when it never ran.
      const restore = jobs['restore-test']!;
      assert.deepEqual(restore.needs, ['check', 'merge']);
      assert.equal(restore.if, "${{ !cancelled() && (needs.check.result == 'success' || needs.check.result == 'failure') }}");
      const runs = restore.steps.filter((s) => /^restorecheck /.test(s.run ?? ''));
      assert.deepEqual(
        runs.map((s) => [s.run, s.if, s['continue-on-error']]),
        [
          [CLEANUP, undefined, true],
          [RESTORE_TEST, undefined, undefined],
          [CLEANUP, 'always()', undefined],
        ],
        'a cleanup of what an earlier run left, the restore test of the whole fleet (no --shard), and the cleanup whatever happened',
      );
      const logins = restore.steps.map((s, i) => (s.uses === 'azure/login@v3' ? i : -1)).filter((i) => i >= 0);
      const [, restoreRun, cleanup] = runs.map((s) => restore.steps.indexOf(s));
      assert.equal(logins.length, 2);
      assert.ok(logins[0]! < restore.steps.indexOf(runs[0]!), 'logged in before the first cleanup');
      assert.ok(restoreRun! < logins[1]! && logins[1]! < cleanup!, 'a fresh login for the cleanup, after the restore test');
      assert.equal(restore.steps[logins[1]!]!.if, 'always()');
      assert.ok(restore.steps.findIndex((s) => s.name === 'Find the public IPv4 address of this runner') < logins[0]!, 'RESTORECHECK_CLIENT_IP set first');
      const restoreUpload = restore.steps.at(-1)!;
      assert.equal(restoreUpload.uses, 'actions/upload-artifact@v7');
      assert.equal(restoreUpload.if, 'always()', "a failed restore test's report is uploaded too");
      assert.deepEqual(restoreUpload.with, { name: 'restorecheck-restore-test-production', path: 'reports/', 'if-no-files-found': 'warn' });

      // Every restorecheck step loads the configuration: each gets its secrets, the signing key only with --sign.
      const env = raw.databaseUrlEnv ?? 'DATABASE_URL';
      for (const step of [run, mergeRun, ...runs]) {
        assert.equal(step.env?.[env], `\${{ secrets.${env} }}`);
        assert.equal(step.env?.REPORT_SIGNING_KEY, raw.sign === 'yes' ? '${{ secrets.RESTORECHECK_SIGNING_KEY }}' : undefined);
      }
      assert.doesNotMatch(workflow, /actions\/[a-z-]+@v[1-6]\b|azure\/login@v[12]\b|node-version: 20/);
    });
  }

  it('reports a broken fleet workflow (so this test can fail)', async () => {
    const workflow = filesOf({ ...BASE, ci: 'github' }).get(GITHUB)!;
    const broken = [
      workflow.replace('needs: check', 'needs: chek'),
      workflow.replace('--shard ${{ matrix.shard }}/3', '--shard ${{ matrix.shrd }}/3'),
      // The matrix exists in the check job only.
      workflow.replace('path: shard-reports\n', 'path: shard-reports/${{ matrix.shard }}\n'),
      // needs.check is defined only while check is among the restore-test job's needs.
      workflow.replace('    needs:\n      - check\n      - merge\n', '    needs:\n      - merge\n'),
      workflow.replace("needs.check.result == 'failure'", "needs.chek.result == 'failure'"),
    ];
    for (const text of broken) {
      assert.notEqual(text, workflow, 'the mutation applied');
      assert.ok((await runLint(text, GITHUB)).length > 0, `actionlint reports:\n${text}`);
    }
  });

  it('without --fleet, the monthly workflow is unchanged (one job, no matrix)', () => {
    const { jobs } = strict(filesOf({ ...BASE, fleet: undefined, ci: 'github' }).get(GITHUB)!) as { jobs: Record<string, Job> };
    assert.deepEqual(Object.keys(jobs), ['restorecheck']);
    assert.equal(jobs.restorecheck!.strategy, undefined);
  });
});

describe('init --fleet: the Azure DevOps pipeline (no linter: its structure)', () => {
  for (const shards of [undefined, '7']) {
    it(`--shards ${shards ?? '(default 3)'}: strategy.parallel, the shard from the job's position, artifacts, the merge job, then the restore-test job`, () => {
      const n = Number(shards ?? 3);
      type AdoStep = Record<string, unknown> & { task?: string; condition?: string; inputs?: Record<string, unknown> };
      type AdoJob = { job: string; strategy?: unknown; dependsOn?: string | string[]; condition?: string; steps: AdoStep[] };
      const pipeline = strict(filesOf({ ...BASE, ci: 'azure-devops', ...(shards ? { shards } : {}) }).get(AZURE_DEVOPS)!) as { jobs: AdoJob[] };
      const [check, merge, restore] = pipeline.jobs;
      assert.equal(pipeline.jobs.length, 3);
      assert.equal(check!.job, 'check');
      assert.deepEqual(check!.strategy, { parallel: n });
      const script = (s: AdoStep) => String((s.inputs as { inlineScript?: string } | undefined)?.inlineScript ?? '');
      const run = check!.steps.find((s) => s.task === 'AzureCLI@2' && /^restorecheck check /.test(script(s)))!;
      assert.ok(script(run).includes('--shard $(System.JobPositionInPhase)/$(System.TotalJobsInPhase) '), script(run));
      assert.ok(script(run).includes('--out-dir shard-reports/shard-$(System.JobPositionInPhase) '));
      const publish = check!.steps.find((s) => s.task === 'PublishPipelineArtifact@1')!;
      assert.equal(publish.condition, 'always()');
      assert.deepEqual(publish.inputs, { targetPath: 'shard-reports/shard-$(System.JobPositionInPhase)', artifact: 'shard-$(System.JobPositionInPhase)' });
      assert.ok(check!.steps.indexOf(run) < check!.steps.indexOf(publish));

      assert.equal(merge!.job, 'merge');
      assert.equal(merge!.dependsOn, 'check');
      assert.equal(merge!.condition, 'succeededOrFailed()');
      const download = merge!.steps.findIndex((s) => s.task === 'DownloadPipelineArtifact@2');
      assert.ok(download >= 0);
      assert.deepEqual(merge!.steps[download]!.inputs, {
        buildType: 'current',
        itemPattern: 'shard-*/**',
        targetPath: '$(System.DefaultWorkingDirectory)/shard-reports',
      });
      const mergeRun = merge!.steps.findIndex((s) => s.task === 'AzureCLI@2' && /^restorecheck report merge shard-reports\/shard-\* /.test(script(s)));
      assert.ok(mergeRun > download, 'downloaded, then merged');
      assert.equal(merge!.steps[mergeRun]!.condition, undefined, 'its exit code fails the run');

      assert.equal(restore!.job, 'restore_test');
      assert.deepEqual(restore!.dependsOn, ['check', 'merge'], 'after the merge: never two writers of report.store at once');
      assert.equal(restore!.condition, "and(not(canceled()), in(dependencies.check.result, 'Succeeded', 'SucceededWithIssues', 'Failed'))");
      const restoreRuns = restore!.steps.filter((s) => s.task === 'AzureCLI@2');
      assert.deepEqual(
        restoreRuns.map((s) => [script(s), s.condition, s.continueOnError]),
        [
          [`${CLEANUP}\n`, undefined, true],
          [`${RESTORE_TEST}\n`, undefined, undefined],
          [`${CLEANUP}\n`, 'always()', undefined],
        ],
      );
      assert.ok(restore!.steps.findIndex((s) => s.displayName === 'Find the public IPv4 address of this agent') < restore!.steps.indexOf(restoreRuns[0]!));
      const restorePublish = restore!.steps.at(-1)!;
      assert.equal(restorePublish.task, 'PublishPipelineArtifact@1');
      assert.equal(restorePublish.condition, 'always()');
      assert.deepEqual(restorePublish.inputs, { targetPath: 'reports', artifact: 'restorecheck-restore-test-$(System.JobAttempt)' });
      for (const step of [run, merge!.steps[mergeRun]!, ...restoreRuns]) assert.deepEqual(step.env, { DATABASE_URL: '$(DATABASE_URL)' });
    });
  }
});

describe('init --fleet: the configuration and the answers', () => {
  it('gets azure.discover (the subscription, tag restorecheck: on) and loads; the commented overrides, uncommented, load too', () => {
    const text = filesOf({ ...BASE, ci: 'none' }).get(CONFIG)!;
    const { config } = parseConfigText(text, CONFIG, { DATABASE_URL: 'postgres://u@h/db' });
    assert.deepEqual(config.azure?.discover?.subscriptions, [SUBSCRIPTION]);
    assert.deepEqual(config.azure?.discover?.tag, { restorecheck: 'on' });
    assert.match(text, /^ {6}restorecheck: 'on'$/m, 'quoted: a YAML 1.1 reader would take a bare on for true');
    assert.match(text, /az tag update --resource-id <resource id> --operation merge --tags restorecheck=on/);
    const example = [...text.matchAll(/^ {2}# {5}(- \{.*\})$/gm)].map((m) => m[1]!);
    assert.equal(example.length, 2, 'the overrides example is in the file');
    const withOverrides = text.replace(/^( {2}discover:\n)/m, `$1    overrides:\n${example.map((line) => `      ${line}\n`).join('')}`);
    const loaded = parseConfigText(withOverrides, CONFIG, { DATABASE_URL: 'postgres://u@h/db' }).config;
    assert.equal(loaded.azure?.discover?.overrides.length, 2);
    assert.doesNotMatch(filesOf({ ...BASE, fleet: undefined, ci: 'none' }).get(CONFIG)!, /discover/);
  });

  it('--shards: 2 to 256, only with --fleet', () => {
    for (const [shards, expected] of [
      ['1', /^--shards "1": must be a whole number from 2 to 256$/],
      ['257', /^--shards "257": must be a whole number from 2 to 256$/],
      ['three', /^--shards "three": must be a whole number from 2 to 256$/],
    ] as const) {
      assert.match(validateAnswers({ ...BASE, ci: 'github', shards }).problems.join('\n'), expected);
    }
    assert.deepEqual(validateAnswers({ ...BASE, fleet: undefined, ci: 'github', shards: '4' }).problems, [
      '--shards "4": needs --fleet: the shards are the CI jobs a fleet check is split into',
    ]);
    assert.deepEqual(validateAnswers({ ...BASE, ci: 'github', shards: ' 12 ' }).answers?.shards, '12');
  });

  it('names the subscription-wide Reader role and the tagging in the next steps', () => {
    const validated = validateAnswers({ ...BASE, ci: 'github', shards: '4' });
    const steps = planInit(validated.answers!).nextSteps.join('\n');
    assert.ok(steps.includes(`az role assignment create --assignee <client id> --role Reader --scope /subscriptions/${SUBSCRIPTION}\n`), steps);
    assert.match(steps, /split the check into 4 jobs \(--shard K\/4\)/);
    assert.match(steps, /restore-test then creates each copy in its source server’s own resource group and subscription/);
  });
});

describe('init --fleet through the binary', () => {
  const dirs: string[] = [];
  after(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
  const flags = [
    '--environment',
    'production',
    '--subscription-id',
    SUBSCRIPTION,
    '--resource-group',
    'medicapp-rg',
    '--server',
    'medicappdbprod',
    '--storage-account',
    'medicappstorage',
    '--install-from',
    'git+https://example.org/medicapp/restorecheck.git',
  ];

  it('writes the fleet files (validate-config accepts them), and the merge job runs as written on the downloaded shards', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'restorecheck-init-fleet-'));
    dirs.push(dir);
    const init = await runCli(['init', '--dir', dir, ...flags, '--fleet', '--shards', '3'], { env: { CI: 'true' } });
    assert.equal(init.code, 0, init.stderr);
    assert.match(init.stdout, /wrote \.github\/workflows\/restorecheck\.yml/);
    const env = { DATABASE_URL: 'postgres://reader:pw@127.0.0.1:1/medicapp' };
    const valid = await runCli(['validate-config', '--config', join(dir, CONFIG)], { env });
    assert.equal(valid.code, 0, valid.stderr);

    // The download step's layout: shard-reports/shard-K, each a shard job's report directory.
    for (const shard of shardReports()) {
      const shardDir = join(dir, 'shard-reports', `shard-${shard.fleet!.shard!.index}`);
      mkdirSync(shardDir, { recursive: true });
      await writeChainedReport(shardDir, shard, reportBaseName(shard), (t) => t);
    }
    const { jobs } = strict(readFileSync(join(dir, GITHUB), 'utf8')) as { jobs: Record<string, Job> };
    const line = jobs.merge!.steps.find((s) => /^restorecheck report merge /.test(s.run ?? ''))!.run!;
    // `restorecheck` on PATH is the built binary; bash expands the glob as the runner's shell does.
    const bin = join(dir, '.bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'restorecheck'), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`);
    chmodSync(join(bin, 'restorecheck'), 0o755);
    const run = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', line], {
      cwd: dir,
      env: { PATH: `${bin}:${process.env.PATH}`, NO_COLOR: '1', CI: 'true', ...env, ...(process.env.TMPDIR ? { TMPDIR: process.env.TMPDIR } : {}) },
      encoding: 'utf8',
    });
    assert.equal(run.status, 1, run.stderr); // one storage account of the fleet fails blob-soft-delete: the job fails
    assert.match(run.stderr, /report merge: 3 shard reports of check · production joined/);
    const written = readdirSync(join(dir, 'reports'))
      .map((f) => f.replace(/^.*\./, ''))
      .sort();
    assert.deepEqual(written, ['html', 'json', 'jsonl', 'md', 'xml']);
    assert.equal((await runCli(['report', 'verify', join(dir, 'reports')])).code, 0);
  });

  it('--help lists --fleet and --shards; --shards 1 is exit 2 and writes nothing', async () => {
    const help = await runCli(['init', '--help']);
    assert.match(help.stdout, /--fleet +fleet mode: azure\.discover finds every tagged/);
    assert.match(help.stdout, /--shards +with --fleet: the number of CI jobs /);
    assert.match(help.stdout, /\[string\] \[default: 3\]/);
    const dir = mkdtempSync(join(tmpdir(), 'restorecheck-init-fleet-'));
    dirs.push(dir);
    const bad = await runCli(['init', '--dir', dir, ...flags, '--fleet', '--shards', '1'], { env: { CI: 'true' } });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--shards "1": must be a whole number from 2 to 256/);
    assert.deepEqual(readdirSync(dir), []);
  });
});
