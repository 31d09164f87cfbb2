/**
 * The Azure restore test's failures, each in its own class, end to end: the built binary against the Resource Manager
 * simulator (real SDK pollers, real PostgreSQL copies through the real-restore hooks) answering with Azure's documented
 * bodies: a management lock on DELETE (409 ScopeLocked), an Azure Policy deny on PUT (403 RequestDisallowedByPolicy),
 * restores that end Failed with a platform code or a backup-side code, and a resource group that does not exist.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RealRestoreHooks } from '../../src/simulator/point-in-time-restore.js';
import type { PostgresCluster } from '../../src/simulator/postgres-cluster.js';
import type { RunningSimulator } from '../../src/simulator/resource-manager.js';
import { parseScenario, type ScenarioInput } from '../../src/simulator/scenario.js';
import { type RestoreWorld, startRestoreWorld } from '../helpers/restore-world.js';
import { runCli, type CliResult } from '../helpers/cli.js';

const SUB = '00000000-0000-0000-0000-000000000000';
const RG = 'medicapp-rg';
const SOURCE = 'medicappdbprod';

let world: RestoreWorld;
let sim: RunningSimulator;
let hooks: RealRestoreHooks;
let cluster: PostgresCluster;
let dir: string;

interface Check {
  id: string;
  status: string;
  message: string;
  errorKind?: string;
  hint?: string;
}
interface Report {
  checks: Check[];
}
type ServerInput = NonNullable<ScenarioInput['servers']>[number];
type Injections = NonNullable<ScenarioInput['injections']>;

function sourceServer(restore: NonNullable<ServerInput['restore']> = {}): ServerInput {
  return {
    resourceGroup: RG,
    name: SOURCE,
    location: 'francecentral',
    state: 'Ready',
    version: '16',
    backup: { backupRetentionDays: 35, geoRedundantBackup: 'Enabled', earliestRestoreDaysAgo: 35 },
    restore: { databaseUrl: cluster.url(), durationSeconds: 1, ...restore },
  };
}

function scenario(servers: ServerInput[], injections: Injections = []): void {
  sim.load(parseScenario({ subscriptionId: SUB, lro: { pollRetryAfterSeconds: 0 }, servers, injections }));
  sim.requests.length = 0;
}

let configCount = 0;
/** A configuration with the default deleteTimeoutMinutes (30): a retried lock would hold the run for half an hour. */
async function config(postgres: Record<string, unknown> = {}): Promise<string> {
  const n = ++configCount;
  const path = join(dir, `config-${n}.json`);
  await writeFile(
    path,
    JSON.stringify({
      environment: 'e2e',
      database: { url: '${DATABASE_URL}', coreTables: [{ name: 'patients', minRows: 1 }] },
      azure: { subscriptionId: SUB, resourceManagerEndpoint: sim.endpoint, postgres: { resourceGroup: RG, server: SOURCE, ...postgres } },
      restoreTest: { pollIntervalSeconds: 0.2, progressIntervalSeconds: 1, ledgerDir: join(dir, `ledger-${n}`) },
    }),
  );
  return path;
}

const env = (): NodeJS.ProcessEnv => ({ ...sim.env, DATABASE_URL: cluster.url() });

async function restoreTest(configPath: string): Promise<CliResult & { report: Report; wallMs: number }> {
  const started = performance.now();
  const result = await runCli(['restore-test', '--config', configPath, '--format', 'json'], { env: env(), timeoutMs: 120_000 });
  const wallMs = performance.now() - started;
  try {
    return { ...result, wallMs, report: JSON.parse(result.stdout) as Report };
  } catch {
    return assert.fail(`no JSON report (exit ${result.code}):\n${result.stdout}\n${result.stderr}`);
  }
}

