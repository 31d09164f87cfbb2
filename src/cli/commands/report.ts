/**
 * `restorecheck report verify DIR [--public-key FILE]`: checks the report chain, the rendered files' hashes,
 * the audit log of a report directory, and with --public-key the signatures of the reports and the audit head
 * (exit 0 intact, 1 broken with the first broken link named, 2 nothing to verify, or intact but
 * holding a torn write: a leftover temp file or an unrecorded report that is not JSON).
 * `restorecheck report render FILE.json --format FMT [--lang fr]`: re-renders a stored report to stdout; the HTML
 * (and PDF) get the reports beside FILE as trend history.
 */
import { readFile, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { ReportFormatName } from '../../config/schema.js';
import { reportFormatSchema } from '../../config/schema.js';
import { UsageError } from '../../errors.js';
import { AUDIT_LOG_FILE } from '../../evidence/audit-log.js';
import { loadPublicKey } from '../../evidence/signing.js';
import { verifyChain } from '../../evidence/verify-chain.js';
import { printable } from '../../report/escape.js';
import { parseReport } from '../../report/report-schema.js';
import { defineCommand } from '../command.js';
import { LOCK_FILE } from '../../evidence/dir-lock.js';
import type { Output } from '../io.js';
import { checkFormats, renderFormat } from '../report-files.js';
import { loadHistory, readSnapshot } from '../../evidence/report-directory.js';

async function verify(dirArg: string, publicKeyArg: string | undefined, output: Output): Promise<void> {
  // The key first: a wrong --public-key is a usage error (exit 2) whatever the directory holds.
  const verifier = publicKeyArg === undefined ? undefined : loadPublicKey(resolve(publicKeyArg));
  const dir = resolve(dirArg);
  const info = await stat(dir).catch(() => undefined);
  if (!info?.isDirectory()) throw new UsageError(`${dir} is not a directory`, 'pass the report directory (the --out-dir or report.dir of the runs)');
  const snapshot = await readSnapshot(dir, { rendered: true });
  // verify only reads (an auditor's copy may be read-only), so it does not take the lock; a run
  // writing at this very moment can make the newest report look unrecorded.
  if (snapshot.names.includes(LOCK_FILE))
    output.err(`note: ${join(dir, LOCK_FILE)} exists: a run may be writing; if the newest report is flagged, verify again once it is done`);
  if (snapshot.reports.length === 0 && snapshot.auditLog === null && (snapshot.tempFiles ?? []).length === 0) {
    throw new UsageError(`no report and no ${AUDIT_LOG_FILE} in ${dir}: nothing to verify`, 'pass the directory the reports were written to');
  }
  const result = verifyChain(snapshot, verifier ? { verifier } : {});
  // What a PASS means, said every time: hashes anyone can recompute, or signatures only the key holder can make.
  const scope = result.authenticity
    ? `authenticity checked: every report and the audit head are signed by key ${result.authenticity.keyId}` +
      (result.authenticity.unsignedAuditLinesCovered > 0
        ? ` (${result.authenticity.unsignedAuditLinesCovered} earlier unsigned audit line${result.authenticity.unsignedAuditLinesCovered === 1 ? ' is' : 's are'} covered by the signed head's links)`
        : '')
    : 'integrity only, not authenticity: no public key given (anyone can recompute hashes; pass --public-key FILE to check the signatures)';
  const problemsBySubject = new Set(result.problems.map((p) => p.subject));
  const tornSubjects = new Set(result.tornWrites.map((p) => p.subject));
  const tornLines = result.tornWrites.map((p) => `${printable(p.subject)} ${printable(p.message)}: remove ${printable(join(dir, p.subject))}`);
  output.out(
    `report chain of ${dir}: ${result.reports.length} report${result.reports.length === 1 ? '' : 's'}, ${result.auditLines} audit line${result.auditLines === 1 ? '' : 's'}, ` +
      `${result.renderedVerified} rendered file${result.renderedVerified === 1 ? '' : 's'} matching their recorded hash\n`,
  );
  for (const report of result.reports) {
    const mark = problemsBySubject.has(report.name) ? 'BROKEN' : tornSubjects.has(report.name) ? 'TORN' : 'ok';
    output.out(`  ${mark.padEnd(6)}  ${printable(report.name)}  sha256 ${report.sha256}${report.outcome ? `  ${report.outcome}` : ''}\n`);
  }
  for (const name of tornSubjects) {
    if (!result.reports.some((r) => r.name === name)) output.out(`  ${'TORN'.padEnd(6)}  ${printable(name)}\n`);
  }
  for (const note of result.notes) output.out(`note: ${printable(note.subject)} ${printable(note.message)}\n`);
  if (result.ok && tornLines.length > 0) {
    // Distinct from both PASS and FAIL: nothing was tampered with, but the directory holds debris of a
    // write that did not finish, which a person should look at and remove (exit 2: not verified clean).
    output.out('\n');
    for (const line of tornLines) output.out(`TORN WRITE: ${line}\n`);
    output.out(`The chain is intact apart from ${tornLines.length === 1 ? 'this file' : 'these files'}, which no audit line records (${scope}).\n`);
    output.exitCode = 2;
    return;
  }
  if (result.ok) {
    output.out(
      `\nPASS: the chain is intact; ${scope}.\n  newest report sha256:    ${result.reportHeadSha256 ?? 'none'}\n  last audit line sha256:  ${result.auditHeadSha256 ?? 'none'}\n`,
    );
    output.out('Keep these two hashes outside the directory (CI log, ticket): they prove later that nothing was cut from the end.\n');
    output.exitCode = 0;
    return;
  }
  const [first] = result.problems;
  if (first) output.out(`\nFAIL: first broken link: ${printable(first.subject)} ${printable(first.message)}\n`);
  if (result.problems.length > 1) {
    output.out(`all ${result.problems.length} problems:\n`);
    for (const problem of result.problems) output.out(`  - ${printable(problem.subject)} ${printable(problem.message)}\n`);
  }
  for (const line of tornLines) output.out(`TORN WRITE: ${line}\n`);
  if (!result.authenticity) output.out(`(${scope})\n`);
  output.exitCode = 1;
}

async function render(fileArg: string, format: ReportFormatName, language: 'en' | 'fr' | undefined, output: Output): Promise<void> {
  const path = resolve(fileArg);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = error instanceof Error && 'code' in error ? String(error.code) : String(error);
    throw new UsageError(`cannot read ${path}: ${code}`, 'pass a JSON report written by restorecheck');
  }
  const parsed = parseReport(text);
  if (!parsed.ok) {
    throw new UsageError(
      `${path} is not a restorecheck JSON report: ${parsed.problems.join('; ')}`,
      'pass a .json report written by restorecheck (its shape is schemas/report.schema.json in the package)',
    );
  }
  checkFormats([format], output.env);
  const history = format === 'html' || format === 'pdf' ? await loadHistory(dirname(path), parsed.report) : [];
  const rendered = await renderFormat(format, parsed.report, { color: output.interactive, history, ...(language ? { language } : {}) }, output);
  if (typeof rendered === 'string') output.out(rendered);
  else output.outBytes(rendered);
}

