/** Options shared by the commands that produce a report (check, verify, restore-test). */
import type { Argv } from 'yargs';
import type { Config, ReportFormatName } from '../config/schema.js';
import { reportFormatSchema } from '../config/schema.js';
import { UsageError } from '../errors.js';
import type { RunResult } from '../run/result.js';
import { type RunOptions, runChecks } from '../run/runner.js';
import { type Shard, parseShard } from '../run/shard.js';
import { SEVERITIES, type Severity } from '../vocabulary.js';
import { loadSigningKey } from '../evidence/signing.js';
import { type ReportRequest, checkFormats } from './report-files.js';

/** The arguments of withReportOptions, as the commands receive them. */
export interface ReportArgs {
  format: ReportFormatName[] | undefined;
  'out-dir': string | undefined;
  only: string[] | undefined;
  'fail-on': Severity | undefined;
  verbose: boolean;
  lang: 'en' | 'fr' | undefined;
}

export function withReportOptions<T>(yargs: Argv<T>): Argv<T & ReportArgs> {
  return yargs
    .option('format', {
      alias: 'f',
      type: 'string',
      array: true,
      choices: reportFormatSchema.options,
      describe: 'report format (repeatable); one format without --out-dir goes to stdout',
      requiresArg: true,
    })
    .option('out-dir', { type: 'string', describe: 'write every chosen format (and the JSON record) to this directory', requiresArg: true })
    .option('only', { type: 'string', array: true, describe: 'run only this check id (repeatable)', requiresArg: true })
    .option('fail-on', {
      type: 'string',
      choices: SEVERITIES,
      describe: 'failures below this severity do not set exit code 1 (default: low, every failure counts)',
      requiresArg: true,
    })
    .option('verbose', { type: 'boolean', describe: 'print diagnostics to stderr', default: false })
    .option('lang', {
      type: 'string',
      choices: ['en', 'fr'] as const,
      describe: 'language of the rendered reports (overrides report.language; the JSON record does not change)',
      requiresArg: true,
    });
}

/** `--shard K/N` (check and restore-test in fleet mode, issue 17). */
export interface ShardArgs {
  shard: string | undefined;
}

export function withShardOption<T>(yargs: Argv<T>): Argv<T & ShardArgs> {
  return yargs.option('shard', {
    type: 'string',
    describe: 'fleet mode (azure.discover): evaluate only shard K of N of the resources, by resource id (e.g. 2/3 in the second of three CI jobs)',
    requiresArg: true,
  }) as Argv<T & ShardArgs>;
}

/** The parsed --shard; refused without azure.discover (there is nothing to split). */
export function shardFor(argv: ShardArgs, config: Config): Shard | undefined {
  if (argv.shard === undefined) return undefined;
  const shard = parseShard(argv.shard);
  if (!config.azure?.discover) {
    throw new UsageError('--shard splits a fleet, but the configuration has no azure.discover', 'add azure.discover (subscriptions, tag), or drop --shard');
  }
  return shard;
}

/** The parsed `--shard`, or undefined without it; a malformed one is a UsageError naming the expected form. */
export function shardArg(argv: ShardArgs): Shard | undefined {
  return argv.shard === undefined ? undefined : parseShard(argv.shard);
}

/** --format / --out-dir, falling back to the configuration's report section when no flag is given. */
export function reportRequest(argv: Pick<ReportArgs, 'format' | 'out-dir'> & Partial<Pick<ReportArgs, 'lang'>>, config: Config | undefined): ReportRequest {
  const language = argv.lang ?? config?.report?.language;
  const flagFormats = argv.format;
  const flagDir = argv['out-dir'];
  const formats: ReportFormatName[] = [...new Set<ReportFormatName>(flagFormats ?? config?.report?.formats ?? ['console'])];
  const outDir = flagDir ?? (flagFormats ? undefined : config?.report?.dir);
  checkFormats(formats);
  if (!outDir && formats.length > 1) {
    throw new UsageError(
      `${formats.length} formats (${formats.join(', ')}) need a directory to be written to`,
      'add --out-dir DIR, or choose one --format for stdout',
    );
  }
  const request: ReportRequest = outDir ? { formats, outDir } : { formats };
  if (language) request.language = language;
  // Read again here (load.ts checked it already): the key object stays out of the configuration.
  const signingKey = config?.report?.signingKey;
  if (outDir && signingKey !== undefined) request.signer = loadSigningKey(signingKey);
  return request;
}

/** Runs the checks with the given gateways, and closes the gateways whatever happens (connections, pools). */
export async function runThenClose(options: RunOptions, finish?: () => void): Promise<RunResult> {
  try {
    return await runChecks(options);
  } finally {
    finish?.();
    await options.gateways.close();
  }
}

export { loadConfigFor, withConfigOption } from './config-option.js';
