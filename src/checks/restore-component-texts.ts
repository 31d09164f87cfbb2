/**
 * The restore-<component> checks of `restore-test --archive` (restore-mariadb, restore-redis, restore-minio,
 * restore-mongodb; PostgreSQL keeps restore-provision and its comparisons): one file each with its own texts, the same
 * judgement held here once:
 *  - the member is not in the archive, the components were not restored (an archive the gate refused), or the machine lacks the component's tools: `skipped`, with the reason (never pass);
 *  - the member (or the archive) failed verification: `fail`, whatever the restore did (its result is discarded);
 *  - the content did not restore (RestoreFailedError): `fail`; we could not tell (a server that did not start): `error`;
 *  - restored: a difference from the metadata fails; anything the metadata does not record to compare with is `warn`
 *    ("not compared"), never a silent pass; everything compared and equal is `pass`.
 */
import { EvaluationError, type EvaluationErrorKind } from '../errors.js';
import type { ComponentRestoreResult } from '../restore/outcome.js';
import type { ComponentName } from '../selfhosted/component.js';
import type { Evidence } from '../vocabulary.js';
import { messages, text } from './messages.js';
import { CONTROLS, type Check, type CheckTexts, defineCheck } from './types.js';

const catalog = (component: ComponentName) =>
  messages(`restore-${component}`, {
    notArchive: text(
      () => 'Not an archive restore test: this component is restore-tested from a self-hosted archive only.',
      () => 'Pas un test de restauration d’archive : ce composant n’est testé qu’à partir d’une archive auto-hébergée.',
    ),
    notRun: text(
      () => 'This restore test did not restore the components other than PostgreSQL.',
      () => 'Ce test de restauration n’a pas restauré les composants autres que PostgreSQL.',
    ),
    notInArchive: text<{ members: string }>(
      (p) => `The archive holds no ${p.members}: nothing to restore for this component.`,
      (p) => `L’archive ne contient pas ${p.members} : rien à restaurer pour ce composant.`,
    ),
    skipped: text<{ reason: string }>(
      (p) => `Not restore-tested on this machine: ${p.reason}.`,
      (p) => `Non testé en restauration sur cette machine : ${p.reason}.`,
    ),
    discarded: text<{ members: string; reason: string }>(
      (p) => `${p.members} failed verification (${p.reason}): whatever was restored from it is discarded and proves nothing.`,
      (p) => `${p.members} a échoué à la vérification (${p.reason}) : ce qui en a été restauré est écarté et ne prouve rien.`,
    ),
    failed: text<{ members: string; message: string }>(
      (p) => `${p.members} did not restore: ${p.message}.`,
      (p) => `${p.members} ne s’est pas restauré : ${p.message}.`,
    ),
    differ: text<{ members: string; target: string; differences: string }>(
      (p) => `${p.members} restored into ${p.target}, but it differs from the metadata: ${p.differences}.`,
      (p) => `${p.members} restauré dans ${p.target}, mais il diffère des métadonnées : ${p.differences}.`,
    ),
    notCompared: text<{ members: string; target: string; seconds: number; matched: number; notCompared: string }>(
      (p) =>
        `${p.members} restored into ${p.target} in ${p.seconds} s${p.matched > 0 ? ` (${p.matched} compared and equal)` : ''}, ` +
        `but not compared with anything for: ${p.notCompared} (the metadata records nothing to compare with).`,
      (p) =>
        `${p.members} restauré dans ${p.target} en ${p.seconds} s${p.matched > 0 ? ` (${p.matched} comparaisons égales)` : ''}, ` +
        `mais sans rien à quoi comparer pour : ${p.notCompared} (les métadonnées n’enregistrent rien).`,
    ),
    matched: text<{ members: string; target: string; seconds: number; matched: string }>(
      (p) => `${p.members} restored into ${p.target} in ${p.seconds} s; equal to the metadata: ${p.matched}.`,
      (p) => `${p.members} restauré dans ${p.target} en ${p.seconds} s ; égal aux métadonnées : ${p.matched}.`,
    ),
  });

