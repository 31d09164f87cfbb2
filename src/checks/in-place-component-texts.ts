/**
 * The restored-<component> checks of `restorecheck restore` (restored-postgres, restored-mariadb, restored-mongodb,
 * restored-redis, restored-minio): one file each, the same judgement held here once.
 *  - the archive lacks the member, or selfHosted.sources does not configure the component: `skipped`, with the reason;
 *  - the restore stopped before this component (an earlier failure, Ctrl-C): `error` (it was meant to be restored and
 *    was not: the target still holds what it held, and the report says so);
 *  - the content did not restore (RestoreFailedError): `fail`; anything else that stopped it: `error`;
 *  - restored: the target now differs from the archive's metadata: `fail`; something the metadata does not record: `warn`
 *    ("not compared"), never a silent pass; everything compared and equal: `pass`.
 */
import { EvaluationError, type EvaluationErrorKind } from '../errors.js';
import type { InPlaceComponentResult } from '../restore/in-place-outcome.js';
import type { ComponentName } from '../selfhosted/component.js';
import type { Evidence } from '../vocabulary.js';
import { messages, text } from './messages.js';
import { CONTROLS, type Check, type CheckTexts, defineCheck } from './types.js';

const catalog = (component: ComponentName) =>
  messages(`restored-${component}`, {
    notConfigured: text<{ members: string }>(
      (p) => `The archive holds ${p.members}, but selfHosted.sources.${component} is not configured: not restored.`,
      (p) => `L’archive contient ${p.members}, mais selfHosted.sources.${component} n’est pas configuré : non restauré.`,
    ),
    notInArchive: text<{ members: string }>(
      (p) => `The archive holds no ${p.members}: ${component} was not restored and keeps its current data.`,
      (p) => `L’archive ne contient pas ${p.members} : ${component} n’a pas été restauré et garde ses données actuelles.`,
    ),
    absent: text(
      () => `Neither in the archive nor configured.`,
      () => `Ni dans l’archive ni configuré.`,
    ),
    failed: text<{ members: string; message: string }>(
      (p) => `${p.members} did not restore: ${p.message}.`,
      (p) => `${p.members} ne s’est pas restauré : ${p.message}.`,
    ),
    differ: text<{ members: string; target: string; differences: string }>(
      (p) => `${p.members} restored into ${p.target}, but it now differs from the archive's metadata: ${p.differences}.`,
      (p) => `${p.members} restauré dans ${p.target}, mais il diffère maintenant des métadonnées de l’archive : ${p.differences}.`,
    ),
    notCompared: text<{ members: string; target: string; seconds: number; notCompared: string }>(
      (p) => `${p.members} restored into ${p.target} in ${p.seconds} s, but not compared with anything for: ${p.notCompared}.`,
      (p) => `${p.members} restauré dans ${p.target} en ${p.seconds} s, mais sans rien à quoi comparer pour : ${p.notCompared}.`,
    ),
    matched: text<{ members: string; target: string; seconds: number; matched: string }>(
      (p) => `${p.members} restored into ${p.target} in ${p.seconds} s; equal to the archive's metadata: ${p.matched}.`,
      (p) => `${p.members} restauré dans ${p.target} en ${p.seconds} s ; égal aux métadonnées de l’archive : ${p.matched}.`,
    ),
  });

export interface InPlaceCheckSpec {
  component: ComponentName;
  members: readonly string[];
  title: string;
  description: string;
  risk: string;
  remediation: string;
  fr: CheckTexts;
}

const MAX_LISTED = 8;
const listed = (items: string[]) =>
  items.length <= MAX_LISTED ? items.join(', ') : `${items.slice(0, MAX_LISTED).join(', ')} and ${items.length - MAX_LISTED} more`;

function evidenceOf(result: InPlaceComponentResult): Evidence {
  return {
    state: result.state,
    members: result.members,
    target: result.target ?? null,
    seconds: result.seconds ?? null,
    steps: result.steps,
    ...(result.comparison
      ? {
          restored: result.comparison.restored,
          matched: result.comparison.matched,
          differences: result.comparison.differences,
          notCompared: result.comparison.notCompared,
        }
      : {}),
    ...(result.reason ? { reason: result.reason } : {}),
    ...(result.failure ? { failure: { kind: result.failure.kind, message: result.failure.message, hint: result.failure.hint } } : {}),
  };
}

export function inPlaceComponentCheck(spec: InPlaceCheckSpec): Check {
  const t = catalog(spec.component);
  return defineCheck({
    id: `restored-${spec.component}`,
    title: spec.title,
    severity: 'critical',
    description: spec.description,
    risk: spec.risk,
    remediation: spec.remediation,
    fr: spec.fr,
    // A.8.13: the backup is restored; A.5.30: the service is back.
    controls: [CONTROLS.backup, CONTROLS.continuity],
    needs: [],
    uses: ['inPlace'],
    command: 'restore',
    async run(ctx) {
      const result = ctx.inPlace.components[spec.component];
      const members = spec.members.join(', ');
      if (!result) return { status: 'skipped', message: t.absent({}) };
      const evidence = evidenceOf(result);
      if (result.state === 'not-configured') return { status: 'skipped', message: t.notConfigured({ members }), evidence };
      if (result.state === 'not-in-archive') return { status: 'skipped', message: t.notInArchive({ members }), evidence };
      if (result.state === 'not-restored')
        throw new EvaluationError(
          'internal',
          `${members} was not restored: ${result.reason ?? 'the restore stopped before it'}`,
          'see the other restored-* checks and run the restore again',
        );
      if (result.state === 'failed' || !result.comparison) {
        const failure = result.failure ?? { kind: 'internal' as const, message: 'the restore did not finish', hint: 'run it again' };
        if (failure.kind === 'restore-failed') return { status: 'fail', message: t.failed({ members, message: failure.message }), evidence };
        throw new EvaluationError(failure.kind as EvaluationErrorKind, failure.message, failure.hint);
      }
      const { comparison } = result;
      const target = result.target ?? spec.component;
      const seconds = result.seconds ?? 0;
      if (comparison.differences.length > 0)
        return { status: 'fail', message: t.differ({ members, target, differences: comparison.differences.join('; ') }), evidence };
      if (comparison.notCompared.length > 0 || comparison.matched.length === 0) {
        const notCompared = comparison.notCompared.length > 0 ? comparison.notCompared : ['its content'];
        return { status: 'warn', message: t.notCompared({ members, target, seconds, notCompared: notCompared.join(', ') }), evidence };
      }
      return { status: 'pass', message: t.matched({ members, target, seconds, matched: listed(comparison.matched) }), evidence };
    },
  });
}
