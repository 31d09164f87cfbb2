/**
 * The auditor's document: one self-contained HTML file (inline CSS and SVG, no script, no external
 * resource; a Content-Security-Policy says so to the browser too), readable offline and printable
 * (the PDF format prints this file). Top to bottom: outcome banner with environment, UTC date and
 * tool version; summary counts; an overview table; trend charts from the earlier reports the CLI
 * passes in; then one section per check with its message, evidence, remediation and controls.
 * Fleet mode (issue 17): after the summary, the fleet (scope, shard, merged shard reports with their SHA-256, resources
 * by kind and subscription, the resources needing attention); the overview and "by requirement" show each check once
 * with its counts; the details hold the run-wide findings, then one <details> per resource (open when it has a failure,
 * an error or a warning: a closed one prints as its summary line), and the discovered list closes the document as evidence.
 * Every value goes through escapeMarkup; element ids made from resource ids are hashes, never the id's text.
 */
import type { Status } from '../vocabulary.js';
import type { CheckResult, RunResult } from '../run/result.js';
import { exitCodeFor } from '../run/result.js';
import { escapeMarkup as x } from './escape.js';
import { localizedCheckText, localizedMessage, localizedRemediation } from '../checks/localize.js';
import { type Labels, type ReportLanguage, SEVERITY_WORDS, STATUS_WORDS, labelsFor } from './labels.js';
import {
  OUTCOME_WORD,
  authenticityLine,
  byAttention,
  byRequirement,
  codeSegments,
  controlText,
  duration,
  evidenceEntries,
  evidenceValue,
  provenanceRows,
  requirementText,
} from './presentation.js';
import { utcDate } from './presentation.js';
import {
  type FleetView,
  type ResourceView,
  anchorSet,
  byCheckId,
  byResourceAttention,
  countsText,
  fleetView,
  isFleetReport,
  kindText,
  needsAttention,
} from './fleet-view.js';
import { renderChart } from './svg-chart.js';
import { trendsOf } from './trends.js';
import type { Reporter } from './types.js';

