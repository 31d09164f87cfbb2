import { resolve } from 'node:path';
import { readRevisionGraph } from '../../alembic/revision-graph.js';
import type { Config } from '../../config/schema.js';
import { EvaluationError } from '../../errors.js';
import { CONTROLS, defineCheck } from '../types.js';
import type { Evidence } from '../../vocabulary.js';

type AlembicConfig = NonNullable<Config['database']>['alembic'];

/** Sorted, without duplicates: Alembic's version table holds one row per head, in no order. */
const asSet = (values: readonly string[]) => [...new Set(values)].sort();

export const dbAlembicVersion = defineCheck({
  id: 'db-alembic-version',
  title: 'The database is at the expected Alembic revision',
  severity: 'high',
  description:
    'Reads the Alembic version table and compares its revisions (one row per head) with the expected heads: database.alembic.expectedHead, or ' +
    'the heads computed from the migration scripts in database.alembic.migrationsDir.',
  risk: 'A database behind (or ahead of) the application code means a restore would bring back a schema the application cannot use.',
  remediation: 'Run the pending migrations (`alembic upgrade heads`) or fix expectedHead.',
  controls: [CONTROLS.backup, CONTROLS.changeManagement],
  needs: ['database'],
  command: 'check',
  // Without an expected head there is nothing to compare with: skipped, not a fail on a missing table.
  notApplicable: (config) =>
    config.database?.alembic.expectedHead || config.database?.alembic.migrationsDir
      ? undefined
      : 'no database.alembic.expectedHead or migrationsDir configured, so there is no expected revision to compare with',
  async run(ctx) {
    const alembic = ctx.config.database.alembic;
    const expected = await expectedHeads(alembic);
    const read = await ctx.gateways.database().readAlembicVersions(alembic.table);
    const [onlyHead] = expected.heads;
    const expectedValue = expected.heads.length === 1 && onlyHead !== undefined ? onlyHead : expected.heads;
    const evidence: Evidence = { table: alembic.table, expected: expectedValue, expectedFrom: expected.from };
    const heads = expected.heads.join(', ');
    if (read.kind === 'missing-table') {
      return {
        status: 'fail',
        message: `The Alembic version table ${alembic.table} does not exist: the database was never migrated, or the table name or schema is wrong.`,
        evidence: { ...evidence, current: null },
      };
    }
    const versions = asSet(read.versions);
    if (versions.length === 0) {
      return {
        status: 'fail',
        message: `The Alembic version table ${alembic.table} is empty: no revision is recorded; expected ${heads}.`,
        evidence: { ...evidence, current: null },
      };
    }
    const [onlyVersion] = versions;
    const current = versions.length === 1 && onlyVersion !== undefined ? onlyVersion : versions;
    const missing = expected.heads.filter((h) => !versions.includes(h));
    const extra = versions.filter((v) => !expected.heads.includes(v));
    if (missing.length || extra.length) {
      const parts = [...(missing.length ? [`missing ${missing.join(', ')}`] : []), ...(extra.length ? [`not a head: ${extra.join(', ')}`] : [])];
      return {
        status: 'fail',
        message: `The database is at Alembic revision${versions.length > 1 ? 's' : ''} ${versions.join(', ')}; expected ${heads} (${expected.from}): ${parts.join('; ')}.`,
        evidence: { ...evidence, current, missing, extra },
      };
    }
    const plural = versions.length > 1;
    return {
      status: 'pass',
      message: `The database is at Alembic revision${plural ? 's' : ''} ${versions.join(', ')}, the expected head${plural ? 's' : ''} (${expected.from}).`,
      evidence: { ...evidence, current },
    };
  },
});

async function expectedHeads(alembic: AlembicConfig): Promise<{ heads: string[]; from: string }> {
  const configured =
    alembic.expectedHead === undefined ? undefined : asSet(typeof alembic.expectedHead === 'string' ? [alembic.expectedHead] : alembic.expectedHead);
  const migrationsDir = alembic.migrationsDir;
  if (!migrationsDir) {
    // notApplicable guarantees one of the two; this guard only keeps the types honest.
    if (!configured) throw new EvaluationError('config', 'no expected Alembic head is configured', 'set database.alembic.expectedHead or migrationsDir');
    return { heads: configured, from: 'database.alembic.expectedHead' };
  }
  // Absolute once loaded from a file (config/load.ts); a configuration built in code is relative to the working directory.
  const dir = resolve(migrationsDir);
  const computed = (await readRevisionGraph(dir, alembic.recursive === undefined ? {} : { recursive: alembic.recursive })).heads;
  if (configured && JSON.stringify(configured) !== JSON.stringify(computed)) {
    throw new EvaluationError(
      'config',
      `database.alembic.expectedHead is ${configured.join(', ')} but the migration scripts in ${migrationsDir} have head${computed.length > 1 ? 's' : ''} ${computed.join(', ')}`,
      'remove expectedHead (the scripts are the source of truth) or bring the two into agreement',
    );
  }
  return { heads: computed, from: `head${computed.length > 1 ? 's' : ''} of the migration scripts in ${migrationsDir}` };
}
