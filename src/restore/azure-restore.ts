/**
 * The Azure path of `restore-test`: a point-in-time restore of the Flexible Server to a NEW
 * server, read like production, compared with it, timed, then deleted.
 *
 *   refuse early (name, resource group, existing target, point in time) → ledger line → PUT
 *   → wait (progress lines) → connect to the new server → read → compare → DELETE (always)
 *
 * Every refusal happens before the PUT, so a refused run creates nothing. From the ledger line
 * on, the new server is deleted whatever happens: Azure's verdict Failed, the deadline, SIGINT or
 * SIGTERM (the signal stops the wait, then the deletion runs under its own fresh deadline), an
 * error while reading. Only a server carrying this run's id in its tags is ever deleted.
 */
import { classifyRestoreFailure } from '../azure/restore-failure-codes.js';
import type { FlexibleServer, FlexibleServerGateway, LongRunningOptions } from '../azure/types.js';
import type { LocalText } from '../checks/messages.js';
import type { Logger } from '../vocabulary.js';
import type { Config } from '../config/schema.js';
import { openDatabase } from '../db/postgres.js';
import type { ConnectionProbe, DatabaseGateway } from '../db/types.js';
import { EvaluationError, UsageError, describeError } from '../errors.js';
import type { Gateways } from '../run/gateways.js';
import {
  TAGS,
  allowedResourceGroups,
  checkPointInTime,
  isRestoreServerName,
  resolveTarget,
  restoreNamePrefix,
  restoreTags,
  restoredDatabaseUrl,
  taggedRunId,
  type RestoreTarget,
} from './azure-restore-plan.js';
import type { RestoreOutcome, StepFailure } from './outcome.js';
import { currentProcess, ledgerPath, RestoreLedger, runIsOver } from './restore-ledger.js';
import { probeRestoredDatabase, readAlembicAndCounts, toFailure, type SignedDocumentProbe } from './restored-database.js';
import { runSmokeTest, unreadSmoke } from './smoke-test.js';
import { customerManagedKey, databasePort, firewallRuleName, probeTcp, type RestoreNetworkPlan, restoreNetwork } from './restore-network.js';

export interface AzureRestoreOptions {
  config: Config;
  gateways: Gateways;
  runId: string;
  pointInTime?: Date;
  keep: boolean;
  timeoutMs: number;
  /** Aborted at the deadline, or on SIGINT/SIGTERM: then the wait stops and the cleanup runs. */
  signal: AbortSignal;
  log: Logger;
  signedDocument?: SignedDocumentProbe;
  /** Fleet mode: how production and the copy are read (default: as configured). */
  reading?: CopyReading;
  /** Fleet mode: the signed-document probe is not run on the copy, for this reason (restore-signed-document is skipped with it). */
  signedDocumentNotRead?: LocalText;
}

/**
 * How the restore test reads production and the restored copy. Fleet mode decides it per server (restoreConfigFor,
 * run/fleet-restore-test.ts); a single-server run reads as configured.
 *  - `configured`: production is database.url, the copy the same URL at the copy's host.
 *  - `at-source`: database.url names no particular server of the fleet (database.auth: entra: one identity signs in to
 *    every server): production is read at the source server's own host (its fullyQualifiedDomainName), the copy at its.
 *  - `notRead`: neither is read (a password URL fits only the server it names): nothing connects, no firewall rule is
 *    added, the reachability probe is not made, and the database checks are skipped with this reason.
 */
export type CopyReading = 'configured' | 'at-source' | { notRead: LocalText };

/** Restored servers can refuse connections for a short while after Ready (DNS, gateway): retried this long. */
const CONNECT_GRACE_MS = 90_000;
const RETRYABLE_CONNECT = new Set(['refused', 'unreachable', 'timeout']);

const seconds = (ms: number) => Math.round(ms / 10) / 100;
const label = (t: { resourceGroup: string; name: string }) => `${t.resourceGroup}/${t.name}`;

/** A plain progress line every `everyMs` (stderr, through the logger) until stopped. */
function progress(log: Logger, everyMs: number, line: (elapsedSeconds: number) => string): () => void {
  const started = performance.now();
  const timer = setInterval(() => log.info(line(Math.round((performance.now() - started) / 1000))), everyMs);
  timer.unref();
  return () => clearInterval(timer);
}

function elapsedText(s: number): string {
  return s < 120 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
}

