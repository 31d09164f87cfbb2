/**
 * `restorecheck restore-test cleanup` in fleet mode (azure.discover, issue 17): a fleet restore creates each server's
 * restore in that server's own subscription and resource group, so cleanup must look there too, not only in
 * azure.subscriptionId's groups. The built binary against the Resource Manager simulator, with real discovery (the
 * simulator's Resource Graph) over two subscriptions; the leftovers are planted as a killed fleet run leaves them
 * (restorecheck's tags, fleetNamePrefix's name), and one is left by a fleet restore test killed with SIGKILL.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type RunningSimulator, startSimulator } from '../../src/simulator/resource-manager.js';
import { parseScenario, type ScenarioInput } from '../../src/simulator/scenario.js';
import { runCli, startCli } from '../helpers/cli.js';

const HOME_SUB = '11111111-0000-4000-8000-000000000001';
const TEAM_SUB = '22222222-0000-4000-8000-000000000002';
const HOME_RG = 'app-rg';
const TEAM_RG = 'team-rg';
const HOME_DB = 'homedb';
const TEAM_DB = 'teamdb';
/** fleetNamePrefix of the discovered server in the second subscription. */
const PREFIX = `${TEAM_DB}-restore`;
const PAST = '2000-01-01T00:00:00.000Z';
const ours = (runId: string, expiresAt: string) => ({
  'restorecheck-run': runId,
  'restorecheck-created-by': 'restorecheck',
  'restorecheck-expires': expiresAt,
  'restorecheck-source': `${TEAM_RG}/${TEAM_DB}`,
});

let sim: RunningSimulator;
let dir: string;
/** Restores held open until the simulator stops: the killed run's server stays Provisioning. */
const held: Array<() => void> = [];

type ServerInput = NonNullable<ScenarioInput['servers']>[number];
const server = (subscriptionId: string, resourceGroup: string, name: string, tags?: Record<string, string>): ServerInput => ({
  subscriptionId,
  resourceGroup,
  name,
  location: 'francecentral',
  state: 'Ready',
  version: '16',
  ...(tags ? { tags } : {}),
});
/** A server of the fleet: tagged for discovery, with backups a restore can use. */
const fleetServer = (subscriptionId: string, resourceGroup: string, name: string): ServerInput => ({
  ...server(subscriptionId, resourceGroup, name, { restorecheck: 'on' }),
  backup: { backupRetentionDays: 35, geoRedundantBackup: 'Enabled', earliestRestoreDaysAgo: 35 },
});

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'restorecheck-fleet-cleanup-'));
  sim = await startSimulator({
    scenario: parseScenario({}),
    hooks: {
      pointInTimeRestore: () => new Promise((resolve) => held.push(() => resolve(undefined))),
      stop: async () => {
        for (const release of held.splice(0)) release();
      },
    },
  });
});

