/**
 * The report directory's audit log (`audit.log.jsonl`): append-only, one JSON line per event, each
 * line holding the SHA-256 of the line before it (report-chain.ts builds and verifies the lines).
 * An append rewrites the whole log atomically (atomic-write.ts): a full disk leaves the old log whole.
 * Every report-writing command appends one line; other commands record their actions with
 * `appendAuditEvent` (the retention command records the archives it deletes).
 */
import { readFile } from 'node:fs/promises';
import { hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import type { JsonValue } from '../checks/types.js';
import { AUDIT_LOG_FILE, type AuditEvent, auditLine, auditTail } from './report-chain.js';
import { writeFileAtomic } from './atomic-write.js';
import { withDirectoryLock } from './dir-lock.js';

export { AUDIT_LOG_FILE, type AuditEvent };

export interface AuditOptions {
  /** Applied to every string of the event (the CLI passes its redactor): no secret in the log. */
  redact?: (text: string) => string;
  /** Clock, for tests; UTC is written whatever the machine's zone. */
  now?: () => Date;
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
  const line = auditLine(safe, {
    ...tail,
    timestamp: (options.now?.() ?? new Date()).toISOString(),
    user: redact(currentUser()),
    host: redact(hostname()),
  });
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
