import { restoredOrThrow, valueOr } from '../../restore/judge.js';
import { CONTROLS, defineCheck } from '../types.js';

const show = (v: string | string[] | null) => (v === null ? 'none' : Array.isArray(v) ? v.join(', ') : v);

/**
 * One revision, a list (one row per head, in no particular order), or none: lenient on the form, strict on the
 * content. Compared as sorted sets, so that a two-base project's rows match whatever order the database returns.
 */
const asSet = (v: string | string[] | null): string[] => [...new Set(v === null ? [] : Array.isArray(v) ? v : [v])].sort();

export const restoreAlembicMatch = defineCheck({
  id: 'restore-alembic-match',
  title: 'The restored database is at the same Alembic revision as its source',
  severity: 'high',
  description: "Reads the Alembic revision of the restored database and compares it with the source's (the production database, or the archive's metadata).",
  risk: 'A restore at another schema revision than the application expects cannot be put back into service without a migration.',
  remediation:
    'Check that the backup was taken after the last migration, and that the migrations ran on the source; a restore must be followed by `alembic upgrade heads` when they differ on purpose.',
  controls: [CONTROLS.backup, CONTROLS.changeManagement],
  needs: [],
  uses: ['restore'],
  command: 'restore-test',
  async run(ctx) {
    const outcome = ctx.restore;
    const restored = restoredOrThrow(outcome);
    if (!outcome.source.alembic) return { status: 'skipped', message: `${outcome.source.label} records no Alembic revision to compare with.` };
    const source = valueOr(outcome.source.alembic, `The Alembic revision of ${outcome.source.label} could not be read`);
    if ('finding' in source) return source.finding;
    const after = valueOr(restored.alembic, 'The restored Alembic revision could not be read');
    if ('finding' in after) return after.finding;
    const evidence = { source: source.value, restored: after.value };
    const want = asSet(source.value);
    const got = asSet(after.value);
    const missing = want.filter((r) => !got.includes(r));
    const extra = got.filter((r) => !want.includes(r));
    if (missing.length || extra.length) {
      const parts = [...(missing.length ? [`missing ${missing.join(', ')}`] : []), ...(extra.length ? [`not in the source: ${extra.join(', ')}`] : [])];
      return {
        status: 'fail',
        message: `The restored database is at Alembic revision ${show(after.value)}; ${outcome.source.label} is at ${show(source.value)} (${parts.join('; ')}).`,
        evidence: { ...evidence, missing, extra },
      };
    }
    return { status: 'pass', message: `The restored database is at Alembic revision ${show(after.value)}, as ${outcome.source.label}.`, evidence };
  },
});