const STYLE =
  `
:root { --pass:#1a7f37; --fail:#cf222e; --warn:#9a6700; --error:#8250df; --skipped:#6e7781; --ink:#1f2328; --muted:#59636e; --line:#d1d9e0; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: var(--ink); background: #f6f8fa; }
main { max-width: 980px; margin: 0 auto; padding: 24px; }
header.banner { border-radius: 10px; padding: 20px 24px; color: #fff; }
header.outcome-pass { background: var(--pass); } header.outcome-fail { background: var(--fail); } header.outcome-incomplete { background: var(--error); }
.kicker { text-transform: uppercase; letter-spacing: .08em; font-size: 12px; opacity: .9; }
h1 { margin: 4px 0 12px; font-size: 26px; display: flex; gap: 16px; align-items: baseline; flex-wrap: wrap; }
h1 .verdict { font-size: 18px; padding: 2px 12px; border: 2px solid #fff; border-radius: 999px; }
dl.meta { display: grid; grid-template-columns: repeat(auto-fill, minmax(200px, 1fr)); gap: 6px 20px; margin: 0; }
dl.meta div { min-width: 0; } dl.meta dt { font-size: 11px; text-transform: uppercase; opacity: .85; } dl.meta dd { margin: 0; font-weight: 600; overflow-wrap: anywhere; }
section { background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 16px 20px; margin-top: 16px; }
h2 { font-size: 18px; margin: 0 0 12px; }
.tiles { display: grid; grid-template-columns: repeat(5, 1fr); gap: 10px; }
.tile { border-radius: 8px; padding: 10px 12px; border: 1px solid var(--line); border-left-width: 6px; }
.tile b { display: block; font-size: 26px; line-height: 1.1; } .tile span { color: var(--muted); font-size: 12px; text-transform: uppercase; }
.tile.pass { border-left-color: var(--pass); } .tile.fail { border-left-color: var(--fail); } .tile.warn { border-left-color: var(--warn); } ` +
  `.tile.error { border-left-color: var(--error); } .tile.skipped { border-left-color: var(--skipped); }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: 5px 8px; border-bottom: 1px solid var(--line); overflow-wrap: break-word; }
td code { overflow-wrap: anywhere; }
th { font-size: 12px; color: var(--muted); font-weight: 600; }
.status { display: inline-block; white-space: nowrap; min-width: 64px; text-align: center; font-size: 11px; font-weight: 700; color: #fff; border-radius: 4px; padding: 1px 6px; }
.status.pass { background: var(--pass); } .status.fail { background: var(--fail); } .status.warn { background: var(--warn); } ` +
  `.status.error { background: var(--error); } .status.skipped { background: var(--skipped); }
a { color: inherit; }
.trends { display: grid; grid-template-columns: repeat(auto-fill, minmax(400px, 1fr)); gap: 16px 24px; }
#trend-core-row-counts { grid-column: 1 / -1; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(400px, 1fr)); gap: 8px 24px; }
.chart-title { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12px; overflow-wrap: anywhere; }
figure { margin: 0; } figcaption { font-weight: 600; margin-bottom: 4px; } figcaption small { color: var(--muted); font-weight: 400; }
svg { display: block; max-width: 560px; } svg .grid { stroke: var(--line); stroke-width: 1; } svg .tick { font-size: 12px; fill: var(--muted); }
ul.legend { list-style: none; padding: 0; margin: 4px 0 0; display: flex; flex-wrap: wrap; gap: 4px 16px; font-size: 12px; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 6px; }
.nodata { color: var(--muted); font-style: italic; margin: 0; }
article.check { border-top: 1px solid var(--line); padding: 12px 0; } article.check:first-of-type { border-top: 0; }
article.check h3 { margin: 0 0 6px; font-size: 15px; display: flex; gap: 10px; align-items: baseline; flex-wrap: wrap; }
article.check h3 code { font-size: 14px; } article.check h3 small { color: var(--muted); font-weight: 400; }
.message { margin: 4px 0 8px; white-space: pre-wrap; overflow-wrap: anywhere; }
.facts { color: var(--muted); font-size: 12px; margin: 0 0 8px; }
table.evidence td:first-child { width: 28%; font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12px; }
table.evidence td pre { margin: 0; white-space: pre-wrap; overflow-wrap: anywhere; font: 12px/1.4 ui-monospace, "DejaVu Sans Mono", monospace; }
.remediation code, .remediation pre { font: 12px/1.4 ui-monospace, "DejaVu Sans Mono", monospace; background: rgba(0,0,0,.06); border-radius: 4px; }
.remediation code { padding: 1px 4px; } .remediation pre { margin: 6px 0; padding: 6px 8px; white-space: pre-wrap; } .remediation pre code { background: none; padding: 0; }
table.run td:first-child { width: 22%; color: var(--muted); } table.run td { overflow-wrap: anywhere; }
table.requirements td:nth-child(2) { width: 38%; } table.requirements .status { min-width: 56px; }
.remediation { margin: 8px 0 0; padding: 8px 10px; background: #fff8c5; border-radius: 6px; white-space: pre-wrap; overflow-wrap: anywhere; }
article.pass .remediation, article.skipped .remediation { background: #f6f8fa; color: var(--muted); }
.controls { margin: 8px 0 0; display: flex; flex-wrap: wrap; gap: 6px; }
.control { font-size: 11px; border: 1px solid var(--line); border-radius: 999px; padding: 1px 8px; color: var(--muted); }
footer { color: var(--muted); font-size: 12px; margin: 16px 4px; overflow-wrap: anywhere; }
@page { size: A4; margin: 14mm 12mm; }
@media print {
  body { background: #fff; font-size: 11px; } main { max-width: none; padding: 0; }
  header.banner, .status, .tile, .swatch { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  section { border: 0; padding: 8px 0; } article.check, figure, tr { break-inside: avoid; } h2, h3 { break-after: avoid; }
  a { text-decoration: none; }
}`;

/** Only in fleet reports, so that a single-resource report keeps its bytes. */
const FLEET_STYLE =
  `
h3.group { font-size: 16px; margin: 18px 0 8px; }
details.resource { border: 1px solid var(--line); border-left-width: 6px; border-radius: 8px; margin: 6px 0; padding: 4px 12px; }
details.resource.pass { border-left-color: var(--pass); } details.resource.fail { border-left-color: var(--fail); } ` +
  `details.resource.warn { border-left-color: var(--warn); } details.resource.error { border-left-color: var(--error); } ` +
  `details.resource.skipped { border-left-color: var(--skipped); }
details.resource > summary { cursor: pointer; padding: 4px 0; overflow-wrap: anywhere; }
details.resource > summary .where { color: var(--muted); font-size: 12px; }
p.resource-id { margin: 4px 0 8px; font-size: 12px; overflow-wrap: anywhere; }
table.passes td:nth-child(2) { width: 24%; } table.passes td { font-size: 12px; overflow-wrap: anywhere; }
table.fleet td, table.discovered td { overflow-wrap: anywhere; } table.attention td:nth-child(2) { min-width: 140px; } table.discovered code.id { font-size: 11px; color: var(--muted); }
@media print { details.resource { break-inside: avoid-page; } }`;

