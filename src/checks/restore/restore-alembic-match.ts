import { restoredOrThrow, valueOr } from '../../restore/judge.js';
import { messages, text } from '../messages.js';
import { restoreTexts, sourceFr } from '../restore-texts.js';
import { CONTROLS, defineCheck } from '../types.js';

const show = (v: string | string[] | null) => (v === null ? 'none' : Array.isArray(v) ? v.join(', ') : v);
const showFr = (v: string | string[] | null) => (v === null ? 'aucune' : Array.isArray(v) ? v.join(', ') : v);

const t = messages('restore-alembic-match', {
  noSource: text<{ label: string }>(
    (p) => `${p.label} records no Alembic revision to compare with.`,
    (p) => `Aucune révision Alembic à comparer n’est enregistrée ${sourceFr(p.label).in}.`,
  ),
  differs: text<{ restored: string | string[] | null; source: string | string[] | null; label: string; missing: string[]; extra: string[] }>(
    (p) => {
      const parts = [...(p.missing.length ? [`missing ${p.missing.join(', ')}`] : []), ...(p.extra.length ? [`not in the source: ${p.extra.join(', ')}`] : [])];
      return `The restored database is at Alembic revision ${show(p.restored)}; ${p.label} is at ${show(p.source)} (${parts.join('; ')}).`;
    },
    (p) => {
      const parts = [
        ...(p.missing.length ? [`manquante(s) : ${p.missing.join(', ')}`] : []),
        ...(p.extra.length ? [`absente(s) de la source : ${p.extra.join(', ')}`] : []),
      ];
      return `La base restaurée est à la révision Alembic ${showFr(p.restored)} ; celle ${sourceFr(p.label).of} est ${showFr(p.source)} (${parts.join(' ; ')}).`;
    },
  ),
  same: text<{ restored: string | string[] | null; label: string }>(
    (p) => `The restored database is at Alembic revision ${show(p.restored)}, as ${p.label}.`,
    (p) => `La base restaurée est à la révision Alembic ${showFr(p.restored)}, comme celle ${sourceFr(p.label).of}.`,
  ),
});

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
  fr: {
    title: 'La base restaurée est à la même révision Alembic que sa source',
    description: 'Lit la révision Alembic de la base restaurée et la compare à celle de la source (la base de production, ou les métadonnées de l’archive).',
    risk: 'Une restauration à une autre révision de schéma que celle attendue par l’application ne peut pas être remise en service sans migration.',
    remediation:
      'Vérifier que la sauvegarde a été prise après la dernière migration et que les migrations ont été appliquées à la source ; une restauration doit être suivie de ' +
      '`alembic upgrade heads` quand l’écart est voulu.',
  },
  // A.8.13 (the backup restores to a usable schema) and A.8.32 (migrations are changes under control).
  controls: [CONTROLS.backup, CONTROLS.changeManagement],
  needs: [],
  uses: ['restore'],
  command: 'restore-test',
  async run(ctx) {
    const outcome = ctx.restore;
    // Fleet mode: a copy not read on purpose (a password URL fits only the server it names) is skipped, with why.
    if (outcome.notRead?.database) return { status: 'skipped', message: outcome.notRead.database };
    const restored = restoredOrThrow(outcome);
    const label = outcome.source.label;
    if (!outcome.source.alembic) return { status: 'skipped', message: t.noSource({ label }) };
    const source = valueOr(outcome.source.alembic, restoreTexts.sourceAlembicUnread({ label }));
    if ('finding' in source) return source.finding;
    const after = valueOr(restored.alembic, restoreTexts.restoredAlembicUnread({}));
    if ('finding' in after) return after.finding;
    const evidence = { source: source.value, restored: after.value };
    const want = asSet(source.value);
    const got = asSet(after.value);
    const missing = want.filter((r) => !got.includes(r));
    const extra = got.filter((r) => !want.includes(r));
    if (missing.length || extra.length) {
      return {
        status: 'fail',
        message: t.differs({ restored: after.value, source: source.value, label, missing, extra }),
        evidence: { ...evidence, missing, extra },
      };
    }
    return { status: 'pass', message: t.same({ restored: after.value, label }), evidence };
  },
});