const byId = (report: Report, id: string): Check => {
  const found = report.checks.find((c) => c.id === id);
  assert.ok(found, `${id} in the report`);
  return found;
};
const deletes = () => sim.requests.filter((r) => r.method === 'DELETE');
const restoreServers = () => [...Array(4).keys()].map((i) => sim.server(RG, `${SOURCE}-restore-${stamp(i - 2)}`)?.name).filter(Boolean) as string[];
const stamp = (minutes: number) => new Date(Date.now() + minutes * 60_000).toISOString().replace(/[-:T]/g, '').slice(0, 12);

async function noCopiesRunning(): Promise<void> {
  for (let i = 0; i < 100 && hooks.running().length > 0; i++) await new Promise((resolve) => setTimeout(resolve, 100));
  assert.deepEqual(hooks.running(), []);
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'restorecheck-azure-failures-'));
  world = await startRestoreWorld();
  ({ sim, hooks, cluster } = world);
  await cluster.sql(`
    CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY);
    INSERT INTO alembic_version VALUES ('4b2d9c1e7f00');
    CREATE TABLE patients (id serial PRIMARY KEY, name text);
    INSERT INTO patients (name) SELECT 'patient ' || g FROM generate_series(1, 50) g;`);
});

after(async () => {
  await world?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('restore-test failures in their own classes (simulator)', () => {
  it('DELETE → 409 ScopeLocked: restore-cleanup fails at once naming the lock and its fix, and cleanup says the same', async () => {
    scenario([sourceServer()], [{ path: `/flexibleServers/${SOURCE}-restore-`, method: 'DELETE', status: 409, azureError: 'ScopeLocked' }]);
    const path = await config();
    const { code, report, stderr, wallMs } = await restoreTest(path);
    const [left] = restoreServers();
    try {
      assert.ok(left, 'the locked server is still there');
      assert.equal(code, 1, stderr);
      assert.ok(wallMs < 60_000, `ended within seconds, not at the 30-min delete deadline (${Math.round(wallMs)} ms)`);
      assert.equal(deletes().length, 1, 'the DELETE was not retried');
      const cleanup = byId(report, 'restore-cleanup');
      assert.equal(cleanup.status, 'fail', cleanup.message);
      assert.match(cleanup.message, new RegExp(`a lock on /subscriptions/${SUB}/resourceGroups/${RG} forbids it \\(the resource group ${RG} is locked\\)`));
      assert.match(cleanup.message, new RegExp(`az lock list --resource-group ${RG} --output table`));
      assert.match(cleanup.message, new RegExp(`az lock delete --name LOCK --resource-group ${RG}`));
      assert.equal(byId(report, 'restore-provision').status, 'pass');

      // `restore-test cleanup` meets the same lock: it fails that server (exit 2) and gives the same advice.
      const locked = await runCli(['restore-test', 'cleanup', '--config', path], { env: env(), timeoutMs: 60_000 });
      assert.equal(locked.code, 2, locked.stderr);
      // The cleanup says how it knew the server (issue 12's tag-only cleanup): here, from the ledger.
      assert.match(locked.stdout, new RegExp(`^failed ${left} \\(ledger entry\\)$`, 'm'));
      assert.match(locked.stderr, new RegExp(`could not delete ${RG}/${left}: .*409 ScopeLocked: a lock on /subscriptions/${SUB}/resourceGroups/${RG}`));
      assert.match(locked.stderr, new RegExp(`az lock list --resource-group ${RG} --output table.*az lock delete --name LOCK --resource-group ${RG}`));
    } finally {
      // The lock removed: cleanup deletes it.
      sim.clearInjections();
      const unlocked = await runCli(['restore-test', 'cleanup', '--config', path], { env: env(), timeoutMs: 60_000 });
      assert.equal(unlocked.code, 0, unlocked.stderr);
      assert.deepEqual(restoreServers(), []);
      await noCopiesRunning();
    }
  });

  it('an Azure Policy deny on the PUT (403 RequestDisallowedByPolicy) is an error naming the policy, not a missing role, and creates nothing', async () => {
    scenario(
      [sourceServer()],
      [
        {
          path: `/flexibleServers/${SOURCE}-restore-`,
          method: 'PUT',
          status: 403,
          azureError: 'RequestDisallowedByPolicy',
          policyAssignment: 'Allowed locations',
        },
      ],
    );
    const { code, report, stderr } = await restoreTest(await config());
    assert.equal(code, 2, stderr);
    const provision = byId(report, 'restore-provision');
    assert.equal(provision.status, 'error');
    assert.equal(provision.errorKind, 'permission');
    assert.match(
      provision.message,
      /an Azure Policy denies it \(policy assignment Allowed locations \(\/subscriptions\/0{8}-[^)]+policyAssignments\/[0-9a-f]+\)\)/,
    );
    assert.match(provision.message, /RequestDisallowedByPolicy: Resource 'medicappdbprod-restore-\d{12}' was disallowed by policy/);
    assert.doesNotMatch(provision.message, /lacks/);
    assert.match(provision.hint ?? '', /exemption/);
    assert.equal(byId(report, 'restore-cleanup').status, 'pass');
    assert.deepEqual(restoreServers(), []);
  });

  for (const [code, message, exit, status, kind] of [
    [
      'InternalServerError',
      "An unexpected error occured while processing the request. Tracking ID: '3f2b9c1e-7a40-4d55-9e0a-0c1d2e3f4a5b'",
      2,
      'error',
      'platform',
    ],
    [
      'QuotaExceeded',
      "Operation could not be completed as it results in exceeding approved Total Regional Cores quota. Location: 'francecentral'",
      2,
      'error',
      'platform',
    ],
    ['SubnetNotFound', "Subnet 'postgres' of virtual network 'restore-vnet' was not found.", 2, 'error', 'config'],
    ['PointInTimeRestoreFailed', 'The point-in-time restore of the server failed.', 1, 'fail', undefined],
  ] as const) {
    it(`a restore Azure ends Failed with ${code}: restore-provision ${status} (exit ${exit}), and nothing is left`, async () => {
      scenario([sourceServer({ outcome: 'Failed', failureCode: code, failureMessage: message })]);
      const result = await restoreTest(await config());
      assert.equal(result.code, exit, result.stderr);
      const provision = byId(result.report, 'restore-provision');
      assert.equal(provision.status, status, provision.message);
      assert.equal(provision.errorKind, kind);
      assert.match(provision.message, new RegExp(`as Failed after [\\d.]+ s \\(${code}\\): ${message.slice(0, 20).replace(/[.()']/g, '.')}`));
      if (exit === 2) {
        assert.match(provision.message, /the backup was not tried/);
        assert.match(provision.hint ?? '', /^not the backup/);
      }
      assert.equal(byId(result.report, 'restore-cleanup').status, 'pass');
      assert.deepEqual(restoreServers(), []);
      await noCopiesRunning();
    });
  }

  it('a typo in the resource group (ResourceGroupNotFound) is a configuration error naming the key, in restore-test and in check', async () => {
    scenario([sourceServer()]);
    const path = await config({ resourceGroup: 'medicap-rg' });
    const { code, report, stderr } = await restoreTest(path);
    assert.equal(code, 2, stderr);
    const provision = byId(report, 'restore-provision');
    assert.equal(provision.status, 'error');
    assert.equal(provision.errorKind, 'config');
    assert.match(provision.message, /resource group medicap-rg \(azure\.postgres\.resourceGroup[^)]*\) does not exist/);
    assert.equal(sim.requests.filter((r) => r.method === 'PUT').length, 0);

    const checked = await runCli(['check', '--config', path, '--only', 'pgflex-server-state', '--format', 'json'], { env: env(), timeoutMs: 60_000 });
    assert.equal(checked.code, 2, checked.stderr);
    const state = byId(JSON.parse(checked.stdout) as Report, 'pgflex-server-state');
    assert.equal(state.status, 'error', 'not a compliance fail');
    assert.equal(state.errorKind, 'config');
    assert.match(state.message, /medicap-rg \(azure\.postgres\.resourceGroup\) does not exist/);
    assert.match(state.hint ?? '', /fix azure\.postgres\.resourceGroup/);
  });
});
