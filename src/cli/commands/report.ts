/**
 * `restorecheck report verify DIR [--public-key FILE]`: checks the report chain, the rendered files' hashes,
 * the audit log of a report directory, and with --public-key the signatures of the reports and the audit head
 * (exit 0 intact, 1 broken with the first broken link named, 2 nothing to verify, or intact but
 * holding a torn write: a leftover temp file or an unrecorded report that is not JSON).
 * `restorecheck report render FILE.json --format FMT [--lang fr]`: re-renders a stored report to stdout; the HTML
 * (and PDF) get the reports beside FILE as trend history.
 * `restorecheck report merge DIR... [--config FILE] [--out-dir DIR] [--format FMT]... [--public-key FILE]` (issue 17):
 * the newest fleet report of each shard's report directory, each directory's chain verified first, joined into the
 * fleet's one report (run/merge-shards.ts) and written as `check` writes its reports; exit code from the merged outcome.
 */
import { randomUUID } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import type { ReportFormatName } from '../../config/schema.js';
import { reportFormatSchema } from '../../config/schema.js';
import { UsageError } from '../../errors.js';
import { AUDIT_LOG_FILE } from '../../evidence/audit-log.js';
import { loadPublicKey } from '../../evidence/signing.js';
import { verifyChain } from '../../evidence/verify-chain.js';
import { printable } from '../../report/escape.js';
import { parseReport } from '../../report/report-schema.js';
import { type ShardReportInput, mergeShards } from '../../run/merge-shards.js';
import { collectProvenance } from '../../run/provenance.js';
import { exitCodeFor } from '../../run/result.js';
import { TOOL_VERSION } from '../../version.js';
import { defineCommand } from '../command.js';
import { LOCK_FILE } from '../../evidence/dir-lock.js';
import type { Output } from '../io.js';
import { checkFormats, emitReports, renderFormat } from '../report-files.js';
import { withReportStore } from '../report-store-sync.js';
import { loadConfigFor, reportRequest, withConfigOption } from '../shared-options.js';
import { loadHistory, readSnapshot } from '../../evidence/report-directory.js';
import type { Verifier } from '../../evidence/signing.js';

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

/**
 * The newest fleet report of one shard's report directory, once its chain (and with a key, its signatures) verified:
 * a shard report is merged only from a directory `report verify` would pass. A torn write (debris of an interrupted
 * write, not tampering) is noted and does not stop the merge.
 */
async function shardReportOf(dirArg: string, verifier: Verifier | undefined, output: Output): Promise<ShardReportInput> {
  const dir = resolve(dirArg);
  const info = await stat(dir).catch(() => undefined);
  if (!info?.isDirectory())
    throw new UsageError(`${dir} is not a directory`, "pass each shard job's report directory (its --out-dir, e.g. from the CI artifact)");
  const snapshot = await readSnapshot(dir, { rendered: true });
  if (snapshot.reports.length === 0)
    throw new UsageError(
      `${dir} holds no report`,
      'pass the --out-dir of a `restorecheck check --shard K/N` job (did the job fail before it wrote its report? its CI log says why)',
    );
  const result = verifyChain(snapshot, verifier ? { verifier } : {});
  if (!result.ok) {
    const [first] = result.problems;
    throw new UsageError(
      `${dir}: the report chain does not verify (${result.problems.length} problem${result.problems.length === 1 ? '' : 's'}; first broken link: ` +
        `${printable(first?.subject ?? '?')} ${printable(first?.message ?? '')}): its shard report cannot be merged`,
      `run \`restorecheck report verify ${dir}${verifier ? ' --public-key FILE' : ''}\` for the whole list; take the shard's report directory again from its CI job's artifact, or run that shard again`,
    );
  }
  for (const torn of result.tornWrites) output.err(`note: ${join(dir, torn.subject)} ${torn.message}; it is not merged`);
  const bytesOf = new Map(snapshot.reports.map((file) => [file.name, file.bytes]));
  for (const entry of [...result.reports].reverse()) {
    const bytes = bytesOf.get(entry.name);
    if (!bytes) continue;
    const parsed = parseReport(Buffer.from(bytes).toString('utf8'));
    if (parsed.ok && parsed.report.fleet) return { report: parsed.report, file: entry.name, sha256: entry.sha256, label: join(dir, entry.name) };
  }
  throw new UsageError(
    `${dir} holds no fleet report (${snapshot.reports.length} report${snapshot.reports.length === 1 ? '' : 's'}, none with a fleet section)`,
    'pass the --out-dir of a `restorecheck check --shard K/N` job whose configuration has azure.discover',
  );
}