/** Why the wait stopped, when the signal stopped it. */
function abortFailure(signal: AbortSignal, timeoutMs: number): StepFailure {
  const reason = signal.reason as { name?: string; message?: string } | undefined;
  if (reason?.name === 'TimeoutError') {
    return {
      kind: 'timeout',
      message: `the restore did not complete within the deadline (--timeout ${Math.round(timeoutMs / 60_000)} min)`,
      hint: 'Azure restores take from minutes to hours with the database size: raise --timeout (e.g. --timeout 3h); the new server was deleted',
    };
  }
  return {
    kind: 'timeout',
    message: `the restore test was interrupted (${reason?.message ?? 'aborted'})`,
    hint: 'run the restore test again; the new server was deleted',
  };
}

async function connectWithGrace(db: DatabaseGateway, signal: AbortSignal): Promise<ConnectionProbe> {
  const until = performance.now() + CONNECT_GRACE_MS;
  for (;;) {
    try {
      return await db.probe();
    } catch (error) {
      const retry = error instanceof EvaluationError && RETRYABLE_CONNECT.has(error.kind) && performance.now() < until && !signal.aborted;
      if (!retry) throw error;
      await new Promise((resolve) => setTimeout(resolve, 3000));
    }
  }
}

export async function restoreAzurePointInTime(options: AzureRestoreOptions): Promise<RestoreOutcome> {
  const { config, gateways, log, signal, runId } = options;
  const reading = options.reading ?? 'configured';
  const notRead = typeof reading === 'object' ? reading.notRead : undefined;
  const database = notRead ? undefined : config.database;
  if (!database && !notRead) {
    throw new UsageError(
      'the Azure restore test needs database.url: its credentials and database name are used to read the restored server',
      'add the database section (the production database the restore is compared with)',
    );
  }
  const requestedAt = new Date();
  const target = resolveTarget(config, requestedAt);
  const rt = config.restoreTest;
  const azure = gateways.azurePostgres();
  const tables = database?.coreTables.map((t) => t.name) ?? [];
  const outcome: RestoreOutcome = {
    method: 'azure-point-in-time',
    target: label(target),
    provision: { ok: false, failure: { kind: 'internal', message: 'not started', hint: '' } },
    source: { label: 'the production database' },
    limits: {
      rowCountTolerancePercent: rt.rowCountTolerancePercent,
      ...(rt.rtoMinutes !== undefined ? { rtoMinutes: rt.rtoMinutes } : {}),
      ...(rt.rpoMinutes !== undefined ? { rpoMinutes: rt.rpoMinutes } : {}),
    },
    cleanup: { status: 'deleted', removed: [], leftover: [] },
  };
  if (notRead || options.signedDocumentNotRead)
    outcome.notRead = {
      ...(notRead ? { database: notRead } : {}),
      ...(options.signedDocumentNotRead ? { signedDocument: options.signedDocumentNotRead } : {}),
    };
  const signedDocumentProbe = options.signedDocumentNotRead ? undefined : options.signedDocument;

  const checked = await preflight(options, target, requestedAt, outcome, database !== undefined);
  if (!checked) return outcome;
  const { source, location, pointInTime, network } = checked;

  const ledger = new RestoreLedger(ledgerPath(config));
  const expiresAt = new Date(requestedAt.getTime() + rt.expiryHours * 3_600_000);
  await recordRequest(ledger, { config, runId, target, requestedAt, expiresAt });

  // The production side of the comparison, read while Azure restores (the moment closest to the restore point): at the
  // source's own host when database.url names no particular server of the fleet (a fleet run's own pool, closed below).
  const sourceDb =
    database && reading === 'at-source' && source.fullyQualifiedDomainName
      ? openDatabase(restoredDatabaseUrl(database.url, source.fullyQualifiedDomainName), {
          ...gateways.databaseSignIn?.(),
          statementTimeoutMs: database.statementTimeoutMs,
          connectTimeoutMs: database.connectTimeoutMs,
          applicationName: 'restorecheck restore-test',
        })
      : undefined;
  const sourceRead = database
    ? readAlembicAndCounts(sourceDb ?? gateways.database(), config, tables).then((reads) => {
        outcome.source = { label: 'the production database', ...reads };
      })
    : Promise.resolve();

  const lro: LongRunningOptions = { signal, timeoutMs: options.timeoutMs, pollIntervalMs: rt.pollIntervalSeconds * 1000 };
  log.info(`restore-test: restoring ${label(target.source)} as of ${pointInTime.toISOString()} to the new server ${label(target)} (run ${runId})`);
  const started = performance.now();
  const stopProgress = progress(
    log,
    rt.progressIntervalSeconds * 1000,
    (s) => `restore-test: waiting for Azure to restore ${target.name}: ${elapsedText(s)} elapsed`,
  );
  let restoredDb: DatabaseGateway | undefined;
  let provisionDecided = false;
  try {
    const result = await azure.restoreToNewServer(
      {
        resourceGroup: target.resourceGroup,
        name: target.name,
        location,
        sourceServerId: source.id ?? sourceId(config, target),
        pointInTime,
        tags: restoreTags(runId, target, expiresAt),
        ...(network.network ? { network: network.network } : {}),
        ...customerManagedKey(source),
      },
      lro,
    );
    const restoreSeconds = seconds(performance.now() - started);
    stopProgress();
    provisionDecided = true;
    if (result.status === 'failed') {
      outcome.provision = { ok: false, failure: failedRestore(result, { source: label(target.source), target: target.name, pointInTime, restoreSeconds }) };
      log.info(`restore-test: Azure reports the restore as Failed after ${restoreSeconds} s${result.code ? ` (${result.code})` : ''}`);
      return outcome;
    }
    const server = result.server;
    const details = restoredDetails({ requestedAt, pointInTime, target, location, server, runId, expiresAt });
    outcome.provision = { ok: true, value: { restoreSeconds, restorePoint: pointInTime.toISOString(), details } };
    if (!database) {
      // Nothing to read it with (notRead): restored, timed, and deleted below; no firewall rule is needed.
      log.info(`restore-test: ${target.name} is ready after ${restoreSeconds} s; not read (${notRead?.en ?? 'no database'})`);
      return outcome;
    }
    Object.assign(details, await openFirewall({ ...options, azure, ledger, target, network, lro }));
    log.info(`restore-test: ${target.name} is ready after ${restoreSeconds} s; reading it`);
    if (!server.fullyQualifiedDomainName) {
      throw new EvaluationError(
        'invalid-response',
        `Resource Manager did not return the fullyQualifiedDomainName of ${label(target)}`,
        'run again; if it persists, report it with the request id',
      );
    }
    // The same sign-in as production (database.auth: entra → a token; the restored copy keeps the source's roles).
    restoredDb = openDatabase(restoredDatabaseUrl(database.url, server.fullyQualifiedDomainName), {
      ...gateways.databaseSignIn?.(),
      statementTimeoutMs: database.statementTimeoutMs,
      connectTimeoutMs: database.connectTimeoutMs,
      applicationName: 'restorecheck restore-test',
    });
    const connection = await connectWithGrace(restoredDb, signal);
    Object.assign(details, { serverVersion: connection.serverVersion, tls: connection.tls, connectMs: connection.connectMs });
    outcome.restored = await probeRestoredDatabase(restoredDb, config, tables, signedDocumentProbe);
    // The team's own smoke test, while the copy exists; the command signs in as restorecheck did (the token, for entra).
    const signIn = gateways.databaseSignIn?.();
    const smoke = await runSmokeTest(restoredDb, {
      config,
      connection: { url: restoredDatabaseUrl(database.url, server.fullyQualifiedDomainName), ...(signIn?.password ? { password: signIn.password } : {}) },
      signal,
      log,
    });
    if (smoke) outcome.restored.smoke = smoke;
  } catch (error) {
    const failure = signal.aborted ? abortFailure(signal, options.timeoutMs) : toFailure(error);
    if (!provisionDecided) outcome.provision = { ok: false, failure };
    else if (database && outcome.provision.ok && !outcome.restored) {
      // Restored, but not readable: each comparison says why instead of a vague "could not be read".
      const unread = { ok: false as const, failure };
      outcome.restored = {
        alembic: unread,
        counts: unread,
        ...(database.signedDocument && signedDocumentProbe ? { signedDocument: unread } : {}),
        ...(rt.freshnessQuery ? { freshness: { query: rt.freshnessQuery, newestRowAt: unread } } : {}),
      };
      const smoke = unreadSmoke(config, failure);
      if (smoke) outcome.restored.smoke = smoke;
    }
  } finally {
    stopProgress();
    await sourceRead;
    await sourceDb?.close().catch(() => undefined);
    await restoredDb?.close().catch(() => undefined);
    outcome.cleanup = await cleanUp({ ...options, azure, ledger, target, keep: options.keep && outcome.provision.ok, expiresAt });
  }
  return outcome;
}

