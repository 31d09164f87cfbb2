/**
 * Fleet mode of `check` (azure.discover, issue 17). Resource Graph finds every Flexible Server and storage account in
 * scope; each is checked as if it were configured alone (fleet-config.ts), with its own gateways and run deadline,
 * a bounded number at once; every finding names its resource. The run-wide checks (database, report store, restore
 * freshness) run once, in the first shard. The result is one RunResult, like a single-resource run's, plus `fleet`.
 *
 * Concurrency is one process's: `discover.concurrency` resources at once, and below that, the Azure requests capped by
 * azure.maxParallelRequests in the gateways. No scheduler of our own: CI matrices split a larger fleet (`--shard`).
 */
import { randomUUID } from 'node:crypto';
import type { Discovery } from '../azure/types.js';
import { fleetTexts as t } from '../checks/fleet-texts.js';
import type { Check } from '../checks/types.js';
import type { Config } from '../config/schema.js';
import { deadline } from '../deadline.js';
import { EvaluationError, describeError } from '../errors.js';
import type { FleetResource, Logger } from '../vocabulary.js';
import { SILENT_LOGGER } from '../vocabulary.js';
import { TOOL_VERSION } from '../version.js';
import { discoveryScope, fleetOf, resourceConfig } from './fleet-config.js';
import type { Gateways } from './gateways.js';
import { type CheckResult, type FleetInfo, type RunResult, compareFindings, computeOutcome, summarise } from './result.js';
import { type RunOptions, runChecks, selectChecks } from './runner.js';
import { type Shard, inShard } from './shard.js';
import { mapLimited } from '../map-limited.js';

export interface FleetRunOptions extends RunOptions {
  /** `--shard K/N`: only this shard's resources (and the run-wide checks only in shard 1). */
  shard?: Shard;
  /** The gateways of one resource's configuration. A fleet run's gateways share one credential and one request cap. */
  gatewaysFor(config: Config): Gateways;
}

/** Which resource kind a check judges: the azure section it needs. Undefined: a run-wide check. */
export function kindOf(check: Check): FleetResource['kind'] | undefined {
  if (check.needs.includes('azurePostgres')) return 'postgres';
  if (check.needs.includes('azureStorage')) return 'storage';
  return undefined;
}

/**
 * A resource Resource Graph listed and Resource Manager then did not find: the generic 404 hint ("check the names in the
 * configuration") would send the user to a configuration that names no such thing. Say what happened instead.
 */
function vanishedHint(finding: CheckResult): Pick<CheckResult, 'hint'> | Record<string, never> {
  if (finding.status !== 'error' || finding.errorKind !== 'not-found') return {};
  return {
    hint: 'Azure Resource Graph listed this resource at discovery and Resource Manager no longer finds it: deleted or moved since (Resource Graph lags by up to a few minutes); run again, and a deleted resource leaves the fleet',
  };
}

async function discover(options: FleetRunOptions, signal: AbortSignal): Promise<{ discovery?: Discovery; error?: EvaluationError }> {
  const scope = options.config.azure?.discover;
  if (!scope) throw new Error('runFleetChecks: no azure.discover'); // the CLI calls it only with one
  const graph = options.gateways.resourceGraph?.();
  if (!graph) return { error: new EvaluationError('internal', 'this run has no Resource Graph gateway', 'fleet mode needs the live gateways') };
  try {
    return { discovery: await graph.discover(discoveryScope(scope), signal) };
  } catch (error) {
    return {
      error:
        error instanceof EvaluationError
          ? error
          : new EvaluationError('internal', describeError(error), 'this is a bug in restorecheck: please report it with RESTORECHECK_DEBUG=1 output'),
    };
  }
}

/** One `error` finding per resource check when the fleet could not be discovered: not a pass, and the reason said once per check. */
function discoveryErrors(checks: readonly Check[], error: EvaluationError): CheckResult[] {
  const message = t.discoveryFailed({ reason: error.message });
  return checks.map((check) => ({
    id: check.id,
    title: check.title,
    status: 'error' as const,
    severity: check.severity,
    message: message.en,
    messageKey: message.key,
    messageParams: message.params,
    evidence: {},
    remediation: check.remediation,
    controls: check.controls,
    durationMs: 0,
    hint: error.hint,
    errorKind: error.kind,
    ...(error.requestId ? { requestId: error.requestId } : {}),
  }));
}

/**
 * `skipped` findings of a kind's checks when the whole fleet holds none of that kind: said once (in the first shard),
 * so that an empty scope (a tag misspelt) is visible rather than a report without those checks.
 */
function noneInScope(checks: readonly Check[], kind: FleetResource['kind'], tag: Record<string, string>): CheckResult[] {
  const shown =
    Object.keys(tag).length === 0
      ? '(none)'
      : Object.entries(tag)
          .map(([k, v]) => `${k}=${v}`)
          .join(', ');
  const message = t.noneInScope({ kind, tag: shown });
  return checks.map((check) => ({
    id: check.id,
    title: check.title,
    status: 'skipped' as const,
    severity: check.severity,
    message: message.en,
    messageKey: message.key,
    messageParams: message.params,
    evidence: {},
    remediation: check.remediation,
    controls: check.controls,
    durationMs: 0,
    hint: 'tag the resources to check (e.g. az tag update --operation merge --tags restorecheck=on --resource-id <id>), or correct azure.discover.tag / subscriptions',
  }));
}

