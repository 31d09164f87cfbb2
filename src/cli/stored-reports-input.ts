/** The reports stored in report.dir, as the run input restore-test-freshness uses (`check` reads them only if it runs). */
import type { RunInputs } from '../checks/types.js';
import type { Config } from '../config/schema.js';
import { EvaluationError } from '../errors.js';
import { readStoredReports } from '../evidence/report-directory.js';
import { once } from '../run/gateways.js';
import type { ReportStoreSession } from './report-files.js';

/** Read once, when a check first asks; an unreadable directory makes that check `error`. No report.dir: no input. */
export function storedReportsInput(config: Config, store?: ReportStoreSession): RunInputs {
  // With report.store, the reports are those of the store, pulled into the report directory first.
  const dir = store?.dir ?? config.report?.dir;
  if (!dir) return {};
  return {
    storedReports: once(async () => {
      await store?.ensurePulled();
      try {
        return await readStoredReports(dir);
      } catch (error) {
        const code = error instanceof Error && 'code' in error ? String(error.code) : String(error);
        throw new EvaluationError('not-found', `cannot read the report directory ${dir}: ${code}`, 'check that report.dir exists and is readable');
      }
    }),
  };
}
