import type { RunResult } from '../run/result.js';
import type { ReportLanguage } from './labels.js';

export interface RenderOptions {
  /** ANSI colours (console only): decided by the CLI from TTY, NO_COLOR and CI. */
  color: boolean;
  /**
   * Earlier reports of the same environment, oldest first (the HTML trend charts). The CLI reads them
   * from the report directory so that reporters stay pure; absent or empty → no trend.
   */
  history?: readonly RunResult[];
  /** The language of the labels (report.language, --lang); absent → English. The JSON never depends on it. */
  language?: ReportLanguage;
  /**
   * Console, fleet mode: every finding of every resource. By default a resource whose findings all passed (or were
   * skipped) is one line, and only the resources with a failure, an error or a warning show their findings.
   */
  verbose?: boolean;
}

/** A reporter is a pure function of the RunResult: same input, same bytes. */
export interface Reporter {
  /** File extension under --out-dir. */
  extension: string;
  render(result: RunResult, options: RenderOptions): string;
}
