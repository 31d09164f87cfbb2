/**
 * `restorecheck restore-test cleanup` when the ledger died with the CI runner: a restore test killed
 * with SIGKILL after Azure accepted the restore, its ledger directory deleted, then cleanup finds the
 * leftover by its tags alone (creator, run id, an expiry in the past, our name prefix, an allowed
 * resource group) and deletes it, leaving every server that lacks one of those alone. The built
 * binary against the Resource Manager simulator; the restore never finishes (a hook holds it).
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { type AddressInfo, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type RunningSimulator, startSimulator } from '../../src/simulator/resource-manager.js';
import { parseScenario, type ScenarioInput } from '../../src/simulator/scenario.js';
import { runCli, startCli } from '../helpers/cli.js';

const SUB = '00000000-0000-0000-0000-000000000000';
const RG = 'medicapp-rg';
const SOURCE = 'medicappdbprod';
const PREFIX = `${SOURCE}-restore`;
const ours = (runId: string, expiresAt: string) => ({
  'restorecheck-run': runId,
  'restorecheck-created-by': 'restorecheck',
  'restorecheck-expires': expiresAt,
  'restorecheck-source': `${RG}/${SOURCE}`,
});
const PAST = '2000-01-01T00:00:00.000Z';

let sim: RunningSimulator;
let dir: string;
/**
 * Where the source "listens": restore-test probes the source's endpoint before its PUT (issue 12) and refuses an
 * unreachable one, so the source gets a TCP port that accepts connections (and drops them: the production read fails
 * on its own, harmlessly).
 */
let endpoint: Server;
let endpointPort: number;
/** Restores held open until the simulator stops: the killed run's server stays Provisioning. */
const held: Array<() => void> = [];

type ServerInput = NonNullable<ScenarioInput['servers']>[number];
const server = (resourceGroup: string, name: string, tags?: Record<string, string>): ServerInput => ({
  resourceGroup,
  name,
  location: 'francecentral',
  state: 'Ready',
  ...(tags ? { tags } : {}),
});

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'restorecheck-azure-cleanup-'));
  endpoint = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => endpoint.listen(0, '127.0.0.1', resolve));
  endpointPort = (endpoint.address() as AddressInfo).port;
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
  await new Promise((resolve) => endpoint?.close(resolve));
  if (dir) await rm(dir, { recursive: true, force: true });
});

const stamp = (at: Date) => at.toISOString().replace(/[-:T]/g, '').slice(0, 12);
const requests = (method: string) => sim.requests.filter((r) => r.method === method);