/** The words of one language: labels, status words, and the language for the check texts. */
interface Texts {
  L: Labels;
  S: Record<Status, string>;
  lang: ReportLanguage;
}

/** A check's title in the report's language; English keeps the title the report holds. */
function titleOf(check: CheckResult, t: Texts): string {
  return t.lang === 'en' ? check.title : (localizedCheckText(check.id, t.lang)?.title ?? check.title);
}

function statusBadge(status: Status, t: Texts): string {
  return `<span class="status ${status}">${t.S[status]}</span>`;
}

function meta(label: string, value: string): string {
  return `<div><dt>${label}</dt><dd>${value}</dd></div>`;
}

/** A command line to paste: long enough, or starting with a known tool, to deserve a block of its own. */
const COMMAND = /^(az|restorecheck|psql|pg_dump|pg_restore|gh|kubectl|terraform|npx|npm)\s/;

/** Prose escaped; `backtick spans` as <code>, and a whole command line as a <pre> block of its own. */
function withCode(text: string): string {
  return codeSegments(text)
    .map((segment) => {
      if (!segment.code) return x(segment.text);
      return COMMAND.test(segment.text) && segment.text.length > 40 ? `<pre><code>${x(segment.text)}</code></pre>` : `<code>${x(segment.text)}</code>`;
    })
    .join('');
}

function runTable(result: RunResult, t: Texts): string {
  const rows = provenanceRows(result.provenance, t.L);
  if (rows.length === 0) return '';
  const body = rows
    .map((row) => `<tr><td>${x(row.label)}</td><td>${row.link ? `<a href="${x(row.link)}">${x(row.value)}</a>` : `<code>${x(row.value)}</code>`}</td></tr>`)
    .join('\n');
  return `<section class="run">\n<h2>${t.L.run}</h2>\n<table class="run"><tbody>\n${body}\n</tbody></table>\n</section>`;
}

function requirementSection(result: RunResult, t: Texts, fleet: boolean): string {
  const views = byRequirement(result.checks, t.lang);
  // Fleet mode: each check once, with its counts across the resources (2,400 findings would be 2,400 lines per requirement).
  const evidencedBy = (checks: CheckResult[]) =>
    fleet
      ? byCheckId(checks).map(
          (g) =>
            `${statusBadge(g.worst.status, t)} <a href="#check-${x(g.id)}"><code>${x(g.id)}</code></a> <small>${x(countsText(g.summary, t.L.counted))}</small>`,
        )
      : checks.map((c) => `${statusBadge(c.status, t)} <a href="#check-${x(c.id)}"><code>${x(c.id)}</code></a>`);
  const body = views
    .map((r) => `<tr><td>${statusBadge(r.status, t)}</td><td>${x(requirementText(r))}</td><td>${evidencedBy(r.checks).join('<br>')}</td></tr>`)
    .join('\n');
  const table = views.length
    ? `<table class="requirements"><thead><tr><th>${t.L.status}</th><th>${t.L.requirement}</th><th>${t.L.evidencedBy}</th></tr></thead><tbody>\n${body}\n</tbody></table>`
    : `<p class="nodata">${t.L.noRequirement}</p>`;
  return `<section class="requirements">\n<h2>${t.L.byRequirement}</h2>\n${table}\n</section>`;
}