export async function runFleetChecks(options: FleetRunOptions): Promise<RunResult> {
  const now = options.now ?? (() => new Date());
  const log: Logger = options.log ?? SILENT_LOGGER;
  const config = options.config;
  const scope = config.azure?.discover;
  if (!scope) throw new Error('runFleetChecks: no azure.discover');
  const failOn = options.failOn ?? config.report?.failOn ?? 'low';
  const started = options.commandStart?.at ?? now();
  const startedMs = options.commandStart?.perfMs ?? performance.now();

  const selected = selectChecks(options.checks, options.only);
  const perKind = (kind: FleetResource['kind']) => selected.filter((c) => kindOf(c) === kind && scope.kinds.includes(kind));
  const resourceChecks = { postgres: perKind('postgres'), storage: perKind('storage') };
  const runWide = selected.filter((c) => kindOf(c) === undefined);

  const fleetDeadline = deadline(scope.timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, fleetDeadline.signal]) : fleetDeadline.signal;
  const findings: CheckResult[] = [];
  let fleet: FleetResource[];
  let evaluated: FleetResource[];
  try {
    log.info('fleet: discovering resources through Azure Resource Graph');
    const { discovery, error } = await discover(options, signal);
    const firstShard = !options.shard || options.shard.index === 1;
    if (error) {
      log.info(`fleet: discovery failed: ${error.message}`);
      // Said by every shard (a shard that could not see the fleet must not pass); report merge keeps shard 1's.
      findings.push(...discoveryErrors([...resourceChecks.postgres, ...resourceChecks.storage], error));
    }
    // The configured resources are in scope even when discovery failed: they are checked as in a single-resource run.
    fleet = fleetOf(discovery?.resources ?? [], config).filter((r) => scope.kinds.includes(r.kind));
    evaluated = fleet.filter((r) => inShard(r.id, options.shard));
    const counts = { postgres: fleet.filter((r) => r.kind === 'postgres').length, storage: fleet.filter((r) => r.kind === 'storage').length };
    log.info(
      `fleet: ${counts.postgres} server${counts.postgres === 1 ? '' : 's'} and ${counts.storage} storage account${counts.storage === 1 ? '' : 's'} in scope` +
        (discovery ? ` (${discovery.pages} Resource Graph page${discovery.pages === 1 ? '' : 's'})` : '') +
        (options.shard ? `; shard ${options.shard.index}/${options.shard.count}: ${evaluated.length}` : ''),
    );

    if (!error && firstShard) {
      for (const kind of ['postgres', 'storage'] as const) {
        if (counts[kind] === 0) findings.push(...noneInScope(resourceChecks[kind], kind, scope.tag));
      }
    }

    // Run-wide checks once per fleet: in the first shard (report merge then has each exactly once).
    const wide = runWide.length > 0 && firstShard ? runChecks({ ...options, checks: runWide, only: undefined, signal, commandStart: undefined }) : undefined;

    let done = 0;
    let troubled = 0;
    const every = Math.max(1, Math.ceil(evaluated.length / 10));
    await mapLimited(evaluated, scope.concurrency, async (resource) => {
      const checks = resourceChecks[resource.kind];
      if (checks.length === 0) return;
      const own = resourceConfig(config, resource);
      const gateways = options.gatewaysFor(own);
      try {
        const result = await runChecks({
          ...options,
          checks,
          config: own,
          gateways,
          only: undefined,
          signal,
          commandStart: undefined,
          fleetResource: resource,
        });
        for (const finding of result.checks) findings.push({ ...finding, ...vanishedHint(finding), resource: resource.id });
        if (result.checks.some((c) => c.status === 'fail' || c.status === 'error')) troubled++;
      } finally {
        await gateways.close();
      }
      done++;
      if (done % every === 0 || done === evaluated.length)
        log.info(`fleet: ${done}/${evaluated.length} resources checked (${troubled} with a failure or an error)`);
    });
    if (wide) findings.push(...(await wide).checks);
  } finally {
    fleetDeadline.clear();
  }

  findings.sort(compareFindings);
  const fleetInfo: FleetInfo = {
    scope: { subscriptions: scope.subscriptions, tag: scope.tag },
    discovered: fleet,
    ...(options.shard ? { shard: { index: options.shard.index, count: options.shard.count } } : {}),
    evaluated: evaluated.map((r) => r.id),
  };
  return {
    schemaVersion: 1,
    tool: { name: 'restorecheck', version: TOOL_VERSION },
    run: {
      id: randomUUID(),
      command: options.command,
      environment: config.environment,
      startedAt: started.toISOString(),
      finishedAt: now().toISOString(),
      durationMs: Math.round(performance.now() - startedMs),
      failOn,
    },
    checks: findings,
    summary: summarise(findings),
    outcome: computeOutcome(findings, failOn),
    ...(options.provenance ? { provenance: options.provenance } : {}),
    fleet: fleetInfo,
  };
}
