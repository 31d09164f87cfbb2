/**
 * `restorecheck restore --config FILE --environment ENV [ARCHIVE | latest]`: the in-place restore of a self-hosted
 * stack (run/restore.ts), with restore-backup.sh's guard rails: production needs the phrase `RESTORE PRODUCTION`
 * (typed on a terminal, or `--confirm` with `--reason` in CI), dev and staging a 5-second countdown that Ctrl-C
 * cancels (or `--yes`). It reports like every command, and records one audit line: who, why, which archive (its
 * hash), the safety backup, each step's time and the health.
 */
import { createInterface } from 'node:readline';
import type { Config } from '../../config/schema.js';
import { UsageError } from '../../errors.js';
import { appendAuditEvent } from '../../evidence/audit-log.js';
import { auditSigning } from '../../evidence/signing.js';
import type { InPlaceOutcome } from '../../restore/in-place-outcome.js';
import { backupDirOf } from '../../run/backup.js';
import { collectProvenance } from '../../run/provenance.js';
import { type RestorePlan, runRestore } from '../../run/restore.js';
import { exitCodeFor } from '../../run/result.js';
import { commandStartNow } from '../../run/runner.js';
import type { JsonValue } from '../../vocabulary.js';
import { defineCommand } from '../command.js';
import type { Output } from '../io.js';
import { emitReports } from '../report-files.js';
import { withReportStore } from '../report-store-sync.js';
import { loadConfigFor, reportRequest, withConfigOption, withReportOptions } from '../shared-options.js';

export const PRODUCTION_PHRASE = 'RESTORE PRODUCTION';
const COUNTDOWN_SECONDS = 5;

/** A person at a terminal: stdin and stderr both terminals, and not a CI job. */
function atTerminal(env: NodeJS.ProcessEnv): boolean {
  return Boolean(process.stdin.isTTY && process.stderr.isTTY) && env.CI !== 'true' && env.CI !== '1';
}

function describePlan(plan: RestorePlan): string {
  return (
    `restore: about to overwrite ${plan.components.join(', ')} of ${plan.environment} with ${plan.archive.fileName} ` +
    `(${plan.archive.environment}, ${plan.archive.timestamp ?? 'no timestamp'}, SHA-256 ${plan.archive.sha256.slice(0, 16)}…)` +
    (plan.safetyBackup ? ', after a safety backup of their current state' : ', WITHOUT a safety backup (--no-safety-backup)')
  );
}

async function readLine(prompt: string, output: Output, signal: AbortSignal): Promise<string | undefined> {
  output.err(prompt.trimEnd());
  const lines = createInterface({ input: process.stdin, terminal: false, crlfDelay: Number.POSITIVE_INFINITY });
  try {
    return await new Promise<string | undefined>((resolve) => {
      lines.once('line', (line) => resolve(line));
      lines.once('close', () => resolve(undefined));
      signal.addEventListener('abort', () => resolve(undefined), { once: true });
    });
  } finally {
    lines.close();
  }
}

interface ConfirmArgs {
  confirm?: string | undefined;
  reason?: string | undefined;
  yes: boolean;
}

/** The guard rail of restore-backup.sh, refusing with exit 2 (nothing changed) when it is not met. */
export function confirmation(args: ConfirmArgs, output: Output, signal: AbortSignal) {
  return async (plan: RestorePlan): Promise<InPlaceOutcome['confirmation']> => {
    output.err(describePlan(plan));
    const terminal = atTerminal(output.env);
    if (plan.production) {
      if (args.confirm !== undefined) {
        if (args.confirm !== PRODUCTION_PHRASE) {
          throw new UsageError(
            `--confirm "${args.confirm}" is not the phrase: nothing was restored`,
            `to restore production, pass --confirm "${PRODUCTION_PHRASE}" exactly (and --reason "…")`,
          );
        }
        if (!terminal && !args.reason?.trim()) {
          throw new UsageError(
            'a production restore without a terminal needs --reason: nothing was restored',
            'add --reason "why" (it goes into the report and the audit log)',
          );
        }
        return 'flag';
      }
      if (!terminal) {
        throw new UsageError(
          'a production restore needs confirmation, and there is no terminal to type it on: nothing was restored',
          `in CI, pass --confirm "${PRODUCTION_PHRASE}" and --reason "…"`,
        );
      }
      const typed = await readLine(`Type ${PRODUCTION_PHRASE} to go on (anything else cancels):`, output, signal);
      if (typed?.trim() !== PRODUCTION_PHRASE)
        throw new UsageError('not confirmed: nothing was restored', `type ${PRODUCTION_PHRASE} exactly to restore production`);
      return 'typed';
    }
    if (args.yes) return 'yes';
    output.err(`restore: starting in ${COUNTDOWN_SECONDS} s; Ctrl-C cancels (--yes skips this wait)`);
    for (let left = COUNTDOWN_SECONDS; left > 0; left--) {
      if (signal.aborted) break;
      output.err(`restore: ${left}…`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 1000);
        signal.addEventListener(
          'abort',
          () => {
            clearTimeout(timer);
            resolve();
          },
          { once: true },
        );
      });
    }
    if (signal.aborted) throw new UsageError('cancelled during the countdown: nothing was restored', 'run the restore again when you mean it (or with --yes)');
    return 'countdown';
  };
}

function shellQuote(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, "'\\''")}'`;
}

