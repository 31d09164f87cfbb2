import { randomUUID } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { parseArchiveName } from '../../archive/archive-name.js';
import { archivesConfigOrDefault } from '../../archive/archive-policy.js';
import { checksFor } from '../../checks/index.js';
import { signedDocument } from '../../checks/db/signed-document.js';
import type { Logger } from '../../checks/types.js';
import { type Config, configSchema } from '../../config/schema.js';
import { UsageError } from '../../errors.js';
import { restoreArchive } from '../../restore/archive-restore.js';
import { createThrowawayDatabase } from '../../restore/throwaway-database.js';
import { type AbandonedCluster, sweepAbandonedClusters } from '../../restore/throwaway-cluster.js';
import { appendAuditEvent } from '../../evidence/audit-log.js';
import type { Output } from '../io.js';
import { cleanupExpiredRestores, restoreAzurePointInTime } from '../../restore/azure-restore.js';
import type { RestoreOutcome } from '../../restore/outcome.js';
import type { SignedDocumentProbe } from '../../restore/restored-database.js';
import { LiveGateways } from '../../run/gateways.js';
import { exitCodeFor, type RunResult } from '../../run/result.js';
import { runChecks, selectChecks } from '../../run/runner.js';
import type { CommandContext, CommandSpec } from '../command.js';
import { emitReports, type ReportRequest } from '../report-files.js';
import { failOnOption, loadConfigFor, reportRequest, withConfigOption, withReportOptions } from '../shared-options.js';

/** The archive-* checks that must pass before an archive is restored (its age does not matter here: restoring last month's backup is a fair test). */
const ARCHIVE_GATE = ['archive-checksum', 'archive-integrity', 'archive-members', 'archive-dump-integrity', 'archive-metadata'];

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

/** The signed-document check, run against another database (the restored one). */
function signedDocumentProbe(gateways: LiveGateways, config: Config, configDir: string, log: Logger, signal: AbortSignal): SignedDocumentProbe {
  return (db) => signedDocument.run({ config, configDir, gateways: gateways.withDatabase(db), now: () => new Date(), signal, log });
}

export const restoreTestCommand: CommandSpec = {
  command: 'restore-test [action]',
  describe: 'a real restore: Azure point-in-time restore to a NEW server, or an archive dump into a throwaway PostgreSQL; checked, compared, timed, then deleted',
  builder: (yargs) =>
    withReportOptions(withConfigOption(yargs, false))
      .positional('action', { type: 'string', choices: ['cleanup'], describe: 'cleanup: delete expired restore servers that carry restorecheck\'s tags and ledger entry (with --local: stop and remove abandoned local throwaway clusters instead)' })
      .option('local', { type: 'boolean', default: false, describe: 'cleanup: stop and remove the throwaway PostgreSQL clusters in TMPDIR whose restore-test process is gone (killed)' })
      .option('archive', { type: 'string', describe: 'restore this self-hosted backup archive (.tar.gz) instead of the Azure server', requiresArg: true })
      .option('point-in-time', { type: 'string', describe: 'Azure: the restore point (ISO 8601 UTC; default: a minute ago), within the source\'s restore window', requiresArg: true })
      .option('keep', { type: 'boolean', default: false, describe: 'keep the restored server/database (restore-cleanup is then warn)' })
      .option('timeout', { type: 'string', default: '60m', describe: 'deadline of the whole restore (e.g. 90m, 2h)', requiresArg: true }),
  async run(argv, ctx) {
    ctx.output.verbose = Boolean(argv.verbose);
    if (argv.action === 'cleanup') return cleanup(argv, ctx);
    if (argv.local) throw new UsageError('--local applies to `restore-test cleanup`', 'restorecheck restore-test cleanup --local');
    const timeoutMs = parseDuration(String(argv.timeout));
    // A typo in --only must cost nothing: refuse it before anything is restored (or created in Azure).
    selectChecks([...checksFor('verify').filter((c) => ARCHIVE_GATE.includes(c.id)), ...checksFor('restore-test')], argv.only as string[] | undefined);
    const { result, request } = typeof argv.archive === 'string' ? await archiveRestoreTest(argv, ctx, timeoutMs) : await azureRestoreTest(argv, ctx, timeoutMs);
    await emitReports(result, request, ctx.output);
    ctx.output.exitCode = exitCodeFor(result.outcome);
  },
};

