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
  /**
   * The actions named by the command's first positional (`report verify`, `restore-test cleanup`), each with a help of
   * its own: `restorecheck report verify --help` shows verify's usage and hides the options of the other actions.
   */
  actions?: Record<string, ActionHelp>;
}

export interface ActionHelp {
  /** After the command's name, e.g. `verify <dir>`. */
  usage: string;
  describe: string;
  /** The command's options (and positionals) that do not apply to this action: left out of its help. */
  hide?: readonly string[];
}

/** How main.ts runs a command: it catches what `run` throws (one clear error line, and the refusal record). */
export type CommandHandler = (run: (ctx: CommandContext) => Promise<void>, args: Readonly<Record<string, unknown>>) => Promise<void>;

/** A loaded command, its argument type sealed inside: main.ts holds a list of these whatever each command's options. */
export interface LoadedCommand {
  /** `argv`: the command line (main.ts's), from which an action's help is chosen. */
  register(parser: Argv, usage: string, describe: string, handle: CommandHandler, argv?: readonly string[]): Argv;
}

/** `--help` or `-h` anywhere before a `--`. */
export function asksForHelp(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).some((word) => word === '--help' || word === '-h');
}

export function defineCommand<A>(module: CommandModule<A>): LoadedCommand {
  return {
    register: (parser, usage, describe, handle, argv = []) =>
      parser.command(
        usage,
        describe,
        (yargs: Argv) => {
          // -h as well as --help: the root's alias does not carry into a command's own help option.
          let built: Argv = module.builder(yargs).strict().help().alias('help', 'h');
          const action = actionHelp(module, usage, argv);
          if (action) {
            built = built.usage(`$0 ${usage.split(' ')[0]} ${action.usage}\n\n${action.describe}`);
            // The action positional itself is said by the usage line.
            for (const key of ['action', ...(action.hide ?? [])]) built = built.hide(key);
          }
          return built as Argv<A>;
        },
        (args) => handle((ctx) => module.run(args, ctx), args),
      ),
  };
}

/** The action's help, when the command line asks for help on `<command> <action>`. */
function actionHelp<A>(module: CommandModule<A>, usage: string, argv: readonly string[]): ActionHelp | undefined {
  if (!module.actions || !asksForHelp(argv)) return undefined;
  const words = argv.filter((word) => !word.startsWith('-'));
  const at = words.indexOf(usage.split(' ')[0]!);
  const word = at === -1 ? undefined : words[at + 1];
  return word !== undefined && Object.hasOwn(module.actions, word) ? module.actions[word] : undefined;
}
