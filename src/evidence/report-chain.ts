/**
 * Tamper evidence for a report directory, as pure functions (the CLI reads and writes the files):
 *
 *  - the report chain: every JSON report records `previousReportSha256`, the SHA-256 of the JSON
 *    report written before it in the same directory (null for the first);
 *  - the audit log (`audit.log.jsonl`): one JSON line per event (a report written, or another
 *    command's action such as a retention deletion), each holding the SHA-256 of the line before it,
 *    and for a report its file name and SHA-256.
 *
 * The two are independent witnesses: editing, removing, inserting or reordering a report breaks the
 * report chain or disagrees with the log, and editing or removing a log line breaks the log chain or
 * leaves a report unrecorded. Truncating both tails together cannot be seen from inside the
 * directory: `report verify` prints the head hashes so they can be kept elsewhere (CI logs, a ticket).
 *
 * A torn write is not tampering: restorecheck writes through a temp file (TEMP_FILE_PREFIX) and a
 * rename, so a crash or a full disk can leave a temp file, and an older version (or a copy made by
 * hand) can leave a report cut short. A report that is not even JSON and that no audit line records
 * is such a write; it is reported apart (`tornWrites`) and kept out of the chain. A report the audit
 * log recorded is judged by its recorded hash whatever its state: that one is tampering.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { JsonValue } from '../checks/types.js';
import { jsonValueSchema, parseReport } from '../report/report-schema.js';

export const AUDIT_LOG_FILE = 'audit.log.jsonl';

/** Temp files of the atomic writes (evidence/atomic-write.ts) start with this: one left over is a torn write. */
export const TEMP_FILE_PREFIX = '.tmp-';

/** The message of a torn write; the CLI adds what to remove. */
export const TORN_WRITE = 'is a torn write (an interrupted or disk-full write), not tampering';

/** `<UTC timestamp>-<environment>-<command>.json` (contract.md); milliseconds appear only to keep names unique. */
export const REPORT_JSON_NAME = /^\d{8}T\d{6}(?:\.\d{3})?Z-.+\.json$/;

/**
 * Orders report file names in time: `…T030000Z` (the usual name) before `…T030000.250Z` (a run
 * that started in the same second, named with milliseconds), which plain string order gets wrong.
 */
