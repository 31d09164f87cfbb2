import type { JsonValue } from '../types.js';
import { CONTROLS, type Check } from '../types.js';

/** Row counts as numbers, or strings past 2^53 (contract.md): no digit is ever lost. */
export function countToJson(count: bigint): JsonValue {
  return count <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(count) : count.toString();
}

export const dbCoreRowCounts: Check = {
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
    const tables = ctx.config.database!.coreTables;
    const db = ctx.gateways.database();
    const counts: Record<string, JsonValue> = {};
    const missing: string[] = [];
    const short: string[] = [];
    for (const table of tables) {
      const read = await db.countRows(table.name);
      if (read.kind === 'missing-table') {
        missing.push(`"${table.name}"`);
        counts[table.name] = null;
        continue;
      }
      counts[table.name] = countToJson(read.count);
      if (read.count < BigInt(table.minRows)) short.push(`"${table.name}" has ${read.count} (minimum ${table.minRows})`);
    }
    const evidence = { counts, minRows: Object.fromEntries(tables.map((t) => [t.name, t.minRows])) };
    const problems = [
      ...(missing.length ? [`missing table${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`] : []),
      ...short,
    ];
    if (problems.length > 0) return { status: 'fail', message: `Core tables not as expected: ${problems.join('; ')}.`, evidence };
    const list = tables.map((t) => `${t.name} ${counts[t.name]}`).join(', ');
    return { status: 'pass', message: `All ${tables.length} core tables hold at least their minimum rows (${list}).`, evidence };
  },
};
