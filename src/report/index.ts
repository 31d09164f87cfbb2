/**
 * The reporter registry: adding a format = one file + one line here (+ its name in the config schema).
 */
import type { ReportFormatName } from '../config/schema.js';
import { consoleReporter } from './console.js';
import { jsonReporter } from './json.js';
import type { Reporter } from './types.js';

export const reporters: Partial<Record<ReportFormatName, Reporter>> = {
  console: consoleReporter,
  json: jsonReporter,
};

export function availableFormats(): ReportFormatName[] {
  return Object.keys(reporters) as ReportFormatName[];
}
