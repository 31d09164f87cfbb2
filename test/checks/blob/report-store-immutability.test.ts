/**
 * report-store-immutability through the built binary against the Resource Manager simulator (HTTPS, managed identity,
 * the unchanged DefaultAzureCredential and @azure/arm-storage): BlobContainers_Get as the official examples shape it.
 * The reports go to stdout, so the store itself is not read here (test/evidence/report-store.test.ts does that).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type RunningSimulator, startSimulator } from '../../../src/simulator/resource-manager.js';
import { parseScenario, type ScenarioInput } from '../../../src/simulator/scenario.js';
import { type CertificateAuthority, createCertificateAuthority } from '../../../src/simulator/tls-authority.js';
import { runCli } from '../../helpers/cli.js';

const SUB = '00000000-0000-0000-0000-000000000000';
type Container = NonNullable<NonNullable<ScenarioInput['storageAccounts']>[number]['containers']>[number];

let authority: CertificateAuthority;
let sim: RunningSimulator;
let dir: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'restorecheck-store-immutability-'));
  authority = await createCertificateAuthority();
  sim = await startSimulator({ scenario: parseScenario({ subscriptionId: SUB }), authority });
});

after(async () => {
  await sim?.stop();
  await authority?.remove();
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface Checked {
  status: string;
  message: string;
  evidence: Record<string, unknown>;
  errorKind?: string;
}

let n = 0;
/** Loads a scenario whose account `records` holds `container`, and runs the check alone. */
async function run(container: Container | undefined, report: Record<string, unknown> | null = { minRetentionDays: 365 }): Promise<Checked> {
  sim.load(
    parseScenario({
      subscriptionId: SUB,
      storageAccounts: [{ resourceGroup: 'records-rg', name: 'recordsstore', location: 'francecentral', containers: container ? [container] : [] }],
    }),
  );
  const path = join(dir, `config-${++n}.json`);
  const store = { account: 'recordsstore', container: 'restorecheck-records', resourceGroup: 'records-rg' };
  await writeFile(
    path,
    JSON.stringify({
      environment: 'prod',
      azure: { subscriptionId: SUB, resourceManagerEndpoint: sim.endpoint },
      ...(report ? { report: { store, ...report } } : {}),
    }),
  );
  const result = await runCli(['check', '--config', path, '--only', 'report-store-immutability', '--format', 'json'], { env: sim.env, timeoutMs: 60_000 });
  const parsed = JSON.parse(result.stdout) as { checks: Checked[] };
  assert.equal(parsed.checks.length, 1, result.stderr);
  return parsed.checks[0]!;
}

const container = (policy?: Container['immutabilityPolicy'], extra: Partial<Container> = {}): Container => ({
  name: 'restorecheck-records',
  ...(policy ? { immutabilityPolicy: policy } : {}),
  ...extra,
});

describe('report-store-immutability', () => {
  it('passes with a locked policy of at least report.minRetentionDays', async () => {
    const r = await run(container({ state: 'Locked', days: 400 }));
    assert.equal(r.status, 'pass', r.message);
    assert.deepEqual(r.evidence, { state: 'Locked', retentionDays: 400, minRetentionDays: 365, versionLevelImmutability: false });
    const request = sim.requests.find((q) => /\/blobServices\/default\/containers\/restorecheck-records$/i.test(q.path));
    assert.ok(request, 'read through BlobContainers_Get');
  });

  it('fails with an unlocked policy: it can be shortened or deleted', async () => {
    const r = await run(container({ state: 'Unlocked', days: 3650 }));
    assert.equal(r.status, 'fail');
    assert.match(r.message, /unlocked retention policy of 3650 days: it can still be shortened or deleted/);
  });

  it('fails with a locked policy shorter than report.minRetentionDays (default 365)', async () => {
    const r = await run(container({ state: 'Locked', days: 100 }), {});
    assert.equal(r.status, 'fail');
    assert.match(r.message, /keeps blobs for 100 days under its locked policy; expected at least 365 days/);
    assert.equal(r.evidence.minRetentionDays, 365);
  });

  it('follows report.minRetentionDays', async () => {
    assert.equal((await run(container({ state: 'Locked', days: 100 }), { minRetentionDays: 90 })).status, 'pass');
  });

  it('fails, never configured, without a policy', async () => {
    const r = await run(container());
    assert.equal(r.status, 'fail');
    assert.match(r.message, /has no time-based retention policy \(never configured\)/);
    assert.equal(r.evidence.neverConfigured, true);
  });

  it('fails with version-level immutability alone, saying it protects no blob by itself', async () => {
    const r = await run(container(undefined, { versionLevelImmutability: true }));
    assert.equal(r.status, 'fail');
    assert.match(r.message, /only version-level immutability/);
    assert.equal(r.evidence.versionLevelImmutability, true);
  });

  it('judges the container policy when version-level immutability is on too', async () => {
    const r = await run(container({ state: 'Locked', days: 365 }, { versionLevelImmutability: true }));
    assert.equal(r.status, 'pass', r.message);
    assert.equal(r.evidence.versionLevelImmutability, true);
  });

  it('is an error, not a pass, when the container does not exist', async () => {
    const r = await run(undefined);
    assert.equal(r.status, 'error', r.message);
  });

  it('is skipped without an azure section (a store reached by connection string only)', async () => {
    const path = join(dir, 'no-azure.json');
    await writeFile(path, JSON.stringify({ environment: 'prod', report: { store: { account: 'recordsstore', container: 'restorecheck-records' } } }));
    const result = await runCli(['check', '--config', path, '--only', 'report-store-immutability', '--format', 'json'], { env: sim.env, timeoutMs: 60_000 });
    const r = (JSON.parse(result.stdout) as { checks: Checked[] }).checks[0]!;
    assert.equal(r.status, 'skipped');
    assert.match(r.message, /no azure section in the configuration/);
  });

  it('is skipped without report.store', async () => {
    const r = await run(container({ state: 'Locked', days: 400 }), null);
    assert.equal(r.status, 'skipped');
    assert.match(r.message, /no report\.store in the configuration/);
  });
});
