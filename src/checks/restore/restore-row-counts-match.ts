import { countsToJson } from '../../restore/outcome.js';
import { restoredOrThrow, valueOr } from '../../restore/judge.js';
import { messages, text } from '../messages.js';
import { restoreTexts, sourceFr } from '../restore-texts.js';
import { CONTROLS, defineCheck } from '../types.js';

type Problem = { table: string; got: string | null; expected: string | null };

const t = messages('restore-row-counts-match', {
  nothingToCompare: text<{ label: string }>(
    (p) =>
      `Nothing to compare: ${p.label} records neither row counts nor an Alembic revision, so the restored copy was ` +
      'compared with nothing (the restore loaded, but nothing proves its content).',
    (p) =>
      `Rien à comparer : ni nombres de lignes ni révision Alembic ne sont enregistrés ${sourceFr(p.label).in}, donc la copie restaurée n’a été ` +
      'comparée à rien (la restauration a été chargée, mais rien ne prouve son contenu).',
  ),
  noCounts: text<{ label: string }>(
    (p) => `${p.label} records no row counts to compare with.`,
    (p) => `Aucun nombre de lignes à comparer n’est enregistré ${sourceFr(p.label).in}.`,
  ),
  noTable: text(
    () => 'No core table to compare.',
    () => 'Aucune table principale à comparer.',
  ),
  differ: text<{ tolerance: number; label: string; problems: Problem[] }>(
    (p) =>
      `Restored row counts differ beyond ${p.tolerance}%: ${p.problems
        .map((x) => (x.got === null ? `"${x.table}" is missing from the restore` : `"${x.table}" has ${x.got} rows, ${p.label} ${x.expected}`))
        .join('; ')}.`,
    (p) =>
      `Les nombres de lignes restaurés diffèrent au-delà de ${p.tolerance} % : ${p.problems
        .map((x) =>
          x.got === null ? `« ${x.table} » est absente de la restauration` : `« ${x.table} » a ${x.got} lignes, contre ${x.expected} ${sourceFr(p.label).in}`,
        )
        .join(' ; ')}.`,
  ),
  match: text<{ count: number; label: string; tolerance: number }>(
    (p) => `All ${p.count} core tables match ${p.label} within ${p.tolerance}%.`,
    (p) => `Les ${p.count} tables principales concordent avec ${sourceFr(p.label).the} à ${p.tolerance} % près.`,
  ),
});

// A.8.13: the restored data is all there (the test of a backup's content).

export const restoreRowCountsMatch = defineCheck({
  id: 'restore-row-counts-match',
  title: 'The restored core tables hold as many rows as the source, within the tolerance',
  severity: 'high',
  description:
    'Counts the rows of each core table in the restored database and compares them with the source (the production database now, or the counts ' +
    'recorded in the archive metadata). The restore point is earlier than now, so a small difference is allowed (restoreTest.rowCountTolerancePercent).',
  risk: 'A restore that comes back with tables missing or emptied has lost patient data, even if it "succeeded".',
  remediation:
    'Find which tables differ and why (a backup taken mid-load, a table outside the backup); fix the backup job and run the restore test again. ' +
    'When the archive metadata records neither row_counts nor alembic_revision, make the backup job write them.',
  fr: {
    title: 'Les tables principales restaurées contiennent autant de lignes que la source, à la tolérance près',
    description:
      'Compte les lignes de chaque table principale de la base restaurée et les compare à la source (la base de production maintenant, ou les nombres ' +
      'enregistrés dans les métadonnées de l’archive). Le point de restauration étant antérieur à maintenant, un petit écart est admis (restoreTest.rowCountTolerancePercent).',
    risk: 'Une restauration qui revient avec des tables absentes ou vidées a perdu des données de patients, même si elle a « réussi ».',
    remediation:
      'Identifier les tables qui diffèrent et pourquoi (une sauvegarde prise en plein chargement, une table hors sauvegarde) ; corriger la tâche de sauvegarde et ' +
      'relancer le test de restauration. Quand les métadonnées de l’archive n’enregistrent ni row_counts ni alembic_revision, les faire écrire par la tâche de sauvegarde.',
  },
  controls: [CONTROLS.backup],
  needs: [],
  uses: ['restore'],
  command: 'restore-test',
  async run(ctx) {
    const outcome = ctx.restore;
    // Fleet mode: a copy not read on purpose is skipped, with why (never the "nothing to compare" fail: nothing was read).
    if (outcome.notRead?.database) return { status: 'skipped', message: outcome.notRead.database };
    const restored = restoredOrThrow(outcome);
    if (!outcome.source.counts) {
      // With neither counts nor a revision, the restore loaded but nothing proves its content: an
      // auditor must not read that as a verified restore (issue 10), so this is the finding that says so.
      if (!outcome.source.alembic) {
        return { status: 'fail', message: t.nothingToCompare({ label: outcome.source.label }), evidence: { source: null } };
      }
      return { status: 'skipped', message: t.noCounts({ label: outcome.source.label }) };
    }
    const label = outcome.source.label;
    const source = valueOr(outcome.source.counts, restoreTexts.sourceCountsUnread({ label }));
    if ('finding' in source) return source.finding;
    const after = valueOr(restored.counts, restoreTexts.restoredCountsUnread({}));
    if ('finding' in after) return after.finding;
    const tolerance = outcome.limits.rowCountTolerancePercent;
    const evidence = { source: countsToJson(source.value), restored: countsToJson(after.value), tolerancePercent: tolerance };
    const problems: Problem[] = [];
    for (const [table, expected] of Object.entries(source.value)) {
      const got = after.value[table];
      if (got === undefined || got === null) {
        problems.push({ table, got: null, expected: expected === null ? null : expected.toString() });
        continue;
      }
      if (expected === null) continue;
      const diff = got > expected ? got - expected : expected - got;
      // Integer arithmetic: counts can exceed 2^53. diff/expected > tolerance% ⇔ diff*10000 > tolerance*100*expected.
      const allowed = (expected * BigInt(Math.round(tolerance * 100))) / 10000n;
      if (diff > allowed) problems.push({ table, got: got.toString(), expected: expected.toString() });
    }
    if (Object.keys(source.value).length === 0) return { status: 'skipped', message: t.noTable({}), evidence };
    if (problems.length > 0) return { status: 'fail', message: t.differ({ tolerance, label, problems }), evidence };
    return { status: 'pass', message: t.match({ count: Object.keys(source.value).length, label, tolerance }), evidence };
  },
});
