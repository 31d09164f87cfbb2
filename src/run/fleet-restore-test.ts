/**
 * `restore-test` in fleet mode (azure.discover, issue 17): of the fleet's Flexible Servers (this shard's share), the
 * ones due are restored (restore/fleet-restore-plan.ts), at most restoreTest.parallel at once, each through the
 * single-server orchestration (runAzureRestoreTest) with its own configuration (resourceConfig), its own deadline
 * (--timeout) and its own cleanup: every restored server is deleted as in a single-server run, on Ctrl-C or a deadline
 * too, since each in-flight restore runs its own `finally`. The per-server reports become one RunResult whose every
 * finding names its server (`resource`), with the fleet and the plan as evidence (`fleet`, `fleet.restorePlan`).
 *
 * One server's failure is that server's findings only: a restore Azure ends as Failed fails its restore-provision; a
 * refusal before anything is created (its restore server's name taken, its source unreachable, a target resource group
 * outside the allowed ones) is `error` on its findings; the other servers go on.
 *
 * How a restored copy is read, per server (restoreConfigFor):
 *  - the configured server (azure.postgres), or one whose name database.url's host names: as in a single-server run;
 *  - another server with database.auth: entra: one identity signs in to every server, so production is read at the
 *    source's own host and the copy at its host, with the database name, user and core tables of database.url (a fleet
 *    is taken to be servers of one application; a server without that database fails to connect: `error`, never a pass);
 *  - another server with a password URL: that password fits only the server the URL names, so neither side is read and
 *    restore-alembic-match, restore-row-counts-match, restore-signed-document and restore-smoke are `skipped` with that
 *    reason; restore-provision and restore-cleanup still judge the restore and the deletion;
 *  - no database section: the same, with that reason;
 *  - database.signedDocument is probed only on the configured server's copy (azure.storage holds its documents; a
 *    discovered server's documents are not known): `skipped` for the others.
 * blob-recovery-drill runs once for the fleet (azure.storage.drill), its finding naming the storage account.
 */
import { createHash, randomUUID } from 'node:crypto';
import { restoreTexts } from '../checks/restore-texts.js';
import type { Check } from '../checks/types.js';
import type { Config } from '../config/schema.js';
import { ConfigError, EvaluationError, RestorecheckError } from '../errors.js';
import type { StoredReport } from '../evidence/report-directory.js';
import type { CopyReading } from '../restore/azure-restore.js';
import { lastSuccessfulRestores, planFleetRestores } from '../restore/fleet-restore-plan.js';
import type { RestoreOutcome, StepFailure } from '../restore/outcome.js';
import { toFailure } from '../restore/restored-database.js';
import type { FleetResource, Logger, Severity } from '../vocabulary.js';
import { TOOL_VERSION } from '../version.js';
import { configuredResources, fleetOf, resourceConfig, sameId, storageAccountId } from './fleet-config.js';
import { type Gateways, LiveGateways } from './gateways.js';
import { restoreTestChecks, runAzureRestoreTest, startBlobDrill } from './restore-test.js';
import {
  type CheckResult,
  type FleetInfo,
  type FleetRestorePlan,
  type Provenance,
  type RunResult,
  compareFindings,
  computeOutcome,
  summarise,
} from './result.js';
import { type CommandStart, commandStartNow, runChecks } from './runner.js';
import { type Shard, inShard } from './shard.js';
import { mapLimited } from '../map-limited.js';

/** The fleet of a run, this shard's Flexible Servers, and which of them this run restores. */
export interface FleetRestoreSelection {
  /** The whole fleet, every kind, whatever the shard (fleetOf: discovery's answer plus the configured resources). */
  fleet: FleetResource[];
  /** This shard's Flexible Servers. */
  servers: FleetResource[];
  plan: FleetRestorePlan;
}

