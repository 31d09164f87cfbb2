import type { ArgumentsCamelCase, Argv } from 'yargs';
import type { Output } from './io.js';

export interface CommandContext {
  output: Output;
  /** Aborted on SIGINT/SIGTERM. */
  signal: AbortSignal;
}

/**
 * One thin module per command: its options in `builder`, its work in `run` (which sets output.exitCode).
 * `run` receives the arguments typed from the builder's options, so a handler never casts argv.
 */
export interface CommandModule<A> {
  builder: (yargs: Argv) => Argv<A>;
  run: (argv: ArgumentsCamelCase<A>, ctx: CommandContext) => Promise<void>;
}

/** How main.ts runs a command: it catches what `run` throws (one clear error line, and the refusal record). */
export type CommandHandler = (run: (ctx: CommandContext) => Promise<void>, args: Readonly<Record<string, unknown>>) => Promise<void>;

/** A loaded command, its argument type sealed inside: main.ts holds a list of these whatever each command's options. */
export interface LoadedCommand {
  register(parser: Argv, usage: string, describe: string, handle: CommandHandler): Argv;
}

export function defineCommand<A>(module: CommandModule<A>): LoadedCommand {
  return {
    register: (parser, usage, describe, handle) =>
      parser.command(
        usage,
        describe,
        (yargs: Argv) => module.builder(yargs).strict().help(),
        (args) => handle((ctx) => module.run(args, ctx), args),
      ),
  };
}
