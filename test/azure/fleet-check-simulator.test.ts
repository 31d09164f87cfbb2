/**
 * `restorecheck check` in fleet mode, end to end as CI runs it: the built binary in child processes, the simulator's
 * Resource Graph over a generated fleet in three subscriptions (with vanished, short-retention and throttled resources),
 * the unchanged DefaultAzureCredential through the simulator's managed identity. Then the same fleet in three shards
 * (--shard K/3), joined by `report merge`: exactly the unsharded findings.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type RunningSimulator, startSimulator } from '../../src/simulator/resource-manager.js';
import { parseScenario } from '../../src/simulator/scenario.js';
import { type CertificateAuthority, createCertificateAuthority } from '../../src/simulator/tls-authority.js';
import { runCli } from '../helpers/cli.js';

const SUBS = ['11111111-0000-4000-8000-000000000001', '22222222-0000-4000-8000-000000000002', '33333333-0000-4000-8000-000000000003'];
const SERVERS = 24;
const ACCOUNTS = 18;
const CAP = 6;

interface Finding {
  id: string;
  resource?: string;
  status: string;
  severity: string;
  message: string;
  messageKey?: string;
  errorKind?: string;
}
interface Report {
  outcome: string;
  checks: Finding[];
  summary: Record<string, number>;
  fleet: { discovered: { id: string; name: string; kind: string }[]; evaluated: string[]; shard?: { index: number; count: number }; mergedFrom?: unknown[] };
}

let authority: CertificateAuthority;
let sim: RunningSimulator;
let dir: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'restorecheck-fleet-e2e-'));
  authority = await createCertificateAuthority();
  sim = await startSimulator({
    authority,
    scenario: parseScenario({
      subscriptionId: SUBS[0],
      paging: { resourceGraphPageSize: 10 },
      latencyMs: 5,
      // Above the client's cap: a run that kept to azure.maxParallelRequests is never throttled for concurrency.
      throttle: { maxInFlight: CAP, retryAfterSeconds: 1 },
      fleet: {
        subscriptions: SUBS,
        servers: SERVERS,
        storageAccounts: ACCOUNTS,
        untagged: 3,
        faults: [
          { every: 10, fault: 'vanished' },
          { every: 7, fault: 'short-retention' },
          { every: 11, fault: 'throttled' },
        ],
      },
    }),
  });
});

after(async () => {
  await sim?.stop();
  await authority?.remove();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function writeConfig(name: string): Promise<string> {
  const path = join(dir, `${name}.json`);
  const config = {
    environment: 'fleet-e2e',
    azure: {
      subscriptionId: SUBS[0],
      resourceManagerEndpoint: sim.endpoint,
      maxRetryAfterSeconds: 5,
      maxParallelRequests: CAP,
      discover: { subscriptions: SUBS, pageSize: 10, concurrency: 8 },
    },
  };
  await writeFile(path, JSON.stringify(config, null, 2));
  return path;
}

const env = () => ({ ...sim.env, HOME: dir, AZURE_CONFIG_DIR: join(dir, 'no-az') });

async function newestReport(outDir: string): Promise<Report> {
  const name = (await readdir(outDir))
    .filter((f) => f.endsWith('.json'))
    .sort()
    .at(-1);
  assert.ok(name, `no JSON report in ${outDir}`);
  return JSON.parse(await readFile(join(outDir, name), 'utf8')) as Report;
}

/** What a finding concludes, without what differs between two runs a few seconds apart (durations, ages in hours). */
const conclusion = (f: Finding) => `${f.id} ${f.resource?.toLowerCase() ?? '-'} ${f.status} ${f.severity} ${f.messageKey ?? f.message}`;

