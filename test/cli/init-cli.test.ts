/**
 * `restorecheck init` through the built binary: the files it writes, that the configuration passes
 * `validate-config`, that the workflows parse and say what they must (schedule, OIDC, steps, artifacts),
 * that the workflow's own command line runs and writes where the upload step looks, refusal to
 * overwrite, bad input, no terminal, and the questions on a real pseudo-terminal (util-linux `script`).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { isAlias, isNode, parseDocument, visit } from 'yaml';
import { BIN, type CliResult, runCli } from '../helpers/cli.js';

const SUBSCRIPTION = '1b2c3d4e-0000-4000-8000-000000000001';
const FLAGS = [
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
  '--container',
  'documents',
  '--install-from',
  'git+https://example.org/medicapp/restorecheck.git',
];
const CONFIG = 'restorecheck.yaml';
const GITHUB = '.github/workflows/restorecheck.yml';
const AZURE_DEVOPS = '.azure-pipelines/restorecheck.yml';
const BACKUP_WORKFLOW = '.github/workflows/restorecheck-backup.yml';
const ROLLBACK_WORKFLOW = '.github/workflows/restorecheck-rollback.yml';

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function freshDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'restorecheck-init-'));
  dirs.push(dir);
  return dir;
}

/** Every file under dir, relative, sorted (hidden folders included: .github is one). */
function filesUnder(dir: string, prefix = ''): string[] {
  return readdirSync(join(dir, prefix), { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? filesUnder(dir, join(prefix, e.name)) : [join(prefix, e.name)]))
    .sort();
}

/** Parses strictly: any YAML error (duplicate key, bad indentation) fails the test. Aliases are refused too (Azure DevOps rejects them). */
function parseYaml(text: string): Record<string, unknown> {
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  assert.deepEqual(
    doc.errors.map((e) => e.message),
    [],
  );
  let anchors = 0;
  visit(doc, (_key, node) => {
    if (isAlias(node) || (isNode(node) && node.anchor !== undefined)) anchors++;
  });
  assert.equal(anchors, 0, 'no YAML anchors or aliases');
  return doc.toJS() as Record<string, unknown>;
}

type Step = Record<string, unknown> & { with?: Record<string, unknown>; env?: Record<string, unknown>; inputs?: Record<string, unknown> };

async function initIn(dir: string, extra: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return runCli(['init', ...FLAGS, ...extra], { cwd: dir, env });
}