describe('restore-test cleanup without the ledger (the CI runner is gone)', () => {
  it('deletes the killed run’s server by its tags alone, and leaves foreign, unexpired and out-of-scope servers alone', async () => {
    const foreign = `${PREFIX}-199001010000`; // our prefix, no tags: someone's own server
    const unexpired = `${PREFIX}-199001010001`; // ours, but its run may still be going on another runner
    const otherName = 'reporting-copy'; // our tags, expired, but not our name
    const elsewhere = `${PREFIX}-199001010002`; // our tags, expired, our name, but not an allowed resource group
    const noExpiry = `${PREFIX}-199001010003`; // creator and run id, no expiry tag
    sim.load(
      parseScenario({
        subscriptionId: SUB,
        lro: { pollRetryAfterSeconds: 0, durationMs: 200 },
        servers: [
          {
            ...server(RG, SOURCE),
            fullyQualifiedDomainName: '127.0.0.1',
            version: '16',
            backup: { backupRetentionDays: 35, geoRedundantBackup: 'Enabled', earliestRestoreDaysAgo: 35 },
          },
          server(RG, foreign),
          server(RG, unexpired, ours('run-on-another-runner', '2999-01-01T00:00:00.000Z')),
          server(RG, otherName, ours('run-x', PAST)),
          server('other-rg', elsewhere, ours('run-y', PAST)),
          server(RG, noExpiry, { 'restorecheck-run': 'run-z', 'restorecheck-created-by': 'restorecheck' }),
        ],
      }),
    );
    sim.requests.length = 0;
    const ledgerDir = join(dir, 'ledger');
    const reportDir = join(dir, 'reports');
    const path = join(dir, 'config.json');
    await writeFile(
      path,
      JSON.stringify({
        environment: 'e2e',
        // Never reached: the run is killed while Azure restores (the production read fails on its own, harmlessly).
        database: { url: `postgres://reader:secret@127.0.0.1:${endpointPort}/medicapp?sslmode=disable`, coreTables: [{ name: 'patients' }] },
        azure: { subscriptionId: SUB, resourceManagerEndpoint: sim.endpoint, postgres: { resourceGroup: RG, server: SOURCE } },
        // Two seconds: the killed run's server expires while the test waits.
        restoreTest: { pollIntervalSeconds: 0.2, progressIntervalSeconds: 1, ledgerDir, expiryHours: 2 / 3600 },
        report: { dir: reportDir },
      }),
    );

    const cli = startCli(['restore-test', '--config', path, '--format', 'json'], { env: sim.env, timeoutMs: 60_000 });
    for (let i = 0; i < 300 && !requests('PUT').some((r) => r.status === 202); i++) await new Promise((resolve) => setTimeout(resolve, 100));
    assert.ok(
      requests('PUT').some((r) => r.status === 202),
      `the PUT was accepted:\n${cli.stderr()}`,
    );
    cli.child.kill('SIGKILL');
    assert.equal((await cli.result).signal, 'SIGKILL');
    const leftover = [-1, 0, 1].map((m) => `${PREFIX}-${stamp(new Date(Date.now() + m * 60_000))}`).find((name) => sim.server(RG, name));
    assert.ok(leftover, 'the killed run left its server');
    const tags = sim.server(RG, leftover)?.tags ?? {};
    assert.equal(tags['restorecheck-created-by'], 'restorecheck');
    assert.ok(tags['restorecheck-run'], 'tagged with its run id');
    // The runner is gone, and its ledger with it.
    await rm(ledgerDir, { recursive: true, force: true });
    const expiresIn = Date.parse(String(tags['restorecheck-expires'])) - Date.now();
    assert.ok(expiresIn < 10_000, `expires soon (${expiresIn} ms)`);
    if (expiresIn >= 0) await new Promise((resolve) => setTimeout(resolve, expiresIn + 200));

    sim.requests.length = 0;
    const cleanup = await runCli(['restore-test', 'cleanup', '--config', path], { env: sim.env, timeoutMs: 60_000 });
    assert.equal(cleanup.code, 0, cleanup.stderr);
    assert.match(cleanup.stdout, new RegExp(`^deleted ${leftover} \\(tags only\\)$`, 'm'));
    assert.match(cleanup.stdout, new RegExp(`^kept ${unexpired} \\(tags only\\)$`, 'm'));
    assert.match(cleanup.stdout, /^1 deleted, 1 kept$/m);
    assert.match(cleanup.stderr, new RegExp(`${RG}/${leftover}.*tags only.*run ${tags['restorecheck-run']}.*expired`));
    assert.match(cleanup.stderr, new RegExp(`${RG}/${foreign}.*no restorecheck tags: left alone`));
    assert.match(cleanup.stderr, new RegExp(`${RG}/${unexpired}.*2999-01-01T00:00:00.000Z has not passed`));
    assert.match(cleanup.stderr, new RegExp(`${RG}/${otherName}.*not ${PREFIX}-YYYYMMDDHHmm: left alone`));
    assert.match(cleanup.stderr, new RegExp(`${RG}/${noExpiry}.*no valid restorecheck-expires tag: left alone`));

    assert.equal(sim.server(RG, leftover), undefined, 'the leftover is gone');
    for (const [group, name] of [
      [RG, foreign],
      [RG, unexpired],
      [RG, otherName],
      [RG, noExpiry],
      ['other-rg', elsewhere],
    ] as const) {
      assert.ok(sim.server(group, name), `${group}/${name} stays`);
    }
    assert.deepEqual(
      requests('DELETE').map((r) => r.path.split('/').pop()),
      [leftover],
      'one DELETE, of the leftover only',
    );
    assert.equal(
      sim.requests.some((r) => r.path.toLowerCase().includes('/resourcegroups/other-rg/')),
      false,
      'a resource group outside restoreTest.allowedResourceGroups is not even listed',
    );

    // The deletion is on the record: report.dir's audit log says what was deleted and on what grounds.
    const audit = (await readFile(join(reportDir, 'audit.log.jsonl'), 'utf8').catch((e) => assert.fail(`${e}\n${cleanup.stderr}`)))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { action: string; command: string; outcome: string; details?: Record<string, unknown> });
    const deletions = audit.filter((l) => l.action === 'cleanup' && l.details?.server !== undefined);
    assert.deepEqual(
      deletions.map((l) => [l.command, l.outcome, l.details?.server, l.details?.basis, l.details?.runId, l.details?.expiresAt]),
      [['restore-test', 'deleted', `${RG}/${leftover}`, 'tags', tags['restorecheck-run'], tags['restorecheck-expires']]],
    );

    // Run again: nothing of ours is left to delete, and what stays still stays.
    const again = await runCli(['restore-test', 'cleanup', '--config', path], { env: sim.env, timeoutMs: 60_000 });
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /^0 deleted, 1 kept$/m);
  });
});
