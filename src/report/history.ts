/**
 * The JSON reports stored in a report directory, read and validated. Used for the HTML trends
 * (through the CLI) and by restore-test-freshness (through the gateways). Files that are not valid
 * reports are left out: history is a view, `report verify` is the judge.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunResult } from '../run/result.js';
import { REPORT_JSON_NAME } from './chain.js';
import { parseReport } from './report-schema.js';

export interface StoredReport {
  name: string;
  report: RunResult;
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
  const stored: StoredReport[] = [];
  for (const name of names) {
    const parsed = parseReport(await readFile(join(dir, name), 'utf8'));
    if (parsed.ok) stored.push({ name, report: parsed.report });
  }
  return stored.sort((a, b) => (a.report.run.startedAt < b.report.run.startedAt ? -1 : a.report.run.startedAt > b.report.run.startedAt ? 1 : 0));
}
