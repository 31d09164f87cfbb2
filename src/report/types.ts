import type { RunResult } from '../run/result.js';

export interface RenderOptions {
  /** ANSI colours (console only): decided by the CLI from TTY, NO_COLOR and CI. */
  color: boolean;
}

/** A reporter is a pure function of the RunResult: same input, same bytes. */
export interface Reporter {
  /** File extension under --out-dir. */
  extension: string;
  render(result: RunResult, options: RenderOptions): string;
}
