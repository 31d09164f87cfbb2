/**
 * Fleet mode (issue 17) in every format: one finding per check and resource, grouped by resource (run-wide findings
 * first, then one group per resource sorted by id, headed by its name, kind, subscription, resource group and id, with
 * its counts); counts are findings; JUnit has one testcase per finding; the JSON schema reads a fleet report back; and a
 * fleet of 400 resources × 6 checks renders. Golden files as in golden.test.ts (UPDATE_GOLDEN=1 to accept a change).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { auditLine, auditTail } from '../../src/evidence/audit-log.js';
import { sha256Hex } from '../../src/evidence/report-chain.js';
import { verifyChain } from '../../src/evidence/verify-chain.js';
import { anchorSet, fleetView, parseResourceId } from '../../src/report/fleet-view.js';
import { reporters } from '../../src/report/index.js';
import { byRequirement } from '../../src/report/presentation.js';
import { parseReport } from '../../src/report/report-schema.js';
import { trendsOf } from '../../src/report/trends.js';
import type { RunResult } from '../../src/run/result.js';
import { FLEET_RESOURCES, FLEET_SUB_A, FLEET_SUB_B, checkReport, fleetReport, largeFleetReport } from '../helpers/report-fixtures.js';
import { schemaErrors } from '../helpers/report-schema-validator.js';
import { xmllintText } from '../helpers/xmllint.js';

const GOLDEN = join(import.meta.dirname, '../fixtures/golden');

function golden(name: string, actual: string): void {
  const path = join(GOLDEN, name);
  if (process.env.UPDATE_GOLDEN === '1') {
    mkdirSync(GOLDEN, { recursive: true });
    writeFileSync(path, actual);
    return;
  }
  assert.ok(existsSync(path), `${path} is missing: run UPDATE_GOLDEN=1 node scripts/run-tests.mjs test/report/fleet-report.test.ts`);
  assert.equal(actual, readFileSync(path, 'utf8'), `${name} differs from its golden file (UPDATE_GOLDEN=1 to accept an intended change)`);
}

const render = (format: keyof typeof reporters, result: RunResult = fleetReport(), options: { language?: 'en' | 'fr'; verbose?: boolean } = {}) =>
  reporters[format].render(result, { color: false, ...options });

const { pgA, pgB, st } = FLEET_RESOURCES;
/** The groups in the order every format shows them: by id (lower case). */
const BY_ID = [pgA, pgB, st].sort((a, b) => (a.id.toLowerCase() < b.id.toLowerCase() ? -1 : 1));
const findingsOf = (id: string) => fleetReport().checks.filter((c) => c.resource === id);

/** The text from `start` up to the first of `ends` after it (or the end). */
function between(text: string, start: string, ends: readonly string[]): string {
  const from = text.indexOf(start);
  assert.ok(from >= 0, `${start} not found`);
  const after = ends.map((e) => text.indexOf(e, from + start.length)).filter((i) => i > 0);
  return text.slice(from, after.length ? Math.min(...after) : undefined);
}

