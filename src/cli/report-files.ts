/**
 * Renders a RunResult in the chosen formats and writes them: one format and no directory → stdout;
 * a directory → every format as `<UTC timestamp>-<environment>-<command>.<ext>`, and the JSON always,
 * since it is the record the others are rendered from (contract.md). In a directory, under its lock
 * (evidence/report-directory.ts): the other formats are rendered from the result as chained (the HTML with
 * the directory's earlier reports as its trend history) and written first, then the JSON that records their
 * SHA-256 (signed with report.signingKey), then its audit line.
 * With $GITHUB_STEP_SUMMARY set, the Markdown checklist is appended there too.
 */
import { appendFile, mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { ReportFormatName } from '../config/schema.js';
import { utcDate } from '../report/presentation.js';
import { isTextFormat, reporters } from '../report/index.js';
import { labelsFor } from '../report/labels.js';
import type { RenderOptions } from '../report/types.js';
import type { ReportLanguage } from '../report/labels.js';
import type { RunResult } from '../run/result.js';
import type { Output } from './io.js';
import { DiskFullError, isDiskFull } from '../evidence/atomic-write.js';
import type { Signer } from '../evidence/signing.js';
import { findChromium, printPdf } from './pdf-printer.js';
import { type RenderedFile, loadHistory, writeChainedReport } from '../evidence/report-directory.js';
import type { PulledStore } from '../evidence/report-store.js';

/** The report store of one command (cli/report-store-sync.ts builds it). */
export interface ReportStoreSession {
  /** The local report directory the store is pulled into. */
  dir: string;
  /** Reads the store into `dir` afresh (what another run stored meanwhile included). */
  pull(): Promise<PulledStore>;
  /** The first pull of this command, made once: before the run (fail fast) and for restore-test-freshness. */
  ensurePulled(): Promise<PulledStore>;
  push(files: readonly string[]): Promise<void>;
}

export interface ReportRequest {
  formats: ReportFormatName[];
  outDir?: string;
  /** report.language / --lang: the language of every rendered format; the JSON record stays language-neutral. */
  language?: ReportLanguage;
  /** report.store: pulled before the JSON joins the chain, pushed after every file is written (cli/report-store-sync.ts). */
  store?: ReportStoreSession;
  /** report.signingKey: the JSON report and its audit line are signed (only in a directory). */
  signer?: Signer;
}

/** Validates requested formats before anything runs, so a typo costs nothing. */
export function checkFormats(formats: ReportFormatName[], env: NodeJS.ProcessEnv = process.env): void {
  // Every format has its reporter (report/index.ts is total); pdf needs a browser. A missing browser is known now, before a run that may take an hour.
  if (formats.includes('pdf')) findChromium(env);
}

/** Renders one format: text through the redactor; pdf is the redacted HTML printed by Chromium. */
export async function renderFormat(format: ReportFormatName, result: RunResult, options: RenderOptions, output: Output): Promise<string | Buffer> {
  const redact = (text: string) => output.redactor.redact(text);
  if (isTextFormat(format)) return redact(reporters[format].render(result, options));
  const html = redact(reporters.html.render(result, options));
  const footer = redact(`${labelsFor(options.language).reportKicker} · ${result.run.environment} · ${result.run.command} · ${utcDate(result.run.startedAt)}`);
  return printPdf(html, { executablePath: findChromium(output.env), footer });
}

export function extensionOf(format: ReportFormatName): string {
  return isTextFormat(format) ? reporters[format].extension : 'pdf';
}

/** GitHub Actions shows what a step appends to $GITHUB_STEP_SUMMARY on the run's page. */
async function appendStepSummary(result: RunResult, output: Output, language?: ReportLanguage): Promise<void> {
  const path = output.env.GITHUB_STEP_SUMMARY;
  if (!path) return;
  await appendFile(path, `${output.redactor.redact(reporters.markdown.render(result, { color: false, language }))}\n`);
}

export function reportBaseName(result: RunResult): string {
  const stamp = result.run.startedAt.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${result.run.environment}-${result.run.command}`;
}

export async function emitReports(result: RunResult, request: ReportRequest, output: Output): Promise<string[]> {
  const color = output.interactive;
  if (!request.outDir) {
    const format = request.formats[0] ?? 'console';
    // --verbose: in fleet mode the console shows every resource's findings, not only those needing attention.
    const rendered = await renderFormat(format, result, { color, language: request.language, verbose: output.verbose }, output);
    if (typeof rendered === 'string') output.out(rendered);
    else output.outBytes(rendered);
    await appendStepSummary(result, output, request.language);
    return [];
  }
  const dir = resolve(request.outDir);
  await mkdir(dir, { recursive: true }).catch((error: unknown) => {
    throw isDiskFull(error) ? new DiskFullError(dir, 'the report directory') : error;
  });
  // Report store hook (1/2): the chain and the trends continue from the store; a store that cannot be read stops here.
  await request.store?.pull();
  // The rendered formats are written first and the JSON records their SHA-256 (and, with a key, signs them): see writeChainedReport.
  const needsHistory = request.formats.includes('html') || request.formats.includes('pdf');
  const render = async (chained: RunResult): Promise<RenderedFile[]> => {
    const history = needsHistory ? await loadHistory(dir, chained) : [];
    const files: RenderedFile[] = [];
    for (const format of new Set(request.formats)) {
      if (format === 'console' || format === 'json') continue;
      files.push({
        extension: extensionOf(format),
        data: await renderFormat(format, chained, { color: false, history, ...(request.language ? { language: request.language } : {}) }, output),
      });
    }
    return files;
  };
  const chained = await writeChainedReport(dir, result, reportBaseName(result), (text) => output.redactor.redact(text), {
    render,
    ...(request.signer ? { signer: request.signer } : {}),
  });
  const written: string[] = [chained.jsonPath, ...chained.renderedPaths];
  // The human summary still goes to the terminal when asked for (or by default).
  if (request.formats.includes('console'))
    output.out(reporters.console!.render(chained.result, { color, language: request.language, verbose: output.verbose }));
  await appendStepSummary(chained.result, output, request.language);
  for (const path of written) output.err(`report written: ${path}`);
  // Report store hook (2/2): the new audit line(s), the JSON record and every rendered file.
  await request.store?.push(written);
  return written;
}
