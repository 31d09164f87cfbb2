/**
 * Selects checks, runs them concurrently with a per-check deadline and an overall deadline, and
 * returns one RunResult. A check that throws is `error` with its hint; a check whose inputs are
 * not configured is `skipped` with the reason. Nothing here prints, writes files or exits.
 */
import { randomUUID } from 'node:crypto';
import { type LocalText, asParam, fromParam, messages, text } from '../checks/messages.js';
import { type Check, type Finding, type Need, type RunContext, type RunInput, type RunInputs, fillRemediation } from '../checks/types.js';
import type { Config } from '../config/schema.js';
import { deadline, raceAbort } from '../deadline.js';
import { EvaluationError, UsageError, describeError } from '../errors.js';
import { type FleetResource, type JsonValue, type Logger, SILENT_LOGGER, type Severity } from '../vocabulary.js';
import { TOOL_VERSION } from '../version.js';
import { DEFAULT_MAX_EVIDENCE_BYTES, capEvidence } from './evidence-cap.js';
import type { Gateways } from './gateways.js';
import { type CheckResult, type Provenance, type RunResult, compareFindings, computeOutcome, summarise } from './result.js';

export interface RunOptions {
  command: string;
  checks: readonly Check[];
  config: Config;
  gateways: Gateways;
  /** What the run already knows and hands to the checks that use it: the archive pass, the restore outcome, stored reports. */
  inputs?: RunInputs;
  /** Run only these ids (validated against `checks`). */
  only?: readonly string[];
  failOn?: Severity;
  now?: () => Date;
  log?: Logger;
  /** Aborts the whole run (Ctrl-C). */
  signal?: AbortSignal;
  /** Deadlines for this run instead of `config.limits` (verify: one read of a large archive outlasts a check's usual deadline). */
  limits?: { checkTimeoutMs: number; runTimeoutMs: number };
  /**
   * When the command began, if before the checks (restore-test: before the restore was requested). run.startedAt and
   * run.durationMs then cover the whole command, not only the judging checks.
   */
  commandStart?: CommandStart;
  /** Who ran the command and on what (collectProvenance); written to the report as `provenance`. */
  provenance?: Provenance;
  /** Fleet mode: the discovered resource the checks judge (their context's fleetResource). */
  fleetResource?: FleetResource;
}

/** A command's start: the wall-clock instant, and the monotonic clock (performance.now()) at the same moment. */
export interface CommandStart {
  at: Date;
  perfMs: number;
}

export function commandStartNow(): CommandStart {
  return { at: new Date(), perfMs: performance.now() };
}

/**
 * The runner's own sentences (skip reasons, deadlines), in both languages. The reason of an EvaluationError comes from a
 * gateway, Azure or PostgreSQL and stays English inside the French sentence.
 */
const t = messages('runner', {
  // The reason is a check's notApplicable: its own catalog text (rendered in the language), or a plain English string.
  skipped: text<{ reason: JsonValue }>(
    (p) => `Not evaluated: ${fromParam(p.reason, 'en')}.`,
    (p) => `Non évalué : ${fromParam(p.reason, 'fr')}.`,
  ),
  noDatabase: text(
    () => 'Not evaluated: no database section in the configuration.',
    () => 'Non évalué : la configuration n’a pas de section database.',
  ),
  noAzurePostgres: text(
    () => 'Not evaluated: no azure.postgres section in the configuration.',
    () => 'Non évalué : la configuration n’a pas de section azure.postgres.',
  ),
  noAzureStorage: text(
    () => 'Not evaluated: no azure.storage section in the configuration.',
    () => 'Non évalué : la configuration n’a pas de section azure.storage.',
  ),
  noArchive: text(
    () => 'Not evaluated: no archive to verify.',
    () => 'Non évalué : aucune archive à vérifier.',
  ),
  interrupted: text(
    () => 'Not evaluated: the run was interrupted.',
    () => 'Non évalué : l’exécution a été interrompue.',
  ),
  checkDeadline: text<{ seconds: number }>(
    (p) => `Not evaluated: the check did not finish within its deadline: the check deadline of ${p.seconds} s (limits.checkTimeoutMs) was reached.`,
    (p) => `Non évalué : le contrôle ne s’est pas terminé dans son délai : le délai par contrôle de ${p.seconds} s (limits.checkTimeoutMs) a été atteint.`,
  ),
  runDeadline: text<{ seconds: number }>(
    (p) => `Not evaluated: the check did not finish within the run: the run deadline of ${p.seconds} s (limits.runTimeoutMs) was reached.`,
    (p) => `Non évalué : le contrôle ne s’est pas terminé pendant l’exécution : le délai d’exécution de ${p.seconds} s (limits.runTimeoutMs) a été atteint.`,
  ),
  notEvaluated: text<{ reason: string }>(
    (p) => `Not evaluated: ${p.reason}.`.replace(/\.\.$/, '.'),
    (p) => `Non évalué : ${p.reason}.`.replace(/\.\.$/, '.'),
  ),
  unexpected: text<{ reason: string }>(
    (p) => `Not evaluated: unexpected error: ${p.reason}.`,
    (p) => `Non évalué : erreur inattendue : ${p.reason}.`,
  ),
});