async function archiveRestoreTest(argv: Record<string, unknown>, { output, signal }: CommandContext, timeoutMs: number): Promise<{ result: RunResult; request: ReportRequest }> {
  const path = resolve(String(argv.archive));
  if (!existsSync(path) || !statSync(path).isFile()) throw new UsageError(`archive not found: ${String(argv.archive)}`, 'pass the path of a .tar.gz backup archive');
  if (argv['point-in-time'] !== undefined) throw new UsageError('--point-in-time applies to the Azure restore, not to an archive', 'an archive restores to the moment it was taken');
  const loaded = argv.config === undefined ? undefined : await loadConfigFor(argv, output);
  const configDir = loaded?.configDir ?? process.cwd();
  // The report is about the archive: its environment is the one in its file name.
  const environment = parseArchiveName(basename(path))?.environment ?? loaded?.config.environment ?? 'unknown';
  const base = loaded?.config ?? configSchema.parse({ environment });
  await removeAbandonedClusters(loaded?.config, environment, output);
  const config: Config = { ...base, environment, archives: archivesConfigOrDefault(base.archives) };
  const request = reportRequest(argv, loaded?.config); // validated before the long work
  const log = output.logger();
  const deadline = AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]);
  const gateways = new LiveGateways(config, configDir, { archive: { path, options: { limits: config.archives!.limits, signal: deadline } } });
  const limits = { checkTimeoutMs: timeoutMs, runTimeoutMs: timeoutMs + 60_000 };
  // The judging runs are local and quick: after Ctrl-C they must still report what was cleaned up,
  // so only the gate (which reads the archive) takes the user's signal.
  const common = { config, configDir, gateways, failOn: failOnOption(argv), log, limits } as const;
  const runId = randomUUID().slice(0, 8);
  const startedAt = performance.now();
  // An empty throwaway cluster reveals nothing, so it starts while the archive is verified: the
  // restore itself still waits for the verdict.
  log.info(`restore-test: verifying ${basename(path)} while a throwaway PostgreSQL starts`);
  const database = createThrowawayDatabase(runId);
  database.catch(() => undefined); // its failure is reported by the restore, not as an unhandled rejection
  let handedOver = false; // once the restore (or the refusal) owns the cluster, it removes it
  try {
    const gate = await runChecks({ ...common, signal, command: 'restore-test', checks: checksFor('verify'), only: ARCHIVE_GATE });
    const refused = gate.checks.filter((c) => c.status === 'fail' || c.status === 'error');
    let outcome: RestoreOutcome;
    if (refused.length > 0) {
      log.info(`restore-test: the archive failed verification (${refused.map((c) => c.id).join(', ')}); not restoring it`);
      handedOver = true;
      const removed = await database.then((db) => db.drop()).then((r) => r.removed, () => [] as string[]);
      outcome = {
        method: 'archive',
        target: null,
        provision: {
          ok: false,
          failure: {
            kind: refused.some((c) => c.status === 'fail') ? 'restore-failed' : 'internal',
            message: `the archive was not restored because it failed verification: ${refused.map((c) => `${c.id} (${c.message})`).join('; ')}`,
            hint: 'see the archive-* checks in this report; `restorecheck verify FILE` gives the full verdict',
          },
        },
        source: { label: 'the archive metadata' },
        limits: { rowCountTolerancePercent: config.restoreTest.archiveRowCountTolerancePercent },
        cleanup: { status: 'deleted', removed, leftover: [] },
      };
    } else {
      const verification = await gateways.archive!();
      handedOver = true;
      outcome = await restoreArchive({
        verification,
        config,
        runId,
        database,
        startedAt,
        keep: Boolean(argv.keep),
        signal: deadline,
        log,
        signedDocument: signedDocumentProbe(gateways, config, configDir, log, deadline),
      });
    }
    gateways.useRestoreOutcome(outcome);
    // The archive verdicts come again from the one pass already made (memoised), beside the restore-* checks.
    const result = await runChecks({ ...common, command: 'restore-test', checks: [...checksFor('verify').filter((c) => ARCHIVE_GATE.includes(c.id)), ...checksFor('restore-test')], only: argv.only as string[] | undefined });
    return { result, request };
  } finally {
    if (!handedOver) await database.then((db) => db.drop()).catch(() => undefined);
    await gateways.close();
  }
}