describe('fleet report: the JSON schema', () => {
  it('accepts a fleet report (resource on a finding, the fleet section) in ajv and zod, and it round-trips byte for byte', () => {
    for (const report of [fleetReport(), largeFleetReport(20, 2), { ...fleetReport(), fleet: { ...fleetReport().fleet!, shard: { index: 2, count: 3 } } }]) {
      const json = render('json', report);
      assert.deepEqual(schemaErrors(JSON.parse(json)), []);
      const parsed = parseReport(json);
      assert.ok(parsed.ok, parsed.ok ? '' : parsed.problems.join('\n'));
      assert.deepEqual(JSON.parse(render('json', parsed.report)), JSON.parse(json), 'parse → render gives the same report');
      const again = parseReport(render('json', parsed.report));
      assert.ok(again.ok);
      assert.equal(render('json', again.report), render('json', parsed.report), 'and, once parsed, the same bytes');
      // What report render does with a stored fleet report: every format renders from the parsed one as from the original.
      for (const format of ['console', 'markdown', 'html', 'junit'] as const) assert.equal(render(format, parsed.report), render(format, report), format);
    }
  });

  const broken: Array<[string, (r: RunResult) => unknown]> = [
    ['an unknown key in fleet', (r) => ({ ...r, fleet: { ...r.fleet, extra: 1 } })],
    ['an unknown key on a discovered resource', (r) => ({ ...r, fleet: { ...r.fleet, discovered: [{ ...r.fleet!.discovered[0], sku: 'B1ms' }] } })],
    ['a resource kind the tool does not know', (r) => ({ ...r, fleet: { ...r.fleet, discovered: [{ ...r.fleet!.discovered[0], kind: 'mysql' }] } })],
    ['a finding whose resource is not an ARM id', (r) => ({ ...r, checks: [{ ...r.checks[0], resource: 'pg-prod-01' }] })],
    ['a merged shard report whose hash is not SHA-256', (r) => ({ ...r, fleet: { ...r.fleet, mergedFrom: [{ ...r.fleet!.mergedFrom![0], sha256: 'abc' }] } })],
    ['a shard numbered from 0', (r) => ({ ...r, fleet: { ...r.fleet, shard: { index: 0, count: 2 } } })],
    ['a scope that is neither a list nor all', (r) => ({ ...r, fleet: { ...r.fleet, scope: { subscriptions: 'some', tag: {} } } })],
    ['a fleet without its evaluated list', (r) => ({ ...r, fleet: { ...r.fleet, evaluated: undefined } })],
  ];
  for (const [what, mutate] of broken) {
    it(`rejects ${what}, in ajv and in zod alike`, () => {
      const document = JSON.parse(JSON.stringify(mutate(fleetReport()))) as unknown;
      assert.notDeepEqual(schemaErrors(document), [], 'ajv accepted it');
      assert.equal(parseReport(JSON.stringify(document)).ok, false, 'zod accepted it');
    });
  }

  it('report verify reads a directory of chained fleet reports (shard reports and their merge)', () => {
    const reports: Array<{ name: string; bytes: Uint8Array }> = [];
    let log = '';
    for (const [i, report] of [largeFleetReport(10, 2), fleetReport()].entries()) {
      const chained = { ...report, run: { ...report.run, id: `fleet-run-${i}` }, previousReportSha256: i === 0 ? null : sha256Hex(reports[i - 1]!.bytes) };
      const name = `2026112${i}T030000Z-production-check.json`;
      const bytes = Buffer.from(render('json', chained));
      reports.push({ name, bytes });
      log += `${auditLine(
        { command: 'check', environment: 'production', outcome: chained.outcome, report: { file: name, sha256: sha256Hex(bytes) } },
        { ...auditTail(log || null), timestamp: `2026-11-2${i}T03:00:01.000Z`, user: 'auditor', host: 'ci' },
      )}\n`;
    }
    const verdict = verifyChain({ reports, auditLog: log });
    assert.deepEqual(verdict.problems, []);
    assert.equal(verdict.reports.length, 2);
  });

  it('accepts ids whatever the case of their fixed words (Resource Manager compares ids without case)', () => {
    const r = fleetReport();
    const lower = { ...r, checks: r.checks.map((c) => (c.resource ? { ...c, resource: c.resource.toLowerCase() } : c)) };
    assert.deepEqual(schemaErrors(JSON.parse(JSON.stringify(lower))), []);
    assert.ok(parseReport(JSON.stringify(lower)).ok);
  });
});

