/**
 * bench/fleet-check: `restorecheck check` over a fleet (azure.discover, issue 17) against the same check of one
 * server and one storage account, both the built binary against the simulator (Resource Graph, Resource Manager, the
 * managed identity), with the same simulated Azure latency per answer:
 *
 *   (a) baseline: `check` of a configuration naming one Flexible Server and one storage account of the fleet
 *   (b) `check` of the whole fleet: N servers and N storage accounts in three subscriptions, discovered by tag
 *
 * Prints the ratio b / (a × N) — the fleet run against the serial sum of N single-resource runs (target ≤ 0.1) —,
 * restorecheck's peak RSS for each fleet size given (it should not grow faster than the resource count), Resource
 * Manager and Resource Graph calls per resource, and the size of the merged report of the same fleet in three shards.
 *
 *   npm run build && npm run bench:fleet-check [-- --sizes 50,100,200 --latency 20 --rounds 3]
 *
 * Not part of `npm test`: timings on a shared machine are noisy, hence medians and a ratio measured in the same run.
 */
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fleetResources, fleetSchema } from '../src/simulator/fleet-scenario.js';
import { type RunningSimulator, startSimulator } from '../src/simulator/resource-manager.js';
import { parseScenario } from '../src/simulator/scenario.js';
import { createCertificateAuthority } from '../src/simulator/tls-authority.js';
import { BIN, log, median, run, timed } from './bench-timing.js';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '50,100,200' },
    latency: { type: 'string', default: '20' },
    rounds: { type: 'string', default: '3' },
  },
});
const sizes = values.sizes!.split(',').map(Number);
const latencyMs = Number(values.latency);
const rounds = Number(values.rounds);
const SUBS = ['11111111-0000-4000-8000-000000000001', '22222222-0000-4000-8000-000000000002', '33333333-0000-4000-8000-000000000003'];

function fleet(n: number) {
  return { subscriptions: SUBS, servers: n, storageAccounts: n };
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'restorecheck-bench-fleet-'));
  const authority = await createCertificateAuthority();
  let sim: RunningSimulator | undefined;
  try {
    const largest = Math.max(...sizes);
    const scenarioOf = (n: number) => parseScenario({ subscriptionId: SUBS[0], latencyMs, fleet: fleet(n) });
    sim = await startSimulator({ authority, scenario: scenarioOf(largest) });
    const env = { ...process.env, ...sim.env, HOME: dir, AZURE_CONFIG_DIR: join(dir, 'no-az') };
    const azure = { subscriptionId: SUBS[0], resourceManagerEndpoint: sim.endpoint };

    // (a) One server and one account of the fleet, configured by name.
    const first = fleetResources(fleetSchema.parse(fleet(largest)), SUBS[0] as string);
    const server = first.servers[0]!;
    const account = first.storageAccounts[0]!;
    const single = join(dir, 'single.json');
    await writeFile(
      single,
      JSON.stringify({
        environment: 'bench',
        azure: {
          ...azure,
          subscriptionId: server.subscriptionId ?? SUBS[0],
          postgres: { resourceGroup: server.resourceGroup, server: server.name },
          storage: { resourceGroup: account.resourceGroup, account: account.name },
        },
      }),
    );
    const fleetConfig = join(dir, 'fleet.json');
    await writeFile(fleetConfig, JSON.stringify({ environment: 'bench', azure: { ...azure, discover: { subscriptions: SUBS } } }));

    const check = (config: string, extra: string[] = []) => timed(['node', BIN, 'check', '--config', config, '--format', 'json', ...extra], { env });
    const azureCalls = () => sim!.requests.filter((r) => r.path !== '/msi/token' && r.plane !== 'blob').length;

    log(`latency ${latencyMs} ms per answer; fleet sizes ${sizes.join(', ')} (servers = accounts), 3 subscriptions; ${rounds} rounds`);
    const singles: number[] = [];
    const fleets: number[] = [];
    let callsPerResource = 0;
    for (let round = 1; round <= rounds; round++) {
      const a = await check(single);
      const before = azureCalls();
      const b = await check(fleetConfig);
      callsPerResource = (azureCalls() - before) / (2 * largest);
      singles.push(a.seconds);
      fleets.push(b.seconds);
      log(
        `round ${round}: single ${a.seconds.toFixed(2)} s; fleet of ${2 * largest} ${b.seconds.toFixed(2)} s (peak RSS ${((b.maxRssKb ?? 0) / 1024).toFixed(0)} MiB); ratio ${(b.seconds / (a.seconds * largest)).toFixed(4)}`,
      );
    }
    const ratio = median(fleets) / (median(singles) * largest);

    // Peak RSS by fleet size (one run each).
    const rss: string[] = [];
    for (const n of sizes) {
      sim.load(scenarioOf(n));
      const b = await check(fleetConfig);
      rss.push(`${2 * n} resources: ${((b.maxRssKb ?? 0) / 1024).toFixed(0)} MiB in ${b.seconds.toFixed(1)} s`);
    }
    sim.load(scenarioOf(largest));

    // Three shards and their merge: the merged report's size.
    const shardDirs: string[] = [];
    for (const index of [1, 2, 3]) {
      const out = join(dir, `shard-${index}`);
      shardDirs.push(out);
      await check(fleetConfig, ['--shard', `${index}/3`, '--out-dir', out]);
    }
    const merged = join(dir, 'merged');
    await run('node', [BIN, 'report', 'merge', ...shardDirs, '--out-dir', merged, '--format', 'json', '--format', 'html'], { env });
    const sizeOf = async (ext: string) => {
      const name = (await readdir(merged)).find((f) => f.endsWith(ext));
      return name ? (await stat(join(merged, name))).size : 0;
    };

    const json = await sizeOf('.json');
    const html = await sizeOf('.html');
    process.stdout.write(
      `fleet check, ${largest} servers + ${largest} storage accounts, ${latencyMs} ms per Azure answer:\n` +
        `  single server + account check: median ${median(singles).toFixed(2)} s\n` +
        `  fleet check: median ${median(fleets).toFixed(2)} s\n` +
        `  ratio fleet / (single × ${largest}): ${ratio.toFixed(4)} (target ≤ 0.1)\n` +
        `  Azure calls per resource (Resource Manager + Resource Graph): ${callsPerResource.toFixed(2)}\n` +
        `  peak RSS: ${rss.join('; ')}\n` +
        `  merged report of 3 shards: JSON ${(json / 1e6).toFixed(2)} MB, HTML ${(html / 1e6).toFixed(2)} MB\n`,
    );
  } finally {
    await sim?.stop();
    await authority.remove();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
