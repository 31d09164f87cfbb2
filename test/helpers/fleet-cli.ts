/**
 * restorecheck's CLI (src/cli/main.ts) in this process, with one door replaced: Azure Resource Graph answers with the
 * servers listed in the JSON file RESTORECHECK_TEST_FLEET (FleetResource[]), which must exist in the simulator. A fake
 * on top of the real simulator (which serves Resource Graph too: test/azure/fleet-check-simulator.test.ts and
 * test/restore/fleet-cleanup.test.ts use the real discovery): it lets the restore tests pick their fleet exactly.
 * Everything else is the real command against the real simulator (the SDK, its pollers, the restores and deletions). The scope
 * each discovery asked for is appended to RESTORECHECK_TEST_FLEET_SCOPES (one JSON line per call) when set.
 * A child process: the simulator's CA is trusted through NODE_EXTRA_CA_CERTS, which Node reads at start.
 *   node --import tsx test/helpers/fleet-cli.ts restore-test --config FILE …
 */
import { appendFileSync, readFileSync } from 'node:fs';
import type { DiscoveryScope, ResourceGraphGateway } from '../../src/azure/types.js';
import { main } from '../../src/cli/main.js';
import { type Gateways, LiveGateways } from '../../src/run/gateways.js';
import type { FleetResource } from '../../src/vocabulary.js';

const fleetFile = process.env.RESTORECHECK_TEST_FLEET;
if (!fleetFile) throw new Error('RESTORECHECK_TEST_FLEET: the JSON file of the fleet to discover');
const fleet = JSON.parse(readFileSync(fleetFile, 'utf8')) as FleetResource[];

const fake: ResourceGraphGateway = {
  async discover(scope: DiscoveryScope) {
    const scopes = process.env.RESTORECHECK_TEST_FLEET_SCOPES;
    if (scopes) appendFileSync(scopes, `${JSON.stringify(scope)}\n`);
    const resources = fleet.filter((r) => scope.kinds.includes(r.kind)).sort((a, b) => (a.id.toLowerCase() < b.id.toLowerCase() ? -1 : 1));
    return { resources, pages: 1, query: 'test fleet (test/helpers/fleet-cli.ts)' };
  },
};
(LiveGateways.prototype as Gateways).resourceGraph = () => fake;

process.exitCode = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env });
// As the binary does: whatever an SDK left open must not hold the process.
setTimeout(() => process.exit(), 3_000).unref();
