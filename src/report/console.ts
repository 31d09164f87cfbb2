import { styleText } from 'node:util';
import type { Status } from '../vocabulary.js';
import { exitCodeFor } from '../run/result.js';
import { printable } from './escape.js';
import { localizedMessage, localizedRemediation } from '../checks/localize.js';
import { STATUS_WORDS, labelsFor } from './labels.js';
import { byRequirement, inAttentionOrder, requirementText } from './presentation.js';
import { type ResourceView, byCheckId, countsText, fleetView, isFleetReport, kindText, needsAttention } from './fleet-view.js';
import type { CheckResult } from '../run/result.js';
import type { Reporter } from './types.js';

const STATUS_ORDER = ['pass', 'fail', 'warn', 'error', 'skipped'] as const;
const EN_LABEL: Record<Status, string> = { pass: 'PASS', fail: 'FAIL', warn: 'WARN', error: 'ERROR', skipped: 'SKIP' };
const COLOR: Record<Status, Parameters<typeof styleText>[0]> = { pass: 'green', fail: 'red', warn: 'yellow', error: 'magenta', skipped: 'gray' };

/** Text from a check or a resource name must not steer the terminal (moved to escape.ts, shared by every format). */
export { printable };

/**
 * The human summary: one aligned line per check, the remediation under failures, the hint under errors.
 * Fleet mode (issue 17): the run-wide findings, then one line per resource (name, kind, subscription, resource group,
 * counts); a resource with a failure, an error or a warning has its id and its findings under it (every resource
 * with `verbose`), so that 400 resources that pass read as 400 lines.
 */
export const consoleReporter: Reporter = {
  extension: 'txt',
  render(result, { color, language = 'en', verbose = false }) {
    const LABELS = labelsFor(language);
    /** `pg-prod-01 · PostgreSQL Flexible Server · subscription … · resource group … · 1 fail, 2 pass` (plain text). */
    const resourceLine = (view: ResourceView) =>
      [
        view.name,
        kindText(view, language),
        view.subscriptionId ? `${LABELS.subscription.toLowerCase()} ${view.subscriptionId}` : undefined,
        view.resourceGroup ? `${LABELS.resourceGroup.toLowerCase()} ${view.resourceGroup}` : undefined,
        countsText(view.summary, LABELS.counted),
      ]
        .filter(Boolean)
        .join(' · ');
    // English keeps its short SKIP (the goldens and users' greps rely on it); French uses the full words, aligned.
    const LABEL: Record<Status, string> = language === 'en' ? EN_LABEL : STATUS_WORDS[language];
    const statusWidth = Math.max(...Object.values(LABEL).map((w) => w.length));
    const paint = (style: Parameters<typeof styleText>[0], text: string) => (color ? styleText(style, text) : text);
    // A loop, not Math.max(...spread): a fleet's thousands of findings are too many arguments for one call.
    let width = 10;
    for (const c of result.checks) width = Math.max(width, c.id.length);
    const lines: string[] = [];
    lines.push(
      paint(
        'bold',
        `restorecheck ${printable(result.tool.version)} · ${printable(result.run.command)} · ${printable(result.run.environment)} · ${result.run.startedAt}`,
      ),
    );
    // Who and on what, in one short line (the full rows are in the Markdown/HTML/JSON).
    const who = result.provenance?.who;
    const target = result.provenance?.target;
    if (who || target) {
      const by = [who?.ci?.actor ?? who?.osUser, who?.host ? `@${who.host}` : undefined].filter(Boolean).join('');
      const on = target?.postgresServerId?.split('/').pop() ?? target?.serverFqdn ?? target?.database?.host ?? target?.archive;
      const parts = [by ? `${LABELS.ranBy.toLowerCase()} ${by}` : undefined, who?.ci?.runUrl, on ? `${LABELS.on} ${on}` : undefined].filter(Boolean);
      if (parts.length > 0) lines.push(paint('dim', printable(parts.join(' · '))));
    }
    lines.push('');
    /** A finding's line, then its fix (failure) or hint (error) aligned under its message; `pad` indents it under a resource. */
    const findingLines = (check: CheckResult, pad: string) => {
      const label = paint(COLOR[check.status], LABEL[check.status].padEnd(statusWidth));
      lines.push(`${pad}  ${label}  ${check.id.padEnd(width)}  ${printable(localizedMessage(check, language))}`);
      const indent = pad + ' '.repeat(2 + statusWidth + 2 + width + 2);
      if (check.status === 'fail') lines.push(`${indent}${paint('dim', `${LABELS.fix}: ${printable(localizedRemediation(check, language))}`)}`);
      if (check.status === 'error' && check.hint) {
        lines.push(
          `${indent}${paint('dim', `${LABELS.hintLower}: ${printable(check.hint)}${check.requestId ? ` (${LABELS.requestId} ${printable(check.requestId)})` : ''}`)}`,
        );
      }
    };
    const fleet = isFleetReport(result) ? fleetView(result) : undefined;
    if (!fleet) for (const check of inAttentionOrder(result.checks)) findingLines(check, '');
    else {
      if (fleet.runWide.length > 0) {
        lines.push(`${LABELS.runWideFindings}:`);
        for (const check of fleet.runWide) findingLines(check, '');
        lines.push('');
      }
      lines.push(`${LABELS.findingsByResource} (${LABELS.resourcesCount(fleet.resources.length)}):`);
      const under = ' '.repeat(2 + statusWidth + 2);
      for (const view of fleet.resources) {
        lines.push(`  ${paint(COLOR[view.status!], LABEL[view.status!].padEnd(statusWidth))}  ${printable(resourceLine(view))}`);
        if (!verbose && !needsAttention(view)) continue;
        lines.push(`${under}${paint('dim', printable(view.id))}`);
        for (const check of view.findings) findingLines(check, under);
      }
    }
    if (result.checks.length === 0) lines.push(LABELS.noCheckConsole);
    // The short form of "by requirement": only the requirements that are not met, each with its worst check.
    const unmet = byRequirement(result.checks).filter((r) => r.status === 'fail' || r.status === 'error');
    if (unmet.length > 0) {
      lines.push('');
      lines.push(`${LABELS.unmetRequirements}:`);
      for (const r of unmet) {
        // A check once, however many resources it failed on (fleet mode), with how many.
        const checks = byCheckId(r.checks.filter((c) => c.status === r.status)).map((g) =>
          g.resources > 0 ? `${g.id} (${LABELS.resourcesCount(g.resources)})` : g.id,
        );
        lines.push(`  ${paint(COLOR[r.status], LABEL[r.status].padEnd(statusWidth))}  ${printable(requirementText(r))}: ${printable(checks.join(', '))}`);
      }
    }
    const s = result.summary;
    const outcome = language === 'en' || result.outcome === 'incomplete' ? result.outcome.toUpperCase() : STATUS_WORDS[language][result.outcome];
    const outcomeColor = result.outcome === 'pass' ? 'green' : result.outcome === 'fail' ? 'red' : 'magenta';
    lines.push('');
    lines.push(
      `${fleet ? LABELS.findingsOnResources(result.checks.length, fleet.resources.length) : LABELS.checksCount(result.checks.length)}: ${STATUS_ORDER.map((k) => `${s[k]} ${LABELS.counted[k]}`).join(', ')} · ` +
        `${LABELS.outcome} ${paint(['bold', outcomeColor], outcome)} (${LABELS.exit} ${exitCodeFor(result.outcome)}) · ${result.run.durationMs} ms`,
    );
    return `${lines.join('\n')}\n`;
  },
};