/** A restore Azure ended as Failed: the backup's fault (restore-failed) or the platform's or configuration's, by Azure's code. */
function failedRestore(
  result: { code?: string; message: string },
  r: { source: string; target: string; pointInTime: Date; restoreSeconds: number },
): StepFailure {
  const judged = classifyRestoreFailure(result.code, result.message);
  const said =
    `Azure reports the point-in-time restore of ${r.source} (as of ${r.pointInTime.toISOString()}) to ${r.target} as Failed ` +
    `after ${r.restoreSeconds} s${result.code ? ` (${result.code})` : ''}: ${result.message}`;
  if (judged.kind === 'restore-failed') {
    const why =
      judged.by !== 'default'
        ? ''
        : result.code
          ? ` (restorecheck does not know ${result.code} as the platform's or the configuration's fault, so it counts against the backup)`
          : ' (Azure gave no error code, so it counts against the backup)';
    return { kind: 'restore-failed', message: `${said}${why}`, hint: judged.hint };
  }
  return { kind: judged.kind, message: `${said} (${judged.cause}: the backup was not tried)`, hint: judged.hint };
}

/**
 * Before anything is created: the source exists and has a region, the target name is free, the point in time is in the
 * window. A failure that proves nothing about the backup is set on `outcome` (and undefined returned); a taken name throws.
 */