const NEED_TEXT: Record<Need, () => LocalText> = {
  database: () => t.noDatabase({}),
  azurePostgres: () => t.noAzurePostgres({}),
  azureStorage: () => t.noAzureStorage({}),
  archive: () => t.noArchive({}),
};

/** A message as the report stores it: the English, and the key and parameters that render it in another language. */
function messageFields(message: Finding['message']): { message: string; messageKey?: string; messageParams?: LocalText['params'] } {
  return typeof message === 'string' ? { message } : { message: message.en, messageKey: message.key, messageParams: message.params };
}

/** Throws UsageError when `only` names an id that is not a check of this command. */
export function selectChecks(checks: readonly Check[], only: readonly string[] | undefined): Check[] {
  if (!only || only.length === 0) return [...checks];
  const known = new Set(checks.map((c) => c.id));
  const unknown = only.filter((id) => !known.has(id));
  if (unknown.length > 0) {
    throw new UsageError(
      `--only: unknown check id ${unknown.map((id) => `"${id}"`).join(', ')}`,
      `valid ids: ${[...known].sort().join(', ')} (restorecheck list-checks)`,
    );
  }
  const wanted = new Set(only);
  return checks.filter((c) => wanted.has(c.id));
}

export function missingNeed(need: Need, config: Config, inputs?: RunInputs): string | undefined {
  switch (need) {
    case 'database':
      return config.database ? undefined : 'no database section in the configuration';
    case 'azurePostgres':
      return config.azure?.postgres ? undefined : 'no azure.postgres section in the configuration';
    case 'azureStorage':
      return config.azure?.storage ? undefined : 'no azure.storage section in the configuration';
    case 'archive':
      return inputs?.archive ? undefined : 'no archive to verify';
  }
}

/** A run input the check uses but this run did not produce: a misuse of the check (it belongs to another command), so `error`. */
function missingInput(input: RunInput, inputs: RunInputs | undefined): EvaluationError | undefined {
  switch (input) {
    case 'restore':
      return inputs?.restore
        ? undefined
        : new EvaluationError('internal', 'this run made no restore test', 'restore-* checks run only under `restorecheck restore-test`');
    case 'backup':
      return inputs?.backup ? undefined : new EvaluationError('internal', 'this run made no backup', 'backup-* checks run only under `restorecheck backup`');
    case 'inPlace':
      return inputs?.inPlace ? undefined : new EvaluationError('internal', 'this run made no restore', 'these checks run only under `restorecheck restore`');
    case 'blobDrill':
      return inputs?.blobDrill
        ? undefined
        : new EvaluationError(
            'internal',
            'this run made no blob recovery drill',
            'blob-recovery-drill runs under `restorecheck restore-test` with azure.storage.drill',
          );
    case 'storedReports':
      return inputs?.storedReports
        ? undefined
        : new EvaluationError('internal', 'this run did not read the report directory', 'this check runs under `restorecheck check`');
  }
}

export async function runChecks(options: RunOptions): Promise<RunResult> {
  const now = options.now ?? (() => new Date());
  const log = options.log ?? SILENT_LOGGER;
  const failOn = options.failOn ?? options.config.report?.failOn ?? 'low';
  const selected = selectChecks(options.checks, options.only);
  const started = options.commandStart?.at ?? now();
  const startedMs = options.commandStart?.perfMs ?? performance.now();
  const limits = options.limits ?? options.config.limits;

  const runDeadline = deadline(limits.runTimeoutMs);
  const runSignal = options.signal ? AbortSignal.any([options.signal, runDeadline.signal]) : runDeadline.signal;

  let results: CheckResult[];
  try {
    results = await Promise.all(selected.map((check) => runOne(check, { ...options, now, log }, runSignal, limits.checkTimeoutMs, limits.runTimeoutMs)));
  } finally {
    runDeadline.clear();
  }
  results.sort(compareFindings);
  const finished = now();
  return {
    schemaVersion: 1,
    tool: { name: 'restorecheck', version: TOOL_VERSION },
    run: {
      id: randomUUID(),
      command: options.command,
      environment: options.config.environment,
      startedAt: started.toISOString(),
      finishedAt: finished.toISOString(),
      durationMs: Math.round(performance.now() - startedMs),
      failOn,
    },
    checks: results,
    summary: summarise(results),
    outcome: computeOutcome(results, failOn),
    ...(options.provenance ? { provenance: options.provenance } : {}),
  };
}

