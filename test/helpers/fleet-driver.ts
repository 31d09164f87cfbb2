/**
 * Drives restorecheck's production Azure code against the simulator, as a fleet run does: one sharedAzure(config) per
 * run, one LiveGateways per resource on it (or, to compare, gateways of their own), Resource Graph discovery, parallel
 * Resource Manager reads and the pgflex-/blob- checks of single resources. A child process of the tests (see
 * fleet-driver-client.ts): the simulator's CA is trusted only through NODE_EXTRA_CA_CERTS, which Node reads at start.
 *   node --import tsx test/helpers/fleet-driver.ts JOB.json
 * Prints one JSON line: the result of each step, in order.
 */
import { readFile } from 'node:fs/promises';
import type { DiscoveryScope } from '../../src/azure/types.js';
import { checks } from '../../src/checks/index.js';
import { configSchema } from '../../src/config/schema.js';
import { EvaluationError } from '../../src/errors.js';
import { resourceConfig } from '../../src/run/fleet-config.js';
import { LiveGateways, sharedAzure } from '../../src/run/gateways.js';
import { runChecks } from '../../src/run/runner.js';
import type { FleetResource } from '../../src/vocabulary.js';

type Step =
  /** Resource Graph discovery through LiveGateways.resourceGraph() (shared: through sharedAzure(config).resourceGraph()). */
  | { op: 'discover'; scope: DiscoveryScope; shared?: boolean }
  /** getServer on each resource at once, each through its own LiveGateways (shared: all on one sharedAzure). */
  | { op: 'getServers'; resources: FleetResource[]; shared: boolean }
  /** The pgflex-* / storage-* / blob-* checks (those `only` names) of each resource, through its own LiveGateways on one sharedAzure. */
  | { op: 'check'; resources: FleetResource[]; only: string[] };

/** A step; each may bring its own configuration (raw) instead of the job's. */
export type DriverStep = Step & { config?: unknown };

export interface DriverJob {
  /** The run's configuration (raw, as a file would hold it). */
  config: unknown;
  steps: DriverStep[];
}

export type DriverError = { kind: string; message: string; hint: string };
export type StepResult =
  | { op: 'discover'; ok: true; resources: FleetResource[]; pages: number; query: string; elapsedMs: number }
  | { op: 'discover'; ok: false; error: DriverError }
  | {
      op: 'getServers';
      results: Array<{ id: string; ok: true; name: string | undefined } | { id: string; ok: false; error: DriverError }>;
      stats?: { inFlight: number; peak: number; max: number; tokensFetched: number };
    }
  | { op: 'check'; results: Array<{ id: string; checks: Array<{ id: string; status: string; message: string; errorKind?: string }> }> };

const describe = (error: unknown): DriverError =>
  error instanceof EvaluationError
    ? { kind: error.kind, message: error.message, hint: error.hint }
    : { kind: 'unexpected', message: String((error as Error)?.message ?? error), hint: '' };

async function step(config: ReturnType<typeof configSchema.parse>, s: DriverStep): Promise<StepResult> {
  if (s.op === 'discover') {
    const graph = s.shared ? sharedAzure(config).resourceGraph() : new LiveGateways(config).resourceGraph();
    const started = performance.now();
    try {
      const found = await graph.discover(s.scope, AbortSignal.timeout(120_000));
      // Measured for the report's figures only; no test asserts a duration (the machine is shared).
      return { op: 'discover', ok: true, ...found, elapsedMs: Math.round(performance.now() - started) };
    } catch (error) {
      return { op: 'discover', ok: false, error: describe(error) };
    }
  }
  if (s.op === 'getServers') {
    const shared = s.shared ? sharedAzure(config) : undefined;
    const results = await Promise.all(
      s.resources.map(async (r) => {
        const own = resourceConfig(config, r);
        const gateways = new LiveGateways(own, shared ? { azure: shared } : {});
        try {
          const server = await gateways.azurePostgres().getServer(r.resourceGroup, r.name);
          return { id: r.id, ok: true as const, name: server.name };
        } catch (error) {
          return { id: r.id, ok: false as const, error: describe(error) };
        }
      }),
    );
    return { op: 'getServers', results, ...(shared ? { stats: shared.stats() } : {}) };
  }
  const shared = sharedAzure(config);
  const results = await Promise.all(
    s.resources.map(async (r) => {
      const own = resourceConfig(config, r);
      const result = await runChecks({ command: 'check', checks, config: own, gateways: new LiveGateways(own, { azure: shared }), only: s.only });
      return {
        id: r.id,
        checks: result.checks.map((c) => ({ id: c.id, status: c.status, message: c.message, ...(c.errorKind ? { errorKind: c.errorKind } : {}) })),
      };
    }),
  );
  return { op: 'check', results };
}

const job = JSON.parse(await readFile(process.argv[2]!, 'utf8')) as DriverJob;
const config = configSchema.parse(job.config);
const out: StepResult[] = [];
for (const s of job.steps) out.push(await step(s.config === undefined ? config : configSchema.parse(s.config), s));
process.stdout.write(`${JSON.stringify(out)}\n`);