async function preflight(
  options: AzureRestoreOptions,
  target: RestoreTarget,
  requestedAt: Date,
  outcome: RestoreOutcome,
  reads: boolean,
): Promise<{ source: FlexibleServer; location: string; pointInTime: Date; network: RestoreNetworkPlan } | undefined> {
  const azure = options.gateways.azurePostgres();
  const signal = options.signal;
  let source: FlexibleServer | null;
  let existing: FlexibleServer | null;
  try {
    [source, existing] = await Promise.all([
      azure.findServer(target.source.resourceGroup, target.source.name, signal),
      azure.findServer(target.resourceGroup, target.name, signal),
    ]);
  } catch (error) {
    outcome.provision = { ok: false, failure: toFailure(error) };
    return undefined;
  }
  if (!source) {
    outcome.provision = {
      ok: false,
      failure: {
        kind: 'not-found',
        message: `the source server ${label(target.source)} does not exist`,
        hint: 'check azure.subscriptionId and azure.postgres (resourceGroup, server)',
      },
    };
    return undefined;
  }
  if (existing) {
    throw new UsageError(
      `the new server's name ${target.name} is already taken in resource group ${target.resourceGroup}${taggedRunId(existing) ? ' (by an earlier restore test)' : ''}: restorecheck ` +
        `never touches a server it did not create in this run`,
      'wait a minute (the name carries the minute), or remove earlier restore servers with `restorecheck restore-test cleanup --config FILE`',
    );
  }
  const pointInTime = options.pointInTime ?? new Date(requestedAt.getTime() - 60_000);
  checkPointInTime(pointInTime, source, requestedAt);
  if (!source.location) {
    outcome.provision = {
      ok: false,
      failure: {
        kind: 'invalid-response',
        message: `Resource Manager did not return the region of ${label(target.source)}`,
        hint: "a restore is created in the source's region: run again, or report it with the request id",
      },
    };
    return undefined;
  }
  if (!source.fullyQualifiedDomainName) {
    outcome.provision = {
      ok: false,
      failure: {
        kind: 'invalid-response',
        message: `Resource Manager did not return the fullyQualifiedDomainName of ${label(target.source)}: its reachability from here cannot be checked`,
        hint: 'run again; if it persists, report it with the request id',
      },
    };
    return undefined;
  }
  // A copy that will not be read need not be reachable from here.
  if (reads) await refuseUnreachable(options, target, source.fullyQualifiedDomainName, source);
  return { source, location: source.location, pointInTime, network: restoreNetwork(source, options.config.restoreTest.network) };
}

/**
 * The copy lands in the source's network (or restoreTest.network): if this machine cannot reach the source's endpoint, it
 * will not reach the copy either, which a run would find out only after Azure created and billed it. So: refuse now.
 */