export interface ComponentRestoreCheckSpec {
  component: Exclude<ComponentName, 'postgres'>;
  /** The member paths, for the messages when the archive lacks them. */
  members: readonly string[];
  title: string;
  description: string;
  risk: string;
  remediation: string;
  fr: CheckTexts;
}

/** Matched items listed in a pass message: a long list (a table each) is cut, the evidence has them all. */
const MAX_LISTED = 8;

function listed(items: string[]): string {
  return items.length <= MAX_LISTED ? items.join(', ') : `${items.slice(0, MAX_LISTED).join(', ')} and ${items.length - MAX_LISTED} more`;
}

function evidenceOf(result: ComponentRestoreResult): Evidence {
  return {
    members: result.members,
    target: result.target ?? null,
    restoreSeconds: result.restoreSeconds ?? null,
    ...(result.comparison
      ? {
          restored: result.comparison.restored,
          matched: result.comparison.matched,
          differences: result.comparison.differences,
          notCompared: result.comparison.notCompared,
        }
      : {}),
    ...(result.discarded ? { discarded: result.discarded } : {}),
    ...(result.reason ? { reason: result.reason } : {}),
    ...(result.failure ? { failure: { kind: result.failure.kind, message: result.failure.message, hint: result.failure.hint } } : {}),
    cleanup: { removed: result.cleanup.removed, leftover: result.cleanup.leftover },
  };
}

export function componentRestoreCheck(spec: ComponentRestoreCheckSpec): Check {
  const t = catalog(spec.component);
  return defineCheck({
    id: `restore-${spec.component}`,
    title: spec.title,
    severity: 'high',
    description: spec.description,
    risk: spec.risk,
    remediation: spec.remediation,
    fr: spec.fr,
    // A.8.13: the backup restores (tested); A.5.30: what restoring the service depends on.
    controls: [CONTROLS.backup, CONTROLS.continuity],
    needs: [],
    uses: ['restore'],
    command: 'restore-test',
    async run(ctx) {
      const outcome = ctx.restore;
      if (outcome.method !== 'archive') return { status: 'skipped', message: t.notArchive({}) };
      if (!outcome.components) return { status: 'skipped', message: t.notRun({}) };
      const result = outcome.components[spec.component];
      if (!result) return { status: 'skipped', message: t.notInArchive({ members: spec.members.join(', ') }) };
      const evidence = evidenceOf(result);
      const members = result.members.join(', ');
      if (result.discarded) {
        // Verification could not tell (a gate check errored): neither proven bad nor vouched for.
        if (result.discardedBecause === 'error')
          throw new EvaluationError('invalid-response', t.discarded({ members, reason: result.discarded }).en, 'see the archive-* checks of this report');
        return { status: 'fail', message: t.discarded({ members, reason: result.discarded }), evidence };
      }
      if (result.state === 'skipped') return { status: 'skipped', message: t.skipped({ reason: result.reason ?? 'no reason given' }), evidence };
      if (result.state === 'failed' || !result.comparison) {
        const failure = result.failure ?? { kind: 'internal' as const, message: 'the restore test did not finish', hint: 'run it again' };
        if (failure.kind === 'restore-failed') return { status: 'fail', message: t.failed({ members, message: failure.message }), evidence };
        throw new EvaluationError(failure.kind as EvaluationErrorKind, failure.message, failure.hint);
      }
      const { comparison } = result;
      const target = result.target ?? 'a throwaway target';
      const seconds = result.restoreSeconds ?? 0;
      if (comparison.differences.length > 0)
        return { status: 'fail', message: t.differ({ members, target, differences: comparison.differences.join('; ') }), evidence };
      if (comparison.notCompared.length > 0 || comparison.matched.length === 0) {
        const notCompared = comparison.notCompared.length > 0 ? comparison.notCompared : ['its content'];
        return {
          status: 'warn',
          message: t.notCompared({ members, target, seconds, matched: comparison.matched.length, notCompared: notCompared.join(', ') }),
          evidence,
        };
      }
      return { status: 'pass', message: t.matched({ members, target, seconds, matched: listed(comparison.matched) }), evidence };
    },
  });
}
