import { EvaluationError } from '../../errors.js';
import type { JsonValue } from '../../vocabulary.js';
import { CONTROLS, defineCheck } from '../types.js';

/** Row counts as numbers, or strings past 2^53 (contract.md): no digit is ever lost. */
export function countToJson(count: bigint): JsonValue {
  return count <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(count) : count.toString();
}

export const dbCoreRowCounts = defineCheck({
  id: 'db-core-row-counts',
  title: 'Every core table exists and holds at least its minimum number of rows',
  severity: 'high',
  description: 'Counts the rows of each table in database.coreTables exactly (count(*), not an estimate) and compares with its minRows.',
  risk: 'An empty or missing core table (patients, documents) means the data a restore should bring back is not there.',
  remediation: 'Investigate the missing or emptied table before anything else: restore it from the latest good backup if data was lost.',
  controls: [CONTROLS.backup, CONTROLS.hdsIntegrity],
  needs: ['database'],
  command: 'check',
  notApplicable: (config) => (config.database?.coreTables.length ? undefined : 'no database.coreTables configured'),
  async run(ctx) {
    const tables = ctx.config.database.coreTables;
    const db = ctx.gateways.database();
    const counts: Record<string, JsonValue> = {};
    const missing: string[] = [];
    const short: string[] = [];
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
        missing.push(`"${table.name}"`);
        counts[table.name] = null;
        continue;
      }
      counts[table.name] = countToJson(read.count);
      if (read.count < BigInt(table.minRows)) short.push(`"${table.name}" has ${read.count} (minimum ${table.minRows})`);
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
    const problems = [...(missing.length ? [`missing table${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`] : []), ...short];
    const uncounted = errors.length ? `not counted: ${errors.map((e) => e.message).join('; ')}` : '';
    if (problems.length > 0) {
      return { status: 'fail', message: `Core tables not as expected: ${problems.join('; ')}${uncounted ? `; ${uncounted}` : ''}.`, evidence };
    }
    const counted = tables.filter((t) => !(t.name in notCounted));
    const list = counted.map((t) => `${t.name} ${counts[t.name]}`).join(', ');
    if (errors.length > 0) {
      // Not a pass: a table we could not count may be the empty one. The counts of the others are kept.
      return {
        status: 'warn',
        message: `${counted.length} of ${tables.length} core tables counted and at their minimum (${list}), but ${uncounted}.`,
        evidence,
      };
    }
    return { status: 'pass', message: `All ${tables.length} core tables hold at least their minimum rows (${list}).`, evidence };
  },
});