/** Chooses this run's servers: the shard's Flexible Servers, judged against the stored reports' history (pure). */
export function selectFleetRestores(input: {
  config: Config;
  discovered: readonly FleetResource[];
  shard?: Shard | undefined;
  stored: readonly StoredReport[];
  now: Date;
}): FleetRestoreSelection {
  const { config } = input;
  const fleet = fleetOf(input.discovered, config);
  const servers = fleet.filter((r) => r.kind === 'postgres' && inShard(r.id, input.shard));
  const plan = planFleetRestores({
    servers,
    history: lastSuccessfulRestores(input.stored, config.environment),
    now: input.now,
    everyDays: config.restoreTest.everyDays,
    // A server an override gives its own period (azure.discover.overrides[].restoreTest.everyDays) is due by it.
    everyDaysOf: (server) => {
      const resource = servers.find((r) => r.id === server.id);
      return resource ? resourceConfig(config, resource).restoreTest.everyDays : config.restoreTest.everyDays;
    },
    maxServers: config.restoreTest.maxServers,
  });
  return { fleet, servers, plan };
}

/** Longest `<prefix>` such that `<prefix>-YYYYMMDDHHmm` stays within Azure's 63 characters. */
const MAX_PREFIX = 63 - 13;

/**
 * The name prefix of a discovered server's restores: `<server>-restore`, as a single-server run names them (so that
 * `restore-test cleanup` of that server's own configuration recognises them); a server whose name leaves no room for it
 * gets its name cut and five characters of its id's hash, so that two long names sharing a beginning do not collide.
 * restoreTest.namePrefix names one server's restores and applies to the configured server only: shared by a fleet, two
 * restores started in the same minute would ask for the same name.
 */
export function fleetNamePrefix(server: FleetResource): string {
  const name = server.name.toLowerCase();
  const plain = `${name}-restore`;
  if (plain.length <= MAX_PREFIX) return plain;
  const hash = createHash('sha256').update(server.id.toLowerCase()).digest('hex').slice(0, 5);
  return `${name.slice(0, MAX_PREFIX - 6).replace(/-+$/, '')}-${hash}`;
}

/** One server's restore test as a fleet run makes it. */
export interface ServerRestore {
  config: Config;
  reading: CopyReading;
  /** Set for a discovered server with database.signedDocument: why its copy's documents are not probed. */
  signedDocumentNotRead?: ReturnType<typeof restoreTexts.fleetSignedDocument>;
}

/** database.url's host, for messages (no credentials); the URL itself when it does not parse. */
function urlHost(url: string): string {
  try {
    return new URL(url).hostname || 'database.url';
  } catch {
    return 'database.url';
  }
}

/**
 * One server's configuration and the way its copy is read (see the file's comment): resourceConfig's, with its own
 * restore name prefix, and for the configured server its azure.storage (the signed documents; the drill runs once for
 * the fleet, not here).
 */
export function restoreConfigFor(config: Config, server: FleetResource): ServerRestore {
  const own = configuredResources(config).some((r) => r.kind === 'postgres' && sameId(r.id, server.id));
  const base = resourceConfig(config, server);
  const azure = base.azure;
  const storage = config.azure?.storage;
  const serverConfig: Config = {
    ...base,
    ...(azure && own && storage ? { azure: { ...azure, storage: { ...storage, drill: undefined } } } : {}),
    restoreTest: own ? base.restoreTest : { ...base.restoreTest, namePrefix: fleetNamePrefix(server) },
  };
  const database = config.database;
  const namedByUrl = database ? new RegExp(`^${server.name.toLowerCase()}\\.postgres\\.database\\.`).test(urlHost(database.url).toLowerCase()) : false;
  const reading: CopyReading = !database
    ? { notRead: restoreTexts.fleetNoDatabase({ server: server.name }) }
    : own || namedByUrl
      ? 'configured'
      : database.auth === 'entra'
        ? 'at-source'
        : { notRead: restoreTexts.fleetPasswordUrl({ server: server.name, host: urlHost(database.url) }) };
  const probesDocuments = own || namedByUrl;
  return {
    config: serverConfig,
    reading,
    ...(database?.signedDocument && !probesDocuments ? { signedDocumentNotRead: restoreTexts.fleetSignedDocument({ server: server.name }) } : {}),
  };
}

