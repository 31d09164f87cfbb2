/**
 * On CI, `restore-test cleanup` runs last (`if: always()`), and its report directory dies with the runner. With
 * report.store, the audit line that records a deletion goes to the store too, re-linked after the store's lines, so
 * that the durable record says what cleanup deleted and on what grounds. The built binary against the Resource Manager
 * simulator (an expired leftover tagged by restorecheck) and Azurite (the store).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { type RunningSimulator, startSimulator } from '../../src/simulator/resource-manager.js';
import { parseScenario } from '../../src/simulator/scenario.js';
import { startAzurite, type Azurite } from '../helpers/azurite.js';
import { runCli } from '../helpers/cli.js';

const SUB = '00000000-0000-0000-0000-000000000000';
const RG = 'medicapp-rg';
const SOURCE = 'medicappdbprod';
const LEFTOVER = `${SOURCE}-restore-199001010000`;

let sim: RunningSimulator;
let azurite: Azurite;
let dir: string;
let records: ContainerClient;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'restorecheck-cleanup-store-'));
  const started = await Promise.allSettled([startSimulator({ scenario: parseScenario({}) }).then((s) => (sim = s)), startAzurite().then((a) => (azurite = a))]);
  const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  records = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient('records');
  await records.create();
});

after(async () => {
  await Promise.allSettled([sim?.stop(), azurite?.stop()]);
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function config(name: string, connectionString: string): Promise<string> {
  const path = join(dir, `${name}.json`);
  await writeFile(
    path,
    JSON.stringify({
      environment: 'production',
      azure: { subscriptionId: SUB, resourceManagerEndpoint: sim.endpoint, postgres: { resourceGroup: RG, server: SOURCE } },
      report: {
        dir: join(dir, `${name}-reports`),
        store: { account: azurite.account, container: 'records', connectionString, timeoutMs: 10_000 },
      },
    }),
  );
  return path;
}

const leftover = () => ({
  resourceGroup: RG,
  name: LEFTOVER,
  location: 'francecentral',
  state: 'Ready' as const,
  tags: {
    'restorecheck-run': 'run-of-a-dead-runner',
    'restorecheck-created-by': 'restorecheck',
    'restorecheck-expires': '2000-01-01T00:00:00.000Z',
    'restorecheck-source': `${RG}/${SOURCE}`,
  },
});

describe('restore-test cleanup with report.store', () => {
  it('stores the audit line of the deletion, so the record outlives the runner', async () => {
    sim.load(parseScenario({ subscriptionId: SUB, lro: { pollRetryAfterSeconds: 0, durationMs: 100 }, servers: [leftover()] }));
    const cleanup = await runCli(['restore-test', 'cleanup', '--config', await config('runner-1', azurite.connectionString)], {
      env: sim.env,
      timeoutMs: 60_000,
    });
    assert.equal(cleanup.code, 0, cleanup.stderr);
    assert.match(cleanup.stdout, new RegExp(`^deleted ${LEFTOVER} \\(tags only\\)$`, 'm'));
    assert.match(cleanup.stderr, /report store: uploaded 1 file/);
    const line = JSON.parse((await records.getBlobClient('production/audit/0000000001.jsonl').downloadToBuffer()).toString('utf8')) as {
      action: string;
      outcome: string;
      details: { server: string; basis: string };
    };
    assert.deepEqual([line.action, line.outcome, line.details.server, line.details.basis], ['cleanup', 'deleted', `${RG}/${LEFTOVER}`, 'tags']);
  });

  it('with nothing to delete, does not touch the store; with an unreachable store, says the record stayed local (exit 2)', async () => {
    // Only the source: nothing of ours to delete.
    sim.load(parseScenario({ subscriptionId: SUB, servers: [{ resourceGroup: RG, name: SOURCE, location: 'francecentral', state: 'Ready' }] }));
    const idle = await runCli(['restore-test', 'cleanup', '--config', await config('runner-2', azurite.connectionString)], { env: sim.env, timeoutMs: 60_000 });
    assert.equal(idle.code, 0, idle.stderr);
    assert.doesNotMatch(idle.stderr, /report store/);

    sim.load(parseScenario({ subscriptionId: SUB, lro: { pollRetryAfterSeconds: 0, durationMs: 100 }, servers: [leftover()] }));
    const closed = azurite.connectionString.replace(/BlobEndpoint=http:\/\/127\.0\.0\.1:\d+/, 'BlobEndpoint=http://127.0.0.1:9');
    const unreachable = await runCli(['restore-test', 'cleanup', '--config', await config('runner-3', closed)], { env: sim.env, timeoutMs: 90_000 });
    assert.equal(unreachable.code, 2, unreachable.stdout + unreachable.stderr);
    assert.match(unreachable.stdout, new RegExp(`^deleted ${LEFTOVER}`, 'm'), 'the deletion itself happened');
    assert.match(unreachable.stderr, /the record of this cleanup is in .*audit\.log\.jsonl only, not in the report store/);
    assert.doesNotMatch(unreachable.stderr, /AccountKey=|\n\s+at /);
  });
});
