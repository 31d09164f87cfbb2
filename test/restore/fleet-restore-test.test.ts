/**
 * `restore-test` in fleet mode (issue 17) end to end: the CLI in a child process (test/helpers/fleet-cli.ts: the real
 * command, with Azure Resource Graph answered by a list of servers that exist in the simulator, until the discovery
 * gateway lands), the Resource Manager simulator with the real-restore hooks (a server with `restore.databaseUrl` is
 * copied into a new PostgreSQL cluster; the others only take their time), and the real SDK pollers.
 * What is asserted: at most restoreTest.parallel restores in flight (from the simulator's request record), every
 * restored server deleted afterwards (also on Ctrl-C and at a deadline), one server's failed restore failing only its
 * own findings, the copies read with one Entra identity at each server's own host, and the servers picked by the
 * stored history and restoreTest.maxServers.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { postgresServerId } from '../../src/run/fleet-config.js';
import type { RealRestoreHooks } from '../../src/simulator/point-in-time-restore.js';
import { type PostgresCluster, startCluster } from '../../src/simulator/postgres-cluster.js';
import type { RunningSimulator } from '../../src/simulator/resource-manager.js';
import { parseScenario, type ScenarioInput } from '../../src/simulator/scenario.js';
import type { FleetResource } from '../../src/vocabulary.js';
import type { CliResult } from '../helpers/cli.js';
import { type RestoreWorld, startRestoreWorld } from '../helpers/restore-world.js';

const SUB = '00000000-0000-0000-0000-000000000000';
const RG = 'medicapp-rg';
const CONFIGURED = 'medicappdbprod';
const PATIENTS = 321;
const PRINCIPAL = 'restorecheck-fleet-identity';
const HELPER = join(import.meta.dirname, '../helpers/fleet-cli.ts');

let world: RestoreWorld;
let sim: RunningSimulator;
let hooks: RealRestoreHooks;
let cluster: PostgresCluster;
let dir: string;

interface Finding {
  id: string;
  resource?: string;
  status: string;
  message: string;
  evidence: Record<string, unknown>;
}
interface Planned {
  id: string;
  name: string;
  lastSuccessAt: string | null;
  lastReport: string | null;
  dueOn: string | null;
}
interface Plan {
  everyDays: number;
  maxServers: number | null;
  picked: Planned[];
  deferred: Planned[];
  notDue: Planned[];
}
interface Report {
  outcome: string;
  checks: Finding[];
  fleet: { scope: unknown; discovered: FleetResource[]; evaluated: string[]; restorePlan: Plan };
}

type ServerInput = NonNullable<ScenarioInput['servers']>[number];
const idOf = (name: string) => postgresServerId(SUB, RG, name);

function server(name: string, restore: NonNullable<ServerInput['restore']> = {}): ServerInput {
  return {
    resourceGroup: RG,
    name,
    location: 'francecentral',
    state: 'Ready',
    version: '16',
    tags: { restorecheck: 'on' },
    backup: { backupRetentionDays: 35, geoRedundantBackup: 'Enabled', earliestRestoreDaysAgo: 35 },
    restore: { durationSeconds: 2, ...restore },
  };
}
const withDatabase = (name: string) => server(name, { databaseUrl: cluster.url(), durationSeconds: 1 });

/** What discovery finds: FleetResources of servers in the scenario. */
const discovered = (names: string[]): FleetResource[] =>
  names.map((name) => ({
    id: idOf(name),
    kind: 'postgres',
    name,
    subscriptionId: SUB,
    resourceGroup: RG,
    location: 'francecentral',
    tags: { restorecheck: 'on' },
  }));

function scenario(servers: ServerInput[], storageAccounts: NonNullable<ScenarioInput['storageAccounts']> = []): void {
  sim.load(parseScenario({ subscriptionId: SUB, lro: { pollRetryAfterSeconds: 0 }, servers, storageAccounts }));
  sim.requests.length = 0;
}

