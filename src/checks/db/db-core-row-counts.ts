import { EvaluationError } from '../../errors.js';
import type { JsonValue } from '../../vocabulary.js';
import { messages, text } from '../messages.js';
import { CONTROLS, defineCheck } from '../types.js';

/** Row counts as numbers, or strings past 2^53 (contract.md): no digit is ever lost. */
export function countToJson(count: bigint): JsonValue {
  return count <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(count) : count.toString();
}

type Short = { table: string; count: string; min: number };

const problemsEn = (missing: string[], short: Short[]) => [
  ...(missing.length ? [`missing table${missing.length > 1 ? 's' : ''} ${missing.map((m) => `"${m}"`).join(', ')}`] : []),
  ...short.map((s) => `"${s.table}" has ${s.count} (minimum ${s.min})`),
];
const problemsFr = (missing: string[], short: Short[]) => [
  ...(missing.length ? [`table${missing.length > 1 ? 's' : ''} absente${missing.length > 1 ? 's' : ''} ${missing.map((m) => `« ${m} »`).join(', ')}`] : []),
  ...short.map((s) => `« ${s.table} » a ${s.count} lignes (minimum ${s.min})`),
];

const t = messages('db-core-row-counts', {
  fail: text<{ missing: string[]; short: Short[]; notCounted: string[] }>(
    (p) =>
      `Core tables not as expected: ${problemsEn(p.missing, p.short).join('; ')}${p.notCounted.length ? `; not counted: ${p.notCounted.join('; ')}` : ''}.`,
    (p) =>
      `Tables principales non conformes : ${problemsFr(p.missing, p.short).join(' ; ')}${p.notCounted.length ? ` ; non comptées : ${p.notCounted.join(' ; ')}` : ''}.`,
  ),
  partial: text<{ counted: number; total: number; list: string; notCounted: string[] }>(
    (p) => `${p.counted} of ${p.total} core tables counted and at their minimum (${p.list}), but not counted: ${p.notCounted.join('; ')}.`,
    (p) => `${p.counted} tables principales sur ${p.total} comptées et à leur minimum (${p.list}), mais non comptées : ${p.notCounted.join(' ; ')}.`,
  ),
  pass: text<{ total: number; list: string }>(
    (p) => `All ${p.total} core tables hold at least their minimum rows (${p.list}).`,
    (p) => `Les ${p.total} tables principales contiennent au moins leur nombre minimal de lignes (${p.list}).`,
  ),
  notConfigured: text(
    () => 'no database.coreTables configured',
    () => 'aucune table principale configurée (database.coreTables)',
  ),
});

// A.8.13 (the data a backup must bring back is there) and A.5.33 (records are protected from loss).
export const dbCoreRowCounts = defineCheck({
  id: 'db-core-row-counts',
  title: 'Every core table exists and holds at least its minimum number of rows',
  severity: 'high',
  description: 'Counts the rows of each table in database.coreTables exactly (count(*), not an estimate) and compares with its minRows.',
  risk: 'An empty or missing core table (patients, documents) means the data a restore should bring back is not there.',
  remediation: 'Investigate the missing or emptied table before anything else: restore it from the latest good backup if data was lost.',
  fr: {
    title: 'Chaque table principale existe et contient au moins son nombre minimal de lignes',
    description: 'Compte exactement les lignes de chaque table de database.coreTables (count(*), pas une estimation) et compare au minRows de la table.',
    risk: 'Une table principale vide ou absente (patients, documents) signifie que les données qu’une restauration devrait ramener ne sont pas là.',
    remediation: 'Examiner avant toute chose la table absente ou vidée : la restaurer depuis la dernière sauvegarde saine si des données ont été perdues.',
  },
  controls: [CONTROLS.backup, CONTROLS.records],
  needs: ['database'],
  command: 'check',
  notApplicable: (config) => (config.database?.coreTables.length ? undefined : t.notConfigured({})),
  async run(ctx) {
    const tables = ctx.config.database.coreTables;
    const db = ctx.gateways.database();
    const counts: Record<string, JsonValue> = {};
    const missing: string[] = [];
    const short: Short[] = [];
    // A table that cannot be counted (locked by another session, say) does not cost the others their counts.
    const notCounted: Record<string, JsonValue> = {};
    const errors: EvaluationError[] = [];
    for (const table of tables) {
      let read;
      try {
        read = await db.countRows(table.name);
      } catch (error) {
        if (!(error instanceof EvaluationError) || ctx.signal.aborted) throw error;
        errors.push(error);
        counts[table.name] = null;
        notCounted[table.name] = { reason: error.message, kind: error.kind, hint: error.hint };
        continue;
      }
      if (read.kind === 'missing-table') {
        missing.push(table.name);
        counts[table.name] = null;
        continue;
      }
      counts[table.name] = countToJson(read.count);
      if (read.count < BigInt(table.minRows)) short.push({ table: table.name, count: read.count.toString(), min: table.minRows });
    }
    const [first] = errors;
    if (first && errors.length === tables.length) {
      // Nothing could be evaluated: error, with every table's reason (the first one's kind and hint).
      const reasons = errors.length === 1 ? first.message : errors.map((e) => e.message).join('; ');
      throw new EvaluationError(first.kind, reasons, first.hint, { cause: first });
    }
    const evidence = {
      counts,
      minRows: Object.fromEntries(tables.map((t) => [t.name, t.minRows])),
      ...(errors.length ? { notCounted } : {}),
    };
    // The reasons of the tables not counted come from PostgreSQL: English in both languages.
    const notCountedReasons = errors.map((e) => e.message);
    if (missing.length > 0 || short.length > 0) return { status: 'fail', message: t.fail({ missing, short, notCounted: notCountedReasons }), evidence };
    const counted = tables.filter((t) => !(t.name in notCounted));
    const list = counted.map((t) => `${t.name} ${counts[t.name]}`).join(', ');
    if (errors.length > 0) {
      // Not a pass: a table we could not count may be the empty one. The counts of the others are kept.
      return { status: 'warn', message: t.partial({ counted: counted.length, total: tables.length, list, notCounted: notCountedReasons }), evidence };
    }
    return { status: 'pass', message: t.pass({ total: tables.length, list }), evidence };
  },
});
