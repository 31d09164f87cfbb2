/**
 * The hostile-names suite: a report whose every free-text field holds markup, script, Markdown and
 * table syntax, ANSI escapes, newlines and bidi overrides renders harmlessly in every format.
 * (The same report is opened in a real browser in test/cli/report-browser.test.ts.)
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import MarkdownIt from 'markdown-it';
import { reporters } from '../../src/report/index.js';
import { HOSTILE, hostileFleetReport, hostileReport } from '../helpers/report-fixtures.js';
import { xmllintText } from '../helpers/xmllint.js';

const report = { ...hostileReport(), previousReportSha256: null };
const render = (format: keyof typeof reporters, color = false) => reporters[format]!.render(report, { color, history: [report] });
// Bytes that must never reach a terminal, a log viewer or a document raw: ESC, BEL, CR, bidi overrides.
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

describe('hostile text in every format', () => {
  it('console: shown, never obeyed; one line per item', () => {
    for (const color of [false, true]) {
      const out = render('console', color).replace(/\u001b\[[0-9;]*m/g, color ? '' : '\u0000'); // our own colours only
      assert.doesNotMatch(out, RAW_CONTROL);
      assert.doesNotMatch(out, /\nline2/, 'a newline inside a message started a new line');
      assert.match(out, /\\x1b\[31mRED|RED/);
    }
  });

  it('json: the record keeps the text exactly, escaped as JSON', () => {
    const out = render('json');
    assert.doesNotMatch(out, RAW_CONTROL);
    assert.deepEqual(JSON.parse(out), report);
  });

  it('markdown: no markup from the text once GitHub-style Markdown is rendered', () => {
    const out = render('markdown');
    assert.doesNotMatch(out, RAW_CONTROL);
    const items = out.split('\n').filter((line) => /^- \[[ x]\] /.test(line));
    assert.equal(items.length, report.checks.length, 'one checklist item per check, whatever the text holds');
    const html = new MarkdownIt({ html: true, linkify: true }).render(out);
    assert.doesNotMatch(html, /<script|<img|href="javascript:/i);
    assert.doesNotMatch(html, /<strong>bold<\/strong>|<h1>\s*heading|<s>del<\/s>/);
    // Remediation and hints render their `backtick spans` as code (commands to paste, issue 13); everywhere else no code.
    const rest = out
      .split('\n')
      .filter((line) => !/^ {2}- (Remediation|Hint): /.test(line))
      .join('\n');
    assert.doesNotMatch(new MarkdownIt({ html: true, linkify: true }).render(rest), /<code>rm -rf/);
    assert.match(html, /Remediation: Remediation .*<code>rm -rf \/<\/code>/);
    assert.match(html, /&lt;script&gt;window.__pwned=1&lt;\/script&gt;/);
    // The summary table keeps its six cells: pipes in the text do not split it.
    // (GFM drops cells past the header's count, so check what each cell holds, not just how many there are.)
    const row = /<tbody>\s*<tr>([\s\S]*?)<\/tr>/.exec(html)?.[1] ?? '';
    const cells = [...row.matchAll(/<td>([\s\S]*?)<\/td>/g)].map((m) => m[1]!);
    assert.equal(cells.length, 6, row);
    assert.match(cells[0]!, /^env .*a\|b\|c.*# heading$/, 'the environment cell holds the whole text');
    assert.match(cells[1]!, /^cmd .*a\|b\|c.*# heading$/);
    assert.match(cells[5]!, /FAIL/);
  });

  it('html: every value escaped, no script, no element from the text', () => {
    const out = render('html');
    assert.doesNotMatch(out, RAW_CONTROL);
    assert.doesNotMatch(out, /<script|<img/i);
    assert.ok(out.includes('&lt;script&gt;window.__pwned=1&lt;/script&gt;'));
    assert.ok(!out.includes(HOSTILE));
  });

  it('junit: valid XML against the XSD, no raw control character', () => {
    const out = render('junit');
    assert.doesNotMatch(out, RAW_CONTROL);
    const lint = xmllintText(out);
    assert.ok(lint.ok, lint.stderr);
    assert.ok(out.includes('&lt;script&gt;'));
  });
});

describe('hostile names in a fleet report (resource ids, names, groups, tags, shard files)', () => {
  const fleet = { ...hostileFleetReport(), previousReportSha256: null };
  const renderFleet = (format: keyof typeof reporters, color = false) => reporters[format]!.render(fleet, { color, history: [fleet], verbose: true });

  it('console: shown, never obeyed; one line per resource and per finding', () => {
    for (const color of [false, true]) {
      const out = renderFleet('console', color).replace(/\u001b\[[0-9;]*m/g, color ? '' : '\u0000');
      assert.doesNotMatch(out, RAW_CONTROL);
      assert.doesNotMatch(out, /\nline2/, 'a newline inside a resource name started a new line');
      assert.ok(out.includes('name <script>'), 'the discovered name is shown as typed');
      assert.ok(out.includes('st <script>'), 'an undiscovered resource is named from its id');
    }
  });

  it('json: the record keeps the text exactly', () => {
    const out = renderFleet('json');
    assert.doesNotMatch(out, RAW_CONTROL);
    assert.deepEqual(JSON.parse(out), fleet);
  });

  it('markdown: no markup from a resource name, group, tag or shard file; the fleet table keeps two cells a row', () => {
    const out = renderFleet('markdown');
    assert.doesNotMatch(out, RAW_CONTROL);
    const html = new MarkdownIt({ html: true, linkify: true }).render(out);
    assert.doesNotMatch(html, /<script|<img|href="javascript:/i);
    assert.doesNotMatch(html, /<strong>bold<\/strong>|<h1>\s*heading|<s>del<\/s>/);
    assert.match(html, /name &lt;script&gt;window.__pwned=1&lt;\/script&gt;/);
    const table = /<th>Fleet<\/th>[\s\S]*?<\/table>/.exec(html)?.[0] ?? '';
    const rows = [...table.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].slice(1);
    assert.ok(rows.length >= 5, table);
    for (const row of rows) assert.equal([...row[1]!.matchAll(/<td>/g)].length, 2, row[1]);
    assert.match(table, /tag .*a\|b\|c.*=value .*# heading/, 'the tag cell holds the whole text');
  });

  it('html: every value escaped; element ids never carry text from a resource id', () => {
    const out = renderFleet('html');
    assert.doesNotMatch(out, RAW_CONTROL);
    assert.doesNotMatch(out, /<script|<img/i);
    assert.ok(!out.includes(HOSTILE));
    assert.ok(out.includes('name &lt;script&gt;window.__pwned=1&lt;/script&gt;'));
    assert.ok(out.includes('file &lt;script&gt;'), 'the merged shard file is escaped');
    for (const [, id] of out.matchAll(/\sid="([^"]*)"/g)) assert.match(id!, /^[a-z0-9-]+$/, id);
    for (const [, href] of out.matchAll(/href="#([^"]*)"/g)) assert.match(href!, /^[a-z0-9-]+$/, href);
  });

  it('junit: valid XML against the XSD, hostile names in testcase names and classnames escaped', () => {
    const out = renderFleet('junit');
    assert.doesNotMatch(out, RAW_CONTROL);
    const lint = xmllintText(out);
    assert.ok(lint.ok, lint.stderr);
    assert.match(out, /<testcase name="pgflex-server-state \(name &lt;script&gt;/);
  });
});
