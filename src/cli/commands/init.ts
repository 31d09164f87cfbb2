import { lstat, mkdir, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { UsageError } from '../../errors.js';
import { type Terminal, askAnswers } from '../../init/ask-answers.js';
import { CI_CHOICES, FLAG_ONLY_ANSWERS, INIT_QUESTIONS, type RawAnswers, lowerFirst, missingAnswers, validateAnswers } from '../../init/init-answers.js';
import { type PlannedFile, planInit } from '../../init/init-plan.js';
import { ON_NPM_REGISTRY } from '../../init/install-source.js';
import { TOOL_VERSION } from '../../version.js';
import { type CommandContext, defineCommand } from '../command.js';
import type { Output } from '../io.js';

/** yargs option name (the flag without `--`) for each answer. */
const optionName = (flag: string) => flag.replace(/^--/, '');

export const initCommand = defineCommand({
  builder: (yargs) => {
    let y = yargs;
    // No yargs defaults on the answers: an answer not given is asked on a terminal, and defaulted only without one.
    for (const q of [...INIT_QUESTIONS, ...FLAG_ONLY_ANSWERS]) {
      const fallback = q.defaultFor?.({});
      if (q.boolean) {
        // No yargs default: not given means asked on a terminal (defaulting to no), and no without one.
        y = y.option(optionName(q.flag), { type: 'boolean', describe: lowerFirst(q.flagHelp ?? q.prompt) });
        continue;
      }
      y = y.option(optionName(q.flag), {
        type: 'string',
        requiresArg: true,
        describe: lowerFirst(q.flagHelp ?? q.prompt),
        ...(q.key === 'ci' ? { choices: [...CI_CHOICES] } : {}),
        ...(q.key === 'storageResourceGroup' ? { defaultDescription: 'the --resource-group' } : fallback !== undefined ? { defaultDescription: fallback } : {}),
      });
    }
    return y
      .option('dir', { type: 'string', requiresArg: true, describe: 'the repository to write into', defaultDescription: 'the current directory' })
      .option('force', { type: 'boolean', default: false, describe: 'replace files that already exist' })
      .example('$0 init --dir ../medicapp', 'asks on a terminal for every answer not given as a flag')
      .example('$0 init --install-from git+https://HOST/restorecheck.git', `CI installs this version from the git tag v${TOOL_VERSION}`)
      .example('$0 init --fleet --shards 4', 'every tagged server and storage account of the subscription, checked by 4 CI jobs whose reports one job merges');
  },
  async run(argv, ctx) {
    const dir = resolve(typeof argv.dir === 'string' ? argv.dir : process.cwd());
    await requireDirectory(dir);
    const given = givenAnswers(argv);
    // Flags that answer every required question mean no questions, terminal or not (a script on a terminal must not stop to ask).
    const complete = missingAnswers(given).length === 0;
    const raw = complete ? given : askable(ctx.output) ? await askOnTerminal(given, ctx) : requireComplete(given);
    const validated = validateAnswers(raw);
    if (!validated.answers)
      throw new UsageError(
        `init cannot use these answers:\n  ${validated.problems.join('\n  ')}`,
        'correct them and run init again (restorecheck init --help)',
      );

    const plan = planInit(validated.answers);
    // Every target is checked before any is written, so a refusal leaves the directory as it was.
    const existing = await existingFiles(dir, plan.files);
    if (existing.length > 0 && !argv.force) {
      throw new UsageError(`init will not overwrite ${existing.join(', ')} in ${dir}`, 'pass --force to replace them, or --dir DIR to write somewhere else');
    }
    for (const file of plan.files) {
      const path = join(dir, file.path);
      await mkdir(dirname(path), { recursive: true });
      // 'wx' without --force: a file that appeared since the check above is still not overwritten.
      await writeFile(path, file.content, { flag: argv.force ? 'w' : 'wx' }).catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'EEXIST')
          throw new UsageError(`init will not overwrite ${file.path}: it appeared while init was writing`, 'pass --force to replace it');
        throw error;
      });
      ctx.output.out(`wrote ${file.path}\n`);
    }
    if (validated.answers.installFrom === 'npm' && !ON_NPM_REGISTRY)
      ctx.output.err(
        `warning: restorecheck ${TOOL_VERSION} is not on the npm registry yet: the CI install step fails until it is; ` +
          `run init again with --install-from git+https://…#v${TOOL_VERSION} or a release tarball (restorecheck init --help)`,
      );
    ctx.output.out(`\nNext steps:\n${plan.nextSteps.map((line) => `  ${line}\n`).join('')}`);
  },
});

function givenAnswers(argv: Record<string, unknown>): RawAnswers {
  const given: RawAnswers = {};
  for (const q of [...INIT_QUESTIONS, ...FLAG_ONLY_ANSWERS]) {
    const value = argv[optionName(q.flag)];
    if (typeof value === 'string') given[q.key] = value;
    else if (q.boolean && typeof value === 'boolean') given[q.key] = value ? 'yes' : 'no';
  }
  return given;
}

/**
 * Questions only for a person: stdin and stdout both terminals, and not a CI job (where a terminal
 * may be emulated but nobody is there to answer). NO_COLOR does not matter here: it is about colour.
 */
function askable(output: Output): boolean {
  const ci = output.env.CI;
  return Boolean(process.stdin.isTTY && process.stdout.isTTY) && ci !== 'true' && ci !== '1';
}

function requireComplete(given: RawAnswers): never {
  const missing = missingAnswers(given);
  const width = Math.max(...missing.map((q) => q.flag.length));
  throw new UsageError(
    `init needs ${missing.length === 1 ? 'this answer' : 'these answers'}, and there is no terminal to ask on:\n${missing.map((q) => `  ${q.flag.padEnd(width)}  ${q.prompt}`).join('\n')}`,
    'pass them as flags (restorecheck init --help lists every flag), or run init in a terminal to be asked',
  );
}

/** The prompts go to stderr through the redactor; the answers are read line by line from stdin, echoed by the terminal itself. */
async function askOnTerminal(given: RawAnswers, { output, signal }: CommandContext): Promise<RawAnswers> {
  const lines = createInterface({ input: process.stdin, terminal: false, crlfDelay: Infinity });
  const iterator = lines[Symbol.asyncIterator]();
  const terminal: Terminal = {
    prompt: (text) => output.errRaw(text),
    readLine: () =>
      // Ctrl-C while waiting for a line: main's handler aborts the signal, and init stops at once.
      new Promise((resolveLine, reject) => {
        const stop = () => reject(new UsageError('init stopped: interrupted, nothing was written', 'run init again when ready'));
        if (signal.aborted) return stop();
        signal.addEventListener('abort', stop, { once: true });
        iterator.next().then((next) => {
          signal.removeEventListener('abort', stop);
          resolveLine(next.done ? undefined : next.value);
        }, reject);
      }),
  };
  try {
    return await askAnswers(given, terminal);
  } finally {
    lines.close();
  }
}

async function requireDirectory(dir: string): Promise<void> {
  const info = await stat(dir).catch(() => undefined);
  if (!info?.isDirectory()) throw new UsageError(`--dir ${dir}: not an existing directory`, 'pass the root of the repository that should run the checks');
}

async function existingFiles(dir: string, files: PlannedFile[]): Promise<string[]> {
  const found: string[] = [];
  for (const file of files) {
    // lstat: a dangling symbolic link is still something init would clobber.
    if (
      await lstat(join(dir, file.path)).then(
        () => true,
        () => false,
      )
    )
      found.push(file.path);
  }
  return found;
}
