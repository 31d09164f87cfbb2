/**
 * A report directory on disk: writing a report into its chain (under the directory lock), reading
 * what `report verify` checks (the snapshot), the stored reports (for restore-test-freshness, through
 * the gateways), and the earlier reports the HTML trend charts are drawn from.
 */
import { readFile, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { jsonReporter } from '../report/json.js';
import { parseReport } from '../report/report-schema.js';
import type { RunResult } from '../run/result.js';
import { AUDIT_LOG_FILE, appendAuditEventLocked, chainHead, readTextIfExists, recordedReportHashes } from './audit-log.js';
import { TEMP_FILE_PREFIX, writeFileAtomic } from './atomic-write.js';
import { withDirectoryLock } from './dir-lock.js';
import { REPORT_JSON_NAME, sha256Hex } from './report-chain.js';
import type { DirectorySnapshot } from './verify-chain.js';

/** The JSON reports (by contract name) with their exact bytes, and the audit log. */
export async function readSnapshot(dir: string): Promise<DirectorySnapshot & { names: string[] }> {
  const names = (await readdir(dir)).sort();
  const reportNames = names.filter((name) => REPORT_JSON_NAME.test(name));
  const reports = await Promise.all(reportNames.map(async (name) => ({ name, bytes: await readFile(join(dir, name)) })));
  const tempFiles = names.filter((name) => name.startsWith(TEMP_FILE_PREFIX));
  return { reports, auditLog: await readTextIfExists(join(dir, AUDIT_LOG_FILE)), tempFiles, names };
}

/**
 * `base` as given, or (taken by a run that started in the same second) with milliseconds, moved on
 * a millisecond at a time if need be: names stay unique and sort in time order.
 */
function uniqueBaseName(base: string, result: RunResult, taken: readonly string[]): string {
  const isTaken = (candidate: string) => taken.some((name) => name.startsWith(`${candidate}.`));
  if (!isTaken(base)) return base;
  const suffix = `-${result.run.environment}-${result.run.command}`;
  for (let ms = Date.parse(result.run.startedAt); ; ms++) {
    const stamp = new Date(ms).toISOString().replace(/[-:]/g, '');
    if (!isTaken(`${stamp}${suffix}`)) return `${stamp}${suffix}`;
  }
}

export interface ChainedReport {
  /** The result as written: with previousReportSha256. */
  result: RunResult;
  base: string;
  jsonPath: string;
  sha256: string;
}

/**
 * Writes the JSON report into DIR's chain and records it in the audit log, all under the directory
 * lock: picking the previous report, naming the file and appending the log line cannot interleave
 * with another run's.
 */
export async function writeChainedReport(dir: string, result: RunResult, base: string, redact: (text: string) => string): Promise<ChainedReport> {
  return withDirectoryLock(dir, async () => {
    const snapshot = await readSnapshot(dir);
    const chained: RunResult = { ...result, previousReportSha256: chainHead(snapshot.auditLog, snapshot.reports) };
    const name = uniqueBaseName(base, result, snapshot.names);
    const jsonPath = join(dir, `${name}.${jsonReporter.extension}`);
    const bytes = redact(jsonReporter.render(chained, { color: false }));
    // Atomic (temp file, fsync, link): a full disk leaves no partial report behind.
    await writeFileAtomic(jsonPath, bytes, { exclusive: true });
    const sha256 = sha256Hex(bytes);
    await recordOrUndo(jsonPath, () =>
      appendAuditEventLocked(
        dir,
        {
          action: 'report',
          command: result.run.command,
          environment: result.run.environment,
          outcome: result.outcome,
          report: { file: `${name}.${jsonReporter.extension}`, sha256 },
        },
        { redact },
      ),
    );
    return { result: chained, base: name, jsonPath, sha256 };
  });
}

/**
 * Records the report just written; when that fails (a full disk, typically), removes the report again,
 * so that the directory keeps its old state instead of holding a report its audit log does not know
 * (which verify would rightly call inserted).
 */
async function recordOrUndo<T>(reportPath: string, record: () => Promise<T>): Promise<T> {
  try {
    return await record();
  } catch (error) {
    await unlink(reportPath).catch(() => undefined);
    throw error;
  }
}

/** `recorded`: an audit line names the file with its hash; `not-recorded`: none names it; `hash-differs`: edited since. */
export type AuditStanding = 'recorded' | 'not-recorded' | 'hash-differs';

export interface StoredReport {
  name: string;
  report: RunResult;
  audit: AuditStanding;
}

/**
 * Every valid report in `dir`, oldest first; an absent directory has none. Files that are not valid
 * reports are left out: stored reports are a view, `report verify` is the judge. Each report says
 * whether the audit log records it with the same hash: freshness counts only those (a copied or
 * edited report file proves nothing).
 */
export async function readStoredReports(dir: string): Promise<StoredReport[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((name) => REPORT_JSON_NAME.test(name));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  // No log (a directory from before the log, or tampered with): nothing is recorded.
  const recorded = recordedReportHashes(await readTextIfExists(join(dir, AUDIT_LOG_FILE)));
  const stored: StoredReport[] = [];
  for (const name of names) {
    // The hash is of the exact bytes, as the audit line recorded them.
    const bytes = await readFile(join(dir, name));
    const parsed = parseReport(bytes.toString('utf8'));
    if (!parsed.ok) continue;
    const expected = recorded.get(name);
    const audit: AuditStanding = expected === undefined ? 'not-recorded' : expected === sha256Hex(bytes) ? 'recorded' : 'hash-differs';
    stored.push({ name, report: parsed.report, audit });
  }
  return stored.sort((a, b) => (a.report.run.startedAt < b.report.run.startedAt ? -1 : a.report.run.startedAt > b.report.run.startedAt ? 1 : 0));
}

/**
 * The earlier reports of the same environment in `dir` (oldest first), for the trend charts.
 */
export async function loadHistory(dir: string, current: RunResult): Promise<RunResult[]> {
  let stored: StoredReport[];
  try {
    stored = await readStoredReports(dir);
  } catch {
    return [];
  }
  return stored
    .map((s) => s.report)
    .filter(({ run }) => run.id !== current.run.id && run.environment === current.run.environment && run.startedAt <= current.run.startedAt);
}