async function refuseUnreachable(options: AzureRestoreOptions, target: RestoreTarget, host: string, source: FlexibleServer): Promise<void> {
  // database is checked at the start of restoreAzurePointInTime; without it there is nothing to read the copy with.
  const { url, connectTimeoutMs } = options.config.database ?? { url: '', connectTimeoutMs: 10_000 };
  const port = databasePort(url);
  const probe = await probeTcp(host, port, connectTimeoutMs, options.signal);
  if (probe.reachable) {
    options.log.info(`restore-test: ${host}:${port} answers from here (${probe.ms} ms)`);
    return;
  }
  const where = source.network?.delegatedSubnetResourceId ? 'in a virtual network (private access)' : 'behind its firewall or private endpoint';
  throw new UsageError(
    `the source server ${label(target.source)} (${host}:${port}) is not reachable from this machine (${probe.reason}); it is ${where}, so its restored ` +
      'copy would not be reachable either: refusing before anything is created (nothing was restored, nothing is billed)',
    'run restore-test from inside the VNet (a self-hosted runner, or an Azure Container Apps / ACI job in the VNet: README, "Networking"), ' +
      'or use a public-access source with restoreTest.clientIp set (the copy gets a firewall rule for it)',
  );
}

/**
 * A public-access copy gets a firewall rule for restoreTest.clientIp once it is ready, before it is read. Recorded in the ledger
 * first; it needs no deletion of its own: deleting the server deletes its firewall rules.
 */
async function openFirewall(o: {
  config: Config;
  azure: FlexibleServerGateway;
  ledger: RestoreLedger;
  target: RestoreTarget;
  network: RestoreNetworkPlan;
  lro: LongRunningOptions;
  runId: string;
  log: Logger;
}): Promise<Record<string, string | null>> {
  const { config, target, network, runId } = o;
  const where = network.network?.delegatedSubnetResourceId ? `delegated subnet ${network.network.delegatedSubnetResourceId}` : undefined;
  const evidence = { network: where ?? (network.publicAccess ? 'public access' : network.from === 'unknown' ? 'unknown' : 'public access disabled') };
  const ip = config.restoreTest.clientIp;
  if (!network.publicAccess) return { ...evidence, firewallRule: null };
  if (!ip) {
    o.log.info(
      `restore-test: restoreTest.clientIp is not set: no firewall rule on ${target.name}; it is reachable from here only if its rules allow this machine`,
    );
    return { ...evidence, firewallRule: null };
  }
  const rule = firewallRuleName(runId);
  await o.ledger.append({ event: 'firewall-rule', at: new Date().toISOString(), runId, server: target.name, rule, ip });
  o.log.info(`restore-test: adding firewall rule ${rule} (${ip}) to ${target.name}`);
  await o.azure.createFirewallRule({ resourceGroup: target.resourceGroup, server: target.name, name: rule, startIpAddress: ip, endIpAddress: ip }, o.lro);
  return {
    ...evidence,
    firewallRule: rule,
    firewallRuleIp: ip,
    firewallRuleRemoval: 'deleted with the server (Azure deletes a server together with its firewall rules)',
  };
}

/** Writes the ledger line before the server is requested: an interrupted run is cleaned up from it. */
async function recordRequest(
  ledger: RestoreLedger,
  { config, runId, target, requestedAt, expiresAt }: { config: Config; runId: string; target: RestoreTarget; requestedAt: Date; expiresAt: Date },
): Promise<void> {
  try {
    await ledger.append({
      event: 'requested',
      at: requestedAt.toISOString(),
      runId,
      subscriptionId: subscriptionIdOf(config),
      resourceGroup: target.resourceGroup,
      server: target.name,
      source: label(target.source),
      expiresAt: expiresAt.toISOString(),
      ...currentProcess(),
    });
  } catch (error) {
    throw new UsageError(
      `cannot write the restore ledger ${ledger.path}: ${(error as NodeJS.ErrnoException).code ?? describeError(error)}`,
      'restoreTest.ledgerDir must be writable: the ledger is how an interrupted restore test is cleaned up',
    );
  }
}

