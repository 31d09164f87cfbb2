/**
 * The checklist in Markdown, fit for a GitHub job summary ($GITHUB_STEP_SUMMARY): one task-list item
 * per check, ticked when verified and compliant, with its evidence, and the remediation when not.
 * Every value from the report goes through escapeMarkdown: a name like `<script>` or `a|b` is shown as typed.
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
    lines.push('');
    lines.push(
      `**${LABELS.checksCount(result.checks.length)}:** ${(['pass', 'fail', 'warn', 'error', 'skipped'] as const).map((k) => `${summary[k]} ${LABELS.counted[k]}`).join(' · ')}`,
    );
    lines.push('');
    lines.push(`### ${run.command === 'check' ? LABELS.monthlyChecklist : LABELS.checklist}`);
    lines.push('');
    for (const check of inAttentionOrder(result.checks)) {
      const box = isTicked(check) ? '[x]' : '[ ]';
      lines.push(
        `- ${box} ${ICON[check.status]} **${md(check.id)}**: ${md((language === 'en' ? undefined : localizedCheckText(check.id, language)?.title) ?? check.title)} (${STATUS_WORD[check.status]}, ${severityWord(check.severity)})`,
      );
      lines.push(`  - ${md(localizedMessage(check, language))}`);
      const evidence = evidenceEntries(check.evidence);
      if (evidence.length > 0) lines.push(`  - ${LABELS.evidence}: ${evidence.map(([key, value]) => `${md(key)} = ${md(evidenceValue(value))}`).join('; ')}`);
      if (check.status === 'error' && check.hint) {
        lines.push(`  - ${LABELS.hint}: ${withCode(check.hint)}${check.requestId ? ` (${LABELS.requestId} ${md(check.requestId)})` : ''}`);
      }
      if (check.status === 'fail' || check.status === 'warn' || check.status === 'error')
        lines.push(`  - ${LABELS.remediation}: ${withCode(localizedRemediation(check, language))}`);
      if (check.controls.length > 0) lines.push(`  - ${LABELS.controls}: ${check.controls.map((c) => md(controlText(c))).join('; ')}`);
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
        const checks = r.checks.map((c) => `${ICON[c.status]} ${md(c.id)} (${STATUS_WORD[c.status]})`).join(', ');
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
