import { styleText } from 'node:util';
import type { Status } from '../vocabulary.js';
import { exitCodeFor } from '../run/result.js';
import { printable } from './escape.js';
import { localizedMessage, localizedRemediation } from '../checks/localize.js';
import { STATUS_WORDS, labelsFor } from './labels.js';
import { byRequirement, inAttentionOrder, requirementText } from './presentation.js';
import type { Reporter } from './types.js';

const STATUS_ORDER = ['pass', 'fail', 'warn', 'error', 'skipped'] as const;
const EN_LABEL: Record<Status, string> = { pass: 'PASS', fail: 'FAIL', warn: 'WARN', error: 'ERROR', skipped: 'SKIP' };
const COLOR: Record<Status, Parameters<typeof styleText>[0]> = { pass: 'green', fail: 'red', warn: 'yellow', error: 'magenta', skipped: 'gray' };

/** Text from a check or a resource name must not steer the terminal (moved to escape.ts, shared by every format). */
export { printable };

/** The human summary: one aligned line per check, the remediation under failures, the hint under errors. */
export const consoleReporter: Reporter = {
  extension: 'txt',
  render(result, { color, language = 'en' }) {
    const LABELS = labelsFor(language);
    // English keeps its short SKIP (the goldens and users' greps rely on it); French uses the full words, aligned.
    const LABEL: Record<Status, string> = language === 'en' ? EN_LABEL : STATUS_WORDS[language];
    const statusWidth = Math.max(...Object.values(LABEL).map((w) => w.length));
    const paint = (style: Parameters<typeof styleText>[0], text: string) => (color ? styleText(style, text) : text);
    const width = Math.max(...result.checks.map((c) => c.id.length), 10);
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
    for (const check of inAttentionOrder(result.checks)) {
      const label = paint(COLOR[check.status], LABEL[check.status].padEnd(statusWidth));
      lines.push(`  ${label}  ${check.id.padEnd(width)}  ${printable(localizedMessage(check, language))}`);
      const indent = ' '.repeat(2 + statusWidth + 2 + width + 2);
      if (check.status === 'fail') lines.push(`${indent}${paint('dim', `${LABELS.fix}: ${printable(localizedRemediation(check, language))}`)}`);
      if (check.status === 'error' && check.hint) {
        lines.push(
          `${indent}${paint('dim', `${LABELS.hintLower}: ${printable(check.hint)}${check.requestId ? ` (${LABELS.requestId} ${printable(check.requestId)})` : ''}`)}`,
        );
      }
    }
    if (result.checks.length === 0) lines.push(LABELS.noCheckConsole);
    // The short form of "by requirement": only the requirements that are not met, each with its worst check.
    const unmet = byRequirement(result.checks).filter((r) => r.status === 'fail' || r.status === 'error');
    if (unmet.length > 0) {
      lines.push('');
      lines.push(`${LABELS.unmetRequirements}:`);
      for (const r of unmet) {
        const checks = r.checks.filter((c) => c.status === r.status).map((c) => c.id);
        lines.push(`  ${paint(COLOR[r.status], LABEL[r.status].padEnd(statusWidth))}  ${printable(requirementText(r))}: ${printable(checks.join(', '))}`);
      }
    }
    const s = result.summary;
    const outcome = language === 'en' || result.outcome === 'incomplete' ? result.outcome.toUpperCase() : STATUS_WORDS[language][result.outcome];
    const outcomeColor = result.outcome === 'pass' ? 'green' : result.outcome === 'fail' ? 'red' : 'magenta';
    lines.push('');
    lines.push(
      `${LABELS.checksCount(result.checks.length)}: ${STATUS_ORDER.map((k) => `${s[k]} ${LABELS.counted[k]}`).join(', ')} · ` +
        `${LABELS.outcome} ${paint(['bold', outcomeColor], outcome)} (${LABELS.exit} ${exitCodeFor(result.outcome)}) · ${result.run.durationMs} ms`,
    );
    return `${lines.join('\n')}\n`;
  },
};