/** The provisioning evidence of a restored server. */
function restoredDetails(r: {
  requestedAt: Date;
  pointInTime: Date;
  target: RestoreTarget;
  location: string;
  server: FlexibleServer;
  runId: string;
  expiresAt: Date;
}): Record<string, string | number | boolean | null> {
  return {
    lagMinutes: Math.round((r.requestedAt.getTime() - r.pointInTime.getTime()) / 600) / 100,
    requestedAt: r.requestedAt.toISOString(),
    readyAt: new Date().toISOString(),
    sourceServer: label(r.target.source),
    targetServer: r.target.name,
    targetResourceGroup: r.target.resourceGroup,
    location: r.location,
    state: r.server.state ?? null,
    fullyQualifiedDomainName: r.server.fullyQualifiedDomainName ?? null,
    runId: r.runId,
    expiresAt: r.expiresAt.toISOString(),
  };
}

/** Only reached with azure configured: azurePostgres() throws without it, before anything here runs. */
function subscriptionIdOf(config: Config): string {
  if (!config.azure) throw new EvaluationError('config', 'no azure section is configured', 'add an azure section with subscriptionId to the configuration');
  return config.azure.subscriptionId;
}

function sourceId(config: Config, target: RestoreTarget): string {
  return `/subscriptions/${subscriptionIdOf(config)}/resourceGroups/${target.source.resourceGroup}/providers/Microsoft.DBforPostgreSQL/flexibleServers/${target.source.name}`;
}

/** Deletes this run's server (if it exists and carries this run's id) under a fresh deadline, and records it. */
async function cleanUp(
  o: AzureRestoreOptions & { azure: FlexibleServerGateway; ledger: RestoreLedger; target: RestoreTarget; expiresAt: Date },
): Promise<RestoreOutcome['cleanup']> {
  const { azure, ledger, target, log, runId, config } = o;
  const what = `Flexible Server ${label(target)}`;
  const record = (event: 'deleted' | 'kept' | 'absent') =>
    ledger
      .append({ event, at: new Date().toISOString(), runId })
      .catch((error: unknown) => log.info(`restore-test: could not record "${event}" in ${ledger.path}: ${describeError(error)}`));
  if (o.keep) {
    await record('kept');
    return {
      status: 'kept',
      removed: [],
      leftover: [what],
      message: `its tag restorecheck-expires says ${o.expiresAt.toISOString()}; \`restorecheck restore-test cleanup\` deletes it after that`,
    };
  }
  const deleteMs = config.restoreTest.deleteTimeoutMinutes * 60_000;
  // Not o.signal: after a timeout or Ctrl-C it is aborted already, and the deletion must still happen.
  const deadline = AbortSignal.timeout(deleteMs);
  try {
    const found = await azure.findServer(target.resourceGroup, target.name, deadline);
    if (!found) {
      await record('absent');
      return { status: 'deleted', removed: [], leftover: [], message: `${what} was never created or Azure removed it` };
    }
    if (taggedRunId(found) !== runId) {
      // The house rule: delete only what the tags prove this run created. A server here without this run's id is either
      // someone else's (the name was taken meanwhile) or ours with its tags changed (a stolen copy). Either way it is
      // left alone, but it is NOT "cleaned up": a copy of the production database may be running, so this is a failure
      // that names the server and how to delete it once a person has checked whose it is.
      log.info(`restore-test: ${what} no longer carries this run's id in its tags: not deleting it`);
      return {
        status: 'failed',
        removed: [],
        leftover: [what],
        message:
          `${what} is still there, but its tags no longer carry this run's id (${runId}): someone changed them, so restorecheck did not delete it; ` +
          `check who did (Activity log), then delete it: \`az postgres flexible-server delete -g ${target.resourceGroup} -n ${target.name} --yes\``,
      };
    }
    log.info(`restore-test: deleting ${what}`);
    const stopProgress = progress(
      log,
      config.restoreTest.progressIntervalSeconds * 1000,
      (s) => `restore-test: waiting for Azure to delete ${target.name}: ${elapsedText(s)} elapsed`,
    );
    try {
      await azure.deleteServer(target.resourceGroup, target.name, {
        signal: deadline,
        timeoutMs: deleteMs,
        pollIntervalMs: config.restoreTest.pollIntervalSeconds * 1000,
      });
    } finally {
      stopProgress();
    }
    if (await azure.findServer(target.resourceGroup, target.name, deadline)) {
      return {
        status: 'failed',
        removed: [],
        leftover: [what],
        message: 'Azure reported the deletion done, but the server is still there: run `restorecheck restore-test cleanup --config FILE`',
      };
    }
    await record('deleted');
    log.info(`restore-test: deleted ${what}`);
    return { status: 'deleted', removed: [what], leftover: [] };
  } catch (error) {
    return { status: 'failed', removed: [], leftover: [what], message: cleanupFailure(error) };
  }
}