interface MergeArgs {
  dirs: string[];
  config: string | undefined;
  'out-dir': string | undefined;
  format: ReportFormatName[] | undefined;
  lang: 'en' | 'fr' | undefined;
  'public-key': string | undefined;
}

async function merge(args: MergeArgs, output: Output): Promise<void> {
  // The key first, as verify does: a wrong --public-key is a usage error whatever the directories hold.
  const verifier = args['public-key'] === undefined ? undefined : loadPublicKey(resolve(args['public-key']));
  const config = args.config === undefined ? undefined : (await loadConfigFor(args.config, output)).config;
  const request = withReportStore(reportRequest(args, config), config, output);
  const dirs = args.dirs.map((dir) => resolve(dir));
  const twice = dirs.find((dir, i) => dirs.indexOf(dir) !== i);
  if (twice) throw new UsageError(`${twice} is given twice`, "pass each shard job's report directory once");
  if (request.outDir !== undefined && dirs.includes(resolve(request.outDir))) {
    throw new UsageError(
      `the merged report would go into ${resolve(request.outDir)}, one of the shard directories: it would join that shard's chain`,
      'write the merged report to another directory: --out-dir DIR, or report.dir of --config',
    );
  }
  const shards: ShardReportInput[] = [];
  for (const dir of dirs) shards.push(await shardReportOf(dir, verifier, output));
  const environment = shards[0]?.report.run.environment;
  if (config && environment !== undefined && config.environment !== environment) {
    throw new UsageError(
      `--config ${args.config} is the configuration of environment ${config.environment}, the shard reports are of ${environment}`,
      'pass the configuration the shard jobs ran with: its report.dir, report.store and report.signingKey are where the merged report goes',
    );
  }
  const merged = mergeShards(shards, {
    runId: randomUUID(),
    who: collectProvenance({ cwd: process.cwd(), env: output.env, config }).who,
    toolVersion: TOOL_VERSION,
  });
  const count = merged.fleet?.mergedFrom?.length ?? shards.length;
  output.err(
    `report merge: ${count} shard reports of ${merged.run.command} · ${merged.run.environment} joined: ${merged.checks.length} finding${merged.checks.length === 1 ? '' : 's'} ` +
      `on ${merged.fleet?.evaluated.length ?? 0} of ${merged.fleet?.discovered.length ?? 0} resources, outcome ${merged.outcome}`,
  );
  for (const shard of shards)
    output.err(
      `  shard ${shard.report.fleet?.shard?.index}/${shard.report.fleet?.shard?.count}: ${shortPath(shard.label ?? shard.file)} sha256 ${shard.sha256}`,
    );
  // A store that cannot be read stops here, before the directory is touched (emitReports pulls again just before writing).
  await request.store?.ensurePulled();
  await emitReports(merged, request, output);
  output.exitCode = exitCodeFor(merged.outcome);
}

/** A path as given relative to the working directory when it is inside it (shorter lines in a CI log). */
function shortPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') ? rel : path;
}

