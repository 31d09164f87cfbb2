/**
 * restore-database-health: once the services are started again, the restored PostgreSQL database answers the way the
 * application reaches it (database.url, else the restore target), at the archive's Alembic revision, with its core
 * tables holding at least the rows the archive recorded (run/restore.ts, restore/database-health.ts). The check's
 * database checks, after a restore.
 *  - PostgreSQL not in the archive, or not configured: skipped;
 *  - it was to be restored and was not (a failure, Ctrl-C), or the probe did not run: error (nothing was evaluated);
 *  - its URL is the container's (exec) and database.url is not set: skipped, saying what to configure;
 *  - a connection that fails, another Alembic revision, a table missing or with fewer rows: fail;
 *  - something the metadata does not record: warn (never a silent pass); everything read and as recorded: pass.
 */
import { EvaluationError } from '../../errors.js';
import { messages, text } from '../messages.js';
import { CONTROLS, defineCheck } from '../types.js';

const t = messages('restore-database-health', {
  absent: text(
    () => 'PostgreSQL was not part of this restore (not in the archive, or not configured).',
    () => 'PostgreSQL ne faisait pas partie de cette restauration (absent de l’archive, ou non configuré).',
  ),
  notProbed: text<{ why: string }>(
    (p) => `The restored database was not read after the restore: ${p.why}.`,
    (p) => `La base restaurée n’a pas été lue après la restauration : ${p.why}.`,
  ),
  unhealthy: text<{ target: string; problems: string }>(
    (p) => `${p.target} after the restore: ${p.problems}.`,
    (p) => `${p.target} après la restauration : ${p.problems}.`,
  ),
  partly: text<{ target: string; notCompared: string }>(
    (p) => `${p.target} answers after the restore, but nothing to compare with for: ${p.notCompared}.`,
    (p) => `${p.target} répond après la restauration, mais rien à quoi comparer pour : ${p.notCompared}.`,
  ),
  healthy: text<{ target: string; revision: string; tables: number }>(
    (p) => `${p.target} answers after the restore, at Alembic ${p.revision}, its ${p.tables} core table(s) holding at least the archive's rows.`,
    (p) =>
      `${p.target} répond après la restauration, à la révision Alembic ${p.revision}, ses ${p.tables} table(s) principale(s) ayant au moins les lignes de l’archive.`,
  ),
});

export const restoreDatabaseHealth = defineCheck({
  id: 'restore-database-health',
  title: 'The restored database answers the application after the restore',
  severity: 'critical',
  description:
    'After the start commands, connects to the restored PostgreSQL database read-only as the application reaches it (database.url, else the restore target) and compares its Alembic revision and core-table row counts with the archive’s metadata.',
  risk: 'A database restored under another name, closed to connections, without its grants, or migrated by the application as it started is not the state the archive promised.',
  remediation:
    'Read the message: connect with the application’s URL (`psql "$DATABASE_URL"`), check `SELECT version_num FROM alembic_version` and the named tables; an application that migrates on start needs the code that matches the archive.',
  fr: {
    title: 'La base restaurée répond à l’application après la restauration',
    description:
      'Après les commandes de démarrage, se connecte en lecture seule à la base PostgreSQL restaurée comme l’application (database.url, sinon la cible de la restauration) et compare sa révision Alembic et les comptes de lignes des tables principales aux métadonnées de l’archive.',
    risk: 'Une base restaurée sous un autre nom, fermée aux connexions, sans ses droits, ou migrée par l’application à son démarrage n’est pas l’état que l’archive promettait.',
    remediation:
      'Lire le message : se connecter avec l’URL de l’application (`psql "$DATABASE_URL"`), vérifier `SELECT version_num FROM alembic_version` et les tables nommées ; une application qui migre au démarrage doit tourner avec le code qui correspond à l’archive.',
  },
  // A.8.13: the backup is restorable and restored; A.5.30: the service is back.
  controls: [CONTROLS.backup, CONTROLS.continuity],
  needs: [],
  uses: ['inPlace'],
  command: 'restore',
  async run(ctx) {
    const { components, health, interrupted } = ctx.inPlace;
    const postgres = components.postgres;
    if (!postgres || postgres.state === 'not-configured' || postgres.state === 'not-in-archive') return { status: 'skipped', message: t.absent({}) };
    if (postgres.state !== 'restored') {
      throw new EvaluationError(
        'internal',
        `PostgreSQL was to be restored but is ${postgres.state}: its health after the restore was not read`,
        'see restored-postgres, fix what it names and run the restore again',
      );
    }
    if (health.databaseNotProbed) return { status: 'skipped', message: t.notProbed({ why: health.databaseNotProbed }) };
    const db = health.database;
    if (!db) {
      throw new EvaluationError(
        'internal',
        `the restore did not reach the database health check${interrupted ? ' (interrupted)' : ''}`,
        'run the restore again, or check the database by hand (`restorecheck check`)',
      );
    }
    const evidence = {
      target: db.target,
      serverVersion: db.serverVersion ?? null,
      alembic: db.alembic ? { expected: db.alembic.expected, actual: db.alembic.actual } : null,
      counts: db.counts,
      problems: db.problems,
      notCompared: db.notCompared,
      seconds: db.seconds,
    };
    if (!db.ok) return { status: 'fail', message: t.unhealthy({ target: db.target, problems: db.problems.join('; ') }), evidence };
    if (db.notCompared.length > 0) return { status: 'warn', message: t.partly({ target: db.target, notCompared: db.notCompared.join('; ') }), evidence };
    return {
      status: 'pass',
      message: t.healthy({ target: db.target, revision: db.alembic?.expected.join(', ') ?? '', tables: Object.keys(db.counts).length }),
      evidence,
    };
  },
});
