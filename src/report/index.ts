/**
 * The reporter registry: adding a format = one file + one line here (+ its name in the config schema).
 * `pdf` is not here: it is the HTML printed by Chromium, a side effect the CLI owns (cli/pdf-printer.ts).
 */
import type { ReportFormatName } from '../config/schema.js';
import { consoleReporter } from './console.js';
import { htmlReporter } from './html.js';
import { jsonReporter } from './json.js';
import { junitReporter } from './junit.js';
import { markdownReporter } from './markdown.js';
import type { Reporter } from './types.js';

export const reporters: Partial<Record<ReportFormatName, Reporter>> = {
  console: consoleReporter,
  json: jsonReporter,
  markdown: markdownReporter,
  html: htmlReporter,
  junit: junitReporter,
};

export function availableFormats(): ReportFormatName[] {
  return Object.keys(reporters) as ReportFormatName[];
}