export const reportCommand = defineCommand({
  builder: (yargs) =>
    withConfigOption(yargs, false)
      .positional('action', {
        type: 'string',
        choices: ['verify', 'render', 'merge'],
        describe: 'verify a report directory, render a stored report, or merge the shard reports of a fleet run',
      })
      .positional('paths', {
        type: 'string',
        array: true,
        // yargs gives an array positional the default []; <paths..> is required, so no default to show.
        default: undefined,
        describe: "verify: the report directory; render: the JSON report; merge: each shard job's report directory",
      })
      .option('public-key', {
        type: 'string',
        describe: 'verify, merge: the Ed25519 public key (PEM) that report.signingKey belongs to; every report and the audit head must be signed by it',
        requiresArg: true,
      })
      .option('format', {
        alias: 'f',
        type: 'string',
        array: true,
        choices: reportFormatSchema.options,
        describe: 'render: the output format (written to stdout); merge: report format (repeatable; one format without --out-dir goes to stdout)',
        requiresArg: true,
      })
      .option('out-dir', {
        type: 'string',
        describe: "merge: write the merged report (every chosen format and the JSON record) to this directory's chain; default: report.dir of --config",
        requiresArg: true,
      })
      .option('lang', {
        type: 'string',
        choices: ['en', 'fr'] as const,
        describe: 'render, merge: the language of the rendered report (the JSON record is the same in every language)',
        requiresArg: true,
      })
      .example('$0 report verify reports/', 'check that no report, rendered file or audit line was edited, removed, inserted or reordered')
      .example('$0 report verify reports/ --public-key report-signing.pub.pem', 'the same, and that the reports and the audit head are signed by this key')
      .example('$0 report render reports/20261121T030000Z-production-check.json --format html > report.html', 're-render a stored report')
      .example(
        '$0 report merge shard-reports/shard-* --config restorecheck.yaml --out-dir reports',
        'join the reports of the `check --shard K/N` jobs into one',
      ),
  actions: {
    verify: {
      usage: 'verify <dir>',
      describe: 'check the hash chain and the audit log of a report directory (exit 0 intact, 1 broken, 2 nothing to verify or a torn write)',
      hide: ['format', 'lang', 'config', 'out-dir'],
    },
    render: {
      usage: 'render <file.json> --format FMT',
      describe: 're-render a stored JSON report to stdout (HTML and PDF get the reports beside it as history)',
      hide: ['public-key', 'config', 'out-dir'],
    },
    merge: {
      usage: 'merge <dir..> [--config FILE] [--out-dir DIR] [--format FMT]...',
      describe:
        "join the shard reports of a fleet run (`check --shard K/N` in N jobs) into one report: each directory's chain verified, its newest " +
        'fleet report taken, written as check writes its reports (exit 0 pass, 1 a check failed, 2 incomplete or refused)',
    },
  },
  async run(argv, { output }) {
    const paths = (argv.paths ?? []).map(String);
    const [path] = paths;
    if (path === undefined) throw new UsageError('name the report directory or file', 'restorecheck report verify DIR'); // yargs demands <paths..>; this keeps the types honest
    if (argv.action === 'merge') {
      await merge(
        { dirs: paths, config: argv.config, 'out-dir': argv['out-dir'], format: argv.format, lang: argv.lang, 'public-key': argv['public-key'] },
        output,
      );
      return;
    }
    if (paths.length > 1)
      throw new UsageError(
        `report ${argv.action} takes one ${argv.action === 'verify' ? 'directory' : 'file'}, not ${paths.length}`,
        `run it once per ${argv.action === 'verify' ? 'directory' : 'file'}`,
      );
    for (const [flag, given] of [
      ['--config', argv.config],
      ['--out-dir', argv['out-dir']],
    ] as const) {
      if (given !== undefined) throw new UsageError(`report ${argv.action} takes no ${flag}`, `${flag} is for \`restorecheck report merge DIR...\``);
    }
    if (argv.action === 'verify') {
      if (argv.format !== undefined) throw new UsageError('report verify takes no --format', 'run `restorecheck report verify DIR`');
      if (argv.lang !== undefined) throw new UsageError('report verify takes no --lang', 'run `restorecheck report verify DIR`');
      await verify(path, argv['public-key'], output);
      return;
    }
    if (argv['public-key'] !== undefined) throw new UsageError('report render takes no --public-key', 'run `restorecheck report verify DIR --public-key FILE`');
    const [format, ...more] = argv.format ?? [];
    if (format === undefined) throw new UsageError('report render needs --format FMT', `formats: ${reportFormatSchema.options.join(', ')}`);
    if (more.length > 0) throw new UsageError(`report render writes one format to stdout, not ${more.length + 1}`, 'run it once per format');
    await render(path, format, argv.lang, output);
  },
});