function checkSection(check: CheckResult, t: Texts, anchor = `check-${check.id}`): string {
  const facts = [t.L.severityFact(SEVERITY_WORDS[t.lang][check.severity]), `${duration(check.durationMs)}`];
  if (check.errorKind) facts.push(`${t.L.errorKindFact} ${x(check.errorKind)}`);
  if (check.requestId) facts.push(`${t.L.requestId} <code>${x(check.requestId)}</code>`);
  const evidence = evidenceEntries(check.evidence);
  const parts = [
    `<article class="check ${check.status}" id="${x(anchor)}">`,
    `<h3>${statusBadge(check.status, t)} <code>${x(check.id)}</code> <small>${x(titleOf(check, t))}</small></h3>`,
    `<p class="message">${x(localizedMessage(check, t.lang))}</p>`,
    `<p class="facts">${facts.join(' · ')}</p>`,
  ];
  if (evidence.length > 0) {
    parts.push(`<table class="evidence"><thead><tr><th>${t.L.evidence}</th><th>${t.L.value}</th></tr></thead><tbody>`);
    for (const [key, value] of evidence) {
      const text = typeof value === 'object' && value !== null ? JSON.stringify(value, null, 2) : evidenceValue(value);
      parts.push(`<tr><td>${x(key)}</td><td><pre>${x(text)}</pre></td></tr>`);
    }
    parts.push('</tbody></table>');
  }
  if (check.hint) parts.push(`<div class="remediation"><strong>${t.L.hint}:</strong> ${withCode(check.hint)}</div>`);
  parts.push(`<div class="remediation"><strong>${t.L.remediation}:</strong> ${withCode(localizedRemediation(check, t.lang))}</div>`);
  if (check.controls.length > 0)
    parts.push(`<p class="controls">${check.controls.map((c) => `<span class="control">${x(controlText(c))}</span>`).join('')}</p>`);
  parts.push('</article>');
  return parts.join('\n');
}

/** `name` · kind · subscription … · resource group … as HTML (escaped). */
function whereText(view: ResourceView, t: Texts): string {
  const parts = [x(kindText(view, t.lang))];
  if (view.subscriptionId) parts.push(`${t.L.subscription} <code>${x(view.subscriptionId)}</code>`);
  if (view.resourceGroup) parts.push(`${t.L.resourceGroup} <code>${x(view.resourceGroup)}</code>`);
  return parts.join(' · ');
}

/** The fleet: scope, shard, merged shard reports, resources by kind and subscription, the resources needing attention. */
function fleetSection(result: RunResult, view: FleetView, t: Texts): string {
  const fleet = result.fleet;
  const L = t.L;
  const parts = ['<section class="fleet">', `<h2>${L.fleet}</h2>`];
  if (fleet) {
    const subscriptions = fleet.scope.subscriptions === 'all' ? x(L.allSubscriptions) : fleet.scope.subscriptions.map((s) => `<code>${x(s)}</code>`).join(', ');
    const tags = Object.entries(fleet.scope.tag).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const tag = tags.length ? tags.map(([k, v]) => `<code>${x(k)}=${x(v)}</code>`).join(', ') : x(L.noTag);
    const shard = fleet.shard ? x(L.shardValue(fleet.shard.index, fleet.shard.count)) : x(L.wholeFleet);
    const rows: Array<[string, string]> = [
      [L.fleetScope, subscriptions],
      [L.requiredTag, tag],
      [L.shard, shard],
      [L.discoveredCount, String(fleet.discovered.length)],
      [L.evaluatedCount, String(fleet.evaluated.length)],
    ];
    parts.push(`<table class="run"><tbody>\n${rows.map(([k, v]) => `<tr><td>${x(k)}</td><td>${v}</td></tr>`).join('\n')}\n</tbody></table>`);
    if (fleet.mergedFrom?.length) {
      parts.push(`<h3 class="group">${L.mergedFrom}</h3>`);
      parts.push(
        `<table class="fleet merged"><thead><tr><th>${L.shard}</th><th>${L.runId}</th><th>${L.shardReportFile}</th><th>SHA-256</th></tr></thead><tbody>`,
      );
      for (const m of fleet.mergedFrom)
        parts.push(
          `<tr><td>${x(L.shardValue(m.shard.index, m.shard.count))}</td><td><code>${x(m.runId)}</code></td><td><code>${x(m.file)}</code></td><td><code>${x(m.sha256)}</code></td></tr>`,
        );
      parts.push('</tbody></table>');
    }
  }
  // Resources by subscription and kind: one map pass over the fleet.
  const cells = new Map<string, { subscription: string; kind: string; resources: number; failures: number; errors: number }>();
  for (const r of view.all) {
    const subscription = r.subscriptionId ?? '?';
    const kind = kindText(r, t.lang);
    const key = `${subscription.toLowerCase()}\u0000${kind}`;
    let cell = cells.get(key);
    if (!cell) {
      cell = { subscription, kind, resources: 0, failures: 0, errors: 0 };
      cells.set(key, cell);
    }
    cell.resources++;
    if (r.summary.fail > 0) cell.failures++;
    if (r.summary.error > 0) cell.errors++;
  }
  const table = [...cells.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, c]) => c);
  parts.push(`<h3 class="group">${L.byKindAndSubscription}</h3>`);
  parts.push(
    `<table class="fleet kinds"><thead><tr><th>${L.subscription}</th><th>${L.kind}</th><th>${L.resources}</th><th>${L.withFailures}</th><th>${L.withErrors}</th></tr></thead><tbody>`,
  );
  for (const c of table)
    parts.push(`<tr><td><code>${x(c.subscription)}</code></td><td>${x(c.kind)}</td><td>${c.resources}</td><td>${c.failures}</td><td>${c.errors}</td></tr>`);
  parts.push('</tbody></table>');
  // The resources a reader must look at, worst first; the rest are counted above and listed at the end.
  const attention = view.resources.filter(needsAttention).sort(byResourceAttention);
  parts.push(`<h3 class="group">${L.needingAttention}</h3>`);
  if (attention.length === 0) parts.push(`<p class="nodata">${L.noResourceNeedsAttention}</p>`);
  else {
    parts.push(
      `<table class="fleet attention"><thead><tr><th>${L.status}</th><th>${L.resource}</th><th>${x(`${L.kind} · ${L.subscription} · ${L.resourceGroup}`)}</th><th>${L.findings}</th></tr></thead><tbody>`,
    );
    for (const r of attention)
      parts.push(
        `<tr><td>${statusBadge(r.status!, t)}</td><td><a href="#${r.anchor}">${x(r.name)}</a></td><td>${whereText(r, t)}</td><td>${x(countsText(r.summary, L.counted))}</td></tr>`,
      );
    parts.push('</tbody></table>');
  }
  parts.push('</section>');
  return parts.join('\n');
}

