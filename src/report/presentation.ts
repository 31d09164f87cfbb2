/**
 * What the human formats (Markdown, HTML, JUnit) say the same way: status words, evidence as text,
 * UTC dates, durations. Plain strings here; each format escapes them for itself.
 */
import { type Evidence, type JsonValue, SEVERITIES, type Status } from '../vocabulary.js';
import type { CheckResult, Outcome, Provenance, RunResult } from '../run/result.js';
import { localizedControlTitle } from '../checks/localize.js';
import { CONTROL_NAMES, LABELS, type Labels, type ReportLanguage } from './labels.js';

export const STATUS_WORD: Record<Status, string> = { pass: 'PASS', fail: 'FAIL', warn: 'WARN', error: 'ERROR', skipped: 'SKIPPED' };
export const OUTCOME_WORD: Record<Outcome, string> = { pass: 'PASS', fail: 'FAIL', incomplete: 'INCOMPLETE' };

/** Ticked in the checklist: verified and compliant (a warning is compliant, with something to look at). */
export function isTicked(check: CheckResult): boolean {
  return check.status === 'pass' || check.status === 'warn';
}

/** Failures first, then what could not be evaluated, warnings, passes, skips; by id within each. */
export const STATUS_RANK: Record<Status, number> = { fail: 0, error: 1, warn: 2, pass: 3, skipped: 4 };
/**
 * Failures first, the most severe (critical → info) first; then errors, warnings, passes, skips; by id within each, and
 * (fleet mode, where an id repeats) by resource id, so that the order never depends on the input's.
 */
export function byAttention(
  a: Pick<CheckResult, 'id' | 'status' | 'severity' | 'resource'>,
  b: Pick<CheckResult, 'id' | 'status' | 'severity' | 'resource'>,
): number {
  const severity = a.status === 'fail' && b.status === 'fail' ? SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity) : 0;
  return STATUS_RANK[a.status] - STATUS_RANK[b.status] || severity || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0) || byResource(a, b);
}

function byResource(a: Pick<CheckResult, 'resource'>, b: Pick<CheckResult, 'resource'>): number {
  const ra = a.resource?.toLowerCase() ?? '';
  const rb = b.resource?.toLowerCase() ?? '';
  return ra < rb ? -1 : ra > rb ? 1 : 0;
}

/** The checks in the order a reader needs them (the JSON keeps them by id). */
export function inAttentionOrder(checks: readonly CheckResult[]): CheckResult[] {
  return [...checks].sort(byAttention);
}

/** One requirement (framework + control), the checks that evidence it, and its status: the worst of theirs. */
export interface RequirementView {
  framework: string;
  control: string;
  /** Its human name when known (the control's own title/label, or CONTROL_NAMES). */
  name?: string;
  status: Status;
  checks: CheckResult[];
}

/** The `controls` of every check, grouped by requirement; ControlRef read generically (a title or label, if any, names it). */
export function byRequirement(checks: readonly CheckResult[], language: ReportLanguage = 'en'): RequirementView[] {
  const views = new Map<string, RequirementView>();
  // Which views already hold a finding: a set, not includes(), so that 2,400 findings of one requirement stay linear.
  const held = new Map<RequirementView, Set<CheckResult>>();
  for (const check of checks) {
    for (const ref of check.controls as ReadonlyArray<{ framework: string; control: string; title?: unknown; label?: unknown }>) {
      const key = `${ref.framework} ${ref.control}`;
      let view = views.get(key);
      if (!view) {
        const own = typeof ref.title === 'string' ? ref.title : typeof ref.label === 'string' ? ref.label : undefined;
        const name =
          (language === 'en' ? undefined : localizedControlTitle({ framework: ref.framework, control: ref.control }, language)) ?? own ?? CONTROL_NAMES[key];
        view = { framework: ref.framework, control: ref.control, ...(name ? { name } : {}), status: 'skipped', checks: [] };
        views.set(key, view);
      }
      let members = held.get(view);
      if (!members) {
        members = new Set();
        held.set(view, members);
      }
      if (!members.has(check)) {
        members.add(check);
        view.checks.push(check);
      }
    }
  }
  for (const view of views.values()) {
    view.checks.sort(byAttention);
    // The worst of its checks; a requirement whose checks were all skipped is skipped (not evidenced by this run).
    view.status = view.checks[0]?.status ?? 'skipped';
  }
  return [...views.values()].sort(
    (a, b) =>
      STATUS_RANK[a.status] - STATUS_RANK[b.status] || a.framework.localeCompare(b.framework) || a.control.localeCompare(b.control, 'en', { numeric: true }),
  );
}

