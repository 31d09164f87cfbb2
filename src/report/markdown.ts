/**
 * The checklist in Markdown, fit for a GitHub job summary ($GITHUB_STEP_SUMMARY): one task-list item
 * per check, ticked when verified and compliant, with its evidence, and the remediation when not.
 * Every value from the report goes through escapeMarkdown: a name like `<script>` or `a|b` is shown as typed.
 * Fleet mode (issue 17): the run-wide findings, then one item per resource (name, kind, subscription, resource group,
 * counts); a resource with a failure, an error or a warning has its id and every finding nested under it, one that
 * passed is that one line (the HTML and the JSON hold every finding's evidence), so that 400 resources stay a summary.
 */
import { exitCodeFor } from '../run/result.js';
import { markdownCode, escapeMarkdown as md } from './escape.js';
import { localizedCheckText, localizedMessage, localizedRemediation } from '../checks/localize.js';
import { SEVERITY_WORDS, STATUS_WORDS, labelsFor } from './labels.js';
import {
  OUTCOME_WORD as EN_OUTCOME_WORD,
  authenticityLine,
  byRequirement,
  codeSegments,
  controlText,
  duration,
  evidenceEntries,
  evidenceValue,
  inAttentionOrder,
  isTicked,
  provenanceRows,
  requirementText,
  utcDate,
} from './presentation.js';
import type { Reporter } from './types.js';
import type { Status } from '../vocabulary.js';
import type { CheckResult } from '../run/result.js';
import { type ResourceView, byCheckId, countsText, fleetView, isFleetReport, kindText, needsAttention } from './fleet-view.js';

/** Prose escaped, `backtick spans` (commands, names to paste) as inline code. */
function withCode(text: string): string {
  return codeSegments(text)
    .map((segment) => (segment.code ? markdownCode(segment.text) : md(segment.text)))
    .join('');
}

const ICON: Record<Status, string> = { pass: '✅', fail: '❌', warn: '⚠️', error: '⛔', skipped: '⏭️' };