after(async () => {
  await sim?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const requests = (method: string) => sim.requests.filter((r) => r.method === method);
const env = () => ({ ...sim.env, HOME: dir, AZURE_CONFIG_DIR: join(dir, 'no-az') });

let count = 0;
/** A fleet configuration: home subscription HOME_SUB, discovery over both subscriptions, no azure.postgres. */
async function fleetConfig(restoreTest: Record<string, unknown> = {}) {
  const n = ++count;
  const path = join(dir, `fleet-${n}.json`);
  const ledgerDir = join(dir, `ledger-${n}`);
  const reportDir = join(dir, `reports-${n}`);
  await writeFile(
    path,
    JSON.stringify({
      environment: 'e2e',
      azure: { subscriptionId: HOME_SUB, resourceManagerEndpoint: sim.endpoint, discover: { subscriptions: [HOME_SUB, TEAM_SUB], kinds: ['postgres'] } },
      restoreTest: { pollIntervalSeconds: 0.2, progressIntervalSeconds: 1, ledgerDir, ...restoreTest },
      report: { dir: reportDir },
    }),
  );
  return { path, ledgerDir, reportDir };
}

describe('restore-test cleanup in fleet mode (azure.discover)', () => {
  it('deletes an expired leftover next to a discovered server of another subscription, and leaves the others alone', async () => {
    const leftover = `${PREFIX}-199001010000`; // ours, expired, our name: the killed fleet run's
    const unexpired = `${PREFIX}-199001010001`; // ours, but its run may still be going on another runner
    const foreign = `${PREFIX}-199001010002`; // our name, no tags: someone's own server
    const otherName = 'teamdb-copy'; // our tags, expired, but not our name
    // The same name in the home subscription's group of the same name: not a restore of the fleet's there.
    const homeTwin = `${PREFIX}-199001010003`;
    sim.load(
      parseScenario({
        subscriptionId: HOME_SUB,
        lro: { pollRetryAfterSeconds: 0, durationMs: 200 },
        servers: [
          fleetServer(HOME_SUB, HOME_RG, HOME_DB),
          fleetServer(TEAM_SUB, TEAM_RG, TEAM_DB),
          server(TEAM_SUB, TEAM_RG, leftover, ours('run-on-a-dead-runner', PAST)),
          server(TEAM_SUB, TEAM_RG, unexpired, ours('run-on-another-runner', '2999-01-01T00:00:00.000Z')),
          server(TEAM_SUB, TEAM_RG, foreign),
          server(TEAM_SUB, TEAM_RG, otherName, ours('run-x', PAST)),
          server(HOME_SUB, TEAM_RG, homeTwin, ours('run-y', PAST)),
        ],
      }),
    );
    sim.requests.length = 0;
    const { path, reportDir } = await fleetConfig();

    const cleanup = await runCli(['restore-test', 'cleanup', '--config', path], { env: env(), timeoutMs: 60_000 });
    assert.equal(cleanup.code, 0, cleanup.stderr);
    assert.match(cleanup.stdout, new RegExp(`^deleted ${leftover} \\(tags only\\)$`, 'm'));
    assert.match(cleanup.stdout, new RegExp(`^kept ${unexpired} \\(tags only\\)$`, 'm'));
    assert.match(cleanup.stdout, /^1 deleted, 1 kept$/m);
    assert.match(cleanup.stderr, new RegExp(`${TEAM_RG}/${foreign}.*no restorecheck tags: left alone`));
    assert.match(cleanup.stderr, new RegExp(`${TEAM_RG}/${otherName}.*not ${PREFIX}-YYYYMMDDHHmm: left alone`));

    assert.equal(sim.server(TEAM_RG, leftover, TEAM_SUB), undefined, 'the leftover is gone');
    for (const [sub, group, name] of [
      [TEAM_SUB, TEAM_RG, TEAM_DB],
      [TEAM_SUB, TEAM_RG, unexpired],
      [TEAM_SUB, TEAM_RG, foreign],
      [TEAM_SUB, TEAM_RG, otherName],
      [HOME_SUB, TEAM_RG, homeTwin],
      [HOME_SUB, HOME_RG, HOME_DB],
    ] as const) {
      assert.ok(sim.server(group, name, sub), `${sub}/${group}/${name} stays`);
    }
    assert.deepEqual(
      requests('DELETE').map((r) => r.path.split('?')[0]?.toLowerCase()),
      [`/subscriptions/${TEAM_SUB}/resourcegroups/${TEAM_RG}/providers/microsoft.dbforpostgresql/flexibleservers/${leftover}`],
      'one DELETE, of the leftover only',
    );
    assert.equal(
      requests('GET').some((r) => r.path.toLowerCase().startsWith(`/subscriptions/${HOME_SUB}/resourcegroups/${TEAM_RG}/`)),
      false,
      'the home subscription’s group of the same name is not a scope of the fleet',
    );

    // The deletion is on the record, with its subscription.
    const audit = (await readFile(join(reportDir, 'audit.log.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { action: string; outcome: string; details?: Record<string, unknown> });
    assert.deepEqual(
      audit.filter((l) => l.action === 'cleanup').map((l) => [l.outcome, l.details?.server, l.details?.subscriptionId, l.details?.basis]),
      [['deleted', `${TEAM_RG}/${leftover}`, TEAM_SUB, 'tags']],
    );
  });

  it('after a SIGKILL mid-restore, deletes the leftover in the other subscription through the ledger, though its server left the fleet', async () => {
    sim.load(
      parseScenario({
        subscriptionId: HOME_SUB,
        lro: { pollRetryAfterSeconds: 0, durationMs: 200 },
        servers: [fleetServer(TEAM_SUB, TEAM_RG, TEAM_DB)],
      }),
    );
    sim.requests.length = 0;
    const { path, ledgerDir } = await fleetConfig();
    const cli = startCli(['restore-test', '--config', path, '--format', 'json'], { env: env(), timeoutMs: 60_000 });
    for (let i = 0; i < 300 && !requests('PUT').some((r) => r.status === 202); i++) await new Promise((resolve) => setTimeout(resolve, 100));
    assert.ok(
      requests('PUT').some((r) => r.status === 202),
      `the PUT was accepted:\n${cli.stderr()}`,
    );
    cli.child.kill('SIGKILL');
    assert.equal((await cli.result).signal, 'SIGKILL');
    const ledgerLines = async () =>
      (await readFile(join(ledgerDir, 'ledger.jsonl'), 'utf8'))
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { event: string; server?: string; subscriptionId?: string });
    const [requested] = await ledgerLines();
    assert.equal(requested?.event, 'requested');
    assert.equal(requested?.subscriptionId, TEAM_SUB);
    const leftover = requested?.server ?? '';
    assert.match(leftover, new RegExp(`^${PREFIX}-\\d{12}$`));
    assert.ok(sim.server(TEAM_RG, leftover, TEAM_SUB), 'the killed run left its server');
    // The server leaves the fleet (its tag removed): discovery no longer names its scope, the ledger still does.
    const source = sim.server(TEAM_RG, TEAM_DB, TEAM_SUB);
    assert.ok(source?.tags);
    delete source.tags.restorecheck;

    sim.requests.length = 0;
    const cleanup = await runCli(['restore-test', 'cleanup', '--config', path], { env: env(), timeoutMs: 60_000 });
    assert.equal(cleanup.code, 0, cleanup.stderr);
    assert.match(cleanup.stdout, new RegExp(`^deleted ${leftover} \\(ledger entry\\)$`, 'm'));
    assert.match(cleanup.stdout, /^1 deleted, 0 kept$/m);
    assert.equal(sim.server(TEAM_RG, leftover, TEAM_SUB), undefined, 'the leftover is gone');
    assert.ok(sim.server(TEAM_RG, TEAM_DB, TEAM_SUB), 'its source stays');
    assert.deepEqual(
      (await ledgerLines()).map((l) => l.event),
      ['requested', 'deleted'],
    );
  });

  it('a discovery that fails is exit 2 with its hint, and nothing is listed or deleted', async () => {
    const leftover = `${PREFIX}-199001010000`;
    sim.load(
      parseScenario({
        subscriptionId: HOME_SUB,
        unreadableSubscriptions: [TEAM_SUB],
        servers: [fleetServer(HOME_SUB, HOME_RG, HOME_DB), server(HOME_SUB, HOME_RG, `${HOME_DB}-restore-199001010000`, ours('run-z', PAST))],
      }),
    );
    sim.requests.length = 0;
    const { path } = await fleetConfig();
    const cleanup = await runCli(['restore-test', 'cleanup', '--config', path], { env: env(), timeoutMs: 60_000 });
    assert.equal(cleanup.code, 2, cleanup.stderr);
    assert.match(cleanup.stderr, /^hint: /m);
    assert.equal(cleanup.stdout, '');
    assert.deepEqual(requests('DELETE'), []);
    assert.ok(sim.server(HOME_RG, `${HOME_DB}-restore-199001010000`, HOME_SUB));
    assert.equal(sim.server(TEAM_RG, leftover, TEAM_SUB), undefined);
  });
});

describe('restore-test cleanup without azure.discover', () => {
  it('closes the ledger entries of its own subscription only: a run in a group of the same name elsewhere was not looked for', async () => {
    sim.load(parseScenario({ subscriptionId: HOME_SUB, servers: [fleetServer(HOME_SUB, HOME_RG, HOME_DB)] }));
    const ledgerDir = join(dir, 'ledger-single');
    await mkdir(ledgerDir, { recursive: true });
    // Runs of this host whose process is gone (a pid that just exited): their servers are nowhere to be seen.
    const gone = spawnSync(process.execPath, ['-e', '0']).pid;
    const requested = (runId: string, subscriptionId: string) => ({
      event: 'requested',
      at: PAST,
      runId,
      subscriptionId,
      resourceGroup: HOME_RG,
      server: `${HOME_DB}-restore-199001010000`,
      source: `${HOME_RG}/${HOME_DB}`,
      expiresAt: '2999-01-01T00:00:00.000Z',
      host: hostname(),
      pid: gone,
    });
    await writeFile(
      join(ledgerDir, 'ledger.jsonl'),
      `${JSON.stringify(requested('run-home', HOME_SUB))}\n${JSON.stringify(requested('run-elsewhere', TEAM_SUB))}\n`,
    );
    const path = join(dir, 'single.json');
    await writeFile(
      path,
      JSON.stringify({
        environment: 'e2e',
        azure: { subscriptionId: HOME_SUB, resourceManagerEndpoint: sim.endpoint, postgres: { resourceGroup: HOME_RG, server: HOME_DB } },
        restoreTest: { ledgerDir },
      }),
    );
    const cleanup = await runCli(['restore-test', 'cleanup', '--config', path], { env: env(), timeoutMs: 60_000 });
    assert.equal(cleanup.code, 0, cleanup.stderr);
    assert.match(cleanup.stdout, /^0 deleted, 0 kept$/m);
    const lines = (await readFile(join(ledgerDir, 'ledger.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { event: string; runId: string });
    assert.deepEqual(
      lines.map((l) => `${l.event} ${l.runId}`),
      ['requested run-home', 'requested run-elsewhere', 'absent run-home'],
    );
  });
});
