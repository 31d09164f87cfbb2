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
import { RENDERED_FILE_NAME, REPORT_JSON_NAME, sha256Hex } from './report-chain.js';
import { type Signer, canonicalJson } from './signing.js';
import type { DirectorySnapshot } from './verify-chain.js';

/** The JSON reports (by contract name) with their exact bytes, and the audit log; for verify, the rendered files' hashes too. */
export async function readSnapshot(dir: string, options: { rendered?: boolean } = {}): Promise<DirectorySnapshot & { names: string[] }> {
  const names = (await readdir(dir)).sort();
  const reportNames = names.filter((name) => REPORT_JSON_NAME.test(name));
  const reports = await Promise.all(reportNames.map(async (name) => ({ name, bytes: await readFile(join(dir, name)) })));
  const tempFiles = names.filter((name) => name.startsWith(TEMP_FILE_PREFIX));
  const auditLog = (await readTextIfExists(join(dir, AUDIT_LOG_FILE))) ?? (await storeCopyAuditLog(dir));
  if (!options.rendered) return { reports, auditLog, tempFiles, names };
  const rendered = await Promise.all(
    names.filter((name) => RENDERED_FILE_NAME.test(name)).map(async (name) => ({ name, sha256: sha256Hex(await readFile(join(dir, name))) })),
  );
  return { reports, auditLog, tempFiles, rendered, names };
}

/**
 * The audit log of a copy of the report store (`az storage blob download-batch` of one prefix): one file per line,
 * `audit/<seq, 10 digits>.jsonl`, joined in seq order (evidence/report-store.ts writes them so). Null when there is none.
 * A missing seq is left to the chain check, which reports the broken link.
 */
async function storeCopyAuditLog(dir: string): Promise<string | null> {
  const names = await readdir(join(dir, 'audit')).catch(() => undefined);
  const lines = (names ?? []).filter((name) => /^\d{10}\.jsonl$/.test(name)).sort();
  if (lines.length === 0) return null;
  return (await Promise.all(lines.map((name) => readFile(join(dir, 'audit', name), 'utf8')))).join('');
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
  /** The result as written: with previousReportSha256, renderedFiles, signedBy (and signature). */
  result: RunResult;
  base: string;
  jsonPath: string;
  sha256: string;
  /** The rendered files written beside the JSON, in the order rendered. */
  renderedPaths: string[];
}

/** A format rendered from the report, to be written as `<base>.<extension>` beside the JSON. */
export interface RenderedFile {
  extension: string;
  data: string | Uint8Array;
}

export interface ChainOptions {
  /**
   * Renders the other formats from the result as it will be recorded (previousReportSha256 and signedBy set, not yet
   * renderedFiles nor signature, which cover these files): called under the lock, before the JSON is written.
   */
  render?: (chained: RunResult) => Promise<RenderedFile[]>;
  /** report.signingKey: the JSON report and its audit line are signed. */
  signer?: Signer;
}

/**
 * The JSON text of the record: redacted, and with a signer, signed. The signature covers the canonical
 * JSON of the redacted record (what the file holds) without `signature`, so verify rebuilds it from the file.
 */
function recordText(record: RunResult, redact: (text: string) => string, signer: Signer | undefined): string {
  const text = redact(jsonReporter.render(record, { color: false }));
  if (!signer) return text;
  const written = JSON.parse(text) as RunResult;
  return jsonReporter.render({ ...written, signature: signer.sign('report', canonicalJson(written)) }, { color: false });
}

/**
 * Writes a report into DIR's chain, all under the directory lock: picking the previous report, naming
 * the files, writing the rendered formats, then the JSON that records their SHA-256, then the audit
 * line, cannot interleave with another run's. The rendered files come first because the JSON (and its
 * signature) must cover them: an edited HTML then breaks `report verify`. When a later step fails (a
 * full disk), what this call wrote is removed again, so the directory keeps its old state.
 */
export async function writeChainedReport(
  dir: string,
  result: RunResult,
  base: string,
  redact: (text: string) => string,
  options: ChainOptions = {},
): Promise<ChainedReport> {
  const { signer } = options;
  return withDirectoryLock(dir, async () => {
    const snapshot = await readSnapshot(dir);
    const chained: RunResult = {
      ...result,
      previousReportSha256: chainHead(snapshot.auditLog, snapshot.reports),
      // null says it in the record itself: integrity only, not authenticity.
      signedBy: signer ? { algorithm: signer.algorithm, keyId: signer.keyId } : null,
    };
    const name = uniqueBaseName(base, result, snapshot.names);
    const jsonName = `${name}.${jsonReporter.extension}`;
    const jsonPath = join(dir, jsonName);
    const written: string[] = [];
    const undo = async () => {
      for (const path of written) await unlink(path).catch(() => undefined);
    };
    try {
      const renderedFiles: Record<string, string> = {};
      const renderedPaths: string[] = [];
      for (const file of (await options.render?.(chained)) ?? []) {
        const fileName = `${name}.${file.extension}`;
        const path = join(dir, fileName);
        // Atomic, like the JSON: a full disk leaves no half-written HTML or PDF.
        await writeFileAtomic(path, file.data, { exclusive: true });
        written.push(path);
        renderedPaths.push(path);
        renderedFiles[fileName] = sha256Hex(file.data);
      }
      const { signature: _ignored, ...unsigned } = chained;
      const record: RunResult = { ...unsigned, renderedFiles, signedBy: chained.signedBy };
      const bytes = recordText(record, redact, signer);
      // Atomic (temp file, fsync, link): a full disk leaves no partial report behind.
      await writeFileAtomic(jsonPath, bytes, { exclusive: true });
      written.push(jsonPath);
      const sha256 = sha256Hex(bytes);
      await appendAuditEventLocked(
        dir,
        {
          action: 'report',
          command: result.run.command,
          environment: result.run.environment,
          outcome: result.outcome,
          report: { file: jsonName, sha256 },
        },
        { redact, ...(signer ? { signer } : {}) },
      );
      return { result: JSON.parse(bytes) as RunResult, base: name, jsonPath, sha256, renderedPaths };
    } catch (error) {
      // A report its audit log does not know would be called inserted, a rendered file no JSON lists forged: remove them.
      await undo();
      throw error;
    }
  });
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
