import { resolve } from 'node:path';
import { readRevisionGraph } from '../../alembic/revision-graph.js';
import type { Config } from '../../config/schema.js';
import { EvaluationError } from '../../errors.js';
import { messages, text } from '../messages.js';
import { CONTROLS, defineCheck } from '../types.js';
import type { Evidence } from '../../vocabulary.js';

type AlembicConfig = NonNullable<Config['database']>['alembic'];

/** Sorted, without duplicates: Alembic's version table holds one row per head, in no order. */
const asSet = (values: readonly string[]) => [...new Set(values)].sort();

const plural = (n: number, word: string) => `${word}${n > 1 ? 's' : ''}`;

const t = messages('db-alembic-version', {
  missingTable: text<{ table: string }>(
    (p) => `The Alembic version table ${p.table} does not exist: the database was never migrated, or the table name or schema is wrong.`,
    (p) => `La table de version Alembic ${p.table} n’existe pas : la base n’a jamais été migrée, ou le nom de la table ou le schéma est faux.`,
  ),
  empty: text<{ table: string; heads: string[] }>(
    (p) => `The Alembic version table ${p.table} is empty: no revision is recorded; expected ${p.heads.join(', ')}.`,
    (p) => `La table de version Alembic ${p.table} est vide : aucune révision n’est enregistrée ; ${p.heads.join(', ')} attendue(s).`,
  ),
  differs: text<{ versions: string[]; heads: string[]; from: ExpectedFrom; missing: string[]; extra: string[] }>(
    (p) => {
      const parts = [...(p.missing.length ? [`missing ${p.missing.join(', ')}`] : []), ...(p.extra.length ? [`not a head: ${p.extra.join(', ')}`] : [])];
      return `The database is at Alembic ${plural(p.versions.length, 'revision')} ${p.versions.join(', ')}; expected ${p.heads.join(', ')} (${fromEn(p.from)}): ${parts.join('; ')}.`;
    },
    (p) => {
      const parts = [
        ...(p.missing.length ? [`manquante(s) : ${p.missing.join(', ')}`] : []),
        ...(p.extra.length ? [`pas une tête : ${p.extra.join(', ')}`] : []),
      ];
      return (
        `La base est à la ${plural(p.versions.length, 'révision')} Alembic ${p.versions.join(', ')} ; ${p.heads.join(', ')} attendue(s) (${fromFr(p.from)}) : ` +
        `${parts.join(' ; ')}.`
      );
    },
  ),
  atHead: text<{ versions: string[]; from: ExpectedFrom }>(
    (p) =>
      `The database is at Alembic ${plural(p.versions.length, 'revision')} ${p.versions.join(', ')}, the expected ${plural(p.versions.length, 'head')} (${fromEn(p.from)}).`,
    (p) =>
      `La base est à la ${plural(p.versions.length, 'révision')} Alembic ${p.versions.join(', ')}, ${p.versions.length > 1 ? 'les têtes attendues' : 'la tête attendue'} (${fromFr(p.from)}).`,
  ),
  notConfigured: text(
    () => 'no database.alembic.expectedHead or migrationsDir configured, so there is no expected revision to compare with',
    () => 'ni database.alembic.expectedHead ni migrationsDir n’est configuré : aucune révision attendue à comparer',
  ),
});

/** Where the expected heads come from, as plain JSON. */
type ExpectedFrom = { kind: 'config' } | { kind: 'scripts'; dir: string; count: number };
const fromEn = (f: ExpectedFrom) =>
  f.kind === 'config' ? 'database.alembic.expectedHead' : `head${f.count > 1 ? 's' : ''} of the migration scripts in ${f.dir}`;
const fromFr = (f: ExpectedFrom) =>
  f.kind === 'config' ? 'database.alembic.expectedHead' : `${f.count > 1 ? 'têtes' : 'tête'} des scripts de migration de ${f.dir}`;

// A.8.13 (a backup restores to a schema the application can use) and A.8.32 (migrations are part of change management).
export const dbAlembicVersion = defineCheck({
  id: 'db-alembic-version',
  title: 'The database is at the expected Alembic revision',
  severity: 'high',
  description:
    'Reads the Alembic version table and compares its revisions (one row per head) with the expected heads: database.alembic.expectedHead, or ' +
    'the heads computed from the migration scripts in database.alembic.migrationsDir.',
  risk: 'A database behind (or ahead of) the application code means a restore would bring back a schema the application cannot use.',
  remediation: 'Run the pending migrations (`alembic upgrade heads`) or fix expectedHead.',
  fr: {
    title: 'La base de données est à la révision Alembic attendue',
    description:
      'Lit la table de version Alembic et compare ses révisions (une ligne par tête) aux têtes attendues : database.alembic.expectedHead, ou les têtes ' +
      'calculées à partir des scripts de migration de database.alembic.migrationsDir.',
    risk: 'Une base en retard (ou en avance) sur le code de l’application signifie qu’une restauration ramènerait un schéma que l’application ne peut pas utiliser.',
    remediation: 'Appliquer les migrations en attente (`alembic upgrade heads`) ou corriger expectedHead.',
  },
  controls: [CONTROLS.backup, CONTROLS.changeManagement],
  needs: ['database'],
  command: 'check',
  // Without an expected head there is nothing to compare with: skipped, not a fail on a missing table.
  notApplicable: (config) => (config.database?.alembic.expectedHead || config.database?.alembic.migrationsDir ? undefined : t.notConfigured({})),
  async run(ctx) {
    const alembic = ctx.config.database.alembic;
    const expected = await expectedHeads(alembic);
    const read = await ctx.gateways.database().readAlembicVersions(alembic.table);
    const [onlyHead] = expected.heads;
    const expectedValue = expected.heads.length === 1 && onlyHead !== undefined ? onlyHead : expected.heads;
    const evidence: Evidence = { table: alembic.table, expected: expectedValue, expectedFrom: fromEn(expected.from) };
    if (read.kind === 'missing-table') {
      return { status: 'fail', message: t.missingTable({ table: alembic.table }), evidence: { ...evidence, current: null } };
    }
    const versions = asSet(read.versions);
    if (versions.length === 0) {
      return { status: 'fail', message: t.empty({ table: alembic.table, heads: expected.heads }), evidence: { ...evidence, current: null } };
    }
    const [onlyVersion] = versions;
    const current = versions.length === 1 && onlyVersion !== undefined ? onlyVersion : versions;
    const missing = expected.heads.filter((h) => !versions.includes(h));
    const extra = versions.filter((v) => !expected.heads.includes(v));
    if (missing.length || extra.length) {
      return {
        status: 'fail',
        message: t.differs({ versions, heads: expected.heads, from: expected.from, missing, extra }),
        evidence: { ...evidence, current, missing, extra },
      };
    }
    return { status: 'pass', message: t.atHead({ versions, from: expected.from }), evidence: { ...evidence, current } };
  },
});

async function expectedHeads(alembic: AlembicConfig): Promise<{ heads: string[]; from: ExpectedFrom }> {
  const configured =
    alembic.expectedHead === undefined ? undefined : asSet(typeof alembic.expectedHead === 'string' ? [alembic.expectedHead] : alembic.expectedHead);
  const migrationsDir = alembic.migrationsDir;
  if (!migrationsDir) {
    // notApplicable guarantees one of the two; this guard only keeps the types honest.
    if (!configured) throw new EvaluationError('config', 'no expected Alembic head is configured', 'set database.alembic.expectedHead or migrationsDir');
    return { heads: configured, from: { kind: 'config' } };
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
  return { heads: computed, from: { kind: 'scripts', dir: migrationsDir, count: computed.length } };
}