export interface FleetRestoreTestOptions {
  /** The fleet's configuration (with azure.discover). */
  config: Config;
  selection: FleetRestoreSelection;
  shard?: Shard | undefined;
  keep: boolean;
  /** Each server's own deadline (--timeout). */
  timeoutMs: number;
  only: readonly string[] | undefined;
  failOn: Severity | undefined;
  log: Logger;
  /** Aborted on SIGINT/SIGTERM: no server is started after it, and each in-flight restore is deleted. */
  signal: AbortSignal;
  commandStart?: CommandStart;
  provenance?: Provenance;
  /** The doors of each server's run (default: LiveGateways of its configuration). */
  gateways?: (config: Config) => Gateways;
}

/** The checks of one server's restore test: an Azure restore test's, without the drill (run once for the fleet). */
function serverChecks(): Check[] {
  return restoreTestChecks('azure-point-in-time').filter((c) => c.id !== 'blob-recovery-drill');
}

/** `restore-test: …` lines of one server's run, as `restore-test [server]: …`: the parallel runs' lines interleave. */
function serverLogger(log: Logger, server: string): Logger {
  const tag = (line: string) => (line.startsWith('restore-test: ') ? `restore-test [${server}]: ${line.slice(14)}` : `[${server}] ${line}`);
  return { info: (line) => log.info(tag(line)), debug: (line) => log.debug(tag(line)) };
}

/** The finding about `resource`, which it names right after its id (which check, about what). */
function about(finding: CheckResult, resource: string): CheckResult {
  const { id, ...rest } = finding;
  return { id, resource, ...rest };
}

/** Why a server's restore test stopped before it created anything, as the step failure its checks judge. */
function refusal(error: unknown): StepFailure {
  if (error instanceof EvaluationError) return toFailure(error);
  if (error instanceof ConfigError) return { kind: 'config', message: error.problems.join('; '), hint: error.hint };
  if (error instanceof RestorecheckError) return { kind: 'config', message: error.message, hint: error.hint };
  return toFailure(error);
}