export const markdownReporter: Reporter = {
  extension: 'md',
  render(result, { language = 'en' } = { color: false }) {
    const LABELS = labelsFor(language);
    const STATUS_WORD = STATUS_WORDS[language];
    const OUTCOME_WORD = language === 'en' ? EN_OUTCOME_WORD : { ...STATUS_WORDS[language], incomplete: 'INCOMPLET' };
    const severityWord = (s: keyof (typeof SEVERITY_WORDS)['en']) => SEVERITY_WORDS[language][s];
    const { run, summary } = result;
    const outcomeIcon = result.outcome === 'pass' ? '✅' : result.outcome === 'fail' ? '❌' : '⛔';
    const lines: string[] = [];
    lines.push(`## ${outcomeIcon} restorecheck ${md(run.command)} · ${md(run.environment)}: ${OUTCOME_WORD[result.outcome]}`);
    lines.push('');
    const head = LABELS.markdownHead;
    lines.push(`| ${head.environment} | ${head.command} | ${head.started} | ${head.duration} | ${head.tool} | ${head.outcome} |`);
    lines.push('| --- | --- | --- | --- | --- | --- |');
    lines.push(
      `| ${md(run.environment)} | ${md(run.command)} | ${md(utcDate(run.startedAt))} | ${duration(run.durationMs)} ` +
        `| restorecheck ${md(result.tool.version)} | **${OUTCOME_WORD[result.outcome]}** (${LABELS.exit} ${exitCodeFor(result.outcome)}) |`,
    );
    const rows = provenanceRows(result.provenance);
    if (rows.length > 0) {
      lines.push('');
      lines.push(`| ${LABELS.run} | |`);
      lines.push('| --- | --- |');
      for (const row of rows)
        lines.push(`| ${md(row.label)} | ${row.link ? `[${md(row.value)}](${row.link.replace(/[()\s]/g, encodeURIComponent)})` : md(row.value)} |`);
    }
    const fleet = isFleetReport(result) ? fleetView(result) : undefined;
    if (result.fleet) {
      // The fleet in scope, the shard and the shard reports merged into this one (their SHA-256 link each shard's chain).
      // Table cells are escaped text, not code spans: a pipe inside a code span would still split a GFM cell.
      const f = result.fleet;
      const tags = Object.entries(f.scope.tag).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      lines.push('');
      lines.push(`| ${LABELS.fleet} | |`);
      lines.push('| --- | --- |');
      lines.push(
        `| ${LABELS.fleetScope} | ${f.scope.subscriptions === 'all' ? LABELS.allSubscriptions : f.scope.subscriptions.map((id) => md(id)).join(', ')} |`,
      );
      lines.push(`| ${LABELS.requiredTag} | ${tags.length ? tags.map(([k, v]) => md(`${k}=${v}`)).join(', ') : LABELS.noTag} |`);
      lines.push(`| ${LABELS.shard} | ${f.shard ? LABELS.shardValue(f.shard.index, f.shard.count) : LABELS.wholeFleet} |`);
      lines.push(`| ${LABELS.discoveredCount} | ${f.discovered.length} |`);
      lines.push(`| ${LABELS.evaluatedCount} | ${f.evaluated.length} |`);
      for (const m of f.mergedFrom ?? [])
        lines.push(
          `| ${LABELS.mergedFrom} | ${LABELS.shard} ${LABELS.shardValue(m.shard.index, m.shard.count)}: ${md(m.file)} (${LABELS.run} ${md(m.runId)}, SHA-256 ${md(m.sha256)}) |`,
        );
    }
    lines.push('');
    lines.push(
      `**${fleet ? LABELS.findingsOnResources(result.checks.length, fleet.resources.length) : LABELS.checksCount(result.checks.length)}:** ${(['pass', 'fail', 'warn', 'error', 'skipped'] as const).map((k) => `${summary[k]} ${LABELS.counted[k]}`).join(' · ')}`,
    );
    lines.push('');
    lines.push(`### ${run.command === 'check' ? LABELS.monthlyChecklist : LABELS.checklist}`);
    lines.push('');
    /** One checklist item and its details; `pad` nests it under a resource. */
    const item = (check: CheckResult, pad: string) => {
      const box = isTicked(check) ? '[x]' : '[ ]';
      lines.push(
        `${pad}- ${box} ${ICON[check.status]} **${md(check.id)}**: ${md((language === 'en' ? undefined : localizedCheckText(check.id, language)?.title) ?? check.title)} (${STATUS_WORD[check.status]}, ${severityWord(check.severity)})`,
      );
      lines.push(`${pad}  - ${md(localizedMessage(check, language))}`);
      const evidence = evidenceEntries(check.evidence);
      if (evidence.length > 0)
        lines.push(`${pad}  - ${LABELS.evidence}: ${evidence.map(([key, value]) => `${md(key)} = ${md(evidenceValue(value))}`).join('; ')}`);
      if (check.status === 'error' && check.hint) {
        lines.push(`${pad}  - ${LABELS.hint}: ${withCode(check.hint)}${check.requestId ? ` (${LABELS.requestId} ${md(check.requestId)})` : ''}`);
      }
      if (check.status === 'fail' || check.status === 'warn' || check.status === 'error')
        lines.push(`${pad}  - ${LABELS.remediation}: ${withCode(localizedRemediation(check, language))}`);
      if (check.controls.length > 0) lines.push(`${pad}  - ${LABELS.controls}: ${check.controls.map((c) => md(controlText(c))).join('; ')}`);
    };
    /** `**pg-prod-01** · PostgreSQL Flexible Server · Subscription `…` · Resource group `…`: 1 fail, 2 pass` */
    const resourceHead = (view: ResourceView) => {
      const parts = [`**${md(view.name)}**`, md(kindText(view, language))];
      if (view.subscriptionId) parts.push(`${LABELS.subscription} ${markdownCode(view.subscriptionId)}`);
      if (view.resourceGroup) parts.push(`${LABELS.resourceGroup} ${markdownCode(view.resourceGroup)}`);
      return `${parts.join(' · ')}: ${countsText(view.summary, LABELS.counted)}`;
    };
    if (!fleet) for (const check of inAttentionOrder(result.checks)) item(check, '');
    else {
      if (fleet.runWide.length > 0) {
        lines.push(`#### ${LABELS.runWideFindings}`, '');
        for (const check of fleet.runWide) item(check, '');
        lines.push('');
      }
      lines.push(`#### ${LABELS.findingsByResource} (${LABELS.resourcesCount(fleet.resources.length)})`, '');
      for (const view of fleet.resources) {
        const ticked = view.findings.every(isTicked);
        lines.push(`- ${ticked ? '[x]' : '[ ]'} ${ICON[view.status!]} ${resourceHead(view)}`);
        if (!needsAttention(view)) continue;
        lines.push(`  - ${markdownCode(view.id)}`);
        for (const check of view.findings) item(check, '  ');
      }
    }
    if (result.checks.length === 0) lines.push(LABELS.noCheckSelectedMd);
    const requirements = byRequirement(result.checks);
    if (requirements.length > 0) {
      lines.push('');
      lines.push(`### ${LABELS.byRequirement}`);
      lines.push('');
      lines.push(`| ${LABELS.status} | ${LABELS.requirement} | ${LABELS.evidencedBy} |`);
      lines.push('| --- | --- | --- |');
      for (const r of requirements) {
        // Fleet mode: each check once, with its counts across the resources.
        const checks = fleet
          ? byCheckId(r.checks)
              .map((g) => `${ICON[g.worst.status]} ${md(g.id)} (${STATUS_WORD[g.worst.status]}; ${countsText(g.summary, LABELS.counted)})`)
              .join(', ')
          : r.checks.map((c) => `${ICON[c.status]} ${md(c.id)} (${STATUS_WORD[c.status]})`).join(', ');
        lines.push(`| ${ICON[r.status]} ${STATUS_WORD[r.status]} | ${md(requirementText(r))} | ${checks} |`);
      }
    }
    lines.push('');
    const chain = result.previousReportSha256 === undefined ? '' : ` · ${LABELS.previousReport} ${result.previousReportSha256 ?? LABELS.previousNone}`;
    lines.push(`<sub>${LABELS.run} ${md(run.id)} · ${LABELS.failOn} ${run.failOn}${chain}</sub>`);
    if (authenticityLine(result, LABELS)) lines.push('', `<sub>${md(authenticityLine(result, LABELS))}</sub>`);
    return `${lines.join('\n')}\n`;
  },
};