/** Why a deletion failed, and what to do: a lock must be removed by a person first (running cleanup again would hit it too). */
function cleanupFailure(error: unknown): string {
  const cleanupLater = 'run `restorecheck restore-test cleanup --config FILE` (the ledger names it)';
  if (error instanceof EvaluationError && error.kind === 'conflict' && /ScopeLocked/.test(error.message)) {
    return `${error.message}; ${error.hint}; then ${cleanupLater}`;
  }
  return `${describeError(error)}; ${cleanupLater}`;
}

export interface CleanupOptions {
  config: Config;
  gateways: Gateways;
  log: Logger;
  now: Date;
  /** Called after each deletion (or failed one), before the next: the CLI records it in the audit log as it happens. */
  record?: (decision: CleanupDecision) => Promise<void>;
  /**
   * The restore-name prefixes that make a server without a ledger entry ours (`<prefix>-YYYYMMDDHHmm`): a fleet's scope
   * holds the restores of several servers, each with its own (fleetNamePrefix). Default: restoreNamePrefix(config) alone.
   */
  prefixes?: readonly string[];
}

/** An instant as restoreTags writes it (ISO 8601 with a time): a tag like "tomorrow" or "2026" is not an expiry. */
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/** What `restore-test cleanup` did with one server of ours, and on what grounds (printed, and recorded in the audit log). */
export interface CleanupDecision {
  /** The subscription listed (config.azure.subscriptionId): a fleet's cleanup sweeps several. */
  subscriptionId: string;
  resourceGroup: string;
  name: string;
  action: 'deleted' | 'kept' | 'failed';
  /**
   * `ledger`: this ledger's entry for the run; `tags`: the tags alone, because no ledger here knows the run (it
   * was on a CI runner that is gone).
   */
  basis: 'ledger' | 'tags';
  runId: string;
  /** The `restorecheck-expires` tag (or, for a ledger entry without it, the ledger's), when there is one. */
  expiresAt: string | null;
  /** Why, in words. */
  reason: string;
}

/**
 * `restore-test cleanup`: in the allowed resource groups only, deletes each server of ours that is done with.
 *  - With this ledger's entry for its run (same server, resource group and subscription): once it is expired or its
 *    run is over (the run's process is gone from this host and did not keep it on purpose).
 *  - Without one (the ledger died with a CI runner): by its tags alone, only when it carries all three of the creator
 *    tag, a run id and a `restorecheck-expires` in the past, and is named `<prefix>-YYYYMMDDHHmm` with our prefix.
 * Everything else is left alone, whatever its name: a server without our tags, one whose tags the ledger contradicts
 * (they were copied), one whose expiry has not passed (its run may be going on another machine).
 */