export async function runFleetRestoreTest(options: FleetRestoreTestOptions): Promise<RunResult> {
  const { config, selection, log, signal } = options;
  const commandStart = options.commandStart ?? commandStartNow();
  const discover = config.azure?.discover;
  if (!config.azure || !discover) throw new Error('runFleetRestoreTest: fleet mode needs azure.discover'); // the CLI checks first
  const gatewaysFor = options.gateways ?? ((c: Config) => new LiveGateways(c));
  const checks = serverChecks();
  const ids = new Set(checks.map((c) => c.id));
  // --only was checked against every restore-test check: here, the part of it that concerns a server's restore test.
  const only = options.only?.filter((id) => ids.has(id));
  const restoresServers = !options.only || (only?.length ?? 0) > 0;
  const byId = new Map(selection.fleet.map((r) => [r.id.toLowerCase(), r]));
  const picked = restoresServers ? selection.plan.picked.flatMap((p) => byId.get(p.id.toLowerCase()) ?? []) : [];
  const total = picked.length;
  let done = 0;

  /** Judges an outcome made up here (a refusal, a server not started): nothing was created, restore-cleanup says so. */
  const judge = async (server: FleetResource, failure: StepFailure): Promise<CheckResult[]> => {
    const { config: serverConfig } = restoreConfigFor(config, server);
    const outcome: RestoreOutcome = {
      method: 'azure-point-in-time',
      target: null,
      provision: { ok: false, failure },
      source: { label: 'the production database' },
      limits: { rowCountTolerancePercent: serverConfig.restoreTest.rowCountTolerancePercent },
      cleanup: { status: 'deleted', removed: [], leftover: [] },
    };
    const gateways = gatewaysFor(serverConfig);
    try {
      const result = await runChecks({
        command: 'restore-test',
        checks,
        config: serverConfig,
        gateways,
        inputs: { restore: outcome },
        only,
        failOn: options.failOn,
        log,
      });
      return result.checks;
    } finally {
      await gateways.close();
    }
  };

  const restoreOne = async (server: FleetResource, index: number): Promise<CheckResult[]> => {
    const { config: serverConfig, reading, signedDocumentNotRead } = restoreConfigFor(config, server);
    const serverLog = serverLogger(log, server.name);
    serverLog.info(`restore-test: started, server ${index + 1} of ${total} (${server.subscriptionId}/${server.resourceGroup})`);
    let findings: CheckResult[];
    try {
      const result = await runAzureRestoreTest({
        config: serverConfig,
        keep: options.keep,
        timeoutMs: options.timeoutMs,
        only,
        failOn: options.failOn,
        log: serverLog,
        signal,
        gateways: gatewaysFor,
        reading,
        checks,
        ...(signedDocumentNotRead ? { signedDocumentNotRead } : {}),
      });
      findings = result.checks;
    } catch (error) {
      const failure = refusal(error);
      serverLog.info(`restore-test: refused before anything was created: ${failure.message}`);
      findings = await judge(server, failure);
    }
    done++;
    const outcome = computeOutcome(findings, options.failOn ?? config.report?.failOn ?? 'low');
    serverLog.info(`restore-test: finished: ${outcome} (${done} of ${total} done)`);
    return findings;
  };

  const notStarted = (server: FleetResource) =>
    judge(server, {
      kind: 'timeout',
      message: `the restore test was interrupted before ${server.name}'s turn: nothing was created for it`,
      hint: 'run the restore test again; the server is still due',
    });

  // The drill needs only its own container: it runs beside the restores, once, under one server's deadline, in the
  // shard its storage account falls in (as `check` evaluates that account in one shard).
  const storage = config.azure.storage;
  const account = storage ? storageAccountId(config.azure.subscriptionId, storage.resourceGroup, storage.account) : undefined;
  const drillGateways = gatewaysFor(config);
  const drill =
    account && inShard(account, options.shard)
      ? startBlobDrill(config, drillGateways, options.only, AbortSignal.any([signal, AbortSignal.timeout(options.timeoutMs)]), log)
      : Promise.resolve(undefined);
  let perServer: CheckResult[][];
  let drillFindings: CheckResult[] = [];
  try {
    // After Ctrl-C (signal aborted) the servers not started yet are `notStarted`: nothing more is created.
    perServer = await mapLimited(picked, config.restoreTest.parallel, (server, i) => (signal.aborted ? notStarted(server) : restoreOne(server, i)));
    const blobDrill = await drill;
    if (blobDrill && account) {
      const result = await runChecks({
        command: 'restore-test',
        checks: restoreTestChecks('azure-point-in-time').filter((c) => c.id === 'blob-recovery-drill'),
        config,
        gateways: drillGateways,
        inputs: { blobDrill },
        failOn: options.failOn,
        log,
      });
      drillFindings = result.checks.map((c) => about(c, account));
    }
  } finally {
    await drill;
    await drillGateways.close();
  }

  const findings = [...picked.flatMap((server, i) => (perServer[i] ?? []).map((c) => about(c, server.id))), ...drillFindings];
  findings.sort(compareFindings);
  const failOn = options.failOn ?? config.report?.failOn ?? 'low';
  const fleet: FleetInfo = {
    scope: { subscriptions: discover.subscriptions, tag: discover.tag },
    discovered: selection.fleet,
    ...(options.shard ? { shard: { index: options.shard.index, count: options.shard.count } } : {}),
    evaluated: picked.map((s) => s.id),
    restorePlan: selection.plan,
  };
  return {
    schemaVersion: 1,
    tool: { name: 'restorecheck', version: TOOL_VERSION },
    run: {
      id: randomUUID(),
      command: 'restore-test',
      environment: config.environment,
      startedAt: commandStart.at.toISOString(),
      finishedAt: new Date().toISOString(),
      durationMs: Math.round(performance.now() - commandStart.perfMs),
      failOn,
    },
    checks: findings,
    summary: summarise(findings),
    outcome: computeOutcome(findings, failOn),
    ...(options.provenance ? { provenance: options.provenance } : {}),
    fleet,
  };
}
