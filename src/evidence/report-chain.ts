/**
 * The report chain, one of the two witnesses of a report directory (verify-chain.ts has the whole
 * picture): every JSON report records `previousReportSha256`, the SHA-256 of the JSON report written
 * before it in the same directory (null for the first). Here, as pure functions: the report file
 * names and their time order, the hash, and following the chain by content. The other witness, the
 * audit log, builds on this (audit-log.ts); report-directory.ts reads and writes the files.
 */
import { createHash } from 'node:crypto';
import type { ParsedReport } from '../report/report-schema.js';

/** `<UTC timestamp>-<environment>-<command>.json` (contract.md); milliseconds appear only to keep names unique. */
export const REPORT_JSON_NAME = /^\d{8}T\d{6}(?:\.\d{3})?Z-.+\.json$/;

/** A file rendered from a report beside it (`report verify` checks it against the JSON's renderedFiles). */
export const RENDERED_FILE_NAME = /^\d{8}T\d{6}(?:\.\d{3})?Z-.+\.(?:html|md|xml|pdf)$/;

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

/** A hash as the problems print it: the first 12 hex digits. */
export const shortHash = (hash: string | null | undefined) => (hash ? `${hash.slice(0, 12)}…` : String(hash));

export interface ChainProblem {
  /** A report file name, or `audit.log.jsonl line N`. */
  subject: string;
  message: string;
}

/** A report file being verified: its name, the SHA-256 of its exact bytes, and what parsing them gave. */
export interface ReportFile {
  name: string;
  sha256: string;
  parsed: ParsedReport;
}

/**
 * Follows the chain by content (each link must point at exactly one report), starting from the
 * report that claims to be the first. `reports` come in time order (by name); the problems name
 * reports, in the order found; `order` is the chain as far as it could be followed.
 */
export function followReportChain(reports: readonly ReportFile[]): { problems: ChainProblem[]; order: ReportFile[] } {
  const problems: ChainProblem[] = [];
  const flag = (subject: string, message: string) => problems.push({ subject, message });
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
    else if (!bySha.has(previous)) {
      flag(report.name, `its previous report (sha256 ${shortHash(previous)}) is not in the directory: that report was edited or removed`);
    } else successors.set(previous, [...(successors.get(previous) ?? []), report.name]);
  }
  if (firsts.length > 1) for (const name of firsts.slice(1)) flag(name, `claims to be the first report, but so does ${firsts[0]}: a report was inserted`);
  for (const [previous, names] of successors) {
    if (names.length > 1) for (const name of names.slice(1)) flag(name, `follows ${bySha.get(previous)!.name} as ${names[0]} does: a report was inserted`);
  }
  const order: ReportFile[] = [];
  let cursor = firsts.length > 0 ? reports.find((r) => r.name === firsts[0]) : undefined;
  while (cursor && !order.includes(cursor)) {
    order.push(cursor);
    const next: string | undefined = successors.get(cursor.sha256)?.[0];
    cursor = next === undefined ? undefined : reports.find((r) => r.name === next);
  }
  return { problems, order };
}
