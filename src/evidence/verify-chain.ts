/**
 * Tamper evidence for a report directory, as a pure function (`report verify`; report-directory.ts reads the files).
 * Two independent witnesses:
 *
 *  - the report chain (report-chain.ts): every JSON report records `previousReportSha256`, the
 *    SHA-256 of the JSON report written before it in the same directory (null for the first);
 *  - the audit log (audit-log.ts): one JSON line per event, each holding the SHA-256 of the line
 *    before it, and for a report its file name and SHA-256.
 *
 * Editing, removing, inserting or reordering a report breaks the report chain or disagrees with the
 * log, and editing or removing a log line breaks the log chain or leaves a report unrecorded.
 * Truncating both tails together cannot be seen from inside the directory: `report verify` prints
 * the head hashes so they can be kept elsewhere (CI logs, a ticket).
 *
 * A torn write is not tampering: restorecheck writes through a temp file (TEMP_FILE_PREFIX) and a
 * rename, so a crash or a full disk can leave a temp file, and an older version (or a copy made by
 * hand) can leave a report cut short. A report that is not even JSON and that no audit line records
 * is such a write; it is reported apart (`tornWrites`) and kept out of the chain. A report the audit
 * log recorded is judged by its recorded hash whatever its state: that one is tampering.
 */
import { parseReport } from '../report/report-schema.js';
import { checkAuditLog, recordedReportHashes } from './audit-log.js';
import { type ChainProblem, type ReportFile, byReportTime, followReportChain, sha256Hex } from './report-chain.js';

/** The message of a torn write; the CLI adds what to remove. */
export const TORN_WRITE = 'is a torn write (an interrupted or disk-full write), not tampering';

export interface DirectorySnapshot {
  /** The JSON reports (files named like REPORT_JSON_NAME) and their exact bytes. */
  reports: Array<{ name: string; bytes: Uint8Array }>;
  /** The audit log's text, or null when there is none. */
  auditLog: string | null;
  /** Names of leftover temp files (TEMP_FILE_PREFIX…) in the directory. */
  tempFiles?: string[];
}

export interface ChainVerification {
  ok: boolean;
  /** The reports in chain order (as far as the chain could be followed), then any left over, by name. */
  reports: Array<{ name: string; sha256: string; startedAt?: string; outcome?: string }>;
  auditLines: number;
  /** Problems, the first broken link first: reports in time order (by name), then audit lines in order. */
  problems: ChainProblem[];
  /** Torn writes (leftover temp files, unrecorded reports that are not JSON): not tampering, but to be removed. */
  tornWrites: ChainProblem[];
  /** SHA-256 of the newest report in the chain and of the last audit line: keep them elsewhere to anchor the chain. */
  reportHeadSha256: string | null;
  auditHeadSha256: string | null;
}

/** True when the bytes are not JSON at all: what a write cut short leaves (an edit leaves JSON, or the hash tells). */
function notJson(bytes: Uint8Array): boolean {
  try {
    JSON.parse(Buffer.from(bytes).toString('utf8'));
    return false;
  } catch {
    return true;
  }
}

export function verifyChain(snapshot: DirectorySnapshot): ChainVerification {
  // Torn writes first: they stay out of both halves.
  const recordedFiles = new Set(recordedReportHashes(snapshot.auditLog).keys());
  const tornWrites: ChainProblem[] = (snapshot.tempFiles ?? []).map((name) => ({ subject: name, message: TORN_WRITE }));
  const torn = snapshot.reports.filter((file) => !recordedFiles.has(file.name) && notJson(file.bytes));
  tornWrites.push(...torn.map((file) => ({ subject: file.name, message: TORN_WRITE })));
  tornWrites.sort((a, b) => byReportTime(a.subject, b.subject));
  const reports: ReportFile[] = snapshot.reports
    .filter((file) => !torn.includes(file))
    .sort((a, b) => byReportTime(a.name, b.name))
    .map((file) => ({ name: file.name, sha256: sha256Hex(file.bytes), parsed: parseReport(Buffer.from(file.bytes).toString('utf8')) }));

  // 1. The report chain, followed by content. 2. The audit log: its own chain, then what it says about each report.
  const chain = followReportChain(reports);
  const log = checkAuditLog(snapshot.auditLog, reports);

  // A report's problems together (the chain's first, then the log's), reports in time order, then the log's own lines.
  const byReport = new Map<string, string[]>();
  for (const { subject, message } of [...chain.problems, ...log.reportProblems]) byReport.set(subject, [...(byReport.get(subject) ?? []), message]);
  const problems: ChainProblem[] = [
    ...[...byReport.keys()].sort(byReportTime).flatMap((name) => byReport.get(name)!.map((message) => ({ subject: name, message }))),
    ...log.lineProblems,
  ];
  const { order } = chain;
  const listed = [...order, ...reports.filter((r) => !order.includes(r))];
  return {
    ok: problems.length === 0,
    reports: listed.map((r) => ({
      name: r.name,
      sha256: r.sha256,
      ...(r.parsed.ok ? { startedAt: r.parsed.report.run.startedAt, outcome: r.parsed.report.outcome } : {}),
    })),
    auditLines: log.lines,
    problems,
    tornWrites,
    reportHeadSha256: order.length > 0 ? order[order.length - 1]!.sha256 : null,
    auditHeadSha256: log.headSha256,
  };
}
