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

/** The formats a pure reporter renders: every format but pdf. */
export type TextFormat = Exclude<ReportFormatName, 'pdf'>;

/** Total over the text formats: a format added to the config schema without its reporter fails the build. */
export const reporters: Record<TextFormat, Reporter> = {
  console: consoleReporter,
  json: jsonReporter,
  markdown: markdownReporter,
  html: htmlReporter,
  junit: junitReporter,
};

export function isTextFormat(format: ReportFormatName): format is TextFormat {
  return format !== 'pdf';
}
