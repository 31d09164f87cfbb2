import { countsToJson } from '../../restore/outcome.js';
import { restoredOrThrow, valueOr } from '../../restore/judge.js';
import { CONTROLS, defineCheck } from '../types.js';

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
  controls: [CONTROLS.backup, CONTROLS.hdsIntegrity],
  needs: [],
  uses: ['restore'],
  command: 'restore-test',
  async run(ctx) {
    const outcome = ctx.restore;
    const restored = restoredOrThrow(outcome);
    if (!outcome.source.counts) {
      // With neither counts nor a revision, the restore loaded but nothing proves its content: an
      // auditor must not read that as a verified restore (issue 10), so this is the finding that says so.
      if (!outcome.source.alembic) {
        return {
          status: 'fail',
          message:
            `Nothing to compare: ${outcome.source.label} records neither row counts nor an Alembic revision, so the restored copy was ` +
            `compared with nothing (the restore loaded, but nothing proves its content).`,
          evidence: { source: null },
        };
      }
      return { status: 'skipped', message: `${outcome.source.label} records no row counts to compare with.` };
    }
    const source = valueOr(outcome.source.counts, `The row counts of ${outcome.source.label} could not be read`);
    if ('finding' in source) return source.finding;
    const after = valueOr(restored.counts, 'The restored row counts could not be read');
    if ('finding' in after) return after.finding;
    const tolerance = outcome.limits.rowCountTolerancePercent;
    const evidence = { source: countsToJson(source.value), restored: countsToJson(after.value), tolerancePercent: tolerance };
    const problems: string[] = [];
    for (const [table, expected] of Object.entries(source.value)) {
      const got = after.value[table];
      if (got === undefined || got === null) {
        problems.push(`"${table}" is missing from the restore`);
        continue;
      }
      if (expected === null) continue;
      const diff = got > expected ? got - expected : expected - got;
      // Integer arithmetic: counts can exceed 2^53. diff/expected > tolerance% ⇔ diff*10000 > tolerance*100*expected.
      const allowed = (expected * BigInt(Math.round(tolerance * 100))) / 10000n;
      if (diff > allowed) problems.push(`"${table}" has ${got} rows, ${outcome.source.label} ${expected}`);
    }
    if (Object.keys(source.value).length === 0) return { status: 'skipped', message: 'No core table to compare.', evidence };
    if (problems.length > 0) return { status: 'fail', message: `Restored row counts differ beyond ${tolerance}%: ${problems.join('; ')}.`, evidence };
    return { status: 'pass', message: `All ${Object.keys(source.value).length} core tables match ${outcome.source.label} within ${tolerance}%.`, evidence };
  },
});
