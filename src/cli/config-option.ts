/**
 * --config and the loading of the file it names, shared by every command that reads a configuration. Apart from the
 * report options (shared-options.ts) so that validate-config and retention load neither the reporters nor the evidence code.
 */
import type { Argv } from 'yargs';
import { type LoadedConfig, loadConfigFile } from '../config/load.js';
import type { Output } from './io.js';

export function withConfigOption<T>(yargs: Argv<T>, required: true): Argv<T & { config: string }>;
export function withConfigOption<T>(yargs: Argv<T>, required: false): Argv<T & { config: string | undefined }>;
export function withConfigOption<T>(yargs: Argv<T>, required: boolean): Argv<T & { config: string | undefined }> {
  return yargs.option('config', {
    alias: 'c',
    type: 'string',
    describe: 'configuration file (YAML or JSON)',
    demandOption: required ? 'pass the configuration file with --config FILE' : false,
    requiresArg: true,
  });
}

/** Loads the configuration file (its paths resolved from its directory) and masks its secrets in everything printed. */
export async function loadConfigFor(path: string, output: Output): Promise<LoadedConfig> {
  const loaded = await loadConfigFile(path, output.env);
  output.useRedactor(loaded.redactor);
  return loaded;
}