/** A piece of remediation (or hint) text: prose, or a `backtick span` that is a command or a name to paste. */
export interface TextSegment {
  code: boolean;
  text: string;
}

/** Splits on backtick spans (one or more backticks, closed by the same run, as CommonMark); an unclosed backtick stays prose. */
export function codeSegments(text: string): TextSegment[] {
  const segments: TextSegment[] = [];
  const pattern = /(`+)([^`]|[^`][\s\S]*?[^`])\1(?!`)/g;
  let last = 0;
  for (const m of text.matchAll(pattern)) {
    if (m.index > last) segments.push({ code: false, text: text.slice(last, m.index) });
    segments.push({ code: true, text: m[2]!.trim() === '' ? m[2]! : m[2]!.replace(/^ (.*) $/s, '$1') });
    last = m.index + m[0].length;
  }
  if (last < text.length) segments.push({ code: false, text: text.slice(last) });
  return segments;
}

/** Who ran it and on what, as label/value rows (the same rows in every format). Values are plain text. */
export function provenanceRows(
  provenance: Provenance | undefined,
  labels: Labels = LABELS,
): Array<{ key: string; label: string; value: string; link?: string }> {
  if (!provenance) return [];
  const { who, target } = provenance;
  const rows: Array<{ key: string; label: string; value: string; link?: string }> = [];
  const add = (key: string, label: string, value: string | undefined, link?: string) => {
    if (value !== undefined && value !== '') rows.push({ key, label, value, ...(link ? { link } : {}) });
  };
  add('osUser', labels.osUser, who.osUser);
  add('host', labels.host, who.host);
  if (who.ci) {
    add('ciProvider', labels.ciProvider, labels.provider[who.ci.provider] ?? who.ci.provider);
    add('ciActor', labels.ciActor, who.ci.actor);
    add('ciRunUrl', labels.ciRun, who.ci.runUrl, who.ci.runUrl && /^https:\/\//.test(who.ci.runUrl) ? who.ci.runUrl : undefined);
    add('workflow', labels.workflow, who.ci.workflow);
    add('ref', labels.ref, who.ci.ref);
  }
  add('repository', labels.repository, who.repository);
  add('commit', labels.commit, who.commit);
  add('subscriptionId', labels.subscription, target.subscriptionId);
  add('postgresServerId', labels.postgresServer, target.postgresServerId);
  add('serverFqdn', labels.serverFqdn, target.serverFqdn);
  add('storageAccountId', labels.storageAccount, target.storageAccountId);
  add('storageContainer', labels.storageContainer, target.storageContainer);
  if (target.database) {
    const d = target.database;
    add('database', labels.database, labels.databaseValue(d.name, d.host, d.port, d.user));
    add('databaseUrl', labels.databaseUrl, d.url);
  }
  add('archive', labels.archive, target.archive);
  return rows;
}

/** `2026-11-21T03:00:00.000Z` → `2026-11-21 03:00:00 UTC`. */
export function utcDate(iso: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})/.exec(iso);
  return m ? `${m[1]} ${m[2]} UTC` : iso;
}

/**
 * The one line each rendered format states about authenticity (issue 13); empty when the report was not
 * written to a directory (no chain, no signature). signedBy null: hashes only, which anyone can recompute.
 */
export function authenticityLine(result: RunResult, labels: Pick<typeof LABELS, 'unsigned' | 'signedWith'> = LABELS): string {
  if (result.signedBy === undefined) return '';
  if (result.signedBy === null) return labels.unsigned;
  return labels.signedWith(result.signedBy.keyId);
}

export function duration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** A JSON value as compact text: strings bare, everything else as JSON. */
export function evidenceValue(value: JsonValue): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** Evidence entries sorted by key, so that output does not depend on the order a check filled them in. */
export function evidenceEntries(evidence: Evidence): Array<[string, JsonValue]> {
  return Object.entries(evidence).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

export function controlText(control: { framework: string; control: string }): string {
  return `${control.framework} ${control.control}`;
}

/** The id, and the human name when one is known: `ISO27001:2022 A.8.13 (Information backup)`. */
export function requirementText(view: Pick<RequirementView, 'framework' | 'control' | 'name'>): string {
  return view.name && view.name !== view.control ? `${view.framework} ${view.control} (${view.name})` : `${view.framework} ${view.control}`;
}

/** The JUnit suite and the report section a check belongs to: its id up to the first dash (db, pgflex, blob, archive, restore…). */
export function groupOf(id: string): string {
  return id.split('-')[0] || id;
}
