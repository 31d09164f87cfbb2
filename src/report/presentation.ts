/**
 * What the human formats (Markdown, HTML, JUnit) say the same way: status words, evidence as text,
 * UTC dates, durations. Plain strings here; each format escapes them for itself.
 */
import type { Evidence, JsonValue, Status } from '../vocabulary.js';
import type { CheckResult, Outcome, RunResult } from '../run/result.js';

export const STATUS_WORD: Record<Status, string> = { pass: 'PASS', fail: 'FAIL', warn: 'WARN', error: 'ERROR', skipped: 'SKIPPED' };
export const OUTCOME_WORD: Record<Outcome, string> = { pass: 'PASS', fail: 'FAIL', incomplete: 'INCOMPLETE' };

/** Ticked in the checklist: verified and compliant (a warning is compliant, with something to look at). */
export function isTicked(check: CheckResult): boolean {
  return check.status === 'pass' || check.status === 'warn';
}

/** Failures first, then what could not be evaluated, warnings, passes, skips; by id within each. */
const STATUS_RANK: Record<Status, number> = { fail: 0, error: 1, warn: 2, pass: 3, skipped: 4 };
export function byAttention(a: CheckResult, b: CheckResult): number {
  return STATUS_RANK[a.status] - STATUS_RANK[b.status] || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** `2026-11-21T03:00:00.000Z` → `2026-11-21 03:00:00 UTC`. */
export function utcDate(iso: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})/.exec(iso);
  return m ? `${m[1]} ${m[2]} UTC` : iso;
}

/**
 * The one line each rendered format states about authenticity (issue 13); empty when the report was not
 * written to a directory (no chain, no signature). signedBy null: hashes only, which anyone can recompute.
 */
export function authenticityLine(result: RunResult): string {
  if (result.signedBy === undefined) return '';
  if (result.signedBy === null) return 'Integrity only, not authenticity: this report is not signed (no report.signingKey).';
  return `Signed (Ed25519) with key id ${result.signedBy.keyId}: check with restorecheck report verify DIR --public-key FILE.`;
}

export function duration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** A JSON value as compact text: strings bare, everything else as JSON. */
export function evidenceValue(value: JsonValue): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** Evidence entries sorted by key, so that output does not depend on the order a check filled them in. */
export function evidenceEntries(evidence: Evidence): Array<[string, JsonValue]> {
  return Object.entries(evidence).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

export function controlText(control: { framework: string; control: string }): string {
  return `${control.framework} ${control.control}`;
}

/** The JUnit suite and the report section a check belongs to: its id up to the first dash (db, pgflex, blob, archive, restore…). */
export function groupOf(id: string): string {
  return id.split('-')[0] || id;
}