describe('check over a fleet (azure.discover)', () => {
  let whole: Report;

  it('finds every tagged resource through Resource Graph and reports one finding per check and resource', async () => {
    const config = await writeConfig('fleet');
    sim.resetConcurrency();
    const result = await runCli(['check', '--config', config, '--format', 'json'], { env: env(), timeoutMs: 240_000 });
    assert.ok(result.stdout.startsWith('{'), `exit ${result.code}\n${result.stderr}`);
    whole = JSON.parse(result.stdout) as Report;
    assert.equal(result.code, 1, 'the short retentions fail the run (a failure outranks the vanished resources’ errors)');
    assert.match(result.stderr, /fleet: 24 servers and 18 storage accounts in scope \(5 Resource Graph pages\)/);

    const ids = whole.fleet.discovered.map((r) => r.name);
    assert.equal(ids.length, SERVERS + ACCOUNTS);
    assert.ok(!ids.some((n) => n.includes('untagged')), 'the untagged resources are out of scope');
    assert.equal(new Set(whole.fleet.discovered.map((r) => r.id.split('/')[2])).size, 3, 'three subscriptions');

    const byResource = new Map<string, Finding[]>();
    for (const f of whole.checks) if (f.resource) byResource.set(f.resource, [...(byResource.get(f.resource) ?? []), f]);
    assert.equal(byResource.size, SERVERS + ACCOUNTS);
    for (const r of whole.fleet.discovered) {
      const own = byResource.get(r.id) ?? [];
      const n = Number(/(\d+)$/.exec(r.name)?.[1]);
      assert.equal(own.length, r.kind === 'postgres' ? 6 : 4, r.name);
      if (n % 10 === 0) {
        // Gone since discovery: error for itself only, never a pass or a fail.
        for (const f of own) assert.equal(f.status, 'error', `${r.name} ${f.id}: ${f.message}`);
      } else if (n % 7 === 0) {
        const short = own.find((f) => f.id === (r.kind === 'postgres' ? 'pgflex-backup-retention' : 'blob-soft-delete'));
        assert.equal(short?.status, 'fail', `${r.name}: ${short?.message}`);
      } else {
        // Throttled ones (every 11th) included: their 429s were waited out.
        for (const f of own) assert.equal(f.status, 'pass', `${r.name} ${f.id}: ${f.message}`);
      }
    }
    assert.equal(
      Object.values(whole.summary).reduce((a, b) => a + b, 0),
      whole.checks.length,
    );
    // The run kept to azure.maxParallelRequests: the simulator never saw more at once, so never throttled for it.
    const seen = sim.concurrency();
    assert.ok(seen.peak <= CAP, `peak ${seen.peak} in flight, cap ${CAP}`);
    assert.equal(seen.throttled, 0);
  });

  it('three shards, merged, hold exactly the unsharded findings', async () => {
    assert.ok(whole, 'the unsharded run above');
    const config = await writeConfig('fleet-shards');
    const shardDirs: string[] = [];
    for (const index of [1, 2, 3]) {
      const out = join(dir, `shard-${index}`);
      shardDirs.push(out);
      const result = await runCli(['check', '--config', config, '--shard', `${index}/3`, '--format', 'json', '--out-dir', out], {
        env: env(),
        timeoutMs: 240_000,
      });
      assert.ok([1, 2].includes(result.code ?? -1), `shard ${index}: exit ${result.code}\n${result.stderr}`);
      const report = await newestReport(out);
      assert.deepEqual(report.fleet.shard, { index, count: 3 });
      assert.equal(report.fleet.discovered.length, SERVERS + ACCOUNTS, 'each shard records the whole fleet');
    }
    const mergedDir = join(dir, 'merged');
    const merge = await runCli(['report', 'merge', ...shardDirs, '--out-dir', mergedDir, '--format', 'json'], { env: env(), timeoutMs: 60_000 });
    assert.equal(merge.code, 1, merge.stderr);
    const merged = await newestReport(mergedDir);
    assert.equal(merged.fleet.mergedFrom?.length, 3);
    assert.deepEqual(merged.checks.map(conclusion), whole.checks.map(conclusion));
    assert.deepEqual(merged.summary, whole.summary);
    assert.equal(merged.outcome, whole.outcome);
    assert.deepEqual(merged.fleet.evaluated, whole.fleet.evaluated);
    const verify = await runCli(['report', 'verify', mergedDir], { env: env(), timeoutMs: 60_000 });
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
  });
});