let count = 0;
/** A fleet configuration (azure.discover), with azure.postgres naming the configured server unless `configured` is false. */
async function fleetConfig(
  options: {
    restoreTest?: Record<string, unknown>;
    database?: Record<string, unknown>;
    configured?: boolean;
    report?: string;
    storage?: Record<string, unknown>;
  } = {},
) {
  const n = ++count;
  const path = join(dir, `fleet-${n}.json`);
  const fleetFile = join(dir, `discovered-${n}.json`);
  await writeFile(
    path,
    JSON.stringify({
      environment: 'e2e',
      database: { url: '${DATABASE_URL}', coreTables: [{ name: 'patients', minRows: 1 }], ...options.database },
      azure: {
        subscriptionId: SUB,
        resourceManagerEndpoint: sim.endpoint,
        ...(options.configured === false ? {} : { postgres: { resourceGroup: RG, server: CONFIGURED } }),
        ...(options.storage ? { storage: options.storage } : {}),
        discover: { subscriptions: [SUB] },
      },
      restoreTest: { pollIntervalSeconds: 0.2, progressIntervalSeconds: 1, ledgerDir: join(dir, `ledger-${n}`), parallel: 2, ...options.restoreTest },
      ...(options.report ? { report: { dir: options.report } } : {}),
    }),
  );
  return { path, fleetFile, scopes: join(dir, `scopes-${n}.jsonl`) };
}

interface RunningFleet {
  child: ReturnType<typeof spawn>;
  stderr(): string;
  result: Promise<CliResult>;
}

/** The CLI with the test's discovery (test/helpers/fleet-cli.ts), as startCli runs the binary. */
function startFleet(args: string[], fleet: FleetResource[], files: { fleetFile: string; scopes: string }, env: NodeJS.ProcessEnv = {}): Promise<RunningFleet> {
  return writeFile(files.fleetFile, JSON.stringify(fleet)).then(() => {
    const child = spawn(process.execPath, ['--import', 'tsx', HELPER, ...args], {
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        NO_COLOR: '1',
        ...(process.env.TMPDIR ? { TMPDIR: process.env.TMPDIR } : {}),
        ...sim.env,
        DATABASE_URL: cluster.url(),
        RESTORECHECK_TEST_FLEET: files.fleetFile,
        RESTORECHECK_TEST_FLEET_SCOPES: files.scopes,
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const result = new Promise<CliResult>((resolve, reject) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
      child.on('error', reject);
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        resolve({ code, signal, stdout, stderr });
      });
    });
    return { child, stderr: () => stderr, result };
  });
}

async function fleetRun(args: string[], fleet: FleetResource[], files: { fleetFile: string; scopes: string }, env?: NodeJS.ProcessEnv) {
  const result = await (await startFleet(args, fleet, files, env)).result;
  return { ...result, report: parseReport(result) };
}

function parseReport(result: CliResult): Report {
  try {
    return JSON.parse(result.stdout) as Report;
  } catch {
    return assert.fail(`no JSON on stdout (exit ${result.code}):\n${result.stdout}\n${result.stderr}`);
  }
}

const findingsOf = (report: Report, name: string) => report.checks.filter((c) => c.resource === idOf(name));
const finding = (report: Report, name: string, id: string): Finding => {
  const found = findingsOf(report, name).find((c) => c.id === id);
  assert.ok(found, `${id} of ${name} in the report`);
  return found;
};

const RESTORE_NAME = /\/flexibleServers\/([a-z0-9-]+-restore-\d{12})(?:[/?]|$)/i;
/** The restore servers the run asked Azure to create (its PUTs). */
const restoreServersCreated = () => [...new Set(sim.requests.filter((r) => r.method === 'PUT').flatMap((r) => RESTORE_NAME.exec(r.path)?.[1] ?? []))];

/**
 * The most restores in flight at once, from the request record: a restore server is in flight from the first request
 * naming it (the check that its name is free) to the last (the check that its deletion is done), which the fleet's
 * limit covers whole.
 */
function mostInFlight(): number {
  const span = new Map<string, { first: number; last: number }>();
  sim.requests.forEach((r, i) => {
    const name = RESTORE_NAME.exec(r.path)?.[1];
    if (!name) return;
    const known = span.get(name);
    span.set(name, { first: known?.first ?? i, last: i });
  });
  let most = 0;
  for (let i = 0; i < sim.requests.length; i++) {
    const open = [...span.values()].filter((s) => s.first <= i && i <= s.last).length;
    most = Math.max(most, open);
  }
  return most;
}

async function noCopiesRunning(): Promise<void> {
  for (let i = 0; i < 100 && hooks.running().length > 0; i++) await new Promise((resolve) => setTimeout(resolve, 100));
  assert.deepEqual(hooks.running(), []);
}

