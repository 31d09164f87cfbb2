/**
 * The JSON reports stored in a report directory, read and validated. Used for the HTML trends
 * (through the CLI) and by restore-test-freshness (through the gateways). Files that are not valid
 * reports are left out: history is a view, `report verify` is the judge. Each report says whether
 * the audit log records it with the same hash: freshness counts only those (a copied or edited
 * report file proves nothing).
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunResult } from '../run/result.js';
import { AUDIT_LOG_FILE, REPORT_JSON_NAME, recordedReportHashes, sha256Hex } from '../evidence/report-chain.js';
import { parseReport } from './report-schema.js';

/** `recorded`: an audit line names the file with its hash; `not-recorded`: none names it; `hash-differs`: edited since. */
export type AuditStanding = 'recorded' | 'not-recorded' | 'hash-differs';

export interface StoredReport {
  name: string;
  report: RunResult;
  audit: AuditStanding;
}

/** The audit log's text, or null when there is none (a directory from before the log, or tampered with). */
async function readAuditLog(dir: string): Promise<string | null> {
  try {
    return await readFile(join(dir, AUDIT_LOG_FILE), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/** Every valid report in `dir`, oldest first; an absent directory has none. */
export async function readStoredReports(dir: string): Promise<StoredReport[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((name) => REPORT_JSON_NAME.test(name));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const recorded = recordedReportHashes(await readAuditLog(dir));
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