export const restoreCommand = defineCommand({
  builder: (yargs) =>
    withReportOptions(withConfigOption(yargs, true))
      .positional('archive', {
        type: 'string',
        default: 'latest',
        describe: 'the .tar.gz archive, or `latest` (the newest of the environment in selfHosted.backupDir)',
      })
      .option('environment', { type: 'string', demandOption: true, requiresArg: true, describe: 'the environment restored into (dev, staging, production…)' })
      .option('from-environment', {
        type: 'string',
        requiresArg: true,
        describe: 'restore an archive of another environment, on purpose (e.g. staging into dev)',
      })
      .option('confirm', { type: 'string', requiresArg: true, describe: `production without a terminal: the phrase "${PRODUCTION_PHRASE}"` })
      .option('reason', { type: 'string', requiresArg: true, describe: 'why (required for production without a terminal): into the report and the audit log' })
      .option('yes', { type: 'boolean', default: false, describe: 'dev and staging: skip the 5-second countdown (never enough for production)' })
      .option('safety-backup', {
        type: 'boolean',
        default: true,
        describe: 'back up the current state first (--no-safety-backup only when it is known garbage; recorded)',
      }),
  async run(argv, { output, signal }) {
    const commandStart = commandStartNow();
    output.verbose = argv.verbose;
    const loaded = await loadConfigFor(argv.config, output);
    const environment = argv.environment;
    if (!/^[A-Za-z0-9.-]+$/.test(environment)) {
      throw new UsageError(`--environment ${environment}: must be letters, digits, dot or dash`, 'use the environment name of the archives, e.g. production');
    }
    if (argv.fromEnvironment !== undefined && !/^[A-Za-z0-9.-]+$/.test(argv.fromEnvironment)) {
      throw new UsageError(
        `--from-environment ${argv.fromEnvironment}: must be letters, digits, dot or dash`,
        'use the environment name of the archive, e.g. staging',
      );
    }
    const config: Config = { ...loaded.config, environment };
    const selfHosted = config.selfHosted;
    if (!selfHosted) {
      throw new UsageError(
        `${argv.config}: no selfHosted section`,
        'add selfHosted (name, backupDir, sources) to the configuration: see the README, "Restoring a self-hosted stack"',
      );
    }
    const request = withReportStore(reportRequest(argv, config), config, output);
    await request.store?.ensurePulled();
    const provenance = collectProvenance({ cwd: process.cwd(), env: output.env, config });
    const undo = (safety: string) =>
      [
        'restorecheck restore',
        `--config ${shellQuote(argv.config)}`,
        `--environment ${environment}`,
        shellQuote(safety),
        ...(/^prod(uction)?$/i.test(environment) ? [`--confirm "${PRODUCTION_PHRASE}"`, '--reason "undo a restore"'] : ['--yes']),
      ].join(' ');
    const { result, outcome } = await runRestore({
      config,
      archive: argv.archive ?? 'latest',
      fromEnvironment: argv.fromEnvironment,
      reason: argv.reason,
      safetyBackup: argv.safetyBackup,
      confirm: confirmation({ confirm: argv.confirm, reason: argv.reason, yes: argv.yes }, output, signal),
      undoCommand: undo,
      only: argv.only,
      failOn: argv['fail-on'],
      log: output.logger(),
      signal,
      commandStart,
      provenance,
    });

    const auditDir = config.report?.dir ?? backupDirOf(selfHosted);
    const audit = { redact: (text: string) => output.redactor.redact(text), ...auditSigning(config.report?.signingKey ?? selfHosted.signingKey) };
    await appendAuditEvent(
      auditDir,
      { action: 'restore', command: 'restore', environment, outcome: result.outcome, details: auditDetails(outcome, provenance) },
      audit,
    );

    // What was and was not restored, and the way back, on stderr whatever the report format.
    for (const [name, c] of Object.entries(outcome.components)) {
      output.err(`restore: ${name}: ${c.state}${c.failure ? ` (${c.failure.message})` : c.reason ? ` (${c.reason})` : ''}`);
    }
    if (outcome.undoCommand) output.err(`restore: to undo it, restore the safety backup: ${outcome.undoCommand}`);
    output.err(`restore: ${outcome.totalSeconds} s in all (RTO ${outcome.rtoMinutes} min)`);
    await emitReports(result, request, output);
    output.exitCode = outcome.interrupted ? 2 : exitCodeFor(result.outcome);
  },
});

function auditDetails(outcome: InPlaceOutcome, provenance: ReturnType<typeof collectProvenance>): Record<string, JsonValue> {
  return {
    archive: outcome.archive.path,
    sha256: outcome.archive.sha256,
    archiveEnvironment: outcome.archive.environment,
    fromEnvironment: outcome.fromEnvironment ?? null,
    reason: outcome.reason,
    confirmation: outcome.confirmation,
    osUser: provenance.who?.osUser ?? null,
    ciActor: provenance.who?.ci?.actor ?? null,
    ciRunUrl: provenance.who?.ci?.runUrl ?? null,
    safetyBackup:
      outcome.safetyBackup.state === 'taken'
        ? { archive: outcome.safetyBackup.path, sha256: outcome.safetyBackup.sha256, sizeBytes: outcome.safetyBackup.sizeBytes }
        : { skipped: outcome.safetyBackup.why },
    components: Object.fromEntries(Object.entries(outcome.components).map(([name, c]) => [name, c.state])),
    steps: outcome.steps.map((s) => ({ name: s.name, seconds: s.seconds, ok: s.ok })),
    health: outcome.health.url ? { url: outcome.health.url.url, status: outcome.health.url.status, ok: outcome.health.url.ok } : null,
    interrupted: outcome.interrupted,
    totalSeconds: outcome.totalSeconds,
    rtoMinutes: outcome.rtoMinutes,
    rtoMet: outcome.totalSeconds <= outcome.rtoMinutes * 60,
  };
}
