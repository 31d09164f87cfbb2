/**
 * The checklist in Markdown, fit for a GitHub job summary ($GITHUB_STEP_SUMMARY): one task-list item
 * per check, ticked when verified and compliant, with its evidence, and the remediation when not.
 * Every value from the report goes through escapeMarkdown: a name like `<script>` or `a|b` is shown as typed.
 */
import { exitCodeFor } from '../run/result.js';
import { escapeMarkdown as md } from './escape.js';
import { OUTCOME_WORD, authenticityLine, STATUS_WORD, controlText, duration, evidenceEntries, evidenceValue, isTicked, utcDate } from './presentation.js';
import type { Reporter } from './types.js';
import type { Status } from '../vocabulary.js';

const ICON: Record<Status, string> = { pass: '✅', fail: '❌', warn: '⚠️', error: '⛔', skipped: '⏭️' };

export const markdownReporter: Reporter = {
  extension: 'md',
  render(result) {
    const { run, summary } = result;
    const outcomeIcon = result.outcome === 'pass' ? '✅' : result.outcome === 'fail' ? '❌' : '⛔';
    const lines: string[] = [];
    lines.push(`## ${outcomeIcon} restorecheck ${md(run.command)} · ${md(run.environment)}: ${OUTCOME_WORD[result.outcome]}`);
    lines.push('');
    lines.push('| Environment | Command | Started | Duration | Tool | Outcome |');
    lines.push('| --- | --- | --- | --- | --- | --- |');
    lines.push(
      `| ${md(run.environment)} | ${md(run.command)} | ${md(utcDate(run.startedAt))} | ${duration(run.durationMs)} ` +
        `| restorecheck ${md(result.tool.version)} | **${OUTCOME_WORD[result.outcome]}** (exit ${exitCodeFor(result.outcome)}) |`,
    );
    lines.push('');
    lines.push(
      `**${result.checks.length} checks:** ${summary.pass} pass · ${summary.fail} fail · ${summary.warn} warn · ${summary.error} error · ${summary.skipped} skipped`,
    );
    lines.push('');
    lines.push(run.command === 'check' ? '### Monthly checklist' : '### Checklist');
    lines.push('');
    for (const check of result.checks) {
      const box = isTicked(check) ? '[x]' : '[ ]';
      lines.push(`- ${box} ${ICON[check.status]} **${md(check.id)}**: ${md(check.title)} (${STATUS_WORD[check.status]}, ${check.severity})`);
      lines.push(`  - ${md(check.message)}`);
      const evidence = evidenceEntries(check.evidence);
      if (evidence.length > 0) lines.push(`  - Evidence: ${evidence.map(([key, value]) => `${md(key)} = ${md(evidenceValue(value))}`).join('; ')}`);
      if (check.status === 'error' && check.hint) {
        lines.push(`  - Hint: ${md(check.hint)}${check.requestId ? ` (request id ${md(check.requestId)})` : ''}`);
      }
      if (check.status === 'fail' || check.status === 'warn' || check.status === 'error') lines.push(`  - Remediation: ${md(check.remediation)}`);
      if (check.controls.length > 0) lines.push(`  - Controls: ${check.controls.map((c) => md(controlText(c))).join('; ')}`);
    }
    if (result.checks.length === 0) lines.push('_No check selected._');
    lines.push('');
    const chain = result.previousReportSha256 === undefined ? '' : ` · previous report sha256 ${result.previousReportSha256 ?? 'none (first report)'}`;
    lines.push(`<sub>Run ${md(run.id)} · fail-on ${run.failOn}${chain}</sub>`);
    if (authenticityLine(result)) lines.push('', `<sub>${md(authenticityLine(result))}</sub>`);
    return `${lines.join('\n')}\n`;
  },
};
