import { existsSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { parseArchiveName } from '../../archive/archive-name.js';
import { type Config, type DiscoverConfig, configSchema } from '../../config/schema.js';
import { archivesOfStack } from '../../run/backup.js';
import { appendAuditEvent } from '../../evidence/audit-log.js';
import { auditSigning, loadSigningKey } from '../../evidence/signing.js';
import { RestorecheckError, UsageError, describeError } from '../../errors.js';
import { type CleanupDecision, cleanupExpiredRestores } from '../../restore/azure-restore.js';
import { readStoredReports } from '../../evidence/report-directory.js';
import { RestoreLedger, ledgerPath } from '../../restore/restore-ledger.js';
import { discoveryScope, fleetOf } from '../../run/fleet-config.js';
import { cleanupFleetRestores, fleetCleanupScopes } from '../../run/fleet-cleanup.js';
import { runFleetRestoreTest, selectFleetRestores } from '../../run/fleet-restore-test.js';
import { type Gateways, LiveGateways, type SharedAzure, sharedAzure } from '../../run/gateways.js';
import type { Shard } from '../../run/shard.js';
import type { FleetResource } from '../../vocabulary.js';
import { planSummary, planText } from '../restore-plan-text.js';
import { collectProvenance } from '../../run/provenance.js';
import { exitCodeFor } from '../../run/result.js';
import { type CommandStart, commandStartNow } from '../../run/runner.js';
import { checkOnly, runArchiveRestoreTest, runAzureRestoreTest } from '../../run/restore-test.js';
import { removeAbandonedThrowaways } from '../abandoned-throwaways.js';
import { type CommandContext, defineCommand } from '../command.js';
import type { Output } from '../io.js';
import { emitReports } from '../report-files.js';
import { withReportStore } from '../report-store-sync.js';
import {
  type ReportArgs,
  type ShardArgs,
  loadConfigFor,
  reportRequest,
  shardArg,
  withConfigOption,
  withReportOptions,
  withShardOption,
} from '../shared-options.js';

/** "90m", "2h", "45s", or a bare number of minutes. */
export function parseDuration(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(s|sec|m|min|h|hr)?\s*$/i.exec(text);
  if (!m) throw new UsageError(`--timeout ${text}: not a duration`, 'use a number with s, m or h, e.g. --timeout 90m');
  const n = Number(m[1]);
  const unit = (m[2] ?? 'm').toLowerCase()[0];
  const ms = n * (unit === 's' ? 1000 : unit === 'h' ? 3_600_000 : 60_000);
  if (!(ms > 0)) throw new UsageError(`--timeout ${text}: must be more than zero`);
  return ms;
}

/** The arguments of restore-test, as its builder declares them. */
interface RestoreTestArgs extends ReportArgs, ShardArgs {
  config: string | undefined;
  action: string | undefined;
  local: boolean;
  archive: string | undefined;
  'point-in-time': string | undefined;
  keep: boolean;
  timeout: string;
  'dry-run': boolean;
}

export const restoreTestCommand = defineCommand({
  builder: (yargs) =>
    withShardOption(withReportOptions(withConfigOption(yargs, false)))
      .positional('action', {
        type: 'string',
        choices: ['cleanup'],
        describe:
          "cleanup: delete leftover restore servers, those in the ledger and expired ones by restorecheck's tags alone; " +
          'with azure.discover, in every subscription and resource group a fleet restore may have used ' +
          '(with --local: stop and remove abandoned local throwaway clusters instead)',
      })
      .option('local', {
        type: 'boolean',
        default: false,
        describe:
          'cleanup: stop and remove the throwaway servers (PostgreSQL, MariaDB, Redis, mongod) and folders in TMPDIR whose restore-test process is gone (killed)',
      })
      .option('archive', { type: 'string', describe: 'restore this self-hosted backup archive (.tar.gz) instead of the Azure server', requiresArg: true })
      .option('point-in-time', {
        type: 'string',
        describe: "Azure: the restore point (ISO 8601 UTC; default: a minute ago), within the source's restore window",
        requiresArg: true,
      })
      .option('keep', { type: 'boolean', default: false, describe: 'keep the restored server/database (restore-cleanup is then warn)' })
      .option('timeout', {
        type: 'string',
        default: '60m',
        describe: 'deadline of the whole restore (e.g. 90m, 2h); in fleet mode, of each server',
        requiresArg: true,
      })
      .option('dry-run', {
        type: 'boolean',
        default: false,
        describe: 'fleet mode (azure.discover): print which servers are due and would be restored, and restore nothing',
      }),
  actions: {
    cleanup: {
      usage: 'cleanup --config FILE',
      describe:
        "delete leftover restore servers: those in the ledger, and expired ones found by restorecheck's tags alone " +
        '(with --local: stop and remove abandoned local throwaway clusters instead)',
      hide: ['format', 'out-dir', 'only', 'fail-on', 'archive', 'point-in-time', 'keep', 'timeout', 'shard', 'dry-run'],
    },
  },
  async run(argv, ctx) {
    // The report starts here, before the restore is requested (not when its judging checks start).
    const commandStart = commandStartNow();
    ctx.output.verbose = argv.verbose;
    if (argv.action === 'cleanup') return cleanup(argv, ctx);
    if (argv.local) throw new UsageError('--local applies to `restore-test cleanup`', 'restorecheck restore-test cleanup --local');
    const timeoutMs = parseDuration(argv.timeout);
    checkOnly(argv.only);
    const shard = shardArg(argv);
    if (argv.archive !== undefined && (shard || argv['dry-run']))
      throw new UsageError(`--${shard ? 'shard' : 'dry-run'} applies to the fleet's Azure restore test (azure.discover), not to an archive`);
    const ran =
      argv.archive !== undefined
        ? await archiveRestoreTest(argv, argv.archive, ctx, timeoutMs, commandStart)
        : await azureRestoreTest(argv, ctx, timeoutMs, commandStart, shard);
    if (!ran) return; // --dry-run: the plan is printed, nothing was restored
    const { result, request } = ran;
    await emitReports(result, request, ctx.output);
    ctx.output.exitCode = exitCodeFor(result.outcome);
  },
});

async function archiveRestoreTest(argv: RestoreTestArgs, archive: string, { output, signal }: CommandContext, timeoutMs: number, commandStart: CommandStart) {
  const path = resolve(archive);
  if (!existsSync(path) || !statSync(path).isFile()) throw new UsageError(`archive not found: ${archive}`, 'pass the path of a .tar.gz backup archive');
  if (argv['point-in-time'] !== undefined)
    throw new UsageError('--point-in-time applies to the Azure restore, not to an archive', 'an archive restores to the moment it was taken');
  const loaded = argv.config === undefined ? undefined : await loadConfigFor(argv.config, output);
  // The report is about the archive: its environment is the one in its file name.
  const environment = parseArchiveName(basename(path))?.environment ?? loaded?.config.environment ?? 'unknown';
  const base = loaded?.config ?? configSchema.parse({ environment });
  await removeAbandonedThrowaways(loaded?.config, environment, output);
  // With a selfHosted section, the configured sources say which members the archive must hold (as for verify).
  const config: Config = { ...base, environment, archives: archivesOfStack(base) };
  const request = withReportStore(reportRequest(argv, loaded?.config), config, output); // validated before the long work
  await request.store?.ensurePulled(); // a store that cannot be read stops the run before the restore
  const result = await runArchiveRestoreTest({
    config,
    path,
    fileName: basename(path),
    keep: argv.keep,
    timeoutMs,
    only: argv.only,
    failOn: argv['fail-on'],
    log: output.logger(),
    signal,
    commandStart,
    provenance: collectProvenance({ cwd: process.cwd(), env: output.env, config: loaded?.config, archive: path }),
  });
  return { result, request };
}

async function azureRestoreTest(argv: RestoreTestArgs, ctx: CommandContext, timeoutMs: number, commandStart: CommandStart, shard: Shard | undefined) {
  const { output, signal } = ctx;
  if (argv.config === undefined)
    throw new UsageError('restore-test needs --config FILE (with azure.postgres), or --archive FILE', 'restorecheck restore-test --config restorecheck.yaml');
  const { config } = await loadConfigFor(argv.config, output);
  if (config.azure?.discover) return fleetRestoreTest(argv, ctx, config, timeoutMs, commandStart, shard);
  if (shard || argv['dry-run'])
    throw new UsageError(
      `--${shard ? 'shard' : 'dry-run'} applies to fleet mode, and the configuration has no azure.discover`,
      'add azure.discover (the subscriptions and tag of the fleet), or leave the option out to restore azure.postgres',
    );
  if (!config.azure?.postgres)
    throw new UsageError('restore-test without --archive needs azure.postgres in the configuration', 'add the azure.postgres section, or pass --archive FILE');
  const request = withReportStore(reportRequest(argv, config), config, output);
  await request.store?.ensurePulled(); // a store that cannot be read stops the run before the restore
  await removeAbandonedThrowaways(config, config.environment, output);
  let pointInTime: Date | undefined;
  if (argv['point-in-time'] !== undefined) {
    pointInTime = new Date(argv['point-in-time']);
    if (Number.isNaN(pointInTime.getTime()))
      throw new UsageError(`--point-in-time ${argv['point-in-time']}: not a date`, 'use ISO 8601 UTC, e.g. 2026-11-20T03:00:00Z');
  }
  const result = await runAzureRestoreTest({
    config,
    keep: argv.keep,
    timeoutMs,
    only: argv.only,
    failOn: argv['fail-on'],
    log: output.logger(),
    signal,
    commandStart,
    provenance: collectProvenance({ cwd: process.cwd(), env: output.env, config }),
    ...(pointInTime ? { pointInTime } : {}),
  });
  return { result, request };
}

/**
 * Fleet mode (azure.discover): discovery through Azure Resource Graph, the plan against the stored reports (report.store
 * pulled, else report.dir, else --out-dir), then the due servers' restores (run/fleet-restore-test.ts). With --dry-run,
 * the plan on stdout and nothing restored (undefined).
 */
async function fleetRestoreTest(
  argv: RestoreTestArgs,
  { output, signal }: CommandContext,
  config: Config,
  timeoutMs: number,
  commandStart: CommandStart,
  shard: Shard | undefined,
) {
  const discover = config.azure?.discover;
  if (!discover) throw new Error('fleetRestoreTest without azure.discover'); // azureRestoreTest checks first
  if (argv['point-in-time'] !== undefined)
    throw new UsageError(
      '--point-in-time names one moment of one server: in fleet mode (azure.discover) each server is restored to a minute before its own request',
      'leave --point-in-time out, or restore that server alone with a configuration of its own (azure.postgres, without azure.discover)',
    );
  // A shard reads the store (the history) but leaves the writing to `report merge` (shards would race for the chain head).
  const request = withReportStore(reportRequest(argv, config), config, output, { push: shard === undefined }); // validated before the long work
  await request.store?.ensurePulled(); // a store that cannot be read stops the run before the restores
  // One credential and one request cap for discovery and every server's restore.
  const shared = sharedAzure(config);
  const historyDir = request.store?.dir ?? config.report?.dir ?? request.outDir;
  if (!historyDir && config.restoreTest.maxServers !== undefined)
    throw new UsageError(
      'restoreTest.maxServers needs a report directory: without the record of earlier restore tests, every run would pick the same servers',
      'set report.dir (or report.store), or pass --out-dir DIR, where this run’s report is kept for the next one',
    );
  if (!historyDir) output.err('restore-test: no report directory: no record of earlier restore tests, so every server of the fleet is due');
  const stored = historyDir ? await readHistory(historyDir) : [];
  const discovered = await discoverFleet(config, discover, signal, shared);
  const selection = selectFleetRestores({ config, discovered, shard, stored, now: new Date() });
  if (selection.fleet.every((r) => r.kind !== 'postgres'))
    throw new UsageError(
      `azure.discover found no Flexible Server carrying ${
        Object.entries(discover.tag)
          .map(([k, v]) => `${k}=${v}`)
          .join(', ') || 'any tag'
      } and azure.postgres is not set: nothing to restore`,
      'tag the servers to restore (az resource tag), check azure.discover.subscriptions, or check that the identity has Reader on them',
    );
  if (argv['dry-run']) {
    output.out(
      argv.format?.length === 1 && argv.format[0] === 'json'
        ? `${JSON.stringify({ shard: shard ?? null, plan: selection.plan }, null, 2)}\n`
        : planText(selection, shard),
    );
    return undefined;
  }
  output.err(planSummary(selection, shard));
  await removeAbandonedThrowaways(config, config.environment, output);
  const result = await runFleetRestoreTest({
    config,
    gateways: (own) => new LiveGateways(own, { azure: shared }),
    selection,
    shard,
    keep: argv.keep,
    timeoutMs,
    only: argv.only,
    failOn: argv['fail-on'],
    log: output.logger(),
    signal,
    commandStart,
    provenance: collectProvenance({ cwd: process.cwd(), env: output.env, config }),
  });
  return { result, request };
}

/** The stored reports the plan is made from; an unreadable directory stops the command before anything is restored. */
async function readHistory(dir: string) {
  try {
    return await readStoredReports(dir);
  } catch (error) {
    const code = error instanceof Error && 'code' in error ? String(error.code) : describeError(error);
    throw new UsageError(
      `cannot read the report directory ${dir}: ${code}`,
      'fleet mode picks the servers to restore from the earlier reports there: check that report.dir exists and is readable',
    );
  }
}

/**
 * The fleet as Azure Resource Graph describes it (azure.discover's scope), within azure.discover.timeoutMs. A discovery
 * that fails stops the command before anything is restored (exit 2, with the gateway's hint).
 */
async function discoverFleet(config: Config, discover: DiscoverConfig, signal: AbortSignal, shared: SharedAzure): Promise<FleetResource[]> {
  const gateways: Gateways = new LiveGateways(config, { azure: shared });
  try {
    const graph = gateways.resourceGraph?.();
    if (!graph)
      throw new UsageError(
        'azure.discover: this build of restorecheck cannot query Azure Resource Graph, so it cannot find the fleet',
        'restore one server with azure.postgres (without azure.discover), or use a build with fleet discovery',
      );
    const scope = discoveryScope(discover);
    const { resources } = await graph.discover(scope, AbortSignal.any([signal, AbortSignal.timeout(discover.timeoutMs)]));
    return resources;
  } finally {
    await gateways.close();
  }
}

async function cleanupLocal(argv: RestoreTestArgs, output: Output): Promise<void> {
  const loaded = argv.config === undefined ? undefined : await loadConfigFor(argv.config, output);
  const swept = await removeAbandonedThrowaways(loaded?.config, loaded?.config.environment ?? 'unknown', output);
  for (const c of swept) output.out(`${c.removed ? 'removed' : 'failed'} ${c.dir}\n`);
  const failed = swept.filter((c) => !c.removed).length;
  output.out(`${swept.length - failed} abandoned throwaway server(s) removed${failed ? `, ${failed} failed` : ''}\n`);
  if (failed > 0) output.exitCode = 2;
}

async function cleanup(argv: RestoreTestArgs, { output, signal }: CommandContext): Promise<void> {
  if (argv.local) return cleanupLocal(argv, output);
  if (argv.config === undefined)
    throw new UsageError('restore-test cleanup needs --config FILE', 'restorecheck restore-test cleanup --config restorecheck.yaml');
  const { config } = await loadConfigFor(argv.config, output);
  const record = (decision: CleanupDecision) => recordCleanup(config, decision, output);
  const discover = config.azure?.discover;
  if (discover) return fleetCleanup(config, discover, signal, output, record);
  const gateways = new LiveGateways(config);
  try {
    const { decisions } = await cleanupExpiredRestores({ config, gateways, log: output.logger(), now: new Date(), record });
    await printCleanup(config, decisions, output);
  } finally {
    await gateways.close();
  }
}

/**
 * Fleet mode (azure.discover): every subscription and resource group a restore of the fleet may have used
 * (run/fleet-cleanup.ts), found by discovery as the fleet's restore test finds its servers, and those of the ledger's
 * unfinished runs. A discovery that fails is exit 2 before anything is deleted; a scope that cannot be listed is exit 2
 * after the others were swept.
 */
async function fleetCleanup(
  config: Config,
  discover: DiscoverConfig,
  signal: AbortSignal,
  output: Output,
  record: (decision: CleanupDecision) => Promise<void>,
): Promise<void> {
  const shared = sharedAzure(config);
  const fleet = fleetOf(await discoverFleet(config, discover, signal, shared), config);
  const ledger = new RestoreLedger(ledgerPath(config));
  const { runs } = await ledger.runs(); // unreadable lines: cleanupExpiredRestores says so, once per scope
  const scopes = fleetCleanupScopes(config, fleet, runs.values());
  const { decisions, unswept } = await cleanupFleetRestores({
    scopes,
    gateways: (own) => new LiveGateways(own, { azure: shared }),
    log: output.logger(),
    now: new Date(),
    record,
  });
  for (const u of unswept)
    output.err(
      `restore-test cleanup: could not list the servers of resource group ${u.resourceGroup} in subscription ${u.subscriptionId}: ${describeError(u.error)}; ${
        u.error instanceof RestorecheckError ? u.error.hint : 'the identity needs Reader on that resource group'
      }; its leftovers, if any, are still there: run cleanup again`,
    );
  await printCleanup(config, decisions, output);
  if (unswept.length > 0) output.exitCode = 2;
}

/**
 * "deleted NAME (tags only)": the first two words as before, then on what grounds (the reason in full is on stderr). A
 * name that two swept subscriptions or groups both hold gets `in SUBSCRIPTION/GROUP`, so the lines tell them apart.
 */
async function printCleanup(config: Config, decisions: readonly CleanupDecision[], output: Output): Promise<void> {
  const count = (action: CleanupDecision['action']) => decisions.filter((d) => d.action === action).length;
  const places = new Map<string, Set<string>>();
  for (const d of decisions) {
    const name = d.name.toLowerCase();
    places.set(name, (places.get(name) ?? new Set()).add(`${d.subscriptionId}/${d.resourceGroup}`.toLowerCase()));
  }
  const where = (d: CleanupDecision) => ((places.get(d.name.toLowerCase())?.size ?? 0) > 1 ? ` in ${d.subscriptionId}/${d.resourceGroup}` : '');
  for (const action of ['deleted', 'kept', 'failed'] as const) {
    for (const d of decisions.filter((x) => x.action === action))
      output.out(`${action} ${d.name}${where(d)} (${d.basis === 'ledger' ? 'ledger entry' : 'tags only'})\n`);
  }
  output.out(`${count('deleted')} deleted, ${count('kept')} kept${count('failed') ? `, ${count('failed')} failed` : ''}\n`);
  if (count('failed') > 0) output.exitCode = 2;
  if (decisions.length > 0) await storeCleanupLines(config, output);
}

/**
 * With report.store, the audit lines cleanup just wrote go to the store too: on CI the step after restore-test (`if:
 * always()`) is the last of the job, and its local directory dies with the runner. The pull re-links them after the
 * store's lines (report-store.ts, rebaseActions); the push stores them. A store that cannot be reached is exit 2: the
 * deletions happened, but their record is then only in the job's artifact, and stderr says so.
 */
async function storeCleanupLines(config: Config, output: Output): Promise<void> {
  const dir = config.report?.dir;
  if (!config.report?.store || !dir) return;
  const signingKey = config.report.signingKey;
  const request = withReportStore(
    { formats: ['json'], outDir: dir, ...(signingKey === undefined ? {} : { signer: loadSigningKey(signingKey) }) },
    config,
    output,
  );
  try {
    await request.store?.pull();
    await request.store?.push([]);
  } catch (error) {
    output.err(`restore-test cleanup: the record of this cleanup is in ${dir}/audit.log.jsonl only, not in the report store: ${describeError(error)}`);
    output.exitCode = 2;
  }
}

/**
 * A deletion (or failed deletion) in report.dir's audit log, with its grounds: a server deleted on its tags alone is an
 * action an auditor must be able to trace. Never fatal: the deletion happened either way, and stderr says so.
 */
async function recordCleanup(config: Config, d: CleanupDecision, output: Output): Promise<void> {
  const reportDir = config.report?.dir;
  if (!reportDir) return;
  try {
    // A run killed before its first report leaves no report.dir behind.
    await mkdir(reportDir, { recursive: true });
    await appendAuditEvent(
      reportDir,
      {
        action: 'cleanup',
        command: 'restore-test',
        environment: config.environment,
        outcome: d.action,
        details: {
          server: `${d.resourceGroup}/${d.name}`,
          subscriptionId: d.subscriptionId,
          runId: d.runId,
          basis: d.basis,
          expiresAt: d.expiresAt,
          reason: d.reason,
        },
      },
      { redact: (text) => output.redactor.redact(text), ...auditSigning(config.report?.signingKey) },
    );
  } catch (error) {
    output.err(`restore-test cleanup: could not record the deletion of ${d.name} in ${reportDir}/audit.log.jsonl: ${describeError(error)}`);
  }
}