export function byReportTime(a: string, b: string): number {
  const key = (name: string) => name.replace(/^(\d{8}T\d{6})Z/, '$1.000Z');
  const [ka, kb] = [key(a), key(b)];
  return ka < kb ? -1 : ka > kb ? 1 : a < b ? -1 : a > b ? 1 : 0;
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

const sha256 = z.string().regex(/^[0-9a-f]{64}$/);

const auditRecordSchema = z.strictObject({
  seq: z.number().int().positive(),
  timestamp: z.iso.datetime(),
  action: z.string().min(1),
  command: z.string(),
  environment: z.string(),
  outcome: z.string(),
  report: z.strictObject({ file: z.string().min(1), sha256 }).nullable(),
  user: z.string(),
  host: z.string(),
  details: z.record(z.string(), jsonValueSchema).optional(),
  previousLineSha256: sha256.nullable(),
});

/** One line of the audit log. */
export type AuditRecord = z.output<typeof auditRecordSchema>;

/** What a command records; the log adds the sequence number, UTC time, user, host and the chain link. */
export interface AuditEvent {
  /** `report` for a report written; another verb for another action (e.g. `delete` from retention). */
  action?: string;
  command: string;
  environment: string;
  outcome: string;
  report?: { file: string; sha256: string } | null;
  details?: Record<string, JsonValue>;
}

/** Builds the next line (without its newline). Keys in a fixed order, so the bytes are predictable. */
export function auditLine(
  event: AuditEvent,
  context: { seq: number; timestamp: string; user: string; host: string; previousLineSha256: string | null },
): string {
  const record: AuditRecord = {
    seq: context.seq,
    timestamp: context.timestamp,
    action: event.action ?? 'report',
    command: event.command,
    environment: event.environment,
    outcome: event.outcome,
    report: event.report ?? null,
    user: context.user,
    host: context.host,
    ...(event.details ? { details: event.details } : {}),
    previousLineSha256: context.previousLineSha256,
  };
  return JSON.stringify(record);
}

/** Splits the log into complete lines; `torn` is a last line without its newline (a crash mid-write). */
function splitLog(text: string): { lines: string[]; torn: string | undefined } {
  const parts = text.split('\n');
  const last = parts.pop()!;
  return { lines: parts, torn: last === '' ? undefined : last };
}

function parseAuditLine(line: string): AuditRecord | undefined {
  try {
    const parsed = auditRecordSchema.safeParse(JSON.parse(line));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Where the next line links to: the last line's hash and the next sequence number. */
export function auditTail(text: string | null): { previousLineSha256: string | null; seq: number } {
  if (!text) return { previousLineSha256: null, seq: 1 };
  const { lines, torn } = splitLog(text);
  const all = torn === undefined ? lines : [...lines, torn];
  const last = all[all.length - 1];
  if (last === undefined) return { previousLineSha256: null, seq: 1 };
  return { previousLineSha256: sha256Hex(last), seq: (parseAuditLine(last)?.seq ?? all.length) + 1 };
}

/**
 * The report a new report links to: the newest report the audit log recorded (its recorded hash,
 * so that an edit made since then still shows as a break), else the newest report file by name.
 */
export function chainHead(auditText: string | null, reports: ReadonlyArray<{ name: string; bytes: Uint8Array }>): string | null {
  if (auditText) {
    const records = splitLog(auditText).lines.map(parseAuditLine);
    for (let i = records.length - 1; i >= 0; i--) {
      const report = records[i]?.report;
      if (report) return report.sha256;
    }
  }
  const newest = [...reports].sort((a, b) => byReportTime(a.name, b.name)).pop();
  return newest ? sha256Hex(newest.bytes) : null;
}

export interface DirectorySnapshot {
  /** The JSON reports (files named like REPORT_JSON_NAME) and their exact bytes. */
  reports: Array<{ name: string; bytes: Uint8Array }>;
  /** The audit log's text, or null when there is none. */
  auditLog: string | null;
  /** Names of leftover temp files (TEMP_FILE_PREFIX…) in the directory. */
  tempFiles?: string[];
}

export interface ChainProblem {
  /** A report file name, or `audit.log.jsonl line N`. */
  subject: string;
  message: string;
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

function sameRun(record: AuditRecord, report: { run: { command: string; environment: string }; outcome: string }): boolean {
  return record.command === report.run.command && record.environment === report.run.environment && record.outcome === report.outcome;
}

const short = (hash: string | null | undefined) => (hash ? `${hash.slice(0, 12)}…` : String(hash));

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
  const recordedFiles = new Set(
    snapshot.auditLog === null ? [] : splitLog(snapshot.auditLog).lines.flatMap((line) => parseAuditLine(line)?.report?.file ?? []),
  );
  const tornWrites: ChainProblem[] = (snapshot.tempFiles ?? []).map((name) => ({ subject: name, message: TORN_WRITE }));
  const torn = snapshot.reports.filter((file) => !recordedFiles.has(file.name) && notJson(file.bytes));
  tornWrites.push(...torn.map((file) => ({ subject: file.name, message: TORN_WRITE })));
  tornWrites.sort((a, b) => byReportTime(a.subject, b.subject));
  const reports = snapshot.reports
    .filter((file) => !torn.includes(file))
    .sort((a, b) => byReportTime(a.name, b.name))
    .map((file) => {
      const parsed = parseReport(Buffer.from(file.bytes).toString('utf8'));
      return { name: file.name, sha256: sha256Hex(file.bytes), parsed };
    });
  const reportProblems = new Map<string, string[]>();
  const flag = (name: string, message: string) => reportProblems.set(name, [...(reportProblems.get(name) ?? []), message]);

  // 1. The report chain, followed by content: each link must point at exactly one report.
  const bySha = new Map(reports.map((r) => [r.sha256, r]));
  const successors = new Map<string, string[]>();
  const firsts: string[] = [];
  for (const report of reports) {
    if (!report.parsed.ok) {
      flag(report.name, `not a valid report (${report.parsed.problems[0]})`);
      continue;
    }
    const previous = report.parsed.report.previousReportSha256;
    if (previous === undefined) flag(report.name, 'has no previousReportSha256: it was not written into this chain');
    else if (previous === null) firsts.push(report.name);
    else if (!bySha.has(previous)) flag(report.name, `its previous report (sha256 ${short(previous)}) is not in the directory: that report was edited or removed`);
    else successors.set(previous, [...(successors.get(previous) ?? []), report.name]);
  }
  if (firsts.length > 1) for (const name of firsts.slice(1)) flag(name, `claims to be the first report, but so does ${firsts[0]}: a report was inserted`);
  for (const [previous, names] of successors) {
    if (names.length > 1) for (const name of names.slice(1)) flag(name, `follows ${bySha.get(previous)!.name} as ${names[0]} does: a report was inserted`);
  }
  const order: typeof reports = [];
  let cursor = firsts.length > 0 ? reports.find((r) => r.name === firsts[0]) : undefined;
  while (cursor && !order.includes(cursor)) {
    order.push(cursor);
    const next: string | undefined = successors.get(cursor.sha256)?.[0];
    cursor = next === undefined ? undefined : reports.find((r) => r.name === next);
  }

  // 2. The audit log: its own chain, then what it says about each report.
  const auditProblems: ChainProblem[] = [];
  let auditLines = 0;
  let auditHead: string | null = null;
  if (snapshot.auditLog === null) {
    if (reports.length > 0) auditProblems.push({ subject: AUDIT_LOG_FILE, message: 'is missing: it was removed' });
  } else {
    const { lines, torn } = splitLog(snapshot.auditLog);
    auditLines = lines.length;
    const recorded = new Map<string, number>();
    let previousLine: string | null = null;
    let previousRecordedSha: string | null = null;
    lines.forEach((line, index) => {
      const subject = `${AUDIT_LOG_FILE} line ${index + 1}`;
      const record = parseAuditLine(line);
      if (!record) {
        auditProblems.push({ subject, message: 'is not a valid audit record: it was edited' });
      } else {
        const expected = previousLine === null ? null : sha256Hex(previousLine);
        if (record.previousLineSha256 !== expected) {
          auditProblems.push({
            subject,
            message: index === 0 ? 'should be the first line (no previous-line hash): lines before it were removed' : `does not link to line ${index} (its hash differs): line ${index} was edited, or a line was removed or inserted here`,
          });
        } else if (record.seq !== index + 1) {
          auditProblems.push({ subject, message: `has sequence number ${record.seq}, expected ${index + 1}` });
        }
        if (record.report) {
          const file = record.report.file;
          const report = reports.find((r) => r.name === file);
          recorded.set(file, index + 1);
          if (!report) flag(file, `was recorded in audit line ${index + 1} but is missing: it was removed or renamed`);
          else {
            if (report.sha256 !== record.report.sha256) {
              flag(file, `differs from what was written (audit line ${index + 1} recorded sha256 ${short(record.report.sha256)}, the file has ${short(report.sha256)}): it was edited, replaced or reordered`);
            } else if (report.parsed.ok && !sameRun(record, report.parsed.report)) {
              // Catches an edit of the last line too, which no later line's hash covers.
              auditProblems.push({ subject, message: `does not match ${file} (command, environment or outcome differ): the line was edited` });
            } else if (report.parsed.ok && report.parsed.report.previousReportSha256 !== undefined && report.parsed.report.previousReportSha256 !== previousRecordedSha) {
              flag(file, `is out of order: the audit log says it was written after the report with sha256 ${short(previousRecordedSha)}`);
            }
          }
          previousRecordedSha = record.report.sha256;
        }
      }
      previousLine = line;
    });
    if (torn !== undefined) auditProblems.push({ subject: `${AUDIT_LOG_FILE} line ${lines.length + 1}`, message: 'is incomplete (no end of line): the write was interrupted or the line edited' });
    auditHead = previousLine === null ? null : sha256Hex(previousLine);
    for (const report of reports) if (!recorded.has(report.name)) flag(report.name, 'is not recorded in the audit log: it was inserted, or its audit line was removed');
  }

  const problems: ChainProblem[] = [
    ...[...reportProblems.keys()].sort(byReportTime).flatMap((name) => reportProblems.get(name)!.map((message) => ({ subject: name, message }))),
    ...auditProblems,
  ];
  const listed = [...order, ...reports.filter((r) => !order.includes(r))];
  return {
    ok: problems.length === 0,
    reports: listed.map((r) => ({
      name: r.name,
      sha256: r.sha256,
      ...(r.parsed.ok ? { startedAt: r.parsed.report.run.startedAt, outcome: r.parsed.report.outcome } : {}),
    })),
    auditLines,
    problems,
    tornWrites,
    reportHeadSha256: order.length > 0 ? order[order.length - 1]!.sha256 : null,
    auditHeadSha256: auditHead,
  };
}

/**
 * The report files the audit log records, each with the SHA-256 its line recorded (the last line naming a file wins).
 * Only complete, valid lines count: a torn or edited line records nothing. restore-test-freshness trusts only these.
 */
export function recordedReportHashes(auditText: string | null): Map<string, string> {
  const recorded = new Map<string, string>();
  if (!auditText) return recorded;
  for (const line of splitLog(auditText).lines) {
    const report = parseAuditLine(line)?.report;
    if (report) recorded.set(report.file, report.sha256);
  }
  return recorded;
}
