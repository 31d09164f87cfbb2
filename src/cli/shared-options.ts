/** Options shared by the commands that produce a report (check, verify, restore-test). */
import { dirname, resolve } from 'node:path';
import type { Argv } from 'yargs';
import { SEVERITIES, type Severity } from '../checks/types.js';
import type { Config, ReportFormatName } from '../config/schema.js';
import { reportFormatSchema } from '../config/schema.js';
import { loadConfigFile, type LoadedConfig } from '../config/load.js';
import { UsageError } from '../errors.js';
import type { RunResult } from '../run/result.js';
import { runChecks, type RunOptions } from '../run/runner.js';
import type { Output } from './io.js';
import { checkFormats, type ReportRequest } from './report-files.js';

export function withConfigOption(yargs: Argv, required: boolean): Argv {
  return yargs.option('config', {
    alias: 'c',
    type: 'string',
    describe: 'configuration file (YAML or JSON)',
    demandOption: required ? 'pass the configuration file with --config FILE' : false,
    requiresArg: true,
  });
}

export function withReportOptions(yargs: Argv): Argv {
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
      choices: SEVERITIES as string[],
      describe: 'failures below this severity do not set exit code 1 (default: low, every failure counts)',
      requiresArg: true,
    })
    .option('verbose', { type: 'boolean', describe: 'print diagnostics to stderr', default: false });
}

export async function loadConfigFor(argv: Record<string, unknown>, output: Output): Promise<LoadedConfig & { configDir: string }> {
  const path = String(argv.config);
  const loaded = await loadConfigFile(path, output.env);
  output.useRedactor(loaded.redactor);
  return { ...loaded, configDir: dirname(resolve(path)) };
}

/** --format / --out-dir, falling back to the configuration's report section when no flag is given. */
export function reportRequest(argv: Record<string, unknown>, config: Config | undefined): ReportRequest {
  const flagFormats = argv.format as ReportFormatName[] | undefined;
  const flagDir = argv['out-dir'] as string | undefined;
  const formats: ReportFormatName[] = [...new Set<ReportFormatName>(flagFormats ?? config?.report?.formats ?? ['console'])];
  const outDir = flagDir ?? (flagFormats ? undefined : config?.report?.dir);
  checkFormats(formats);
  if (!outDir && formats.length > 1) {
    throw new UsageError(`${formats.length} formats (${formats.join(', ')}) need a directory to be written to`, 'add --out-dir DIR, or choose one --format for stdout');
  }
  return outDir ? { formats, outDir } : { formats };
}

export function failOnOption(argv: Record<string, unknown>): Severity | undefined {
  return argv['fail-on'] as Severity | undefined;
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