/** Fleet mode: each check once, with its status (the worst finding's) and its counts across the resources. */
function fleetOverview(result: RunResult, t: Texts, anchor: (wanted: string) => string): string {
  const groups = byCheckId(result.checks);
  if (groups.length === 0) return `<p class="nodata">${t.L.noCheckSelected}</p>`;
  const H = t.L.overviewHead;
  const rows = groups.map(
    (g) =>
      `<tr id="${x(anchor(`check-${g.id}`))}"><td>${statusBadge(g.worst.status, t)}</td><td><code>${x(g.id)}</code></td><td>${x(titleOf(g.worst, t))}</td><td>${SEVERITY_WORDS[t.lang][g.worst.severity]}</td><td>${x(countsText(g.summary, t.L.counted))}</td></tr>`,
  );
  return `<table><thead><tr><th>${H.status}</th><th>${H.check}</th><th>${H.compliantState}</th><th>${H.severity}</th><th>${t.L.findings}</th></tr></thead><tbody>\n${rows.join('\n')}\n</tbody></table>`;
}

/** A resource's findings: failures, errors and warnings in full; passes and skips as a row each, with their evidence. */
function resourceDetails(view: ResourceView, t: Texts, anchor: (wanted: string) => string): string {
  const open = view.summary.fail + view.summary.error + view.summary.warn > 0 ? ' open' : '';
  const parts = [
    `<details class="resource ${view.status}" id="${anchor(view.anchor)}"${open}>`,
    `<summary>${statusBadge(view.status!, t)} <strong>${x(view.name)}</strong> <span class="where">${whereText(view, t)}</span> · ${x(countsText(view.summary, t.L.counted))}</summary>`,
    `<p class="resource-id"><code>${x(view.id)}</code></p>`,
  ];
  const suffix = view.anchor.slice('res-'.length);
  const quiet = view.findings.filter((c) => c.status === 'pass' || c.status === 'skipped');
  for (const check of view.findings)
    if (check.status !== 'pass' && check.status !== 'skipped') parts.push(checkSection(check, t, anchor(`check-${check.id}-${suffix}`)));
  if (quiet.length > 0) {
    parts.push(
      `<table class="passes"><thead><tr><th>${t.L.status}</th><th>${t.L.overviewHead.check}</th><th>${t.L.findingAndEvidence}</th></tr></thead><tbody>`,
    );
    for (const c of quiet) {
      const evidence = evidenceEntries(c.evidence)
        .map(([key, value]) => `${x(key)} = ${x(evidenceValue(value))}`)
        .join('; ');
      parts.push(
        `<tr id="${x(anchor(`check-${c.id}-${suffix}`))}"><td>${statusBadge(c.status, t)}</td><td><code>${x(c.id)}</code></td><td>${x(localizedMessage(c, t.lang))}${evidence ? `<br><small>${evidence}</small>` : ''}</td></tr>`,
      );
    }
    parts.push('</tbody></table>');
  }
  parts.push('</details>');
  return parts.join('\n');
}

