/**
 * The built binary, as a user's CI job runs it: exit codes, stdout, stderr, no secret anywhere.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type PostgresCluster, freePort, startCluster } from '../../src/simulator/postgres-cluster.js';
import { type CliResult, runCli } from '../helpers/cli.js';

const CANARY = 'Canary-Secret-91d2e';
let cluster: PostgresCluster;
let dir: string;
let env: Record<string, string>;

/** Every output of every run is checked for the canary and for stack traces. */
async function cli(args: string[], extraEnv: Record<string, string> = {}): Promise<CliResult> {
  const result = await runCli(args, { env: { ...env, ...extraEnv }, cwd: dir });
  for (const [name, text] of [
    ['stdout', result.stdout],
    ['stderr', result.stderr],
  ] as const) {
    assert.ok(!text.includes(CANARY), `the canary password appeared in ${name}:\n${text}`);
    assert.doesNotMatch(text, /\n\s+at .+:\d+:\d+/, `a stack trace in ${name}:\n${text}`);
  }
  return result;
}

async function config(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

const healthy = `environment: production
database:
  url: \${DATABASE_URL}
  alembic:
    expectedHead: 4b2d9c1e7f00
  coreTables:
    - { name: patients, minRows: 2 }
    - { name: public.documents }
`;

before(async () => {
  cluster = await startCluster();
  dir = await mkdtemp(join(tmpdir(), 'restorecheck-cli-'));
  await cluster.sql(`CREATE ROLE app LOGIN PASSWORD '${CANARY}'`);
  await cluster.sql('CREATE DATABASE clinic OWNER app');
  await cluster.sql(
    `
    CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY); INSERT INTO alembic_version VALUES ('4b2d9c1e7f00');
    CREATE TABLE patients (id int); INSERT INTO patients VALUES (1), (2), (3);
    CREATE TABLE documents (id int, blob_name text); INSERT INTO documents VALUES (1, 'a.pdf');
    GRANT SELECT ON ALL TABLES IN SCHEMA public TO app;`,
    'clinic',
  );
  env = { DATABASE_URL: cluster.url({ user: 'app', password: CANARY, database: 'clinic', params: { sslmode: 'disable' } }) };
});

after(async () => {
  await cluster?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('restorecheck check', () => {
  it('exits 0 and prints the console summary when every check passes', async () => {
    const r = await cli(['check', '--config', await config('ok.yaml', healthy)]);
    assert.equal(r.code, 0, r.stderr);
    for (const id of ['db-connectivity', 'db-alembic-version', 'db-core-row-counts']) assert.match(r.stdout, new RegExp(`PASS\\s+${id}`));
    assert.match(r.stdout, /SKIP\s+signed-document/);
    assert.match(r.stdout, /outcome PASS \(exit 0\)/);
    assert.doesNotMatch(r.stdout, /\u001b\[/, 'no colour without a TTY');
  });

  it('--format json prints only the contract document on stdout', async () => {
    const r = await cli(['check', '--config', await config('ok.yaml', healthy), '--format', 'json']);
    assert.equal(r.code, 0, r.stderr);
    // biome-ignore lint/suspicious/noExplicitAny: the test walks the report's JSON freely; its shape is what it asserts
    const report = JSON.parse(r.stdout) as Record<string, any>;
    assert.equal(report.schemaVersion, 1);
    assert.deepEqual(report.tool, { name: 'restorecheck', version: '0.1.0' });
    assert.equal(report.run.command, 'check');
    assert.equal(report.run.environment, 'production');
    const ids = report.checks.map((c: { id: string }) => c.id);
    assert.deepEqual(ids, [...ids].sort(), 'checks are sorted by id');
    const evaluated = report.checks.filter((c: { status: string }) => c.status !== 'skipped').map((c: { id: string }) => c.id);
    assert.deepEqual(evaluated, ['db-alembic-version', 'db-connectivity', 'db-core-row-counts']);
    for (const c of report.checks.filter((x: { status: string }) => x.status === 'skipped')) assert.match(c.message, /^Not evaluated: no /, c.id);
    assert.deepEqual(report.summary, { pass: 3, fail: 0, warn: 0, error: 0, skipped: ids.length - 3 });
    assert.equal(report.outcome, 'pass');
    const connectivity = report.checks.find((c: { id: string }) => c.id === 'db-connectivity');
    assert.deepEqual(Object.keys(connectivity).slice(0, 9), [
      'id',
      'title',
      'status',
      'severity',
      'message',
      'evidence',
      'remediation',
      'controls',
      'durationMs',
    ]);
    assert.equal(typeof connectivity.evidence.latencyMs, 'number');
    assert.equal(report.checks.find((c: { id: string }) => c.id === 'db-core-row-counts').evidence.counts.patients, 3);
  });

  it('exits 1 when a check fails, and --fail-on above its severity lets it through', async () => {
    const path = await config('short.yaml', healthy.replace('minRows: 2', 'minRows: 10'));
    const r = await cli(['check', '--config', path]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /FAIL\s+db-core-row-counts\s+Core tables not as expected: "patients" has 3 \(minimum 10\)/);
    assert.match(r.stdout, /fix: /);
    assert.equal((await cli(['check', '--config', path, '--fail-on', 'critical'])).code, 0);
  });

  it('exits 2 when the database cannot be reached, with the hint', async () => {
    const port = await freePort();
    const r = await cli(['check', '--config', await config('ok.yaml', healthy)], {
      DATABASE_URL: `postgres://app:${CANARY}@127.0.0.1:${port}/clinic?sslmode=disable`,
    });
    assert.equal(r.code, 2);
    assert.match(r.stdout, /ERROR\s+db-connectivity\s+Not evaluated: connection refused/);
    assert.match(r.stdout, /hint: is PostgreSQL running/);
    assert.match(r.stdout, /outcome INCOMPLETE \(exit 2\)/);
  });

  it('exits 2 naming the password problem, without printing the password', async () => {
    const r = await cli(['check', '--config', await config('ok.yaml', healthy), '--format', 'json'], {
      DATABASE_URL: env.DATABASE_URL!.replace(CANARY, `${CANARY}x`),
    });
    assert.equal(r.code, 2);
    const report = JSON.parse(r.stdout) as { checks: Array<{ id: string; status: string; errorKind?: string }> };
    assert.equal(report.checks.find((c) => c.id === 'db-connectivity')?.errorKind, 'auth');
  });

  it('--only runs just the named checks, and refuses an unknown id', async () => {
    const path = await config('ok.yaml', healthy);
    const r = await cli(['check', '--config', path, '--only', 'db-connectivity', '--format', 'json']);
    assert.deepEqual(
      (JSON.parse(r.stdout) as { checks: Array<{ id: string }> }).checks.map((c) => c.id),
      ['db-connectivity'],
    );
    const bad = await cli(['check', '--config', path, '--only', 'db-conectivity']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /unknown check id "db-conectivity"/);
    assert.equal(bad.stdout, '');
  });

  it('--out-dir writes the JSON record under the contract name', async () => {
    const out = join(dir, 'reports');
    const r = await cli(['check', '--config', await config('ok.yaml', healthy), '--out-dir', out]);
    assert.equal(r.code, 0);
    const files = (await readdir(out)).sort();
    assert.equal(files.length, 2, files.join(', '));
    assert.match(files[0]!, /^\d{8}T\d{6}Z-production-check\.json$/);
    assert.equal(files[1], 'audit.log.jsonl');
    const text = await readFile(join(out, files[0]!), 'utf8');
    assert.ok(!text.includes(CANARY));
    assert.equal((JSON.parse(text) as { outcome: string }).outcome, 'pass');
    assert.match(r.stdout, /outcome PASS/, 'the console summary still shows');
    assert.ok(!(await readFile(join(out, 'audit.log.jsonl'), 'utf8')).includes(CANARY));
    assert.equal((await cli(['report', 'verify', out])).code, 0);
  });

  it('refuses several formats without a directory', async () => {
    const r = await cli(['check', '--config', await config('ok.yaml', healthy), '--format', 'json', '--format', 'console']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /need a directory/);
  });
});

describe('configuration errors exit 2 with every problem named', () => {
  it('a missing file', async () => {
    const r = await cli(['check', '--config', 'nope.yaml']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /nope\.yaml: cannot read the configuration file \(file not found\)/);
    assert.equal(r.stdout, '');
  });

  it('bad YAML, an unknown key, a wrong type, a missing variable, all at once where possible', async () => {
    const bad = await cli(['check', '--config', await config('bad.yaml', 'environment: [\n')]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /not valid YAML/);
    const several = await cli([
      'validate-config',
      '--config',
      await config('several.yaml', 'environment: prod\ndatabase:\n  url: ${MISSING_URL}\n  statementTimeoutMs: soon\n  coreTabels: []\n'),
    ]);
    assert.equal(several.code, 2);
    assert.match(several.stderr, /invalid configuration \(3 problems\)/);
    assert.match(several.stderr, /database\.url: environment variable MISSING_URL is not set/);
    assert.match(several.stderr, /database\.statementTimeoutMs: expected number, got string "soon"/);
    assert.match(several.stderr, /database\.coreTabels: unknown key \(did you mean "coreTables"\?\)/);
    assert.match(
      several.stderr,
      /hint: export MISSING_URL=… in the shell before running restorecheck \(in a CI job: set it in the step's env, from a secret\); fix the other problems/,
    );
    const one = await cli(['validate-config', '--config', await config('one.yaml', 'environment: prod\ndatabase:\n  url: ${MISSING_URL}\n')]);
    assert.equal(one.code, 2);
    assert.match(
      one.stderr,
      /^hint: export MISSING_URL=… in the shell before running restorecheck \(in a CI job: set it in the step's env, from a secret\), then run it again$/m,
    );
  });

  it('a missing --config and an unknown command', async () => {
    const missing = await cli(['check']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /config/);
    const unknown = await cli(['chekc']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /Unknown argument: chekc|Did you mean check/);
  });
});

describe('validate-config and list-checks', () => {
  it('validate-config contacts nothing and masks the password', async () => {
    const port = await freePort();
    const r = await cli(['validate-config', '--config', await config('ok.yaml', healthy)], {
      DATABASE_URL: `postgres://app:${CANARY}@127.0.0.1:${port}/clinic`,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /valid configuration for environment "production"/);
    assert.match(r.stdout, new RegExp(`postgres://app:\\*\\*\\*@127\\.0\\.0\\.1:${port}/clinic`));
    assert.match(r.stdout, /signed-document\s+skipped: no database\.signedDocument query configured/);
  });

  it('validate-config in fleet mode says the Azure checks run on each discovered resource, not that they are skipped', async () => {
    const fleet = [
      'environment: production',
      'azure:',
      '  subscriptionId: 11111111-0000-4000-8000-000000000001',
      '  discover:',
      '    subscriptions: all',
      '    kinds: [postgres]',
      '    overrides:',
      '      - { name: "prod-*", postgres: { minRetentionDays: 35 } }',
    ].join('\n');
    const r = await cli(['validate-config', '--config', await config('fleet.yaml', `${fleet}\n`)]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /azure\.discover: every subscription the identity can read, tag restorecheck=on, Flexible Servers; 1 override/);
    assert.match(r.stdout, /pgflex-backup-retention\s+on each discovered Flexible Server/);
    assert.match(r.stdout, /blob-versioning\s+skipped: azure\.discover\.kinds leaves out storage accounts/);
  });

  it('list-checks prints the catalogue, also as JSON', async () => {
    const r = await cli(['list-checks']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /db-connectivity\s+critical/);
    const json = JSON.parse((await cli(['list-checks', '--format', 'json'])).stdout) as Array<{ id: string; controls: unknown[] }>;
    assert.ok(json.some((c) => c.id === 'db-core-row-counts' && c.controls.length > 0));
  });

  it('every command answers --help', async () => {
    for (const command of ['check', 'validate-config', 'list-checks']) {
      const r = await cli([command, '--help']);
      assert.equal(r.code, 0, command);
      assert.match(r.stdout, new RegExp(`restorecheck ${command}`));
    }
  });
});
