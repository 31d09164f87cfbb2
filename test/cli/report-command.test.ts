/**
 * The report formats through the real CLI: the "done when" run (four formats into a
 * directory, then `report verify`), schema validation of real reports, `report render`, the GitHub
 * job summary, and no secret in anything written.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { schemaErrors } from '../helpers/report-schema-validator.js';
import { CANARY_PASSWORD, makeWorkspace, runCheck, type Workspace } from '../helpers/report-workspace.js';
import { xmllintFile } from '../helpers/xmllint.js';

let ws: Workspace;
before(() => {
  ws = makeWorkspace();
});
after(() => ws.cleanup());

const filesIn = (dir: string) => readdirSync(dir).sort();
const CONTRACT_NAME = /^\d{8}T\d{6}(\.\d{3})?Z-production-check\.(json|md|html|xml)$/;

describe('report formats through the CLI', () => {
  it('check --out-dir with json, markdown, html and junit writes all four under contract names, and the chain verifies', async () => {
    const dir = join(ws.root, 'done-when');
    const run = await runCheck(ws, ['json', 'markdown', 'html', 'junit'], { outDir: dir });
    assert.equal(run.code, 2, run.stderr); // incomplete: the database port is closed
    assert.equal(run.stdout, '', 'nothing on stdout when every format goes to files');
    const files = filesIn(dir);
    assert.deepEqual(
      files
        .filter((f) => f !== 'audit.log.jsonl')
        .map((f) => f.replace(/^.*\./, ''))
        .sort(),
      ['html', 'json', 'md', 'xml'],
    );
    for (const f of files.filter((name) => name !== 'audit.log.jsonl')) assert.match(f, CONTRACT_NAME);
    for (const f of files.filter((name) => name !== 'audit.log.jsonl')) assert.ok(run.stderr.includes(`report written: ${join(dir, f)}`), `stderr names ${f}`);
    const json = JSON.parse(readFileSync(join(dir, files.find((f) => f.endsWith('.json'))!), 'utf8')) as Record<string, unknown>;
    assert.deepEqual(schemaErrors(json), []);
    assert.equal(json.previousReportSha256, null);
    const xml = xmllintFile(join(dir, files.find((f) => f.endsWith('.xml'))!));
    assert.ok(xml.ok, xml.stderr);
    const verify = await runCli(['report', 'verify', dir]);
    assert.equal(verify.code, 0, verify.stdout);
  });

  it('writes a schema-valid JSON report to stdout, without chain fields', async () => {
    const run = await runCli(['check', '--config', ws.config, '--format', 'json']);
    assert.equal(run.code, 2, run.stderr);
    const report = JSON.parse(run.stdout) as Record<string, unknown>;
    assert.deepEqual(schemaErrors(report), []);
    assert.equal('previousReportSha256' in report, false);
  });

  it('puts no secret in any file, line or output', async () => {
    const dir = join(ws.root, 'secrets');
    const run = await runCheck(ws, ['json', 'markdown', 'html', 'junit', 'console'], { outDir: dir });
    assert.ok(!run.stdout.includes(CANARY_PASSWORD) && !run.stderr.includes(CANARY_PASSWORD));
    for (const f of filesIn(dir)) assert.ok(!readFileSync(join(dir, f), 'utf8').includes(CANARY_PASSWORD), f);
  });

  it('report render re-renders a stored report in every text format', async () => {
    const dir = join(ws.root, 'render');
    await runCheck(ws, ['json'], { outDir: dir });
    const stored = join(dir, filesIn(dir).find((f) => f.endsWith('.json'))!);
    const json = await runCli(['report', 'render', stored, '--format', 'json']);
    assert.equal(json.code, 0, json.stderr);
    assert.deepEqual(JSON.parse(json.stdout), JSON.parse(readFileSync(stored, 'utf8')));
    const markdown = await runCli(['report', 'render', stored, '--format', 'markdown']);
    assert.match(markdown.stdout, /^## ⛔ restorecheck check · production: INCOMPLETE/);
    assert.match(markdown.stdout, /- \[ \] ⛔ \*\*db-connectivity\*\*/);
    const html = await runCli(['report', 'render', stored, '--format', 'html']);
    assert.match(html.stdout, /^<!doctype html>/);
    assert.match(html.stdout, /<title>restorecheck report · production · check · /);
    const junit = await runCli(['report', 'render', stored, '--format', 'junit']);
    assert.match(junit.stdout, /<testsuite name="db" /);
    const console = await runCli(['report', 'render', stored, '--format', 'console']);
    assert.match(console.stdout, /ERROR\s+db-connectivity/);
  });

  it('report render refuses a file that is not a report (exit 2, with the problem and a hint)', async () => {
    const notReport = join(ws.root, 'package.json');
    writeFileSync(notReport, JSON.stringify({ name: 'x', version: '1.0.0' }));
    const run = await runCli(['report', 'render', notReport, '--format', 'html']);
    assert.equal(run.code, 2);
    assert.equal(run.stdout, '');
    assert.match(run.stderr, /is not a restorecheck JSON report: .*schemaVersion/);
    assert.match(run.stderr, /hint: .*report\.schema\.json/);
    const missing = await runCli(['report', 'render', join(ws.root, 'nope.json'), '--format', 'json']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /cannot read .*nope\.json: ENOENT/);
    const noFormat = await runCli(['report', 'render', notReport]);
    assert.equal(noFormat.code, 2);
    assert.match(noFormat.stderr, /needs --format/);
  });

  it('appends the Markdown checklist to $GITHUB_STEP_SUMMARY on every run', async () => {
    const summary = join(ws.root, 'step-summary.md');
    writeFileSync(summary, '# earlier step\n');
    const env = { GITHUB_STEP_SUMMARY: summary };
    const first = await runCheck(ws, ['json'], { outDir: join(ws.root, 'gh'), env });
    assert.equal(first.code, 2, first.stderr);
    const second = await runCli(['check', '--config', ws.config], { env }); // console to stdout, no directory
    assert.equal(second.code, 2);
    const text = readFileSync(summary, 'utf8');
    assert.ok(text.startsWith('# earlier step\n'), 'appended, not overwritten');
    assert.equal(text.match(/^## ⛔ restorecheck check · production: INCOMPLETE$/gm)?.length, 2);
    assert.equal(text.match(/^### Monthly checklist$/gm)?.length, 2);
    assert.ok(!text.includes(CANARY_PASSWORD));
  });

  it('--format pdf without Chromium: exit 2 before anything runs, with the install hint', async () => {
    const dir = join(ws.root, 'no-chromium');
    mkdirSync(dir);
    const run = await runCheck(ws, ['pdf'], { outDir: dir, env: { RESTORECHECK_CHROMIUM: join(ws.root, 'no-such-chromium') } });
    assert.equal(run.code, 2);
    assert.match(run.stderr, /error: --format pdf: RESTORECHECK_CHROMIUM points at .*no-such-chromium, which does not exist/);
    assert.match(run.stderr, /hint: .*apt-get install chromium/);
    // No check ran and no report was written; only the refusal is recorded (issue 10).
    assert.deepEqual(filesIn(dir), ['audit.log.jsonl']);
    const line = JSON.parse(readFileSync(join(dir, 'audit.log.jsonl'), 'utf8')) as { action: string; report: unknown };
    assert.equal(line.action, 'refused');
    assert.equal(line.report, null);
  });
});
