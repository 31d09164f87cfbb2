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
import type { Logger } from '../vocabulary.js';
import type { Config } from '../config/schema.js';
import { openDatabase } from '../db/postgres.js';
import type { ConnectionProbe, DatabaseGateway } from '../db/types.js';
import { EvaluationError, UsageError, describeError } from '../errors.js';
import type { Gateways } from '../run/gateways.js';
import {
  allowedResourceGroups,
  checkPointInTime,
  resolveTarget,
  restoreTags,
  restoredDatabaseUrl,
  taggedRunId,
  type RestoreTarget,
} from './azure-restore-plan.js';
import type { RestoreOutcome, StepFailure } from './outcome.js';
import { currentProcess, ledgerPath, RestoreLedger, runIsOver } from './restore-ledger.js';
import { probeRestoredDatabase, readAlembicAndCounts, toFailure, type SignedDocumentProbe } from './restored-database.js';

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
}

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
  const database = config.database;
  if (!database) {
    throw new UsageError(
      'the Azure restore test needs database.url: its credentials and database name are used to read the restored server',
      'add the database section (the production database the restore is compared with)',
    );
  }
  const requestedAt = new Date();
  const target = resolveTarget(config, requestedAt);
  const rt = config.restoreTest;
  const azure = gateways.azurePostgres();
  const tables = database.coreTables.map((t) => t.name);
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

  const checked = await preflight(options, target, requestedAt, outcome);
  if (!checked) return outcome;
  const { source, location, pointInTime } = checked;

  const ledger = new RestoreLedger(ledgerPath(config));
  const expiresAt = new Date(requestedAt.getTime() + rt.expiryHours * 3_600_000);
  await recordRequest(ledger, { config, runId, target, requestedAt, expiresAt });

  // The production side of the comparison, read while Azure restores (the moment closest to the restore point).
  const sourceRead = readAlembicAndCounts(gateways.database(), config, tables).then((reads) => {
    outcome.source = { label: 'the production database', ...reads };
  });

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
    log.info(`restore-test: ${target.name} is ready after ${restoreSeconds} s; reading it`);
    if (!server.fullyQualifiedDomainName) {
      throw new EvaluationError(
        'invalid-response',
        `Resource Manager did not return the fullyQualifiedDomainName of ${label(target)}`,
        'run again; if it persists, report it with the request id',
      );
    }
    restoredDb = openDatabase(restoredDatabaseUrl(database.url, server.fullyQualifiedDomainName), {
      statementTimeoutMs: database.statementTimeoutMs,
      connectTimeoutMs: database.connectTimeoutMs,
      applicationName: 'restorecheck restore-test',
    });
    const connection = await connectWithGrace(restoredDb, signal);
    Object.assign(details, { serverVersion: connection.serverVersion, tls: connection.tls, connectMs: connection.connectMs });
    outcome.restored = await probeRestoredDatabase(restoredDb, config, tables, options.signedDocument);
  } catch (error) {
    const failure = signal.aborted ? abortFailure(signal, options.timeoutMs) : toFailure(error);
    if (!provisionDecided) outcome.provision = { ok: false, failure };
    else if (outcome.provision.ok && !outcome.restored) {
      // Restored, but not readable: each comparison says why instead of a vague "could not be read".
      const unread = { ok: false as const, failure };
      outcome.restored = { alembic: unread, counts: unread, ...(database.signedDocument && options.signedDocument ? { signedDocument: unread } : {}) };
    }
  } finally {
    stopProgress();
    await sourceRead;
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
): Promise<{ source: FlexibleServer; location: string; pointInTime: Date } | undefined> {
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

  return { source, location: source.location, pointInTime };
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
}

/**
 * `restore-test cleanup`: in the allowed resource groups only, deletes each server that carries
 * restorecheck's tags AND has this ledger's entry for its run, once it is expired or its run is
 * over (the run's process is gone from this host and did not keep it on purpose). Everything else
 * is left alone, whatever its name.
 */
export async function cleanupExpiredRestores(options: CleanupOptions): Promise<{ deleted: string[]; kept: string[]; failed: string[] }> {
  const { config, gateways, log, now } = options;
  if (!config.azure) throw new UsageError('restore-test cleanup needs the azure section of the configuration', 'add azure.subscriptionId and azure.postgres');
  const ledger = new RestoreLedger(ledgerPath(config));
  const { runs, unreadable } = await ledger.runs();
  if (unreadable > 0) log.info(`restore-test cleanup: ${unreadable} unreadable line(s) in ${ledger.path} ignored`);
  const azure = gateways.azurePostgres();
  const rt = config.restoreTest;
  const deleteMs = rt.deleteTimeoutMinutes * 60_000;
  const result = { deleted: [] as string[], kept: [] as string[], failed: [] as string[] };
  const seen = new Set<string>();
  for (const group of allowedResourceGroups(config)) {
    for (const server of await azure.listServers(group, AbortSignal.timeout(config.azure.requestTimeoutMs * 4))) {
      const name = server.name ?? '';
      const runId = taggedRunId(server);
      const run = runId ? runs.get(runId) : undefined;
      const matches =
        run &&
        run.request.server.toLowerCase() === name.toLowerCase() &&
        run.request.resourceGroup.toLowerCase() === group &&
        run.request.subscriptionId.toLowerCase() === config.azure.subscriptionId.toLowerCase();
      if (!run || !matches) {
        if (runId) log.info(`restore-test cleanup: ${group}/${name} carries restorecheck tags but no entry in ${ledger.path}: left alone`);
        continue;
      }
      seen.add(runId!);
      const expires = Date.parse(server.tags?.['restorecheck-expires'] ?? run.request.expiresAt);
      const expired = Number.isFinite(expires) && expires <= now.getTime();
      const over = run.state !== 'kept' && runIsOver(run.request);
      if (!expired && !over) {
        log.info(`restore-test cleanup: ${group}/${name} kept: not expired (${new Date(expires).toISOString()}) and its run may still be going`);
        result.kept.push(name);
        continue;
      }
      log.info(`restore-test cleanup: deleting ${group}/${name} (${expired ? 'expired' : 'its run was interrupted'})`);
      try {
        const deadline = AbortSignal.timeout(deleteMs);
        await azure.deleteServer(group, name, { signal: deadline, timeoutMs: deleteMs, pollIntervalMs: rt.pollIntervalSeconds * 1000 });
        await ledger.append({ event: 'deleted', at: new Date().toISOString(), runId: runId! });
        result.deleted.push(name);
      } catch (error) {
        const hint = error instanceof EvaluationError && error.kind === 'conflict' ? `; ${error.hint}` : '';
        log.info(`restore-test cleanup: could not delete ${group}/${name}: ${describeError(error)}${hint}`);
        result.failed.push(name);
      }
    }
  }
  // Runs that never said how they ended and whose server is gone: close their entries.
  for (const run of runs.values()) {
    if (
      run.state === 'requested' &&
      !seen.has(run.request.runId) &&
      runIsOver(run.request) &&
      allowedResourceGroups(config).includes(run.request.resourceGroup.toLowerCase())
    ) {
      await ledger.append({ event: 'absent', at: new Date().toISOString(), runId: run.request.runId });
    }
  }
  return result;
}