describe('fleet view', () => {
  it('groups by resource (case-insensitively), run-wide findings apart, resources sorted by id', () => {
    const r = fleetReport();
    // A finding spelling its resource id in another case still belongs to that resource.
    const shouting = { ...r, checks: r.checks.map((c) => (c.resource === pgA.id && c.status === 'pass' ? { ...c, resource: c.resource.toUpperCase() } : c)) };
    const view = fleetView(shouting);
    assert.deepEqual(
      view.runWide.map((c) => c.id),
      ['db-connectivity'],
    );
    assert.deepEqual(
      view.resources.map((v) => v.id),
      BY_ID.map((x) => x.id),
    );
    const a = view.resources.find((v) => v.id === pgA.id)!;
    assert.equal(a.findings.length, 3);
    assert.deepEqual(a.summary, { pass: 2, fail: 1, warn: 0, error: 0, skipped: 0 });
    assert.equal(a.status, 'fail');
    assert.equal(a.name, 'pg-prod-01');
    assert.equal(a.kind, 'postgres');
    assert.match(a.anchor, /^res-[0-9a-f]{12}$/);
  });

  it('names a resource from its ARM id when the discovered list does not hold it', () => {
    assert.deepEqual(parseResourceId(st.id.replace('resourceGroups', 'resourcegroups')), {
      subscriptionId: FLEET_SUB_A,
      resourceGroup: 'medicapp-rg',
      type: 'Microsoft.Storage/storageAccounts',
      name: 'stprodbackups',
    });
    const r = fleetReport();
    const view = fleetView({ ...r, fleet: undefined });
    const b = view.resources.find((v) => v.id === pgB.id)!;
    assert.deepEqual([b.name, b.kind, b.subscriptionId, b.resourceGroup, b.discovered], ['pg-clinic-02', 'postgres', FLEET_SUB_B, 'clinic-rg', false]);
  });

  it('lists the discovered resources another shard evaluated, with no finding', () => {
    const r = fleetReport();
    const sharded = {
      ...r,
      checks: r.checks.filter((c) => c.resource !== st.id),
      fleet: { ...r.fleet!, shard: { index: 1, count: 2 }, evaluated: [pgA.id, pgB.id] },
    };
    const view = fleetView(sharded);
    assert.equal(view.resources.length, 2);
    const other = view.all.find((v) => v.id === st.id)!;
    assert.deepEqual([other.evaluated, other.findings.length, other.status], [false, 0, undefined]);
    const html = render('html', sharded);
    const row = between(html, `<code class="id">${st.id}</code>`, ['</tr>']);
    assert.match(row, /no, another shard/);
    assert.match(html, /<tr><td>Shard<\/td><td>1 of 2<\/td><\/tr>/);
    assert.match(render('markdown', sharded), /\| Shard \| 1 of 2 \|/);
    assert.match(render('junit', sharded), /<property name="fleet.shard" value="1\/2"\/>/);
  });

  it('gives every HTML element its own id, however often a check id repeats', () => {
    const next = anchorSet();
    assert.deepEqual(['a', 'a', 'b', 'a', 'a-2'].map(next), ['a', 'a-2', 'b', 'a-3', 'a-2-2']);
    for (const report of [fleetReport(), largeFleetReport(40, 6)]) {
      const ids = [...render('html', report).matchAll(/\sid="([^"]*)"/g)].map((m) => m[1]!);
      assert.equal(new Set(ids).size, ids.length, `duplicate ids: ${ids.filter((id, i) => ids.indexOf(id) !== i).join(', ')}`);
      // Every in-page link lands on an element.
      const links = [...render('html', report).matchAll(/href="#([^"]*)"/g)].map((m) => m[1]!);
      const known = new Set(ids);
      assert.deepEqual(
        links.filter((l) => !known.has(l)),
        [],
      );
    }
  });
});