describe('restorecheck init with flags', () => {
  const dir = freshDir();
  let run: CliResult;

  it('writes the configuration, the GitHub workflow and the Azure DevOps pipeline, and says what to do next', async () => {
    run = await initIn(dir);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(filesUnder(dir), [AZURE_DEVOPS, GITHUB, CONFIG].sort());
    for (const file of [CONFIG, GITHUB, AZURE_DEVOPS]) assert.ok(run.stdout.includes(`wrote ${file}`), `stdout names ${file}`);
    assert.match(run.stdout, /Next steps:/);
    assert.match(run.stdout, new RegExp(`--role Reader --scope /subscriptions/${SUBSCRIPTION}/resourceGroups/medicapp-rg`));
  });

  it('writes a configuration that validate-config accepts with DATABASE_URL set, and refuses without it', async () => {
    const config = readFileSync(join(dir, CONFIG), 'utf8');
    assert.match(config, /^\s*url: \$\{DATABASE_URL\}/m, 'the URL comes from the environment, never literally');
    assert.match(config, /^#/, 'the file is commented');
    const valid = await runCli(['validate-config', '--config', CONFIG], {
      cwd: dir,
      env: { DATABASE_URL: 'postgres://reader:pw@medicappdbprod.postgres.database.azure.com:5432/medicapp?sslmode=verify-full' },
    });
    assert.equal(valid.code, 0, valid.stderr);
    assert.match(valid.stdout, /valid configuration for environment "production"/);
    assert.match(valid.stdout, /azure\.postgres: medicapp-rg\/medicappdbprod/);
    assert.match(valid.stdout, /azure\.storage: medicapp-rg\/medicappstorage/);
    const parsed = parseYaml(config) as { azure: { subscriptionId: string; storage: { container: string } } };
    assert.equal(parsed.azure.subscriptionId, SUBSCRIPTION);
    assert.equal(parsed.azure.storage.container, 'documents');
    const missing = await runCli(['validate-config', '--config', CONFIG], { cwd: dir });
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /database\.url: environment variable DATABASE_URL is not set/);
  });

  it('shows restoreTest.clientIp as a comment (an unset variable would be an error) that, uncommented, loads', async () => {
    const config = readFileSync(join(dir, CONFIG), 'utf8');
    assert.equal((parseYaml(config) as { restoreTest: Record<string, unknown> }).restoreTest.clientIp, undefined);
    const commented = /^ {2}# clientIp: \$\{RESTORECHECK_CLIENT_IP\}$/m;
    assert.match(config, commented);
    writeFileSync(join(dir, 'public.yaml'), config.replace(commented, '  clientIp: ${RESTORECHECK_CLIENT_IP}'));
    const valid = await runCli(['validate-config', '--config', 'public.yaml'], {
      cwd: dir,
      env: { DATABASE_URL: 'postgres://reader:pw@db.example:5432/medicapp', RESTORECHECK_CLIENT_IP: '203.0.113.7' },
    });
    assert.equal(valid.code, 0, valid.stderr);
    rmSync(join(dir, 'public.yaml'));
  });

  it('writes a GitHub workflow: monthly and on demand, OIDC login from variables, check then restore-test, reports kept always', () => {
    const text = readFileSync(join(dir, GITHUB), 'utf8');
    const wf = parseYaml(text) as { on: Record<string, unknown>; permissions: Record<string, string>; jobs: Record<string, { steps: Step[] }> };
    const cron = (wf.on.schedule as Array<{ cron: string }>)[0]!.cron;
    // Monthly: minute, hour and day of month fixed, every month, any weekday.
    assert.match(cron, /^\d{1,2} \d{1,2} \d{1,2} \* \*$/);
    assert.ok('workflow_dispatch' in wf.on);
    assert.equal(wf.permissions['id-token'], 'write');
    assert.equal(wf.permissions.contents, 'read');
    const steps = Object.values(wf.jobs)[0]!.steps;
    const logins = steps.filter((s) => String(s.uses).startsWith('azure/login@'));
    assert.ok(logins.length >= 1);
    for (const login of logins) {
      assert.deepEqual(login.with, {
        'client-id': '${{ vars.AZURE_CLIENT_ID }}',
        'tenant-id': '${{ vars.AZURE_TENANT_ID }}',
        'subscription-id': '${{ vars.AZURE_SUBSCRIPTION_ID }}',
      });
    }
    assert.doesNotMatch(text, /client-secret|creds:|AZURE_CREDENTIALS|postgres:\/\//, 'no stored Azure secret, no literal database URL');
    assert.deepEqual(
      [...text.matchAll(/secrets\.(\w+)/g)].map((m) => m[1]).filter((n, i, all) => all.indexOf(n) === i),
      ['DATABASE_URL'],
    );

    const index = (pattern: RegExp) => steps.findIndex((s) => pattern.test(String(s.run ?? '')));
    const check = steps[index(/restorecheck check /)]!;
    const restore = steps[index(/restorecheck restore-test --config/)]!;
    for (const step of [check, restore]) {
      assert.match(String(step.run), /--config restorecheck\.yaml --out-dir reports/);
      for (const format of ['json', 'markdown', 'html', 'junit']) assert.match(String(step.run), new RegExp(`--format ${format}\\b`));
      assert.deepEqual(step.env, { DATABASE_URL: '${{ secrets.DATABASE_URL }}' });
      assert.equal(step['continue-on-error'], undefined, 'a failing command must fail the job');
      assert.equal(step.shell, undefined, 'the default shell stops on a non-zero exit');
    }
    assert.ok(index(/restorecheck check /) < index(/restorecheck restore-test --config/));
    assert.ok(
      logins.some((l) => steps.indexOf(l) < steps.indexOf(check)),
      'login before check',
    );
    // restore-test also runs after a failed check (not after a cancel, nor when check never ran).
    assert.match(String(restore.if), /!cancelled\(\)/);
    assert.match(String(restore.if), /steps\.check\.outcome == 'failure'/);
    assert.equal(check.id, 'check');

    // restore-test cleanup: at the start (a failure there does not stop the run), and after the restore test always,
    // with a login of its own (the restore test may outlast the last one).
    const cleanups = steps.filter((s) => /^restorecheck restore-test cleanup --config restorecheck\.yaml$/.test(String(s.run ?? '')));
    assert.equal(cleanups.length, 2);
    const [first, last] = cleanups as [Step, Step];
    assert.ok(steps.indexOf(first) < steps.indexOf(check), 'a cleanup before check and the restore test');
    assert.ok(
      logins.some((l) => steps.indexOf(l) < steps.indexOf(first)),
      'after a login',
    );
    assert.equal(first['continue-on-error'], true);
    assert.ok(steps.indexOf(last) > steps.indexOf(restore), 'a cleanup after the restore test');
    assert.equal(last.if, 'always()');
    assert.equal(last['continue-on-error'], undefined, 'a failed deletion at the end fails the job');
    const lastLogin = steps[steps.indexOf(last) - 1]!;
    assert.match(String(lastLogin.uses), /^azure\/login@/);
    assert.equal(lastLogin.if, 'always()');
    for (const step of cleanups) assert.deepEqual(step.env, { DATABASE_URL: '${{ secrets.DATABASE_URL }}' });

    const upload = steps.find((s) => String(s.uses).startsWith('actions/upload-artifact@'))!;
    assert.equal(upload.if, 'always()');
    assert.equal(String(upload.with!.path).replace(/\/$/, ''), 'reports');
    assert.ok(steps.indexOf(upload) > steps.indexOf(restore));
    const node = steps.find((s) => String(s.uses).startsWith('actions/setup-node@'))!;
    assert.equal(String(node.with!['node-version']), '24');
    const install = steps.find((s) => s.name === 'Install restorecheck')!;
    assert.match(String(install.run), /^npm install --global "git\+https:\/\/example\.org\/medicapp\/restorecheck\.git#v\$RESTORECHECK_VERSION"\n/);
    assert.ok(steps.indexOf(node) < steps.indexOf(install));
    assert.match(text, /GITHUB_STEP_SUMMARY/, 'a comment says why no summary step is needed');

    // The runner's public IPv4 address, for restoreTest.clientIp: found before any step reads the configuration, never failing the job.
    const detect = index(/curl -fsS --max-time 10 https:\/\/api\.ipify\.org/);
    assert.ok(detect >= 0 && detect < steps.indexOf(first) && detect < steps.indexOf(restore), 'address detection before the first restorecheck step');
    assert.match(String(steps[detect]!.run), /echo "RESTORECHECK_CLIENT_IP=\$ip" >> "\$GITHUB_ENV"/);
    assert.equal(steps[detect]!['continue-on-error'], true, 'a failed detection does not fail the job');
  });

  it("the workflow's check command runs as written and leaves every report where the upload step looks, and the checklist in the job summary", async () => {
    const wf = parseYaml(readFileSync(join(dir, GITHUB), 'utf8')) as { jobs: Record<string, { steps: Step[] }> };
    const line = String(Object.values(wf.jobs)[0]!.steps.find((s) => /restorecheck check /.test(String(s.run ?? '')))!.run);
    const [program, ...args] = line.trim().split(/\s+/);
    assert.equal(program, 'restorecheck');
    const summary = join(dir, 'step-summary.md');
    // Only the database check: a closed port answers at once, where the Azure checks would look for a credential.
    const run = await runCli([...args, '--only', 'db-connectivity'], {
      cwd: dir,
      env: { DATABASE_URL: 'postgres://reader:pw@127.0.0.1:1/medicapp?sslmode=disable', GITHUB_STEP_SUMMARY: summary, CI: 'true' },
    });
    assert.equal(run.code, 2, run.stderr); // could not connect: incomplete, which fails the step
    const reports = readdirSync(join(dir, 'reports'))
      .map((f) => f.replace(/^.*\./, ''))
      .sort();
    for (const ext of ['html', 'json', 'md', 'xml']) assert.ok(reports.includes(ext), `reports/ holds a .${ext}`);
    assert.match(readFileSync(summary, 'utf8'), /db-connectivity/);
  });

  it('writes an Azure DevOps pipeline: monthly schedule, AzureCLI@2 on a service connection, JUnit results and the reports published', () => {
    const text = readFileSync(join(dir, AZURE_DEVOPS), 'utf8');
    const pipeline = parseYaml(text) as { trigger: unknown; schedules: Array<Record<string, unknown>>; jobs: Array<{ steps: Step[] }> };
    assert.equal(pipeline.trigger, 'none');
    assert.match(String(pipeline.schedules[0]!.cron), /^\d{1,2} \d{1,2} \d{1,2} \* \*$/);
    assert.equal(pipeline.schedules[0]!.always, true);
    const steps = pipeline.jobs[0]!.steps;
    const cli = steps.filter((s) => s.task === 'AzureCLI@2');
    // restore-test cleanup, check, restore-test, and restore-test cleanup again.
    assert.equal(cli.length, 4);
    assert.match(String(cli[1]!.inputs!.inlineScript), /restorecheck check --config restorecheck\.yaml --out-dir reports/);
    assert.match(String(cli[2]!.inputs!.inlineScript), /restorecheck restore-test --config restorecheck\.yaml --out-dir reports/);
    assert.match(String(cli[2]!.condition), /not\(canceled\(\)\)/);
    for (const cleanup of [cli[0]!, cli[3]!]) assert.equal(cleanup.inputs!.inlineScript, 'restorecheck restore-test cleanup --config restorecheck.yaml\n');
    assert.equal(cli[0]!.continueOnError, true, 'a failed cleanup at the start does not stop the run');
    assert.equal(cli[0]!.condition, undefined);
    assert.equal(cli[3]!.condition, 'always()');
    assert.equal(cli[3]!.continueOnError, undefined, 'a failed deletion at the end fails the run');
    for (const task of cli) {
      assert.equal(task.inputs!.scriptType, 'bash');
      assert.equal(typeof task.inputs!.azureSubscription, 'string');
      assert.equal(task.inputs!.failOnStandardError, false, 'diagnostics on stderr must not fail the task; the exit code does');
      assert.deepEqual(task.env, { DATABASE_URL: '$(DATABASE_URL)' });
    }
    const results = steps.find((s) => s.task === 'PublishTestResults@2')!;
    assert.equal(results.inputs!.testResultsFormat, 'JUnit');
    assert.equal(results.inputs!.testResultsFiles, 'reports/*.xml');
    assert.equal(results.condition, 'always()');
    const artifact = steps.find((s) => s.task === 'PublishPipelineArtifact@1')!;
    assert.equal(artifact.inputs!.targetPath, 'reports');
    assert.equal(artifact.condition, 'always()');
    assert.doesNotMatch(text, /postgres:\/\//);

    const detect = steps.findIndex((s) => /curl -fsS --max-time 10 https:\/\/api\.ipify\.org/.test(String(s.script ?? '')));
    assert.ok(detect >= 0 && detect < steps.indexOf(cli[0]!), 'address detection before the first restorecheck task');
    assert.match(String(steps[detect]!.script), /echo "##vso\[task\.setvariable variable=RESTORECHECK_CLIENT_IP\]\$ip"/);
    assert.equal(steps[detect]!.continueOnError, true, 'a failed detection does not fail the run');
  });

  it('refuses to overwrite: names the files, writes nothing, and --force replaces them all', async () => {
    const other = freshDir();
    mkdirSync(join(other, '.github/workflows'), { recursive: true });
    writeFileSync(join(other, GITHUB), 'mine\n');
    const refused = await initIn(other);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /will not overwrite \.github\/workflows\/restorecheck\.yml/);
    assert.match(refused.stderr, /--force/);
    assert.deepEqual(filesUnder(other), [GITHUB], 'nothing else was written');
    assert.equal(readFileSync(join(other, GITHUB), 'utf8'), 'mine\n');
    const forced = await initIn(other, ['--force']);
    assert.equal(forced.code, 0, forced.stderr);
    assert.deepEqual(filesUnder(other), [AZURE_DEVOPS, GITHUB, CONFIG].sort());
    assert.match(readFileSync(join(other, GITHUB), 'utf8'), /azure\/login/);
  });
});

describe('restorecheck init: choices and bad input', () => {
  it('--report-store and --sign: report.store and report.signingKey in a configuration validate-config accepts with a real key', async () => {
    const dir = freshDir();
    const run = await initIn(dir, ['--report-store', 'medicapprecords/restorecheck-records', '--sign']);
    assert.equal(run.code, 0, run.stderr);
    const text = readFileSync(join(dir, CONFIG), 'utf8');
    const config = parseYaml(text) as { report: Record<string, unknown> };
    assert.deepEqual(config.report, {
      dir: 'reports',
      store: { account: 'medicapprecords', container: 'restorecheck-records' },
      minRetentionDays: 365,
      signingKey: '${REPORT_SIGNING_KEY}',
    });
    assert.match(text, /default azure\.storage\.resourceGroup \(medicapp-rg\)/);
    assert.match(text, /# resourceGroup: medicapp-rg {3}# uncomment/, 'another account than azure.storage: its resource group shown as a comment');
    assert.match(text, /az storage container immutability-policy create -g medicapp-rg --account-name medicapprecords -c restorecheck-records --period 365/);
    assert.match(text, /az storage container immutability-policy lock .* --if-match "<etag>"/);
    assert.match(text, /Storage Blob Data Contributor on the container/);
    // The next steps: the key is made by the user (never written by init), and how the auditor checks it.
    assert.match(run.stdout, /openssl genpkey -algorithm ed25519 -out restorecheck-signing\.pem/);
    assert.match(run.stdout, /openssl pkey -in restorecheck-signing\.pem -pubout -out restorecheck-signing\.pub\.pem/);
    assert.match(run.stdout, /restorecheck report verify DIR --public-key restorecheck-signing\.pub\.pem/);
    assert.match(
      run.stdout,
      /--role "Storage Blob Data Contributor" --scope .*storageAccounts\/medicapprecords\/blobServices\/default\/containers\/restorecheck-records/,
    );
    assert.doesNotMatch(filesUnder(dir).join(' '), /\.pem/, 'init writes no key');

    const { privateKey } = generateKeyPairSync('ed25519');
    const env = {
      DATABASE_URL: 'postgres://reader:pw@medicappdbprod.postgres.database.azure.com:5432/medicapp',
      REPORT_SIGNING_KEY: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    };
    const valid = await runCli(['validate-config', '--config', CONFIG], { cwd: dir, env });
    assert.equal(valid.code, 0, valid.stderr);
    assert.match(valid.stdout, /restore-test-freshness +yes/, 'report.dir, filled from the store, lets restore-test-freshness run');
    const unset = await runCli(['validate-config', '--config', CONFIG], { cwd: dir, env: { DATABASE_URL: env.DATABASE_URL } });
    assert.equal(unset.code, 2);
    assert.match(unset.stderr, /REPORT_SIGNING_KEY is not set/);
    // The same answers without --sign: no key in the configuration, no secret in the CI files.
    const plain = freshDir();
    assert.equal((await initIn(plain, ['--report-store', 'medicapprecords/restorecheck-records'])).code, 0);
    assert.equal('signingKey' in (parseYaml(readFileSync(join(plain, CONFIG), 'utf8')) as { report: object }).report, false);
    for (const file of [GITHUB, AZURE_DEVOPS]) assert.doesNotMatch(readFileSync(join(plain, file), 'utf8'), /SIGNING_KEY/);
  });

  it('a bad --report-store is exit 2 naming the rule, and nothing is written', async () => {
    for (const [value, problem] of [
      ['medicapprecords', /--report-store "medicapprecords": must be ACCOUNT\/CONTAINER/],
      ['Medicapp-Records/restorecheck-records', /the account "Medicapp-Records" must be a storage account name: 3 to 24 lowercase letters and digits/],
      ['medicapprecords/Records_2026', /the container "Records_2026" must be a blob container name: 3 to 63 lowercase letters, digits and single hyphens/],
      ['medicapprecords/rc/x', /must be ACCOUNT\/CONTAINER/],
    ] as const) {
      const dir = freshDir();
      const run = await initIn(dir, ['--report-store', value]);
      assert.equal(run.code, 2, value);
      assert.match(run.stderr, problem);
      assert.match(run.stderr, /correct them and run init again/);
      assert.deepEqual(filesUnder(dir), []);
    }
  });

  it('--rollback-on-failure without --backup-before-deploy is exit 2 naming both flags, and nothing is written; with it, the rollback workflow', async () => {
    const dir = freshDir();
    const refused = await initIn(dir, ['--ci', 'github', '--rollback-on-failure']);
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /--rollback-on-failure: needs --backup-before-deploy/);
    assert.deepEqual(filesUnder(dir), []);
    const both = freshDir();
    const run = await initIn(both, ['--ci', 'github', '--backup-before-deploy', '--rollback-on-failure']);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(filesUnder(both), [GITHUB, BACKUP_WORKFLOW, ROLLBACK_WORKFLOW, CONFIG].sort());
    assert.ok(run.stdout.includes(`wrote ${ROLLBACK_WORKFLOW}`));
    assert.match(run.stdout, /Next steps:[\s\S]*Rollback: .*uses \.\/\.github\/workflows\/restorecheck-rollback\.yml/);
    const workflow = parseYaml(readFileSync(join(both, ROLLBACK_WORKFLOW), 'utf8')) as { on: Record<string, unknown> };
    assert.ok('workflow_call' in workflow.on);
  });

  it('--ci github writes no Azure DevOps pipeline, --ci none only the configuration; --dir writes elsewhere', async () => {
    const repo = freshDir();
    const github = await runCli(['init', ...FLAGS, '--ci', 'github', '--dir', repo], { cwd: tmpdir() });
    assert.equal(github.code, 0, github.stderr);
    assert.deepEqual(filesUnder(repo), [GITHUB, CONFIG].sort());
    const none = freshDir();
    assert.equal((await runCli(['init', ...FLAGS, '--ci', 'none', '--dir', none])).code, 0);
    assert.deepEqual(filesUnder(none), [CONFIG]);
  });

  it('--database-url-env names the variable in the configuration and the secret in both pipelines', async () => {
    const dir = freshDir();
    const run = await initIn(dir, ['--database-url-env', 'CLINIC_DB_URL']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(readFileSync(join(dir, CONFIG), 'utf8'), /url: \$\{CLINIC_DB_URL\}/);
    assert.match(readFileSync(join(dir, GITHUB), 'utf8'), /CLINIC_DB_URL: \$\{\{ secrets\.CLINIC_DB_URL \}\}/);
    assert.match(readFileSync(join(dir, AZURE_DEVOPS), 'utf8'), /CLINIC_DB_URL: \$\(CLINIC_DB_URL\)/);
    const valid = await runCli(['validate-config', '--config', CONFIG], { cwd: dir, env: { CLINIC_DB_URL: 'postgres://r:pw@db:5432/clinic' } });
    assert.equal(valid.code, 0, valid.stderr);
  });

  it('a bad subscription id is exit 2 with the reason, and nothing is written', async () => {
    const dir = freshDir();
    const run = await runCli(['init', ...FLAGS.map((f) => (f === SUBSCRIPTION ? '1b2c3d4e-0000-4000-8000' : f))], { cwd: dir });
    assert.equal(run.code, 2);
    assert.match(run.stderr, /--subscription-id "1b2c3d4e-0000-4000-8000": must be a subscription id/);
    assert.deepEqual(filesUnder(dir), []);
  });

  it('every bad Azure name is reported at once', async () => {
    const dir = freshDir();
    const run = await runCli(
      [
        'init',
        '--subscription-id',
        SUBSCRIPTION,
        '--resource-group',
        'rg.',
        '--server',
        'MedicApp_DB',
        '--storage-account',
        'medicapp-storage',
        '--container',
        'Docs',
        '--database-url-env',
        '1URL',
        '--install-from',
        'npm',
      ],
      { cwd: dir },
    );
    assert.equal(run.code, 2);
    for (const flag of ['--resource-group', '--server', '--storage-account', '--container', '--database-url-env'])
      assert.match(run.stderr, new RegExp(`${flag} "`));
    assert.deepEqual(filesUnder(dir), []);
  });

  it('without a terminal, missing answers are a usage error listing the flags (exit 2), and nothing is written', async () => {
    const dir = freshDir();
    const run = await runCli(['init', '--environment', 'production'], { cwd: dir });
    assert.equal(run.code, 2);
    assert.match(run.stderr, /no terminal to ask on/);
    for (const flag of ['--subscription-id', '--resource-group', '--server', '--storage-account', '--install-from'])
      assert.match(run.stderr, new RegExp(`^\\s+${flag}\\s`, 'm'));
    assert.doesNotMatch(run.stderr, /--environment\s/, 'an answer given is not listed');
    assert.deepEqual(filesUnder(dir), []);
  });

  it('--install-from: nonsense is exit 2 naming the forms; npm is taken with a warning that this version is not published', async () => {
    const bad = freshDir();
    const nonsense = await runCli(['init', ...FLAGS.slice(0, -2), '--install-from', 'latest'], { cwd: bad });
    assert.equal(nonsense.code, 2);
    assert.match(nonsense.stderr, /--install-from "latest": must be npm, git\+https:\/\/…\/restorecheck\.git#v\d+\.\d+\.\d+, or a restorecheck-/);
    assert.deepEqual(filesUnder(bad), []);
    const dir = freshDir();
    const npm = await runCli(['init', ...FLAGS.slice(0, -2), '--install-from', 'npm', '--ci', 'github'], { cwd: dir });
    assert.equal(npm.code, 0, npm.stderr);
    assert.match(npm.stderr, /warning: restorecheck \d+\.\d+\.\d+ is not on the npm registry yet/);
    assert.match(readFileSync(join(dir, GITHUB), 'utf8'), /npm install --global "restorecheck@\$RESTORECHECK_VERSION"/);
    assert.match(readFileSync(join(dir, GITHUB), 'utf8'), /is not published there yet/);
  });

  it('--dir that does not exist is exit 2', async () => {
    const run = await runCli(['init', ...FLAGS, '--dir', join(freshDir(), 'nope')]);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /not an existing directory/);
  });
});

/** util-linux `script` gives the child a real pseudo-terminal; it forwards its own stdin (our typed answers) to it. */
const hasScript = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;

function onTerminal(args: string[], typed: string, cwd: string): { code: number | null; output: string } {
  const command = ['node', BIN, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const result = spawnSync('script', ['-qfec', command, '/dev/null'], {
    cwd,
    input: typed,
    encoding: 'utf8',
    timeout: 30_000,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1', TERM: 'dumb' },
  });
  return { code: result.status, output: result.stdout + result.stderr };
}

describe('restorecheck init on a terminal', { skip: hasScript ? false : 'util-linux `script` is not installed' }, () => {
  it('asks for what the flags did not give, shows defaults, asks again after a bad answer', () => {
    const dir = freshDir();
    // environment, subscription (bad, then good), resource group, server, storage account, storage RG (default), container (left out), env var (default), CI.
    // Then where CI installs from (bad, then good).
    const typed = [
      'staging',
      'not-a-uuid',
      SUBSCRIPTION,
      'medicapp-rg',
      'medicappdbstaging',
      'medicappstorage',
      '',
      '',
      '',
      'github',
      'latest',
      'git+https://example.org/medicapp/restorecheck.git',
      '', // no report store
      '', // not signed (default no)
      '', // no backup-before-deploy workflow (default no)
      '',
    ].join('\n');
    const run = onTerminal(['init'], typed, dir);
    assert.equal(run.code, 0, run.output);
    assert.match(run.output, /Environment label .*\[production\]: /);
    assert.match(run.output, /Azure subscription id: +must be a subscription id/);
    assert.match(run.output, /Resource group of the storage account \[medicapp-rg\]: /);
    assert.match(run.output, /Where CI installs restorecheck from \(npm, git\+https:.*\): +must be npm/);
    assert.deepEqual(filesUnder(dir), [GITHUB, CONFIG].sort());
    assert.match(readFileSync(join(dir, GITHUB), 'utf8'), /git\+https:\/\/example\.org\/medicapp\/restorecheck\.git#v\$RESTORECHECK_VERSION/);
    const config = parseYaml(readFileSync(join(dir, CONFIG), 'utf8')) as {
      environment: string;
      azure: { postgres: { server: string }; storage: Record<string, unknown> };
    };
    assert.equal(config.environment, 'staging');
    assert.equal(config.azure.postgres.server, 'medicappdbstaging');
    assert.equal(config.azure.storage.resourceGroup, 'medicapp-rg');
    assert.equal('container' in config.azure.storage, false, 'an empty answer leaves the container out');
  });

  it('asks only what the flags did not answer, and nothing at all when they answer every required question', () => {
    const dir = freshDir();
    // server, then the two questions with defaults (storage resource group, database URL variable), no report store, not signed.
    const run = onTerminal(
      ['init', ...FLAGS.filter((f, i, all) => f !== '--server' && all[i - 1] !== '--server'), '--ci', 'none'],
      'medicappdbprod\n\n\n\n\n',
      dir,
    );
    assert.equal(run.code, 0, run.output);
    assert.match(run.output, /Flexible Server name: /);
    assert.doesNotMatch(run.output, /Azure subscription id:/);
    assert.ok(existsSync(join(dir, CONFIG)));
    const quiet = onTerminal(['init', ...FLAGS, '--dir', freshDir()], '', dir);
    assert.equal(quiet.code, 0, quiet.output);
    assert.doesNotMatch(quiet.output, /Environment label|Azure subscription id|Resource group of/, 'no question asked');
  });

  it('asks whether to write the rollback workflow only after yes to the backup before deploy', () => {
    const dir = freshDir();
    const flags = ['init', ...FLAGS.filter((f, i, all) => f !== '--server' && all[i - 1] !== '--server')];
    // server, storage resource group (default), database URL variable (default), CI, no report store, not signed, then the two yes.
    const run = onTerminal(flags, ['medicappdbprod', '', '', 'github', '', '', 'yes', 'yes', ''].join('\n'), dir);
    assert.equal(run.code, 0, run.output);
    assert.match(run.output, /Also write a rollback workflow for a failed deployment .*\[no\]: /);
    assert.deepEqual(filesUnder(dir), [GITHUB, BACKUP_WORKFLOW, ROLLBACK_WORKFLOW, CONFIG].sort());
    const without = freshDir();
    const no = onTerminal(flags, ['medicappdbprod', '', '', 'github', '', '', 'no', ''].join('\n'), without);
    assert.equal(no.code, 0, no.output);
    assert.doesNotMatch(no.output, /rollback workflow/, 'not asked without the backup workflow');
    assert.deepEqual(filesUnder(without), [GITHUB, CONFIG].sort());
  });

  it('end of input (Ctrl-D) stops with exit 2 and writes nothing', () => {
    const dir = freshDir();
    const run = onTerminal(['init'], 'production\n', dir);
    assert.equal(run.code, 2, run.output);
    assert.match(run.output, /init stopped: no more input/);
    assert.deepEqual(filesUnder(dir), []);
  });
});
