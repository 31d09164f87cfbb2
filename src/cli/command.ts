import type { Argv } from 'yargs';
import type { Output } from './io.js';

export interface CommandContext {
  output: Output;
  /** Aborted on SIGINT/SIGTERM. */
  signal: AbortSignal;
}

/** One thin module per command: options in `builder`, work in `run` (which sets output.exitCode). */
export interface CommandSpec {
  command: string | string[];
  describe: string;
  builder: (yargs: Argv) => Argv;
  run: (argv: Record<string, unknown>, ctx: CommandContext) => Promise<void>;
}