/** The details of a fleet report: run-wide findings, then one <details> per resource, sorted by id. */
function fleetDetails(view: FleetView, t: Texts, anchor: (wanted: string) => string): string {
  const parts: string[] = [];
  if (view.runWide.length > 0) {
    parts.push(`<h3 class="group">${t.L.runWideFindings}</h3>`);
    // `check-<id>` is the check's row in the overview (what "by requirement" links to); its run-wide finding is apart.
    for (const check of view.runWide) parts.push(checkSection(check, t, anchor(`check-${check.id}-run-wide`)));
  }
  parts.push(`<h3 class="group">${t.L.findingsByResource} (${x(t.L.resourcesCount(view.resources.length))})</h3>`);
  for (const resource of view.resources) parts.push(resourceDetails(resource, t, anchor));
  return parts.join('\n');
}

/** The discovered list as evidence: every resource in scope (and any other a finding names), whether this run evaluated it. */
function discoveredSection(view: FleetView, t: Texts): string {
  const L = t.L;
  const rows = view.all.map((r) => {
    const name = r.findings.length ? `<a href="#${r.anchor}">${x(r.name)}</a>` : x(r.name);
    const tags = Object.entries(r.tags)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => `<code>${x(k)}=${x(v)}</code>`)
      .join(' ');
    const evaluated = !r.discovered ? x(L.notDiscovered) : r.evaluated ? x(L.yes) : x(L.no);
    return (
      `<tr><td>${r.status ? statusBadge(r.status, t) : ''}</td><td>${name}<br><code class="id">${x(r.id)}</code></td><td>${whereText(r, t)}</td>` +
      `<td>${x(r.location ?? '')}</td><td>${tags}</td><td>${evaluated}</td></tr>`
    );
  });
  return [
    '<section class="discovered">',
    `<h2>${L.discoveredResources} <small class="facts">${x(L.resourcesCount(view.all.length))}</small></h2>`,
    `<table class="discovered"><thead><tr><th>${L.status}</th><th>${L.resource}</th><th>${x(`${L.kind} · ${L.subscription} · ${L.resourceGroup}`)}</th><th>${L.location}</th><th>${L.tags}</th><th>${L.evaluatedHere}</th></tr></thead><tbody>`,
    ...rows,
    '</tbody></table>',
    '</section>',
  ].join('\n');
}

function trendSection(result: RunResult, history: readonly RunResult[], t: Texts): string {
  const trends = trendsOf(result, history);
  const runs = new Set(trends.flatMap((t) => t.series.flatMap((s) => s.points.map((p) => p.at)))).size;
  const figures = trends.map((trend) => {
    // One small chart per series (per table for row counts): each keeps its own scale, so a table of
    // ten rows next to one of ten million still shows its changes.
    const charts = trend.series.map(
      (series) =>
        `<div class="chart">${trend.series.length > 1 ? `<div class="chart-title">${x(series.label)}</div>` : ''}${renderChart({ ...trend, series: [series] })}</div>`,
    );
    return [
      `<figure id="trend-${trend.id}">`,
      `<figcaption>${x(t.L.trendTitle[trend.id] ?? trend.title)} <small>(${x(t.L.trendUnit[trend.unit] ?? trend.unit)}${trend.worstOfFleet ? `; ${x(t.L.trendWorstOfFleet)}` : ''})</small></figcaption>`,
      charts.length ? `<div class="charts">${charts.join('\n')}</div>` : `<p class="nodata">${t.L.noTrendValue}</p>`,
      '</figure>',
    ].join('\n');
  });
  const facts = runs ? t.L.trendFacts(runs, x(result.run.environment)) : t.L.noTrendYet;
  return [
    '<section class="trend-section">',
    `<h2>${t.L.trends} <small class="facts">${facts}</small></h2>`,
    `<div class="trends">${figures.join('\n')}</div>`,
    '</section>',
  ].join('\n');
}

