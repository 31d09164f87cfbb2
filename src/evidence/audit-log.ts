/**
 * The audit log (`audit.log.jsonl`), the second witness of a report directory (verify-chain.ts):
 * append-only, one JSON line per event (a report written, or another command's action such as a
 * retention deletion), each holding the SHA-256 of the line before it, and for a report its file
 * name and SHA-256. Here: the line format, what the log says about the reports (their recorded
 * hashes, the chain head), the log half of `report verify`, and the append.
 *
 * An append rewrites the whole log atomically (atomic-write.ts): a full disk leaves the old log whole.
 * Every report-writing command appends one line; other commands record their actions with
 * `appendAuditEvent` (the retention command records the archives it deletes).
 */
import { readFile } from 'node:fs/promises';
import { hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import type { JsonValue } from '../vocabulary.js';
import { jsonValueSchema } from '../report/report-schema.js';
import { writeFileAtomic } from './atomic-write.js';
import { withDirectoryLock } from './dir-lock.js';
import { type ChainProblem, type ReportFile, byReportTime, sha256Hex, shortHash } from './report-chain.js';
import { type Signer, type Verifier, canonicalJson } from './signing.js';

export const AUDIT_LOG_FILE = 'audit.log.jsonl';

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
  /** With report.signingKey: Ed25519 over "restorecheck-audit-line-v1\n" + the canonical JSON of this record without `signature`. */
  signature: z.strictObject({ algorithm: z.literal('Ed25519'), keyId: sha256, value: z.string().min(1) }).optional(),
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

/**
 * Builds the next line (without its newline). Keys in a fixed order, so the bytes are predictable.
 * With a signer the line ends with its signature: the newest line's signature authenticates the head,
 * and through the previous-line hashes every line before it.
 */
export function auditLine(
  event: AuditEvent,
  context: { seq: number; timestamp: string; user: string; host: string; previousLineSha256: string | null },
  signer?: Signer,
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
  if (signer) record.signature = { algorithm: signer.algorithm, keyId: signer.keyId, value: signer.sign('audit-line', canonicalJson(record)) };
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

/**
 * The report a new report links to: the newest report the audit log recorded (its recorded hash,
 * so that an edit made since then still shows as a break), else the newest report file by name.
 * It lives with the log rather than in report-chain.ts because the log is asked first.
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

/** The log half of `report verify` (verify-chain.ts puts it beside the report chain's half). */
export interface AuditLogCheck {
  /** What the log says is wrong with report files (a report missing, edited, out of order, unrecorded), in the order found. */
  reportProblems: ChainProblem[];
  /** Problems of the log's own lines (or of its absence), in line order. */
  lineProblems: ChainProblem[];
  /** Complete lines. */
  lines: number;
  /** SHA-256 of the last complete line. */
  headSha256: string | null;
}

function sameRun(record: AuditRecord, report: { run: { command: string; environment: string }; outcome: string }): boolean {
  return record.command === report.run.command && record.environment === report.run.environment && record.outcome === report.outcome;
}

/** Checks the log's own chain, then what each line says about the report it names, against `reports` (time order). */
export function checkAuditLog(auditLog: string | null, reports: readonly ReportFile[]): AuditLogCheck {
  const reportProblems: ChainProblem[] = [];
  const flag = (subject: string, message: string) => reportProblems.push({ subject, message });
  const lineProblems: ChainProblem[] = [];
  if (auditLog === null) {
    if (reports.length > 0) lineProblems.push({ subject: AUDIT_LOG_FILE, message: 'is missing: it was removed' });
    return { reportProblems, lineProblems, lines: 0, headSha256: null };
  }
  const { lines, torn } = splitLog(auditLog);
  const recorded = new Map<string, number>();
  let previousLine: string | null = null;
  let previousRecordedSha: string | null = null;
  lines.forEach((line, index) => {
    const subject = `${AUDIT_LOG_FILE} line ${index + 1}`;
    const record = parseAuditLine(line);
    if (!record) {
      lineProblems.push({ subject, message: 'is not a valid audit record: it was edited' });
    } else {
      const expected = previousLine === null ? null : sha256Hex(previousLine);
      if (record.previousLineSha256 !== expected) {
        lineProblems.push({
          subject,
          message:
            index === 0
              ? 'should be the first line (no previous-line hash): lines before it were removed'
              : `does not link to line ${index} (its hash differs): line ${index} was edited, or a line was removed or inserted here`,
        });
      } else if (record.seq !== index + 1) {
        lineProblems.push({ subject, message: `has sequence number ${record.seq}, expected ${index + 1}` });
      }
      if (record.report) {
        const file = record.report.file;
        const report = reports.find((r) => r.name === file);
        recorded.set(file, index + 1);
        if (!report) flag(file, `was recorded in audit line ${index + 1} but is missing: it was removed or renamed`);
        else {
          if (report.sha256 !== record.report.sha256) {
            flag(
              file,
              `differs from what was written (audit line ${index + 1} recorded sha256 ${shortHash(record.report.sha256)}, ` +
                `the file has ${shortHash(report.sha256)}): it was edited, replaced or reordered`,
            );
          } else if (report.parsed.ok && !sameRun(record, report.parsed.report)) {
            // Catches an edit of the last line too, which no later line's hash covers.
            lineProblems.push({ subject, message: `does not match ${file} (command, environment or outcome differ): the line was edited` });
          } else if (
            report.parsed.ok &&
            report.parsed.report.previousReportSha256 !== undefined &&
            report.parsed.report.previousReportSha256 !== previousRecordedSha
          ) {
            flag(file, `is out of order: the audit log says it was written after the report with sha256 ${shortHash(previousRecordedSha)}`);
          }
        }
        previousRecordedSha = record.report.sha256;
      }
    }
    previousLine = line;
  });
  if (torn !== undefined) {
    const subject = `${AUDIT_LOG_FILE} line ${lines.length + 1}`;
    lineProblems.push({ subject, message: 'is incomplete (no end of line): the write was interrupted or the line edited' });
  }
  for (const report of reports) {
    if (!recorded.has(report.name)) flag(report.name, 'is not recorded in the audit log: it was inserted, or its audit line was removed');
  }
  return { reportProblems, lineProblems, lines: lines.length, headSha256: previousLine === null ? null : sha256Hex(previousLine) };
}

/**
 * The signature half of the log (`report verify --public-key`): every signature present must be this
 * key's and verify; the newest complete line (the head) must be signed. Earlier unsigned lines (written
 * before report.signingKey was set, or by a command without it) are authenticated through the head's
 * links, so they are counted, not flagged. Unparsable lines are the integrity check's business.
 */
export function checkAuditSignatures(auditLog: string | null, verifier: Verifier): { problems: ChainProblem[]; unsignedCovered: number } {
  const problems: ChainProblem[] = [];
  if (auditLog === null) return { problems, unsignedCovered: 0 };
  const { lines } = splitLog(auditLog);
  let unsigned = 0;
  lines.forEach((line, index) => {
    const record = parseAuditLine(line);
    if (!record) return;
    const subject = `${AUDIT_LOG_FILE} line ${index + 1}`;
    const { signature, ...content } = record;
    if (!signature) {
      if (index === lines.length - 1) {
        problems.push({
          subject,
          message: 'is the audit head and is not signed: nothing authenticates the log (a line appended without the key, or signing is off)',
        });
      } else unsigned++;
      return;
    }
    if (signature.keyId !== verifier.keyId) {
      problems.push({
        subject,
        message: `is signed by another key (key id ${shortHash(signature.keyId)}), not the public key given (${shortHash(verifier.keyId)})`,
      });
    } else if (!verifier.verify('audit-line', canonicalJson(content), signature.value)) {
      problems.push({ subject, message: 'has a signature that does not verify: the line was changed after it was signed (forged)' });
    }
  });
  return { problems, unsignedCovered: unsigned };
}

export interface AuditOptions {
  /** Applied to every string of the event (the CLI passes its redactor): no secret in the log. */
  redact?: (text: string) => string;
  /** Clock, for tests; UTC is written whatever the machine's zone. */
  now?: () => Date;
  /** report.signingKey: the line is signed (auditLine). */
  signer?: Signer;
}

function redactStrings<T extends JsonValue>(value: T, redact: (text: string) => string): T {
  if (typeof value === 'string') return redact(value) as T;
  if (Array.isArray(value)) return value.map((v) => redactStrings(v, redact)) as T;
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [redact(k), redactStrings(v, redact)])) as T;
  return value;
}