export const reportCommand = defineCommand({
  builder: (yargs) =>
    yargs
      .positional('action', { type: 'string', choices: ['verify', 'render'], describe: 'verify a report directory, or render a stored report' })
      .positional('path', { type: 'string', describe: 'verify: the report directory; render: the JSON report' })
      .option('public-key', {
        type: 'string',
        describe: 'verify: the Ed25519 public key (PEM) that report.signingKey belongs to; every report and the audit head must be signed by it',
        requiresArg: true,
      })
      .option('format', {
        alias: 'f',
        type: 'string',
        choices: reportFormatSchema.options,
        describe: 'render: the output format (written to stdout)',
        requiresArg: true,
      })
      .option('lang', {
        type: 'string',
        choices: ['en', 'fr'] as const,
        describe: 'render: the language of the rendered report (the JSON record is the same in every language)',
        requiresArg: true,
      })
      .example('$0 report verify reports/', 'check that no report, rendered file or audit line was edited, removed, inserted or reordered')
      .example('$0 report verify reports/ --public-key report-signing.pub.pem', 'the same, and that the reports and the audit head are signed by this key')
      .example('$0 report render reports/20261121T030000Z-production-check.json --format html > report.html', 're-render a stored report'),
  actions: {
    verify: {
      usage: 'verify <dir>',
      describe: 'check the hash chain and the audit log of a report directory (exit 0 intact, 1 broken, 2 nothing to verify or a torn write)',
      hide: ['format', 'lang'],
    },
    render: {
      usage: 'render <file.json> --format FMT',
      describe: 're-render a stored JSON report to stdout (HTML and PDF get the reports beside it as history)',
    },
  },
  async run(argv, { output }) {
    const path = argv.path;
    if (path === undefined) throw new UsageError('name the report directory or file', 'restorecheck report verify DIR'); // yargs demands <path>; this keeps the types honest
    if (argv.action === 'verify') {
      if (argv.format !== undefined) throw new UsageError('report verify takes no --format', 'run `restorecheck report verify DIR`');
      if (argv.lang !== undefined) throw new UsageError('report verify takes no --lang', 'run `restorecheck report verify DIR`');
      await verify(path, argv['public-key'], output);
      return;
    }
    if (argv['public-key'] !== undefined) throw new UsageError('report render takes no --public-key', 'run `restorecheck report verify DIR --public-key FILE`');
    if (argv.format === undefined) throw new UsageError('report render needs --format FMT', `formats: ${reportFormatSchema.options.join(', ')}`);
    await render(path, argv.format, argv.lang, output);
  },
});