export const htmlReporter: Reporter = {
  extension: 'html',
  render(result, { history = [], language = 'en' }) {
    const t: Texts = { L: labelsFor(language), S: STATUS_WORDS[language], lang: language };
    const OUTCOME = language === 'en' ? OUTCOME_WORD : { ...STATUS_WORDS[language], incomplete: 'INCOMPLET' };
    const H = t.L.overviewHead;
    const OVERVIEW_HEAD = `<table><thead><tr><th>${H.status}</th><th>${H.check}</th><th>${H.compliantState}</th><th>${H.severity}</th></tr></thead>`;
    const { run, summary } = result;
    const title = `${t.L.reportKicker} · ${run.environment} · ${run.command} · ${utcDate(run.startedAt)}`;
    const ordered = [...result.checks].sort(byAttention);
    const fleet = isFleetReport(result) ? fleetView(result) : undefined;
    // Fleet mode: every element id of the document through one set, so that none repeats, whatever the ids hold.
    const anchor = anchorSet();
    const previous =
      result.previousReportSha256 === undefined
        ? t.L.previousNotRecorded
        : result.previousReportSha256 === null
          ? t.L.previousNone
          : `<code>${x(result.previousReportSha256)}</code>`;
    const overview = (fleet ? [] : ordered)
      .map(
        (c) =>
          `<tr><td>${statusBadge(c.status, t)}</td><td><a href="#check-${x(c.id)}"><code>${x(c.id)}</code></a></td><td>${x(titleOf(c, t))}</td><td>${SEVERITY_WORDS[language][c.severity]}</td></tr>`,
      )
      .join('\n');
    const tiles = (['pass', 'fail', 'warn', 'error', 'skipped'] as const)
      .map((s) => `<div class="tile ${s}"><b>${summary[s]}</b><span>${t.S[s]}</span></div>`)
      .join('');
    return `<!doctype html>
<html lang="${language}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="generator" content="restorecheck ${x(result.tool.version)}">
<title>${x(title)}</title>
<style>${STYLE}${fleet ? FLEET_STYLE : ''}
</style>
</head>
<body>
<main>
<header class="banner outcome-${result.outcome}">
<div class="kicker">${t.L.reportKicker} · ${x(run.command)}</div>
<h1><span>${x(run.environment)}</span> <span class="verdict">${OUTCOME[result.outcome]}</span></h1>
<dl class="meta">
${meta(t.L.dateUtc, x(utcDate(run.startedAt)))}
${meta(t.L.finishedUtc, x(utcDate(run.finishedAt)))}
${meta(t.L.duration, duration(run.durationMs))}
${meta(t.L.toolVersion, `restorecheck ${x(result.tool.version)}`)}
${meta(t.L.exitCode, `${exitCodeFor(result.outcome)} (${t.L.failOn} ${run.failOn})`)}
${meta(t.L.runId, `<code>${x(run.id)}</code>`)}
</dl>
</header>
<section class="summary">
<h2>${fleet ? t.L.summaryHeadingFleet(result.checks.length, fleet.resources.length) : t.L.summaryHeading(result.checks.length)}</h2>
<div class="tiles">${tiles}</div>
</section>
${fleet ? `${fleetSection(result, fleet, t)}\n` : ''}<section class="overview">
<h2>${t.L.checksAtAGlance}</h2>
${fleet ? fleetOverview(result, t, anchor) : ordered.length ? `${OVERVIEW_HEAD}<tbody>\n${overview}\n</tbody></table>` : `<p class="nodata">${t.L.noCheckSelected}</p>`}
</section>
${runTable(result, t)}
${requirementSection(result, t, fleet !== undefined)}
${trendSection(result, history, t)}
<section class="details">
<h2>${t.L.detailsAndEvidence}</h2>
${fleet ? fleetDetails(fleet, t, anchor) : ordered.map((check) => checkSection(check, t)).join('\n')}
</section>
${fleet ? `${discoveredSection(fleet, t)}\n` : ''}<footer>
${t.L.footerRecord} ${previous}.
${t.L.footerVerify} <code>restorecheck report verify DIR</code>.${authenticityLine(result, t.L) ? ` <strong class="authenticity">${x(authenticityLine(result, t.L))}</strong>` : ''}
</footer>
</main>
</body>
</html>
`;
  },
};
