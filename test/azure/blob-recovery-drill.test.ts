/**
 * The blob recovery drill against the simulator's blob data plane (Azurite has no soft delete, undelete or versions),
 * through the real @azure/storage-blob client signed in with the simulator's managed identity, as restore-test runs
 * it (test/helpers/run-blob-drill.ts in a child process, for NODE_EXTRA_CA_CERTS).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { BlobDrillOutcome } from '../../src/restore/blob-recovery-drill.js';
import type { CheckResult } from '../../src/run/result.js';
import { type RunningSimulator, startSimulator } from '../../src/simulator/resource-manager.js';
import { type ScenarioInput, parseScenario } from '../../src/simulator/scenario.js';

const RUNNER = join(import.meta.dirname, '../helpers/run-blob-drill.ts');
const ACCOUNT = 'medicappstorage';

let sim: RunningSimulator;
let dir: string;

/** One storage account with a documents container and the drill container; `change` alters the blob service or the containers. */
function scenario(change: { blobService?: Record<string, unknown>; drillRole?: string; purgeDeleted?: boolean } = {}): ScenarioInput {
  return {
    storageAccounts: [
      {
        resourceGroup: 'medicapp-rg',
        name: ACCOUNT,
        location: 'francecentral',
        blobService: change.blobService ?? { isVersioningEnabled: false, deleteRetentionPolicy: { enabled: true, days: 14 } },
        containers: [{ name: 'documents' }, { name: 'restorecheck-drill', ...(change.drillRole ? { dataRole: change.drillRole } : {}) }],
        ...(change.purgeDeleted ? { purgeDeleted: true } : {}),
      },
    ],
  } as ScenarioInput;
}

async function drill(input: ScenarioInput): Promise<{ drill: BlobDrillOutcome; wallSeconds: number; finding: CheckResult }> {
  sim.load(parseScenario(input));
  const config = join(dir, 'restorecheck.yaml');
  await writeFile(
    config,
    [
      'environment: test',
      'azure:',
      `  subscriptionId: ${sim.subscriptionId}`,
      `  resourceManagerEndpoint: ${sim.endpoint}`,
      '  storage:',
      '    resourceGroup: medicapp-rg',
      `    account: ${ACCOUNT}`,
      '    container: documents',
      `    drill: { container: restorecheck-drill, blobEndpoint: ${JSON.stringify(sim.blobEndpoint(ACCOUNT))}, canaryBytes: 4096 }`,
      '',
    ].join('\n'),
  );
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', RUNNER, config], {
    env: { PATH: process.env.PATH ?? '', HOME: dir, ...sim.env },
    timeout: 120_000,
  });
  return JSON.parse(stdout);
}

/** The containers the data-plane requests went to since `from`. */
const containersTouched = (from: number) =>
  new Set(
    sim.requests
      .slice(from)
      .filter((r) => r.path.startsWith(`/${ACCOUNT}/`))
      .map((r) => r.path.split('/')[2]),
  );

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'restorecheck-drill-'));
  sim = await startSimulator({ scenario: parseScenario(scenario()) });
});
after(async () => {
  await sim?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('blob-recovery-drill against the simulator', { timeout: 600_000 }, () => {
  it('passes with soft delete on: the canary is undeleted with its content, and only the drill container is touched', async () => {
    const from = sim.requests.length;
    const r = await drill(scenario());
    assert.equal(r.finding.status, 'pass', r.finding.message);
    assert.equal(r.drill.recovery?.by, 'undelete');
    assert.equal(r.drill.sha256.recovered, r.drill.sha256.expected);
    assert.deepEqual(
      r.drill.steps.map((s) => [s.name, s.ok]),
      ['upload', 'overwrite', 'delete', 'list', 'recover', 'verify', 'cleanup'].map((n) => [n, true]),
    );
    // Soft delete keeps the deleted canary, and this account does not allow a permanent delete: it expires.
    assert.equal(r.drill.cleanup?.status, 'left-to-expire', JSON.stringify(r.drill.cleanup));
    assert.deepEqual([...containersTouched(from)], ['restorecheck-drill']);
    console.log(`drill wall time (soft delete, no versioning): ${r.wallSeconds.toFixed(2)} s`);
  });
  it('passes with versioning on: the previous version is promoted, the overwritten content is kept as a version', async () => {
    const r = await drill(scenario({ blobService: { isVersioningEnabled: true, deleteRetentionPolicy: { enabled: true, days: 14 } } }));
    assert.equal(r.finding.status, 'pass', r.finding.message);
    assert.equal(r.drill.recovery?.by, 'promote-version');
    assert.equal(r.drill.versioning, true);
    assert.equal(r.drill.sha256.overwrittenKept, r.drill.sha256.overwritten);
    console.log(`drill wall time (soft delete and versioning): ${r.wallSeconds.toFixed(2)} s`);
  });
  it('fails with soft delete off: the canary is gone', async () => {
    const r = await drill(scenario({ blobService: { isVersioningEnabled: false, deleteRetentionPolicy: { enabled: false } } }));
    assert.equal(r.finding.status, 'fail', r.finding.message);
    assert.equal(r.drill.verdict, 'gone');
    assert.match(r.finding.message, /was gone at once/);
    assert.equal(r.drill.cleanup?.status, 'deleted');
  });
  it('fails with allowPermanentDelete and a purge', async () => {
    const r = await drill(
      scenario({
        blobService: { isVersioningEnabled: false, deleteRetentionPolicy: { enabled: true, days: 14, allowPermanentDelete: true } },
        purgeDeleted: true,
      }),
    );
    assert.equal(r.finding.status, 'fail', r.finding.message);
    assert.equal(r.drill.verdict, 'gone');
  });
  it('deletes the canary for good where allowPermanentDelete and the role allow it', async () => {
    // Storage Blob Data Contributor lacks blobs/permanentDelete/action: Owner has it.
    const r = await drill(
      scenario({
        blobService: { isVersioningEnabled: true, deleteRetentionPolicy: { enabled: true, days: 14, allowPermanentDelete: true } },
        drillRole: 'owner',
      }),
    );
    assert.equal(r.finding.status, 'pass', r.finding.message);
    assert.equal(r.drill.cleanup?.status, 'deleted', JSON.stringify(r.drill));
  });
  it('is an error naming Storage Blob Data Contributor on the drill container when its role is missing', async () => {
    const r = await drill(scenario({ drillRole: 'reader' }));
    assert.equal(r.finding.status, 'error', r.finding.message);
    assert.match(r.finding.message, /Storage Blob Data Contributor on container restorecheck-drill/);
    assert.match(r.finding.hint ?? '', /az role assignment create .*--role "Storage Blob Data Contributor" --scope .*\/containers\/restorecheck-drill/);
    assert.equal(r.drill.failure?.step, 'upload');
  });
});