export async function cleanupExpiredRestores(options: CleanupOptions): Promise<{ decisions: CleanupDecision[] }> {
  const { config, gateways, log, now } = options;
  if (!config.azure) throw new UsageError('restore-test cleanup needs the azure section of the configuration', 'add azure.subscriptionId and azure.postgres');
  const ledger = new RestoreLedger(ledgerPath(config));
  const { runs, unreadable } = await ledger.runs();
  if (unreadable > 0) log.info(`restore-test cleanup: ${unreadable} unreadable line(s) in ${ledger.path} ignored`);
  const azure = gateways.azurePostgres();
  const rt = config.restoreTest;
  const deleteMs = rt.deleteTimeoutMinutes * 60_000;
  const single = restoreNamePrefix(config);
  const prefixes = options.prefixes ?? (single ? [single] : []);
  const ourName = (name: string) => prefixes.some((p) => isRestoreServerName(p, name));
  const subscriptionId = config.azure.subscriptionId;
  const decisions: CleanupDecision[] = [];
  const seen = new Set<string>();
  for (const group of allowedResourceGroups(config)) {
    for (const server of await azure.listServers(group, AbortSignal.timeout(config.azure.requestTimeoutMs * 4))) {
      const name = server.name ?? '';
      const where = `${group}/${name}`;
      const runId = taggedRunId(server);
      if (!runId) {
        if (ourName(name)) log.info(`restore-test cleanup: ${where} is named like a restore server but has no restorecheck tags: left alone`);
        continue;
      }
      const run = runs.get(runId);
      const expiresTag = server.tags?.[TAGS.expires];
      let decision: Omit<CleanupDecision, 'action' | 'reason'>;
      let why: string;
      if (run) {
        const matches =
          run.request.server.toLowerCase() === name.toLowerCase() &&
          run.request.resourceGroup.toLowerCase() === group &&
          run.request.subscriptionId.toLowerCase() === subscriptionId.toLowerCase();
        if (!matches) {
          log.info(`restore-test cleanup: ${where} carries the tags of run ${runId}, whose entry in ${ledger.path} names another server: left alone`);
          continue;
        }
        seen.add(runId);
        const expires = Date.parse(expiresTag ?? run.request.expiresAt);
        const expired = Number.isFinite(expires) && expires <= now.getTime();
        const over = run.state !== 'kept' && runIsOver(run.request);
        decision = { subscriptionId, resourceGroup: group, name, basis: 'ledger', runId, expiresAt: expiresTag ?? run.request.expiresAt };
        if (!expired && !over) {
          const reason = `ledger entry: not expired (${new Date(expires).toISOString()}) and its run may still be going`;
          log.info(`restore-test cleanup: ${where} kept: ${reason}`);
          decisions.push({ ...decision, action: 'kept', reason });
          continue;
        }
        why = `ledger entry: ${expired ? 'expired' : 'its run was interrupted'}`;
      } else {
        // No ledger here knows the run: the tags are all there is, so every one of them must say "ours, and done".
        const unknown = `carries restorecheck tags (run ${runId}) but has no entry in ${ledger.path}`;
        if (!ourName(name)) {
          const forms = prefixes.length > 0 ? prefixes.map((p) => `${p}-YYYYMMDDHHmm`).join(' or ') : '<restoreTest.namePrefix>-YYYYMMDDHHmm';
          log.info(`restore-test cleanup: ${where} ${unknown}, and its name is not ${forms}: left alone`);
          continue;
        }
        const expires = expiresTag && ISO_INSTANT.test(expiresTag) ? Date.parse(expiresTag) : Number.NaN;
        if (!Number.isFinite(expires)) {
          log.info(`restore-test cleanup: ${where} ${unknown}, and no valid restorecheck-expires tag: left alone`);
          continue;
        }
        decision = { subscriptionId, resourceGroup: group, name, basis: 'tags', runId, expiresAt: expiresTag ?? null };
        if (expires > now.getTime()) {
          const reason = `tags only: run ${runId}, its expiry ${expiresTag} has not passed, and it may still be going elsewhere`;
          log.info(`restore-test cleanup: ${where} kept: ${reason}`);
          decisions.push({ ...decision, action: 'kept', reason });
          continue;
        }
        why = `tags only: run ${runId}, not in this ledger, expired ${expiresTag}`;
      }
      log.info(`restore-test cleanup: deleting ${where} (${why})`);
      let done: CleanupDecision;
      try {
        const deadline = AbortSignal.timeout(deleteMs);
        await azure.deleteServer(group, name, { signal: deadline, timeoutMs: deleteMs, pollIntervalMs: rt.pollIntervalSeconds * 1000 });
        if (run) await ledger.append({ event: 'deleted', at: new Date().toISOString(), runId });
        done = { ...decision, action: 'deleted', reason: why };
      } catch (error) {
        const hint = error instanceof EvaluationError && error.kind === 'conflict' ? `; ${error.hint}` : '';
        log.info(`restore-test cleanup: could not delete ${group}/${name}: ${describeError(error)}${hint}`);
        done = { ...decision, action: 'failed', reason: `${why}; the deletion failed: ${describeError(error)}${hint}` };
      }
      decisions.push(done);
      await options.record?.(done);
    }
  }
  // Runs that never said how they ended and whose server is gone: close their entries. Only those of the groups listed
  // here, in this subscription: a fleet's run in a group of the same name elsewhere was not looked for.
  for (const run of runs.values()) {
    if (
      run.state === 'requested' &&
      !seen.has(run.request.runId) &&
      runIsOver(run.request) &&
      run.request.subscriptionId.toLowerCase() === subscriptionId.toLowerCase() &&
      allowedResourceGroups(config).includes(run.request.resourceGroup.toLowerCase())
    ) {
      await ledger.append({ event: 'absent', at: new Date().toISOString(), runId: run.request.runId });
    }
  }
  return { decisions };
}
