/**
 * A refused run leaves its trace too (issue 10): when a report-writing command stops with an error
 * (an unknown --only id, a refused restore, an invalid configuration, a busy lock…) and its report
 * directory is known, one `action: "refused"` line with the (redacted) error goes into that
 * directory's audit log. An auditor then sees that a run was attempted and why it produced no report,
 * instead of a silent gap in the monthly series.
 *
 * The directory is found the way reportRequest finds it: `--out-dir`, else (without --format) the
 * configuration's `report.dir`. A configuration that failed validation is still read as plain YAML
 * for `report.dir` and `environment`; one that cannot be read or parsed at all gives no directory.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { JsonValue } from '../vocabulary.js';
import { loadConfigFile } from '../config/load.js';
import { ConfigError, describeError, isRestorecheckError } from '../errors.js';
import { looksSecretName } from '../secrets/redact.js';
import { appendAuditEventLocked } from '../evidence/audit-log.js';
import { DirectoryLockedError, withDirectoryLock } from '../evidence/dir-lock.js';
import type { Output } from './io.js';

/** Where the refusal goes, and the environment to record. */
interface RefusalTarget {
  dir: string;
  environment: string;
}

type RawConfig = { environment?: unknown; report?: { dir?: unknown } };

/** Registers every secret a raw (unvalidated) configuration carries, so none reaches the log. */
function registerRawSecrets(value: unknown, output: Output, key = ''): void {
  if (typeof value === 'string') {
    output.redactor.addFromConnectionString(value);
    if (looksSecretName(key)) output.redactor.add(value);
  } else if (Array.isArray(value)) {
    for (const item of value) registerRawSecrets(item, output, key);
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) registerRawSecrets(v, output, k);
  }
}

/** report.dir and environment of a configuration file, validated if possible, else as plain YAML. */
async function fromConfig(path: string, output: Output): Promise<{ dir?: string; environment?: string }> {
  try {
    const { config, redactor } = await loadConfigFile(path, output.env);
    output.useRedactor(redactor);
    return { ...(config.report?.dir ? { dir: config.report.dir } : {}), environment: config.environment };
  } catch (error) {
    if (!(error instanceof ConfigError)) return {};
  }
  let raw: RawConfig;
  try {
    raw = (parseYaml(await readFile(path, 'utf8')) ?? {}) as RawConfig;
  } catch {
    return {}; // cannot be read or parsed at all: no report.dir to write to
  }
  registerRawSecrets(raw, output);
  const dir = raw.report?.dir;
  const environment = typeof raw.environment === 'string' && /^[A-Za-z0-9._-]+$/.test(raw.environment) ? raw.environment : undefined;
  // An uninterpolated ${VAR} is not a directory we may create.
  const usable = typeof dir === 'string' && dir.length > 0 && !dir.includes('${');
  return {
    ...(usable ? { dir: isAbsolute(dir) ? dir : resolve(dirname(resolve(path)), dir) } : {}),
    ...(environment ? { environment } : {}),
  };
}

async function refusalTarget(argv: Record<string, unknown>, output: Output): Promise<RefusalTarget | undefined> {
  const configPath = typeof argv.config === 'string' ? argv.config : undefined;
  const fromFile = configPath ? await fromConfig(configPath, output) : {};
  const outDir = typeof argv['out-dir'] === 'string' ? resolve(argv['out-dir']) : argv.format === undefined ? fromFile.dir : undefined;
  if (!outDir) return undefined;
  return { dir: outDir, environment: fromFile.environment ?? 'unknown' };
}

/**
 * Appends the refusal line; never throws (the refusal itself is what the user must see). A note on
 * stderr says where it was recorded, or why it could not be.
 */
export async function recordRefusal(command: string, argv: Record<string, unknown>, error: unknown, output: Output): Promise<void> {
  let target: RefusalTarget | undefined;
  try {
    target = await refusalTarget(argv, output);
  } catch {
    return;
  }
  if (!target) return;
  if (error instanceof DirectoryLockedError) {
    // Writing without the lock would fork the chain; waiting for it is what just failed.
    output.err(`note: the refusal is not recorded in ${target.dir}: the directory is locked`);
    return;
  }
  const details: Record<string, JsonValue> = { error: describeError(error) };
  if (isRestorecheckError(error)) details.hint = error.hint;
  if (error instanceof ConfigError) details.problems = error.problems;
  const redact = (text: string) => output.redactor.redact(text);
  try {
    await mkdir(target.dir, { recursive: true });
    await withDirectoryLock(
      target.dir,
      () =>
        appendAuditEventLocked(
          target.dir,
          { action: 'refused', command, environment: target.environment, outcome: 'refused', report: null, details },
          { redact },
        ),
      { timeoutMs: 10_000 },
    );
    output.err(`refusal recorded in ${target.dir}`);
  } catch (recordError) {
    output.err(`note: the refusal could not be recorded in ${target.dir}: ${describeError(recordError)}`);
  }
}
