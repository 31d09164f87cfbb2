/**
 * Runs the blob recovery drill once, as restore-test does (the configuration's azure section, the run's Azure session,
 * the real @azure/storage-blob client), then blob-recovery-drill on its outcome, and prints both as JSON on stdout.
 * A child process of test/azure/blob-recovery-drill.test.ts: the simulator's CA is trusted only through
 * NODE_EXTRA_CA_CERTS, which Node reads at start.
 *   node --import tsx test/helpers/run-blob-drill.ts CONFIG.yaml
 */
import { checks } from '../../src/checks/index.js';
import { loadConfigFile } from '../../src/config/load.js';
import { runBlobRecoveryDrill } from '../../src/restore/blob-recovery-drill.js';
import { LiveGateways } from '../../src/run/gateways.js';
import { runChecks } from '../../src/run/runner.js';

const [configPath] = process.argv.slice(2);
const { config } = await loadConfigFile(configPath!);
const gateways = new LiveGateways(config);
const quiet = { info: () => undefined, debug: () => undefined, warn: () => undefined } as never;
const started = performance.now();
const drill = await runBlobRecoveryDrill(gateways.drillBlobs(), {
  canaryBytes: config.azure!.storage!.drill!.canaryBytes,
  runId: 'c0ffee00-0000-4000-8000-000000000000',
  now: new Date(),
  signal: AbortSignal.timeout(60_000),
  log: quiet,
});
const wallSeconds = (performance.now() - started) / 1000;
const result = await runChecks({
  command: 'restore-test',
  checks: checks.filter((c) => c.id === 'blob-recovery-drill'),
  config,
  gateways,
  inputs: { blobDrill: drill },
  log: quiet,
});
await gateways.close();
process.stdout.write(`${JSON.stringify({ drill, wallSeconds, finding: result.checks[0] })}\n`);
