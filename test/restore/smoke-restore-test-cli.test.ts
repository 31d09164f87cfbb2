/**
 * `restore-test` with restoreTest.smoke and smokeCommand from the CLI, end to end (issue 18): on an archive restored
 * into a throwaway PostgreSQL, and on an Azure point-in-time restore in the simulator with database.auth: entra (the
 * command's PGPASSWORD is then the token). The command prints the copy's password and URL: neither may reach the
 * JSON report, the Markdown report or stderr, while its (masked) output is in the evidence.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type ArchiveParts, assembleArchive, generateParts } from '../fixtures/archive-generator.js';
import { runCli } from '../helpers/cli.js';
import type { Report } from '../helpers/report-types.js';
import { type RestoreWorld, startRestoreWorld } from '../helpers/restore-world.js';
import { parseScenario } from '../../src/simulator/scenario.js';

let work: string;
let parts: ArchiveParts;

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'restorecheck-smoke-cli-'));
  parts = await generateParts({ dir: join(work, 'parts'), postgresRows: 150, mariadbRows: 0, redisKeys: 0, mongoDocuments: 0, minioObjects: 0 });
});

after(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

/** Runs restore-test with the JSON and Markdown reports written to a directory; returns them with the exit code and stderr. */
async function restoreTest(args: string[], env: NodeJS.ProcessEnv = {}) {
  const outDir = await mkdtemp(join(work, 'out-'));
  const r = await runCli(['restore-test', ...args, '--format', 'json', '--format', 'markdown', '--out-dir', outDir], { timeoutMs: 240_000, env });
  const files = await readdir(outDir).catch(() => [] as string[]);
  const json = files.find((f) => f.endsWith('.json'));
  const md = files.find((f) => f.endsWith('.md'));
  assert.ok(json && md, `reports (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  const jsonText = await readFile(join(outDir, json), 'utf8');
  const markdown = await readFile(join(outDir, md), 'utf8');
  const report = JSON.parse(jsonText) as Report;
  const smoke = report.checks.find((c) => c.id === 'restore-smoke');
  assert.ok(smoke, 'a restore-smoke result');
  return { code: r.code, stderr: r.stderr, jsonText, markdown, report, smoke };
}

/** Prints the copy's password and URL, and writes the password where the test can read it (to look for it in every output). */
const printsSecrets = (file: string) =>
  `[sh, -c, 'printf %s "$PGPASSWORD" > ${file}; echo "pw=$PGPASSWORD"; echo "url=$RESTORECHECK_DATABASE_URL"; psql -tAc "SELECT count(*) FROM patients"']`;

describe('restore-test --archive with a smoke test', () => {
  it('passes, and keeps the masked output; the password and URL appear nowhere', async () => {
    const archive = await assembleArchive(parts, { outDir: join(work, 'good') });
    const config = join(work, 'smoke.yaml');
    await writeFile(
      config,
      `environment: production
restoreTest:
  smoke:
    - name: patients
      sql: SELECT count(*) FROM patients
      expect: { atLeast: 100 }
    - name: a document is signed
      sql: SELECT 1 FROM documents WHERE signed_at IS NOT NULL
      expect: { returnsRow: true }
  smokeCommand:
    run: ${printsSecrets(join(work, 'password.txt'))}
    timeoutSeconds: 60
`,
    );
    const r = await restoreTest(['--archive', archive.path, '--config', config]);
    assert.equal(r.smoke.status, 'pass', `${r.smoke.message}\n${r.stderr}\n${JSON.stringify(r.smoke.evidence, null, 1)}`);
    assert.equal(r.code, 0, r.stderr);
    const command = r.smoke.evidence.command as { output: string; exitCode: number };
    assert.match(command.output, /pw=\*\*\*/);
    assert.match(command.output, /url=postgres:\/\/restorecheck_restore:\*\*\*@127\.0\.0\.1:\d+\//);
    assert.match(command.output, /^150$/m);
    // The throwaway role's password, as the command was given it.
    const password = await readFile(join(work, 'password.txt'), 'utf8');
    assert.ok(password.length >= 16);
    for (const text of [r.jsonText, r.markdown, r.stderr]) {
      assert.ok(!text.includes(password), 'the password leaked');
      assert.ok(!text.includes(encodeURIComponent(password)), 'the URL with the password leaked');
    }
    assert.match(r.stderr, /restore-test: running the smoke command sh -c/);
    assert.match(r.stderr, /restore-test: the smoke command exited with 0/);
  });

  it('fails on an expectation not met, and is error for a missing table or a hung query (the run does not wait)', async () => {
    const archive = await assembleArchive(parts, { outDir: join(work, 'bad') });
    const failing = join(work, 'failing.yaml');
    await writeFile(
      failing,
      `environment: production
restoreTest:
  smoke:
    - name: patients
      sql: SELECT count(*) FROM patients
      expect: { atLeast: 1000 }
    - name: appointments
      sql: SELECT 1 FROM appointments
      expect: { returnsRow: true }
  smokeCommand:
    run: [sh, -c, 'exit 1']
`,
    );
    const fail = await restoreTest(['--archive', archive.path, '--config', failing]);
    assert.equal(fail.smoke.status, 'fail');
    const others = fail.report.checks.filter((c) => c.id !== 'restore-smoke' && (c.status === 'error' || c.status === 'fail'));
    assert.deepEqual(
      others.map((c) => `${c.id}: ${c.message}`),
      [],
      'only restore-smoke fails',
    );
    assert.equal(fail.code, 1);
    assert.match(fail.smoke.message, /"patients" returned 150, expected at least 1000/);
    assert.match(fail.smoke.message, /exited with 1, expected 0/);
    assert.match(fail.smoke.message, /"appointments" could not be evaluated/);

    const hanging = join(work, 'hanging.yaml');
    await writeFile(
      hanging,
      `environment: production
restoreTest:
  smokeTimeoutSeconds: 1
  smoke:
    - name: hangs
      sql: SELECT pg_sleep(600)
      expect: { returnsRow: true }
`,
    );
    const started = performance.now();
    const hung = await restoreTest(['--archive', archive.path, '--config', hanging]);
    assert.ok(performance.now() - started < 120_000);
    assert.equal(hung.smoke.status, 'error', hung.smoke.message);
    assert.match(hung.smoke.message, /smokeTimeoutSeconds: 1 s/);
    assert.equal(hung.code, 2, 'an error makes the run incomplete');
  });
});

describe('restoreTest.smoke configuration errors', () => {
  for (const [name, smoke, expected] of [
    [
      'two expectations',
      '    - { name: a, sql: SELECT 1, expect: { returnsRow: true, equals: 1 } }',
      /restoreTest\.smoke\.0\.expect: give exactly one expectation, not returnsRow and equals/,
    ],
    ['no expectation', '    - { name: a, sql: SELECT 1, expect: {} }', /restoreTest\.smoke\.0\.expect: give exactly one expectation: \{ returnsRow: true \}/],
    [
      'duplicate names',
      '    - { name: a, sql: SELECT 1, expect: { equals: 1 } }\n    - { name: a, sql: SELECT 2, expect: { equals: 2 } }',
      /restoreTest\.smoke\.1\.name: "a" is already the name/,
    ],
  ] as const) {
    it(`${name} → exit 2, naming the key`, async () => {
      const config = join(work, `bad-${name.replace(/ /g, '-')}.yaml`);
      await writeFile(config, `environment: production\nrestoreTest:\n  smoke:\n${smoke}\n`);
      const r = await runCli(['validate-config', '--config', config], { timeoutMs: 60_000 });
      assert.equal(r.code, 2, r.stdout + r.stderr);
      assert.match(r.stderr, expected);
      const test = await runCli(['restore-test', '--archive', join(work, 'none.tar.gz'), '--config', config], { timeoutMs: 60_000 });
      assert.equal(test.code, 2, test.stderr);
    });
  }
});

describe('restore-test (Azure point in time, database.auth: entra) with a smoke test', () => {
  let world: RestoreWorld;
  const SUB = '00000000-0000-0000-0000-000000000000';
  const PRINCIPAL = 'restorecheck-restore-identity';

  before(async () => {
    world = await startRestoreWorld();
    const token = world.sim.databaseToken();
    await world.cluster.sql(`
      CREATE TABLE patients (id serial PRIMARY KEY, name text);
      INSERT INTO patients (name) SELECT 'patient ' || g FROM generate_series(1, 123) g;
      CREATE ROLE "${PRINCIPAL}" LOGIN PASSWORD '${token}';
      GRANT SELECT ON patients TO "${PRINCIPAL}";`);
    world.sim.load(
      parseScenario({
        subscriptionId: SUB,
        lro: { pollRetryAfterSeconds: 0 },
        servers: [
          {
            resourceGroup: 'medicapp-rg',
            name: 'medicappdbprod',
            location: 'francecentral',
            state: 'Ready',
            version: '16',
            backup: { backupRetentionDays: 35, geoRedundantBackup: 'Enabled', earliestRestoreDaysAgo: 35 },
            restore: { databaseUrl: world.cluster.url(), durationSeconds: 1 },
          },
        ],
      }),
    );
  });

  after(async () => {
    await world?.stop();
  });

  it('runs the queries and the command on the copy with the token as PGPASSWORD, and the token appears nowhere', async () => {
    const config = join(work, 'azure.json');
    await writeFile(
      config,
      JSON.stringify({
        environment: 'e2e',
        database: { url: `postgres://${PRINCIPAL}@127.0.0.1:${world.cluster.port}/postgres?sslmode=disable`, auth: 'entra' },
        azure: { subscriptionId: SUB, resourceManagerEndpoint: world.sim.endpoint, postgres: { resourceGroup: 'medicapp-rg', server: 'medicappdbprod' } },
        restoreTest: {
          pollIntervalSeconds: 0.2,
          progressIntervalSeconds: 1,
          ledgerDir: join(work, 'ledger'),
          smoke: [{ name: 'patients', sql: 'SELECT count(*) FROM patients', expect: { equals: 123 } }],
          smokeCommand: { run: ['sh', '-c', 'echo "pw=$PGPASSWORD"; echo "url=$RESTORECHECK_DATABASE_URL"; psql -tAc "SELECT count(*) FROM patients"'] },
        },
      }),
    );
    const token = world.sim.databaseToken();
    const r = await restoreTest(['--config', config], world.sim.env);
    assert.equal(r.smoke.status, 'pass', `${r.smoke.message}\n${r.stderr}\n${JSON.stringify(r.smoke.evidence, null, 1)}`);
    const command = r.smoke.evidence.command as { output: string };
    assert.match(command.output, /^123$/m, 'psql signed in to the copy with the token');
    assert.match(command.output, /pw=\*\*\*/);
    for (const text of [r.jsonText, r.markdown, r.stderr]) assert.ok(!text.includes(token), 'the token leaked');
  });
});