describe('per-resource findings in every format', () => {
  it('console: run-wide first, then each resource headed by name, kind, subscription, group and counts; a passing resource is one line', () => {
    const out = render('console');
    const runWide = out.indexOf('Run-wide findings (no resource):');
    const byResource = out.indexOf('Findings by resource (3 resources):');
    assert.ok(runWide >= 0 && byResource > runWide && out.indexOf('db-connectivity') < byResource);
    const heads = BY_ID.map((r) => out.indexOf(`  ${r.name} · `));
    assert.deepEqual(
      [...heads].sort((a, b) => a - b),
      heads,
      'resources in id order',
    );
    assert.match(
      out,
      /\n {2}FAIL {3}pg-prod-01 · PostgreSQL Flexible Server · subscription 11111111-2222-4333-8444-555555555555 · resource group medicapp-rg · 1 fail, 2 pass\n/,
    );
    assert.match(
      out,
      /\n {2}ERROR {2}pg-clinic-02 · PostgreSQL Flexible Server · subscription 99999999-8888-4777-8666-555555555555 · resource group clinic-rg · 1 error, 1 skipped\n/,
    );
    assert.match(
      out,
      /\n {2}PASS {3}stprodbackups · storage account · subscription 11111111-2222-4333-8444-555555555555 · resource group medicapp-rg · 2 pass\n/,
    );
    // Each failing resource: its id, then its findings, before the next resource.
    for (const r of [pgA, pgB]) {
      const block = between(out, `  ${r.name} · `, [...BY_ID.filter((o) => o !== r).map((o) => `  ${o.name} · `), '\n\n']);
      assert.ok(block.includes(r.id), `${r.name}: its id`);
      for (const f of findingsOf(r.id)) assert.ok(block.includes(f.id) && block.includes(f.message), `${r.name}: ${f.id}`);
    }
    assert.ok(out.includes('fix: Raise it: `az postgres flexible-server update -g medicapp-rg -n pg-prod-01'));
    assert.ok(out.includes('hint: run again: the discovered list is read at the start of the run'));
    // The passing storage account: one line, no finding under it.
    assert.ok(!out.includes('blob-soft-delete') && !out.includes(st.id));
    assert.match(out, /\n8 findings on 3 resources: 5 pass, 1 fail, 0 warn, 1 error, 1 skipped · outcome FAIL/);
    // Unmet requirements name a check once, with how many resources it failed on.
    assert.match(out, /FAIL {3}ISO27001:2022 A\.8\.13 \(Information backup\): pgflex-backup-retention \(1 resource\)\n/);
  });

  it('console, verbose: every finding of every resource', () => {
    const out = render('console', fleetReport(), { verbose: true });
    const block = between(out, '  stprodbackups · ', ['\n\n']);
    assert.ok(block.includes(st.id));
    for (const f of findingsOf(st.id)) assert.ok(block.includes(`${f.id}`) && block.includes(f.message), f.id);
  });

  it('json: every finding with its resource, sorted by id then resource', () => {
    const json = JSON.parse(render('json')) as RunResult;
    assert.equal(json.checks.length, 8);
    assert.deepEqual(
      json.checks
        .filter((c) => c.resource === pgA.id)
        .map((c) => c.id)
        .sort(),
      ['pgflex-backup-retention', 'pgflex-recent-backup', 'pgflex-server-state'],
    );
    assert.equal(json.checks.filter((c) => c.resource === undefined).length, 1);
    assert.deepEqual(json.summary, { pass: 5, fail: 1, warn: 0, error: 1, skipped: 1 });
    assert.equal(json.fleet?.discovered.length, 3);
  });

  it('markdown: each resource an item with its counts; the findings of a resource needing attention nested under it', () => {
    const out = render('markdown');
    assert.ok(out.indexOf('#### Run-wide findings (no resource)') < out.indexOf('#### Findings by resource (3 resources)'));
    assert.match(out, /\*\*8 findings on 3 resources:\*\* 5 pass · 1 fail · 0 warn · 1 error · 1 skipped/);
    for (const r of BY_ID) assert.ok(out.includes(`**${r.name}** · `), r.name);
    assert.ok(
      out.includes(
        '- [ ] ❌ **pg-prod-01** · PostgreSQL Flexible Server · Subscription `11111111-2222-4333-8444-555555555555` · Resource group `medicapp-rg`: 1 fail, 2 pass',
      ),
    );
    assert.ok(out.includes('- [x] ✅ **stprodbackups** · storage account · '));
    for (const r of [pgA, pgB]) {
      const block = between(out, `**${r.name}** · `, ['\n- ', '\n\n']);
      assert.ok(block.includes(`\`${r.id}\``));
      for (const f of findingsOf(r.id)) assert.match(block, new RegExp(`\\n {2}- \\[[ x]\\] \\S+ \\*\\*${f.id}\\*\\*`), `${r.name}: ${f.id}`);
    }
    assert.ok(!out.includes('blob-soft-delete**'), 'the passing resource is one line');
    assert.match(out, /❌ pgflex-backup-retention \(FAIL; 1 fail, 1 skipped\)/);
    assert.match(out, /\| Merged from the shard reports \| Shard 1 of 2: 20261121T030000Z-production-check\.json .*SHA-256 b{64}\) \|/);
  });

  it('html: the fleet summary, and one <details> per resource holding exactly its findings, open when it failed or errored', () => {
    const out = render('html');
    assert.match(out, /<h2>Summary: 8 findings on 3 resources<\/h2>/);
    const fleet = between(out, '<section class="fleet">', ['</section>']);
    assert.match(
      fleet,
      /<tr><td>Scope<\/td><td><code>11111111-2222-4333-8444-555555555555<\/code>, <code>99999999-8888-4777-8666-555555555555<\/code><\/td><\/tr>/,
    );
    assert.match(fleet, /<td><code>b{64}<\/code><\/td>/);
    assert.match(fleet, /<td><code>c{64}<\/code><\/td>/);
    // By kind and subscription.
    assert.match(
      fleet,
      /<tr><td><code>11111111-2222-4333-8444-555555555555<\/code><\/td><td>PostgreSQL Flexible Server<\/td><td>1<\/td><td>1<\/td><td>0<\/td><\/tr>/,
    );
    assert.match(fleet, /<tr><td><code>11111111-2222-4333-8444-555555555555<\/code><\/td><td>storage account<\/td><td>1<\/td><td>0<\/td><td>0<\/td><\/tr>/);
    assert.match(
      fleet,
      /<tr><td><code>99999999-8888-4777-8666-555555555555<\/code><\/td><td>PostgreSQL Flexible Server<\/td><td>1<\/td><td>0<\/td><td>1<\/td><\/tr>/,
    );
    // Needing attention: failures, then errors; the passing account is not there.
    const attention = between(fleet, 'class="fleet attention"', ['</table>']);
    assert.ok(attention.indexOf('pg-prod-01') < attention.indexOf('pg-clinic-02') && !attention.includes('stprodbackups'));

    const details = between(out, '<section class="details">', ['</section>']);
    assert.ok(details.indexOf('Run-wide findings') < details.indexOf('<details'));
    assert.ok(between(details, 'Run-wide findings', ['<details']).includes('id="check-db-connectivity-run-wide"'));
    const view = fleetView(fleetReport());
    let last = -1;
    for (const r of view.resources) {
      const at = details.indexOf(`id="${r.anchor}"`);
      assert.ok(at > last, `${r.name} in id order`);
      last = at;
      const block = between(details, `id="${r.anchor}"`, ['</details>']);
      const open = r.status === 'fail' || r.status === 'error';
      assert.equal(/^id="[^"]+" open>/.test(block), open, `${r.name} open: ${open}`);
      assert.ok(block.includes(`<strong>${r.name}</strong>`) && block.includes(`<code>${r.id}</code>`));
      assert.ok(block.includes(`<code>${r.subscriptionId}</code>`) && block.includes(`<code>${r.resourceGroup}</code>`));
      const ids = [...block.matchAll(/id="check-([a-z-]+)-[0-9a-f]{12}"/g)].map((m) => m[1]!).sort();
      assert.deepEqual(
        ids,
        findingsOf(r.id)
          .map((f) => f.id)
          .sort(),
        r.name,
      );
      for (const f of findingsOf(r.id)) assert.ok(block.includes(f.message), `${r.name}: ${f.message}`);
    }
    // Failures and errors in full (article), passes and skips as rows.
    assert.equal([...details.matchAll(/<article class="check /g)].length, 1 + 2);
    // Overview and requirements: each check once, with its counts.
    const overview = between(out, '<section class="overview">', ['</section>']);
    assert.equal([...overview.matchAll(/<tr id="check-pgflex-server-state">/g)].length, 1);
    assert.match(overview, /<code>pgflex-server-state<\/code>.*<td>1 error, 1 pass<\/td><\/tr>/);
    // The discovered list, as evidence.
    const discovered = between(out, '<section class="discovered">', ['</section>']);
    for (const r of BY_ID) assert.ok(discovered.includes(`<code class="id">${r.id}</code>`), r.name);
  });

  it('junit: one testcase per finding, named by check and resource; suite counts are findings; valid against the XSD', () => {
    const xml = render('junit');
    const lint = xmllintText(xml);
    assert.ok(lint.ok, lint.stderr);
    const cases = [...xml.matchAll(/<testcase name="([^"]*)" classname="([^"]*)"/g)].map((m) => ({ name: m[1]!, classname: m[2]! }));
    assert.equal(cases.length, fleetReport().checks.length);
    for (const f of fleetReport().checks) {
      const r = Object.values(FLEET_RESOURCES).find((x) => x.id === f.resource);
      const expected = r
        ? { name: `${f.id} (${r.name})`, classname: `restorecheck.${f.id.split('-')[0]}${r.id}` }
        : { name: f.id, classname: 'restorecheck.db' };
      assert.ok(
        cases.some((c) => c.name === expected.name && c.classname === expected.classname),
        `${expected.name} ${expected.classname}`,
      );
    }
    assert.equal(new Set(cases.map((c) => `${c.classname} ${c.name}`)).size, cases.length, '(classname, name) unique');
    const sum = (attribute: string) => [...xml.matchAll(new RegExp(`<testsuite [^>]*\\b${attribute}="(\\d+)"`, 'g'))].reduce((n, m) => n + Number(m[1]), 0);
    const s = fleetReport().summary;
    assert.deepEqual([sum('tests'), sum('failures'), sum('errors'), sum('skipped')], [8, s.fail, s.error, s.skipped]);
    assert.match(xml, /PASS pgflex-server-state \(pg-prod-01\): Server pg-prod-01 is Ready\./);
  });

  it('in French: findings, resources and their kinds in French words in every human format', () => {
    const c = render('console', fleetReport(), { language: 'fr' });
    assert.match(c, /8 constats sur 3 ressources: /);
    assert.match(c, /Constats par ressource \(3 ressources\):/);
    assert.match(c, /stprodbackups · compte de stockage · abonnement 11111111-2222-4333-8444-555555555555 · groupe de ressources medicapp-rg · 2 conforme/);
    assert.match(render('markdown', fleetReport(), { language: 'fr' }), /\*\*8 constats sur 3 ressources:\*\*/);
    const html = render('html', fleetReport(), { language: 'fr' });
    for (const french of [
      'Synthèse : 8 constats sur 3 ressources',
      'Parc',
      'Ressources par type et abonnement',
      'Ressources à examiner',
      'Constats par ressource',
    ])
      assert.ok(html.includes(french), french);
    for (const english of ['findings on', 'Findings by resource', 'Resources needing attention', 'storage account', 'Run-wide'])
      assert.ok(!html.includes(english), english);
    const xml = render('junit', fleetReport(), { language: 'fr' });
    assert.match(xml, /Ressource: \/subscriptions\//);
    assert.ok(xmllintText(xml).ok);
  });

  it('the single-resource report does not change: no fleet word, no per-resource group', () => {
    for (const format of ['console', 'markdown', 'html', 'junit'] as const) {
      const out = render(format, checkReport());
      assert.doesNotMatch(out, /findings on|Findings by resource|Run-wide|details class="resource"|Fleet/, format);
    }
  });
});

describe('trends with repeated check ids', () => {
  it('plots the worst resource of each fleet report, and says so', () => {
    const older = fleetReport();
    older.run = { ...older.run, id: '00000000-0000-4000-8000-0000000000aa', startedAt: '2026-10-21T03:00:00.000Z' };
    const age = (hours: number, resource: string) => ({
      ...older.checks.find((c) => c.id === 'pgflex-recent-backup')!,
      resource,
      evidence: { ageHours: hours },
    });
    older.checks = [...older.checks.filter((c) => c.id !== 'pgflex-recent-backup'), age(3, pgA.id), age(30, pgB.id)];
    const backup = trendsOf(fleetReport(), [older]).find((t) => t.id === 'backup-age')!;
    assert.deepEqual(
      backup.series[0]!.points.map((p) => p.value),
      [30, 20.5],
    );
    assert.equal(backup.worstOfFleet, true);
    assert.match(render('html', fleetReport()).replace(/\n/g, ' '), /Age of the newest backup <small>\(hours\)<\/small>/);
    const html = reporters.html.render(fleetReport(), { color: false, history: [older] });
    assert.match(html, /Age of the newest backup <small>\(hours; the worst resource of each report\)<\/small>/);
    assert.equal(trendsOf(checkReport(), []).find((t) => t.id === 'backup-age')!.worstOfFleet, undefined);
  });
});

describe('golden files of the fleet report', () => {
  const chained = { ...fleetReport(), previousReportSha256: 'a'.repeat(64) };
  for (const format of ['console', 'json', 'markdown', 'junit', 'html'] as const) {
    it(`${format} output is unchanged`, () => golden(`fleet-report.${reporters[format].extension}`, reporters[format].render(chained, { color: false })));
  }
  it('French markdown output is unchanged', () => golden('fleet-report.fr.md', reporters.markdown.render(chained, { color: false, language: 'fr' })));
});

describe('a fleet of 400 resources × 6 checks (2,400 findings)', () => {
  const big = largeFleetReport();
  const fails = big.summary.fail;
  const errors = big.summary.error;
  const attention = fleetView(big).resources.filter((r) => r.summary.fail + r.summary.error > 0).length;

  it('is 2,400 findings on 400 resources, a few failing or in error', () => {
    assert.equal(big.checks.length, 2400);
    assert.equal(fleetView(big).resources.length, 400);
    assert.deepEqual([fails, errors, attention], [8, 5, 12]);
    // "By requirement" keeps every finding (one requirement, 2,400 findings) without quadratic membership checks.
    assert.equal(byRequirement(big.checks)[0]!.checks.length, 2400);
  });

  it('console: one line per passing resource, details only for the resources needing attention', (t) => {
    const out = render('console', big);
    const lines = out.split('\n');
    const resourceLines = lines.filter((l) => / · (PostgreSQL Flexible Server|storage account) · subscription /.test(l));
    assert.equal(resourceLines.length, 400);
    const findingLines = lines.filter((l) => /^ {9} {2}(PASS|FAIL|ERROR|WARN|SKIP) +\S+-fleet-check-\d/.test(l));
    assert.equal(findingLines.length, attention * 6, 'the findings of the resources needing attention, and no other');
    assert.match(out, /\n2400 findings on 400 resources: 2387 pass, 8 fail, 0 warn, 5 error, 0 skipped · /);
    assert.ok(lines.length < 400 + attention * 8 + 20, `${lines.length} lines`);
    t.diagnostic(`console: ${Buffer.byteLength(out)} bytes, ${lines.length} lines`);
    const verbose = render('console', big, { verbose: true });
    assert.equal(verbose.split('\n').filter((l) => /^ {9} {2}(PASS|FAIL|ERROR) +\S+-fleet-check-\d/.test(l)).length, 2400);
    t.diagnostic(`console --verbose: ${Buffer.byteLength(verbose)} bytes`);
  });

  it('html: 400 resource sections, articles only for failures and errors, a row per pass', (t) => {
    const out = render('html', big);
    assert.equal([...out.matchAll(/<details class="resource /g)].length, 400);
    assert.equal([...out.matchAll(/<details class="resource [a-z]+" id="res-[0-9a-f]{12}" open>/g)].length, attention);
    assert.equal([...out.matchAll(/<article class="check /g)].length, fails + errors);
    assert.equal([...out.matchAll(/<tr id="check-[a-z0-9-]+-[0-9a-f]{12}">/g)].length, 2400 - fails - errors);
    assert.match(out, /<h2>Summary: 2400 findings on 400 resources<\/h2>/);
    assert.equal([...between(out, 'class="fleet attention"', ['</table>']).matchAll(/<tr><td>/g)].length, attention);
    assert.equal([...between(out, '<section class="discovered">', ['</section>']).matchAll(/<code class="id">/g)].length, 400);
    assert.ok(out.endsWith('</html>\n'));
    t.diagnostic(`html: ${Buffer.byteLength(out)} bytes`);
  });

  it('markdown, junit and json: every finding counted, JUnit valid against the XSD', (t) => {
    const md = render('markdown', big);
    assert.equal(md.split('\n').filter((l) => /^- \[[ x]\] /.test(l)).length, 400, 'one item per resource');
    assert.equal(md.split('\n').filter((l) => /^ {2}- \[[ x]\] /.test(l)).length, attention * 6);
    t.diagnostic(`markdown: ${Buffer.byteLength(md)} bytes`);
    const xml = render('junit', big);
    assert.equal([...xml.matchAll(/<testcase /g)].length, 2400);
    const sum = (attribute: string) => [...xml.matchAll(new RegExp(`<testsuite [^>]*\\b${attribute}="(\\d+)"`, 'g'))].reduce((n, m) => n + Number(m[1]), 0);
    assert.deepEqual([sum('tests'), sum('failures'), sum('errors')], [2400, fails, errors]);
    const lint = xmllintText(xml);
    assert.ok(lint.ok, lint.stderr);
    t.diagnostic(`junit: ${Buffer.byteLength(xml)} bytes`);
    const json = render('json', big);
    const parsed = parseReport(json);
    assert.ok(parsed.ok);
    assert.equal(parsed.report.checks.length, 2400);
    t.diagnostic(`json: ${Buffer.byteLength(json)} bytes`);
  });
});
