import { isAbsolute, resolve } from 'node:path';
import { readRevisionGraph, singleHead } from '../../alembic/revision-graph.js';
import { EvaluationError } from '../../errors.js';
import { CONTROLS, type Check, type Evidence } from '../types.js';

export const dbAlembicVersion: Check = {
  id: 'db-alembic-version',
  title: 'The database is at the expected Alembic revision',
  severity: 'high',
  description:
    'Reads the Alembic version table and compares its single revision with the expected head: database.alembic.expectedHead, or the head computed from the migration scripts in database.alembic.migrationsDir.',
  risk: 'A database behind (or ahead of) the application code means a restore would bring back a schema the application cannot use.',
  remediation: 'Run the pending migrations (`alembic upgrade head`) or fix expectedHead; several rows mean unmerged branches (`alembic merge heads`).',
  controls: [CONTROLS.backup, CONTROLS.changeManagement],
  needs: ['database'],
  command: 'check',
  async run(ctx) {
    const alembic = ctx.config.database!.alembic;
    const expected = await expectedHead(alembic.expectedHead, alembic.migrationsDir, ctx.configDir);
    const read = await ctx.gateways.database().readAlembicVersions(alembic.table);
    const evidence: Evidence = { table: alembic.table, expected: expected?.head ?? null, expectedFrom: expected?.from ?? null };
    if (read.kind === 'missing-table') {
      return { status: 'fail', message: `The Alembic version table ${alembic.table} does not exist: the database was never migrated, or the table name or schema is wrong.`, evidence: { ...evidence, current: null } };
    }
    const versions = read.versions;
    if (versions.length === 0) {
      return { status: 'fail', message: `The Alembic version table ${alembic.table} is empty: no revision is recorded${expected ? `; expected ${expected.head}` : ''}.`, evidence: { ...evidence, current: null } };
    }
    if (versions.length > 1) {
      return {
        status: 'fail',
        message: `The Alembic version table ${alembic.table} holds ${versions.length} revisions (${versions.join(', ')}): the database is on unmerged branches${expected ? `; expected the single head ${expected.head}` : ''}.`,
        evidence: { ...evidence, current: versions },
      };
    }
    const current = versions[0]!;
    if (!expected) {
      return { status: 'warn', message: `The database is at Alembic revision ${current}, but no expected head is configured (set database.alembic.expectedHead or migrationsDir).`, evidence: { ...evidence, current } };
    }
    if (current !== expected.head) {
      return { status: 'fail', message: `The database is at Alembic revision ${current}; expected ${expected.head} (${expected.from}).`, evidence: { ...evidence, current } };
    }
    return { status: 'pass', message: `The database is at Alembic revision ${current}, the expected head (${expected.from}).`, evidence: { ...evidence, current } };
  },
};

async function expectedHead(configured: string | undefined, migrationsDir: string | undefined, configDir: string): Promise<{ head: string; from: string } | undefined> {
  if (!migrationsDir) return configured ? { head: configured, from: 'database.alembic.expectedHead' } : undefined;
  const dir = isAbsolute(migrationsDir) ? migrationsDir : resolve(configDir, migrationsDir);
  const computed = singleHead(await readRevisionGraph(dir));
  if (configured && configured !== computed) {
    throw new EvaluationError(
      'config',
      `database.alembic.expectedHead is ${configured} but the migration scripts in ${migrationsDir} have head ${computed}`,
      'remove expectedHead (the scripts are the source of truth) or bring the two into agreement',
    );
  }
  return { head: computed, from: `head of the migration scripts in ${migrationsDir}` };
}
