/**
 * `restore-test` with database.auth: entra: production and the restored copy are both read with a Microsoft Entra token
 * from the simulator's managed identity, never a password. The simulator's restore copies the source cluster with
 * pg_dumpall, roles included, as a restored Flexible Server keeps its Entra principals; the principal's role has the
 * simulator's stable ossrdbms token as its SCRAM password (see src/simulator/identity-endpoint.ts), so the copy
 * accepts the same token.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RealRestoreHooks } from '../../src/simulator/point-in-time-restore.js';
import type { PostgresCluster } from '../../src/simulator/postgres-cluster.js';
import type { RunningSimulator } from '../../src/simulator/resource-manager.js';
import { parseScenario } from '../../src/simulator/scenario.js';
import { type RestoreWorld, startRestoreWorld } from '../helpers/restore-world.js';
import { runCli } from '../helpers/cli.js';

const SUB = '00000000-0000-0000-0000-000000000000';
const RG = 'medicapp-rg';
const SOURCE = 'medicappdbprod';
const PRINCIPAL = 'restorecheck-restore-identity';
const PATIENTS = 321;

let world: RestoreWorld;
let sim: RunningSimulator;
let hooks: RealRestoreHooks;
let cluster: PostgresCluster;
let dir: string;
let token: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'restorecheck-restore-entra-'));
  world = await startRestoreWorld();
  ({ sim, hooks, cluster } = world);
  token = sim.databaseToken();
  await cluster.sql(`
    CREATE TABLE patients (id serial PRIMARY KEY, name text);
    INSERT INTO patients (name) SELECT 'patient ' || g FROM generate_series(1, ${PATIENTS}) g;
    CREATE ROLE "${PRINCIPAL}" LOGIN PASSWORD '${token}';
    GRANT SELECT ON patients TO "${PRINCIPAL}";`);
  sim.load(
    parseScenario({
      subscriptionId: SUB,
      lro: { pollRetryAfterSeconds: 0 },
      servers: [
        {
          resourceGroup: RG,
          name: SOURCE,
          location: 'francecentral',
          state: 'Ready',
          version: '16',
          backup: { backupRetentionDays: 35, geoRedundantBackup: 'Enabled', earliestRestoreDaysAgo: 35 },
          restore: { databaseUrl: cluster.url(), durationSeconds: 1 },
        },
      ],
    }),
  );
});

after(async () => {
  await world?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('restore-test with database.auth: entra', () => {
  it('reads production and the restored copy with the token (exit 0), which appears in no output', async () => {
    const configPath = join(dir, 'config.json');
    await writeFile(
      configPath,
      JSON.stringify({
        environment: 'e2e',
        database: {
          url: `postgres://${PRINCIPAL}@127.0.0.1:${cluster.port}/postgres?sslmode=disable`,
          auth: 'entra',
          coreTables: [{ name: 'patients', minRows: 1 }],
        },
        azure: { subscriptionId: SUB, resourceManagerEndpoint: sim.endpoint, postgres: { resourceGroup: RG, server: SOURCE } },
        restoreTest: { pollIntervalSeconds: 0.2, progressIntervalSeconds: 1, ledgerDir: join(dir, 'ledger') },
      }),
    );
    const outDir = join(dir, 'reports');
    const result = await runCli(['restore-test', '--config', configPath, '--format', 'json', '--format', 'markdown', '--out-dir', outDir], {
      env: sim.env,
      timeoutMs: 120_000,
    });
    const files = await readdir(outDir).catch(() => [] as string[]);
    const texts = await Promise.all(files.map((f) => readFile(join(outDir, f), 'utf8')));
    const jsonFile = files.find((f) => f.endsWith('-restore-test.json'));
    assert.ok(jsonFile, `a JSON report:\n${result.stdout}\n${result.stderr}`);
    const report = JSON.parse(texts[files.indexOf(jsonFile)]!) as {
      checks: Array<{ id: string; status: string; message: string; evidence: Record<string, unknown> }>;
    };
    const byId = (id: string) => report.checks.find((c) => c.id === id);
    assert.equal(result.code, 0, `${result.stderr}\n${JSON.stringify(report.checks, null, 1)}`);
    const counts = byId('restore-row-counts-match');
    assert.equal(counts?.status, 'pass', counts?.message);
    assert.deepEqual(counts.evidence.source, { patients: PATIENTS });
    assert.deepEqual(counts.evidence.restored, { patients: PATIENTS });
    // The copy was read on its own address, as the principal (a restored server is a new host, the same roles).
    assert.equal(byId('restore-provision')?.evidence.fullyQualifiedDomainName, '127.0.0.2');
    assert.equal(byId('restore-cleanup')?.status, 'pass');
    const everything = [result.stdout, result.stderr, ...texts].join('\n');
    assert.ok(!everything.includes(token), 'the token appears in an output');
    assert.ok(!everything.includes(sim.identityHeader), 'the identity header appears in an output');
    assert.deepEqual(hooks.running(), []);
  });
});
