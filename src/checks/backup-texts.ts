/**
 * The backup-* checks, one per component (one file each, with its own texts), are the same judgement of the backup
 * outcome: the component's members written (pass), its dump failed or never ran (error: the backup could not complete,
 * exit 2), or it is not configured (skipped). This factory holds that judgement once; each file gives its texts and
 * what its facts say (counts), in both languages.
 */
import type { ComponentOutcome } from '../backup/outcome.js';
import { EvaluationError, type EvaluationErrorKind } from '../errors.js';
import type { ComponentName } from '../selfhosted/component.js';
import type { JsonValue } from '../vocabulary.js';
import { messages, text } from './messages.js';
import { CONTROLS, type Check, type CheckTexts, defineCheck } from './types.js';

/** The catalog of one backup-* check (its own namespace, as every check has: texts.test.ts). */
const catalog = (component: ComponentName) =>
  messages(`backup-${component}`, {
    done: text<{ members: string; source: string; tool: string; seconds: number; summaryEn: string; summaryFr: string }>(
      (p) => `${p.members} written from ${p.source} with ${p.tool} in ${p.seconds} s${p.summaryEn ? `; ${p.summaryEn}` : ''}.`,
      (p) => `${p.members} écrit depuis ${p.source} avec ${p.tool} en ${p.seconds} s${p.summaryFr ? ` ; ${p.summaryFr}` : ''}.`,
    ),
    warned: text<{ members: string; warningEn: string; warningFr: string }>(
      (p) => `${p.members} written, but ${p.warningEn}.`,
      (p) => `${p.members} écrit, mais ${p.warningFr}.`,
    ),
    notConfigured: text<{ component: string }>(
      (p) => `selfHosted.sources.${p.component} is not configured: not backed up (metadata.json says so)`,
      (p) => `selfHosted.sources.${p.component} n’est pas configuré : non sauvegardé (metadata.json l’indique)`,
    ),
  });

const KINDS: readonly EvaluationErrorKind[] = [
  'auth',
  'permission',
  'unreachable',
  'refused',
  'timeout',
  'tls',
  'not-found',
  'query',
  'config',
  'tool',
  'internal',
];

/** `postgres_full.sql.gz (54.2 MB)`. */
export function describeMembers(members: ComponentOutcome['members']): string {
  return members.map((m) => `${m.path} (${formatBytes(m.size)})`).join(', ');
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

export interface ComponentCheckSpec {
  component: ComponentName;
  title: string;
  description: string;
  risk: string;
  remediation: string;
  fr: CheckTexts;
  /** What the facts say, for the pass message (counts), in each language; empty strings for nothing. */
  summary(facts: Record<string, JsonValue>): { en: string; fr: string };
  /** A reason to warn despite a dump written (a configured core table absent, say). */
  warning?(facts: Record<string, JsonValue>): { en: string; fr: string } | undefined;
}

export function componentBackupCheck(spec: ComponentCheckSpec): Check {
  const t = catalog(spec.component);
  return defineCheck({
    id: `backup-${spec.component}`,
    title: spec.title,
    severity: 'critical',
    description: spec.description,
    risk: spec.risk,
    remediation: spec.remediation,
    fr: spec.fr,
    // A.8.13: the backup copy made; A.5.30: what restoring the service depends on.
    controls: [CONTROLS.backup, CONTROLS.continuity],
    needs: [],
    uses: ['backup'],
    command: 'backup',
    slots: (config) => ({ environment: config.environment }),
    notApplicable: (config) => (config.selfHosted?.sources[spec.component] ? undefined : t.notConfigured({ component: spec.component })),
    async run(ctx) {
      const outcome = ctx.backup.components.find((c) => c.name === spec.component);
      if (!outcome || outcome.status === 'not-configured') {
        return { status: 'skipped', message: t.notConfigured({ component: spec.component }) };
      }
      if (outcome.status === 'failed' || outcome.status === 'not-run') {
        const failure = outcome.failure ?? { kind: 'internal', message: `${spec.component} was not dumped`, hint: 'run the backup again' };
        const kind = (KINDS as readonly string[]).includes(failure.kind) ? (failure.kind as EvaluationErrorKind) : 'tool';
        throw new EvaluationError(kind, failure.message, failure.hint);
      }
      const evidence = {
        source: outcome.source ?? null,
        tool: outcome.tool ? `${outcome.tool.version}` : null,
        seconds: outcome.seconds ?? null,
        members: Object.fromEntries(outcome.members.map((m) => [m.path, { sha256: m.sha256, size: m.size }])),
        ...outcome.facts,
      };
      const members = describeMembers(outcome.members);
      const warning = spec.warning?.(outcome.facts);
      if (warning) return { status: 'warn', message: t.warned({ members, warningEn: warning.en, warningFr: warning.fr }), evidence };
      const summary = spec.summary(outcome.facts);
      return {
        status: 'pass',
        message: t.done({
          members,
          source: outcome.source ?? spec.component,
          tool: outcome.tool?.version ?? spec.component,
          seconds: outcome.seconds ?? 0,
          summaryEn: summary.en,
          summaryFr: summary.fr,
        }),
        evidence,
      };
    },
  });
}

/** `patients 200, documents 20` from a `{table: count}` fact. */
export function countList(value: JsonValue | undefined): string {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return '';
  return Object.entries(value)
    .map(([table, count]) => `${table} ${String(count)}`)
    .join(', ');
}