/** Every restore server created is gone from the simulator. */
async function nothingLeft(): Promise<void> {
  const created = restoreServersCreated();
  assert.deepEqual(
    created.filter((name) => sim.server(RG, name)),
    [],
    `restore servers left: of ${created.join(', ')}`,
  );
  await noCopiesRunning();
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'restorecheck-fleet-restore-'));
  world = await startRestoreWorld();
  ({ sim, hooks, cluster } = world);
  await cluster.sql(`
    CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY);
    INSERT INTO alembic_version VALUES ('4b2d9c1e7f00');
    CREATE TABLE patients (id serial PRIMARY KEY, name text);
    INSERT INTO patients (name) SELECT 'patient ' || g FROM generate_series(1, ${PATIENTS}) g;
    CREATE ROLE "${PRINCIPAL}" LOGIN PASSWORD '${sim.databaseToken()}';
    GRANT SELECT ON alembic_version, patients TO "${PRINCIPAL}";`);
});

after(async () => {
  await world?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('restore-test in fleet mode (simulator)', () => {
  it('restores every due server, at most `parallel` at once, deletes each, and fails only the server whose restore failed', async () => {
    const others = ['fleetdb-b', 'fleetdb-c', 'fleetdb-d', 'fleetdb-e'];
    scenario([withDatabase(CONFIGURED), server('fleetdb-b'), server('fleetdb-c'), server('fleetdb-d'), server('fleetdb-e', { outcome: 'Failed' })]);
    const files = await fleetConfig();
    const { code, report, stderr } = await fleetRun(['restore-test', '--config', files.path, '--format', 'json'], discovered(others), files);
    assert.equal(code, 1, stderr);

    // The limit: never more than two restores in flight, and two at once indeed (the five did not run one by one).
    assert.equal(restoreServersCreated().length, 5);
    assert.equal(mostInFlight(), 2);
    await nothingLeft();

    // The failed restore fails its own server's findings, and only those.
    assert.equal(finding(report, 'fleetdb-e', 'restore-provision').status, 'fail');
    assert.match(finding(report, 'fleetdb-e', 'restore-provision').message, /as Failed/);
    assert.deepEqual(
      report.checks.filter((c) => c.status === 'fail' || c.status === 'error').map((c) => [c.resource, c.id]),
      [[idOf('fleetdb-e'), 'restore-provision']],
    );
    for (const name of ['fleetdb-b', 'fleetdb-c', 'fleetdb-d', CONFIGURED]) {
      assert.equal(finding(report, name, 'restore-provision').status, 'pass', name);
      assert.equal(finding(report, name, 'restore-cleanup').status, 'pass', name);
      assert.match(
        finding(report, name, 'restore-cleanup').message,
        new RegExp(`^Deleted everything the test created: Flexible Server ${RG}/${name}-restore-\\d{12}\\.$`),
      );
    }
    // The configured server's copy is read with database.url as in a single-server run; the others' are not (a
    // password fits only the server it names), and their database checks say so, skipped rather than passed.
    assert.equal(finding(report, CONFIGURED, 'restore-row-counts-match').status, 'pass');
    assert.deepEqual(finding(report, CONFIGURED, 'restore-row-counts-match').evidence.restored, { patients: PATIENTS });
    for (const name of others) {
      for (const id of ['restore-alembic-match', 'restore-row-counts-match']) {
        const skipped = finding(report, name, id);
        assert.equal(skipped.status, 'skipped', `${name} ${id}`);
        assert.match(
          skipped.message,
          new RegExp(`^Not read: database\\.url signs in with a password, which fits only the server it names \\(127\\.0\\.0\\.1\\), not ${name};`),
        );
      }
    }
    // Every finding names its server; the report records the fleet, what it evaluated, and the plan.
    assert.ok(report.checks.every((c) => c.resource !== undefined));
    const all = [CONFIGURED, ...others].map(idOf).sort();
    assert.deepEqual(report.fleet.evaluated.slice().sort(), all);
    assert.deepEqual(report.fleet.discovered.map((r) => r.id).sort(), all, 'the configured server is part of the fleet');
    assert.deepEqual(
      report.fleet.restorePlan.picked.map((p) => p.name),
      [...others, CONFIGURED],
    );
    assert.deepEqual(report.fleet.scope, { subscriptions: [SUB], tag: { restorecheck: 'on' } });
    const [scope] = (await readFile(files.scopes, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as unknown);
    assert.deepEqual(scope, { subscriptions: [SUB], tag: { restorecheck: 'on' }, kinds: ['postgres', 'storage'], pageSize: 1000 });

    // Progress on stderr, server by server: started, ready, deleted.
    assert.match(
      stderr,
      /^restore-test: fleet mode: 5 Flexible Servers, each restored every 30 days; restoring 5 \(fleetdb-b, fleetdb-c, fleetdb-d, fleetdb-e, medicappdbprod\)/m,
    );
    for (const name of ['fleetdb-b', 'fleetdb-c', 'fleetdb-d', CONFIGURED]) {
      assert.match(stderr, new RegExp(`^restore-test \\[${name}\\]: started, server \\d of 5`, 'm'));
      assert.match(stderr, new RegExp(`^restore-test \\[${name}\\]: ${name}-restore-\\d{12} is ready after`, 'm'));
      assert.match(stderr, new RegExp(`^restore-test \\[${name}\\]: deleted Flexible Server ${RG}/${name}-restore-\\d{12}$`, 'm'));
    }
    assert.match(stderr, /^restore-test \[fleetdb-e\]: finished: fail/m);
  });

  it('reads every copy with one Entra identity, each at its own server’s host (database.auth: entra)', async () => {
    // A second source server: another PostgreSQL on another loopback address, the same port (as two Azure servers are
    // two hosts on 5432), holding other rows. Read at database.url's host, it would show the first one's 321.
    const second = await startCluster({ host: '127.0.0.9', port: cluster.port, password: new URL(cluster.url()).password });
    try {
      await second.sql(`
        CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY);
        INSERT INTO alembic_version VALUES ('4b2d9c1e7f00');
        CREATE TABLE patients (id serial PRIMARY KEY, name text);
        INSERT INTO patients (name) SELECT 'patient ' || g FROM generate_series(1, 77) g;
        CREATE ROLE "${PRINCIPAL}" LOGIN PASSWORD '${sim.databaseToken()}';
        GRANT SELECT ON alembic_version, patients TO "${PRINCIPAL}";`);
      scenario([withDatabase(CONFIGURED), server('fleetdb-x', { databaseUrl: second.url(), durationSeconds: 1 })]);
      const files = await fleetConfig({ database: { url: `postgres://${PRINCIPAL}@127.0.0.1:${cluster.port}/postgres?sslmode=disable`, auth: 'entra' } });
      const { code, report, stderr } = await fleetRun(['restore-test', '--config', files.path, '--format', 'json'], discovered(['fleetdb-x']), files);
      assert.equal(code, 0, `${stderr}\n${JSON.stringify(report.checks, null, 1)}`);
      const counts = (name: string) => finding(report, name, 'restore-row-counts-match').evidence;
      assert.deepEqual(counts(CONFIGURED), { source: { patients: PATIENTS }, restored: { patients: PATIENTS }, tolerancePercent: 1 });
      assert.deepEqual(counts('fleetdb-x'), { source: { patients: 77 }, restored: { patients: 77 }, tolerancePercent: 1 });
      assert.equal(finding(report, 'fleetdb-x', 'restore-alembic-match').status, 'pass');
      assert.ok(!stderr.includes(sim.databaseToken()), 'the token appears on stderr');
      await nothingLeft();
    } finally {
      await second.stop();
    }
  });

  it('on SIGINT, starts no other server and deletes every restore in flight (exit 2)', async () => {
    const names = ['fleetdb-f', 'fleetdb-g', 'fleetdb-h'];
    scenario(names.map((name) => server(name, { durationSeconds: 600 })));
    const files = await fleetConfig({ configured: false });
    const running = await startFleet(['restore-test', '--config', files.path, '--format', 'json'], discovered(names), files);
    const accepted = () => sim.requests.filter((r) => r.method === 'PUT' && r.status === 202).length;
    for (let i = 0; i < 600 && accepted() < 2; i++) await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(accepted(), 2, `two restores under way:\n${running.stderr()}`);
    running.child.kill('SIGINT');
    const result = await running.result;
    assert.equal(result.code, 2, result.stderr);
    const report = parseReport(result);
    for (const name of ['fleetdb-f', 'fleetdb-g']) {
      assert.equal(finding(report, name, 'restore-provision').status, 'error');
      assert.match(finding(report, name, 'restore-provision').message, /interrupted \(interrupted by SIGINT\)/);
      assert.equal(finding(report, name, 'restore-cleanup').status, 'pass', name);
    }
    const third = finding(report, 'fleetdb-h', 'restore-provision');
    assert.equal(third.status, 'error');
    assert.match(third.message, /interrupted before fleetdb-h's turn: nothing was created for it/);
    assert.match(finding(report, 'fleetdb-h', 'restore-cleanup').message, /^Nothing was created/);
    assert.deepEqual(
      restoreServersCreated().sort(),
      restoreServersCreated()
        .filter((n) => !n.startsWith('fleetdb-h'))
        .sort(),
      'fleetdb-h never started',
    );
    await nothingLeft();
  });

  it('at each server’s own deadline (--timeout), deletes its restore and goes on with the next', async () => {
    const names = ['fleetdb-f', 'fleetdb-g', 'fleetdb-h'];
    scenario(names.map((name) => server(name, { durationSeconds: 600 })));
    const files = await fleetConfig({ configured: false });
    const { code, report, stderr } = await fleetRun(['restore-test', '--config', files.path, '--format', 'json', '--timeout', '3s'], discovered(names), files);
    assert.equal(code, 2, stderr);
    for (const name of names) {
      const provision = finding(report, name, 'restore-provision');
      assert.equal(provision.status, 'error', name);
      // The deadline ends the wait as the single-server run's does (the poller's own "within 3 s", or the signal's).
      assert.match(provision.message, /within 3 s|did not complete within the deadline/, name);
      assert.equal(finding(report, name, 'restore-cleanup').status, 'pass', name);
    }
    assert.equal(restoreServersCreated().length, 3);
    assert.ok(mostInFlight() <= 2);
    await nothingLeft();
  });

  it('runs blob-recovery-drill once for the fleet, its finding naming the storage account', async () => {
    const account = 'medicappstorage';
    scenario(
      [server('fleetdb-b')],
      [
        {
          resourceGroup: RG,
          name: account,
          location: 'francecentral',
          blobService: { isVersioningEnabled: false, deleteRetentionPolicy: { enabled: true, days: 14 } },
          containers: [{ name: 'documents' }, { name: 'restorecheck-drill' }],
        },
      ],
    );
    const files = await fleetConfig({
      configured: false,
      storage: {
        resourceGroup: RG,
        account,
        container: 'documents',
        drill: { container: 'restorecheck-drill', blobEndpoint: sim.blobEndpoint(account), canaryBytes: 4096 },
      },
    });
    const { code, report, stderr } = await fleetRun(['restore-test', '--config', files.path, '--format', 'json'], discovered(['fleetdb-b']), files);
    assert.equal(code, 0, stderr);
    const drills = report.checks.filter((c) => c.id === 'blob-recovery-drill');
    assert.deepEqual(
      drills.map((c) => [c.resource, c.status]),
      [[`/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Storage/storageAccounts/${account}`, 'pass']],
    );
    assert.equal(finding(report, 'fleetdb-b', 'restore-provision').status, 'pass');
    await nothingLeft();
  });

  it('a server refused before anything is created (a resource group not allowed) is error on its findings; the others go on', async () => {
    const outside = { ...server('fleetdb-z'), resourceGroup: 'other-rg' };
    scenario([server('fleetdb-b'), outside]);
    const files = await fleetConfig({ configured: false, restoreTest: { allowedResourceGroups: [RG] } });
    const fleet = [
      ...discovered(['fleetdb-b']),
      { ...discovered(['fleetdb-z'])[0]!, id: postgresServerId(SUB, 'other-rg', 'fleetdb-z'), resourceGroup: 'other-rg' },
    ];
    const { code, report, stderr } = await fleetRun(['restore-test', '--config', files.path, '--format', 'json'], fleet, files);
    assert.equal(code, 2, stderr);
    const refused = report.checks.filter((c) => c.resource === postgresServerId(SUB, 'other-rg', 'fleetdb-z'));
    const provision = refused.find((c) => c.id === 'restore-provision');
    assert.equal(provision?.status, 'error');
    assert.match(provision.message, /restoreTest\.targetResourceGroup: other-rg is not among restoreTest\.allowedResourceGroups \(medicapp-rg\)/);
    assert.match(refused.find((c) => c.id === 'restore-cleanup')?.message ?? '', /^Nothing was created/);
    assert.match(stderr, /^restore-test \[fleetdb-z\]: refused before anything was created: /m);
    assert.equal(finding(report, 'fleetdb-b', 'restore-provision').status, 'pass');
    assert.deepEqual(
      restoreServersCreated().map((n) => n.replace(/-restore-\d{12}$/, '')),
      ['fleetdb-b'],
    );
    await nothingLeft();
  });

  describe('picking by the stored reports and restoreTest.maxServers', () => {
    let reports: string;
    let files: Awaited<ReturnType<typeof fleetConfig>>;
    const fleet = discovered(['fleetdb-b', 'fleetdb-c', 'fleetdb-d']);
    const dryRun = async () => {
      const result = await (await startFleet(['restore-test', '--config', files.path, '--dry-run', '--format', 'json'], fleet, files)).result;
      assert.equal(result.code, 0, result.stderr);
      return (JSON.parse(result.stdout) as { plan: Plan }).plan;
    };

    before(async () => {
      reports = join(dir, 'reports');
      files = await fleetConfig({ restoreTest: { maxServers: 2, everyDays: 90 }, report: reports });
    });

    it('a single-server restore test on record makes its server not due; the never-restored go first, two of them', async () => {
      scenario([withDatabase(CONFIGURED), server('fleetdb-b'), server('fleetdb-c'), server('fleetdb-d')]);
      // The configured server's own restore test, as it ran before fleet mode: a single-server report in report.dir.
      const single = join(dir, 'single.json');
      const config = JSON.parse(await readFile(files.path, 'utf8')) as { azure: Record<string, unknown> };
      delete config.azure.discover;
      await writeFile(single, JSON.stringify(config));
      const first = await (await startFleet(['restore-test', '--config', single, '--format', 'json', '--out-dir', reports], [], files)).result;
      assert.equal(first.code, 0, first.stderr);
      const [reportFile] = (await readdir(reports)).filter((f) => f.endsWith('-restore-test.json'));
      assert.ok(reportFile, 'the single-server report is in report.dir');
      sim.requests.length = 0;

      const plan = await dryRun();
      assert.equal(sim.requests.filter((r) => r.method === 'PUT').length, 0, 'a dry run restores nothing');
      assert.deepEqual(
        plan.picked.map((p) => p.name),
        ['fleetdb-b', 'fleetdb-c'],
      );
      assert.deepEqual(
        plan.deferred.map((p) => p.name),
        ['fleetdb-d'],
      );
      assert.deepEqual(
        plan.notDue.map((p) => [p.name, p.lastReport]),
        [[CONFIGURED, reportFile]],
      );
      const last = plan.notDue[0]?.lastSuccessAt ?? '';
      assert.equal(plan.notDue[0]?.dueOn, new Date(Date.parse(`${last.slice(0, 10)}T00:00:00Z`) + 90 * 86_400_000).toISOString().slice(0, 10));

      // The run restores those two, and only them.
      const { code, stderr } = await (await startFleet(['restore-test', '--config', files.path, '--format', 'json', '--out-dir', reports], fleet, files))
        .result;
      assert.equal(code, 0, stderr);
      const written = await Promise.all(
        (await readdir(reports)).filter((f) => f.endsWith('-restore-test.json')).map((f) => readFile(join(reports, f), 'utf8')),
      );
      const report = written.map((text) => JSON.parse(text) as Report).find((r) => r.fleet);
      assert.ok(report, 'the fleet report is in report.dir');
      assert.deepEqual(
        restoreServersCreated()
          .map((n) => n.replace(/-restore-\d{12}$/, ''))
          .sort(),
        ['fleetdb-b', 'fleetdb-c'],
      );
      assert.deepEqual(report.fleet.evaluated, [idOf('fleetdb-b'), idOf('fleetdb-c')]);
      assert.deepEqual(
        report.fleet.restorePlan.deferred.map((p) => p.name),
        ['fleetdb-d'],
      );
      await nothingLeft();
    });

    it('the fleet report on record makes its servers not due: the next run picks the deferred one', async () => {
      const plan = await dryRun();
      assert.deepEqual(
        plan.picked.map((p) => p.name),
        ['fleetdb-d'],
      );
      assert.deepEqual(plan.notDue.map((p) => p.name).sort(), ['fleetdb-b', 'fleetdb-c', CONFIGURED]);
    });

    it('--dry-run prints the plan in words', async () => {
      const result = await (await startFleet(['restore-test', '--config', files.path, '--dry-run'], fleet, files)).result;
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /^restore plan on \d{4}-\d{2}-\d{2}: 4 Flexible Servers, each restored every 90 days, at most 2 per run$/m);
      assert.match(
        result.stdout,
        new RegExp(`^  not due   ${RG}/${CONFIGURED} +last restored \\d{4}-\\d{2}-\\d{2} \\(\\S+-restore-test\\.json\\), due on \\d{4}-\\d{2}-\\d{2}$`, 'm'),
      );
      assert.match(result.stdout, /\(dry run: nothing was restored\)$/m);
    });
  });
});