async function azureRestoreTest(argv: Record<string, unknown>, { output, signal }: CommandContext, timeoutMs: number): Promise<{ result: RunResult; request: ReportRequest }> {
  if (argv.config === undefined) throw new UsageError('restore-test needs --config FILE (with azure.postgres), or --archive FILE', 'restorecheck restore-test --config restorecheck.yaml');
  const { config, configDir } = await loadConfigFor(argv, output);
  if (!config.azure?.postgres) throw new UsageError('restore-test without --archive needs azure.postgres in the configuration', 'add the azure.postgres section, or pass --archive FILE');
  const request = reportRequest(argv, config);
  await removeAbandonedClusters(config, config.environment, output);
  let pointInTime: Date | undefined;
  if (argv['point-in-time'] !== undefined) {
    pointInTime = new Date(String(argv['point-in-time']));
    if (Number.isNaN(pointInTime.getTime())) throw new UsageError(`--point-in-time ${String(argv['point-in-time'])}: not a date`, 'use ISO 8601 UTC, e.g. 2026-11-20T03:00:00Z');
  }
  const log = output.logger();
  const deadline = AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]);
  const gateways = new LiveGateways(config, configDir);
  try {
    const outcome = await restoreAzurePointInTime({
      config,
      configDir,
      gateways,
      runId: randomUUID(),
      keep: Boolean(argv.keep),
      timeoutMs,
      signal: deadline,
      log,
      signedDocument: signedDocumentProbe(gateways, config, configDir, log, deadline),
      ...(pointInTime ? { pointInTime } : {}),
    });
    gateways.useRestoreOutcome(outcome);
    // No abort signal here: after Ctrl-C the checks still judge what happened (they only read the outcome).
    const result = await runChecks({
      command: 'restore-test', checks: checksFor('restore-test'), config, configDir, gateways,
      only: argv.only as string[] | undefined, failOn: failOnOption(argv), log,
      limits: { checkTimeoutMs: timeoutMs, runTimeoutMs: timeoutMs + 60_000 },
    });
    return { result, request };
  } finally {
    await gateways.close();
  }
}

/**
 * A restore-test killed with SIGKILL cannot remove its throwaway cluster: the server keeps running on
 * 127.0.0.1 with the restored patient data. Every restore-test (and `cleanup --local`) first stops and
 * removes such clusters (their owner process is gone), and records it: in report.dir's audit log when
 * one is configured, and always on stderr. Never fatal: a sweep that fails says so and the run goes on.
 */
async function removeAbandonedClusters(config: Config | undefined, environment: string, output: Output): Promise<AbandonedCluster[]> {
  let swept: AbandonedCluster[];
  try {
    swept = await sweepAbandonedClusters();
  } catch (error) {
    output.err(`restore-test: could not look for abandoned throwaway clusters: ${(error as Error).message}`);
    return [];
  }
  for (const c of swept) {
    const what = `an abandoned throwaway PostgreSQL in ${c.dir} (its restore-test, pid ${c.ownerPid}, is gone${c.postmasterPid ? `; its server, pid ${c.postmasterPid}, was still running` : ''})`;
    output.err(c.removed ? `restore-test: stopped and removed ${what}` : `restore-test: could not remove ${what}: ${c.problem ?? 'unknown reason'}`);
    const reportDir = config?.report?.dir;
    if (!reportDir) continue;
    try {
      await appendAuditEvent(
        reportDir,
        {
          action: 'cleanup',
          command: 'restore-test',
          environment,
          outcome: c.removed ? 'deleted' : 'failed',
          details: { abandonedCluster: c.dir, ownerPid: c.ownerPid, postmasterPid: c.postmasterPid, ...(c.problem ? { problem: c.problem } : {}) },
        },
        { redact: (text) => output.redactor.redact(text) },
      );
    } catch (error) {
      output.err(`restore-test: could not record the removal in ${reportDir}/audit.log.jsonl: ${(error as Error).message}`);
    }
  }
  return swept;
}

async function cleanupLocal(argv: Record<string, unknown>, output: Output): Promise<void> {
  const loaded = argv.config === undefined ? undefined : await loadConfigFor(argv, output);
  const swept = await removeAbandonedClusters(loaded?.config, loaded?.config.environment ?? 'unknown', output);
  for (const c of swept) output.out(`${c.removed ? 'removed' : 'failed'} ${c.dir}\n`);
  const failed = swept.filter((c) => !c.removed).length;
  output.out(`${swept.length - failed} abandoned throwaway cluster(s) removed${failed ? `, ${failed} failed` : ''}\n`);
  if (failed > 0) output.exitCode = 2;
}

async function cleanup(argv: Record<string, unknown>, { output }: CommandContext): Promise<void> {
  if (argv.local) return cleanupLocal(argv, output);
  if (argv.config === undefined) throw new UsageError('restore-test cleanup needs --config FILE', 'restorecheck restore-test cleanup --config restorecheck.yaml');
  const { config, configDir } = await loadConfigFor(argv, output);
  const gateways = new LiveGateways(config, configDir);
  try {
    const { deleted, kept, failed } = await cleanupExpiredRestores({ config, configDir, gateways, log: output.logger(), now: new Date() });
    for (const name of deleted) output.out(`deleted ${name}\n`);
    for (const name of kept) output.out(`kept ${name}\n`);
    for (const name of failed) output.out(`failed ${name}\n`);
    output.out(`${deleted.length} deleted, ${kept.length} kept${failed.length ? `, ${failed.length} failed` : ''}\n`);
    if (failed.length > 0) output.exitCode = 2;
  } finally {
    await gateways.close();
  }
}