/** Who ran it: the OS account (a container may have no passwd entry for its uid). */
function currentUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? process.env.USERNAME ?? `uid ${process.getuid?.() ?? 'unknown'}`;
  }
}

/** A file's text, or null when it does not exist (the log before its first line, say). */
export async function readTextIfExists(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/**
 * Appends one event. The caller must hold the directory lock (see withDirectoryLock): reading the
 * tail, hashing it and appending are one step, or two concurrent writers would fork the chain.
 * Returns the line written.
 */
export async function appendAuditEventLocked(dir: string, event: AuditEvent, options: AuditOptions = {}): Promise<string> {
  const path = join(dir, AUDIT_LOG_FILE);
  const redact = options.redact ?? ((text: string) => text);
  const safe = redactStrings(event as unknown as JsonValue, redact) as unknown as AuditEvent;
  const before = await readTextIfExists(path);
  const tail = auditTail(before);
  const line = auditLine(
    safe,
    {
      ...tail,
      timestamp: (options.now?.() ?? new Date()).toISOString(),
      user: redact(currentUser()),
      host: redact(hostname()),
    },
    options.signer,
  );
  // Old content plus the new line, to a temp file, fsynced, renamed over the log: a full disk or a
  // crash mid-write leaves the old log or the new one, never half a line that verify would call an edit.
  // The lock makes read-then-replace safe against another writer.
  await writeFileAtomic(path, `${before ?? ''}${line}\n`, { mode: 0o644 });
  return line;
}

/** Appends one event to DIR's audit log, taking the directory lock for it. */
export async function appendAuditEvent(dir: string, event: AuditEvent, options: AuditOptions = {}): Promise<string> {
  return withDirectoryLock(dir, () => appendAuditEventLocked(dir, event, options));
}