async function runOne(
  check: Check,
  options: RunOptions & { now: () => Date; log: Logger },
  runSignal: AbortSignal,
  checkTimeoutMs: number,
  runTimeoutMs: number,
): Promise<CheckResult> {
  // The remediation with the names of this run filled in (resource group, server, days…), and the values used, so
  // that a reporter can fill the French text the same way.
  const slots = check.slots ? Object.fromEntries(Object.entries(check.slots(options.config)).filter(([, v]) => v !== undefined)) : undefined;
  const slotFields = slots && Object.keys(slots).length > 0 ? { remediationParams: slots as Record<string, string | number> } : {};
  // Keys in the order of contract.md's example, so that a report reads top-down.
  const make = (fields: Pick<CheckResult, 'status' | 'message' | 'evidence' | 'durationMs'> & Partial<CheckResult>): CheckResult => {
    const { status, message, evidence, durationMs, ...rest } = fields;
    return {
      id: check.id,
      title: check.title,
      status,
      severity: check.severity,
      message,
      evidence,
      remediation: fillRemediation(check.remediation, slots),
      controls: check.controls,
      durationMs,
      ...slotFields,
      ...rest,
    };
  };
  const t0 = performance.now();
  const elapsed = () => Math.round(performance.now() - t0);

  const missingNeedOf = check.needs.find((need) => missingNeed(need, options.config, options.inputs));
  const notApplicable = missingNeedOf ? undefined : check.notApplicable?.(options.config);
  const skipText = missingNeedOf ? NEED_TEXT[missingNeedOf]() : notApplicable ? t.skipped({ reason: asParam(notApplicable) }) : undefined;
  if (skipText) {
    return make({ status: 'skipped', ...messageFields(skipText), evidence: {}, durationMs: 0 });
  }

  const checkDeadline = deadline(checkTimeoutMs);
  const signal = AbortSignal.any([runSignal, checkDeadline.signal]);
  // The declared needs are present (checked above) and the used inputs given (checked below): the check's typed context holds.
  const ctx: RunContext = {
    ...options.inputs,
    config: options.config,
    gateways: options.gateways,
    now: options.now,
    signal,
    log: options.log,
    ...(options.fleetResource ? { fleetResource: options.fleetResource } : {}),
  };
  options.log.debug(`${check.id}: started`);
  try {
    const missing = (check.uses ?? []).map((input) => missingInput(input, options.inputs)).find(Boolean);
    if (missing) throw missing;
    const finding = await raceAbort(check.run(ctx), signal);
    options.log.debug(`${check.id}: ${finding.status} in ${elapsed()} ms`);
    // The report holds at most report.maxEvidenceBytes of it, and says when it was cut.
    const capped = capEvidence(finding.evidence ?? {}, options.config.report?.maxEvidenceBytes ?? DEFAULT_MAX_EVIDENCE_BYTES);
    // A finding's own remediation (the fix for what was observed) replaces the check's general one.
    const own = finding.remediation
      ? { remediation: finding.remediation.en, remediationKey: finding.remediation.key, remediationParams: finding.remediation.params }
      : {};
    return make({
      status: finding.status,
      ...messageFields(finding.message),
      evidence: capped.evidence,
      durationMs: elapsed(),
      ...own,
      ...(capped.truncatedFrom === undefined ? {} : { evidenceTruncated: true as const, evidenceOriginalBytes: capped.truncatedFrom }),
    });
  } catch (error) {
    const result = make({ status: 'error', message: '', evidence: {}, durationMs: elapsed() });
    // A deadline of the check or the run is named as such, even when a gateway had already turned the abort into its own
    // "no answer within <request timeout>" (which would name the wrong limit).
    if (signal.aborted && (!(error instanceof EvaluationError) || error.kind === 'timeout')) {
      const byCheck = checkDeadline.signal.aborted;
      const userAbort = options.signal?.aborted;
      Object.assign(
        result,
        messageFields(
          userAbort
            ? t.interrupted({})
            : byCheck
              ? t.checkDeadline({ seconds: Math.round(checkTimeoutMs / 1000) })
              : t.runDeadline({ seconds: Math.round(runTimeoutMs / 1000) }),
        ),
      );
      result.errorKind = 'timeout';
      result.hint = userAbort ? 'run the command again' : 'raise limits.checkTimeoutMs / limits.runTimeoutMs, or find out what is slow';
    } else if (error instanceof EvaluationError) {
      Object.assign(result, messageFields(t.notEvaluated({ reason: error.message })));
      result.errorKind = error.kind;
      result.hint = error.hint;
      if (error.requestId) result.requestId = error.requestId;
      if (error.evidence) {
        const capped = capEvidence(error.evidence, options.config.report?.maxEvidenceBytes ?? DEFAULT_MAX_EVIDENCE_BYTES);
        result.evidence = capped.evidence;
        if (capped.truncatedFrom !== undefined) Object.assign(result, { evidenceTruncated: true as const, evidenceOriginalBytes: capped.truncatedFrom });
      }
    } else {
      Object.assign(result, messageFields(t.unexpected({ reason: describeError(error) })));
      result.errorKind = 'internal';
      result.hint = 'this is a bug in restorecheck: please report it with RESTORECHECK_DEBUG=1 output';
      if (process.env.RESTORECHECK_DEBUG) options.log.info(`${check.id}: ${(error as Error)?.stack ?? String(error)}`);
    }
    options.log.debug(`${check.id}: error in ${elapsed()} ms: ${result.message}`);
    return result;
  } finally {
    checkDeadline.clear();
  }
}
