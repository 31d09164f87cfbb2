#!/usr/bin/env node
/**
 * The only place that touches argv, the process's streams and process.exitCode.
 * Errors become one clear line (message + hint) and exit 2, never a stack trace
 * (set RESTORECHECK_DEBUG=1 to see one).
 */
import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { ConfigError, UsageError, describeError, isRestorecheckError } from '../errors.js';
import { TOOL_VERSION } from '../version.js';
import type { LoadedCommand } from './command.js';
import { COMMANDS, type CommandEntry } from './command-list.js';
import { type CliIo, Output } from './io.js';

export async function main(rawArgv: string[], io: CliIo): Promise<number> {
  const output = new Output(io);
  const argv = helpWordAsFlag(rawArgv);
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(130); // second Ctrl-C: leave now
    output.err(`received ${signal}: stopping (press Ctrl-C again to force)`);
    controller.abort(new Error(`interrupted by ${signal}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  let parser: Argv = yargs(argv)
    .scriptName('restorecheck')
    .version(TOOL_VERSION)
    .usage('$0 <command> [options]\n\nProves that backups are real and restorable, and leaves evidence an auditor accepts.')
    .strict()
    .demandCommand(1, 'name a command (restorecheck --help lists them)')
    .recommendCommands()
    .showHelpOnFail(false)
    .exitProcess(false)
    .wrap(Math.min(110, process.stdout.columns || 100))
    .epilog('Exit codes: 0 everything passed, 1 a check failed, 2 could not complete (bad input, or a check could not be evaluated).')
    .fail((message, error) => {
      // yargs validation problems arrive as a message; errors thrown by handlers are re-thrown as they are.
      if (error) throw error;
      throw new UsageError(message);
    });
  // The command that threw, with its parsed arguments (yargs' own validation errors never reach a handler).
  let failed: { entry: CommandEntry; args: Readonly<Record<string, unknown>> } | undefined;
  // Only the command named on the command line is loaded; the others are listed by name for --help.
  const named = await loadNamedCommands(argv);
  for (const entry of COMMANDS) {
    const loaded = named.get(entry);
    if (!loaded) {
      parser = parser.command(entry.usage, entry.describe);
      continue;
    }
    parser = loaded.register(
      parser,
      entry.usage,
      entry.describe,
      async (run, args) => {
        try {
          await run({ output, signal: controller.signal });
        } catch (error) {
          failed = { entry, args };
          throw error;
        }
      },
      argv,
    );
  }
  parser = parser.help().alias('help', 'h');

  // A bare `restorecheck`: the help, on stderr, and exit 2, as for any command line that names no command. Not 0:
  // nothing was checked, and a CI step whose command word came out empty must not pass.
  if (argv.length === 0) {
    output.err(await parser.getHelp());
    output.err('error: name a command (restorecheck --help lists them)');
    return 2;
  }

  try {
    await parser.parseAsync();
    return output.exitCode;
  } catch (error) {
    reportError(error, output);
    const refused = failed ? refusedReportCommand(failed.entry, failed.args) : undefined;
    if (refused !== undefined && failed) {
      const { recordRefusal } = await import('./refusal-audit.js');
      await recordRefusal(refused, failed.args, error, output);
    }
    return 2;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** The command name a refusal is recorded under, when the command (or its action) writes reports; else undefined. */
function refusedReportCommand(entry: CommandEntry, args: Readonly<Record<string, unknown>>): string | undefined {
  if (entry.reports === true) return entry.name;
  if (entry.reports === false) return undefined;
  return args.action === entry.reports.action ? `${entry.name} ${entry.reports.action}` : undefined;
}

/**
 * `restorecheck help [command [action]]` → `restorecheck [command [action]] --help`, the form yargs answers (with the
 * command's own help, or the action's). Only as the first word: `report render help.json` is a file name.
 */
function helpWordAsFlag(argv: readonly string[]): string[] {
  return argv[0] === 'help' ? [...argv.slice(1), '--help'] : [...argv];
}

/**
 * The modules of the commands named in argv (usually one). A word that is also an option's value (`--dir check`) may load
 * a command for nothing, never the reverse: yargs can only run a command whose word is in argv.
 */
async function loadNamedCommands(argv: readonly string[]): Promise<Map<CommandEntry, LoadedCommand>> {
  const words = new Set(argv.filter((word) => !word.startsWith('-')));
  const entries = COMMANDS.filter((entry) => words.has(entry.name));
  return new Map(await Promise.all(entries.map(async (entry) => [entry, await entry.load()] as const)));
}

function reportError(error: unknown, output: Output): void {
  if (error instanceof ConfigError) {
    output.err(`error: ${error.message}`);
    for (const problem of error.problems) output.err(`  ${problem}`);
    output.err(`hint: ${error.hint}`);
  } else if (isRestorecheckError(error)) {
    output.err(`error: ${error.message}`);
    output.err(`hint: ${error.hint}`);
  } else {
    output.err(`error: ${describeError(error)}`);
    output.err('hint: this is unexpected; run again with RESTORECHECK_DEBUG=1 and report the output');
  }
  if (output.env.RESTORECHECK_DEBUG && error instanceof Error && error.stack) output.err(error.stack);
}

// Run when executed as the binary (not when imported by a test).
const invokedAs = process.argv[1] ?? '';
if (import.meta.url === new URL(`file://${invokedAs}`).href || /restorecheck$/.test(invokedAs)) {
  // A debug stack trace in src/ lines: the binary is an esbuild bundle (scripts/bundle-cli.mjs) whose chunks, loaded
  // from here on, have source maps. Only then: reading the maps costs start-up time.
  if (process.env.RESTORECHECK_DEBUG) process.setSourceMapsEnabled(true);
  // `restorecheck list-checks | head -1`: the reader left. What is still to print goes nowhere, quietly (no stack
  // trace); the command finishes its work (a report run still writes its files and audit line) and exits as it would.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
  });
  main(hideBin(process.argv), { stdout: process.stdout, stderr: process.stderr, env: process.env }).then(
    (code) => {
      process.exitCode = code;
      // Last resort: the reports are written and every command has finished its own cleanup, so whatever
      // still holds the event loop (a socket an SDK never closed, to a hung endpoint) must not keep a CI job
      // alive until it is killed. Unref'd: a process that ends on its own is not held back by it.
      setTimeout(() => {
        if (process.env.RESTORECHECK_DEBUG) process.stderr.write('debug: something still held the process open after the run; exiting\n');
        process.exit(code);
      }, 3_000).unref();
    },
    (error: unknown) => {
      process.stderr.write(`error: ${describeError(error)}\n`);
      process.exitCode = 2;
    },
  );
}
