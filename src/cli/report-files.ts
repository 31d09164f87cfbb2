/**
 * Renders a RunResult in the chosen formats and writes them: one format and no directory → stdout;
 * a directory → every format as `<UTC timestamp>-<environment>-<command>.<ext>`, and the JSON always,
 * since it is the record the others are rendered from (contract.md).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { ReportFormatName } from '../config/schema.js';
import { UsageError } from '../errors.js';
import { availableFormats, reporters } from '../report/index.js';
import type { RunResult } from '../run/result.js';
import type { Output } from './io.js';

export interface ReportRequest {
  formats: ReportFormatName[];
  outDir?: string;
}

/** Validates requested formats before anything runs, so a typo costs nothing. */
export function checkFormats(formats: ReportFormatName[]): void {
  const missing = formats.filter((f) => !reporters[f]);
  if (missing.length > 0) {
    throw new UsageError(`format ${missing.join(', ')} is not available in this version`, `available formats: ${availableFormats().join(', ')}`);
  }
}

export function reportBaseName(result: RunResult): string {
  const stamp = result.run.startedAt.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${result.run.environment}-${result.run.command}`;
}

export async function emitReports(result: RunResult, request: ReportRequest, output: Output): Promise<string[]> {
  const color = output.interactive;
  if (!request.outDir) {
    const format = request.formats[0] ?? 'console';
    output.out(reporters[format]!.render(result, { color }));
    return [];
  }
  const dir = resolve(request.outDir);
  await mkdir(dir, { recursive: true });
  const formats = [...new Set<ReportFormatName>(['json', ...request.formats])];
  const written: string[] = [];
  const base = reportBaseName(result);
  for (const format of formats) {
    if (format === 'console') continue;
    const reporter = reporters[format]!;
    const path = join(dir, `${base}.${reporter.extension}`);
    await writeFile(path, output.redactor.redact(reporter.render(result, { color: false })), { flag: 'wx' });
    written.push(path);
  }
  // The human summary still goes to the terminal when asked for (or by default).
  if (request.formats.includes('console')) output.out(reporters.console!.render(result, { color }));
  for (const path of written) output.err(`report written: ${path}`);
  return written;
}
