import { componentBackupCheck, countList } from '../backup-texts.js';

export const backupPostgres = componentBackupCheck({
  component: 'postgres',
  title: 'The PostgreSQL database is in the backup',
  description:
    'Runs `pg_dump --format=plain` of selfHosted.sources.postgres (behind its exec prefix) into postgres_full.sql.gz, gzip and SHA-256 on the way, ' +
    'and reads the Alembic revision and the exact row counts of the core tables in the snapshot the dump is taken in.',
  risk: 'Without the database dump the archive cannot bring the application back: the patient records are in PostgreSQL.',
  remediation:
    'Fix what the message names (the tool, the URL, the password, the network), run `restorecheck backup --config <config> --environment <environment>` again, ' +
    'and `restorecheck verify` the archive it writes.',
  fr: {
    title: 'La base PostgreSQL est dans la sauvegarde',
    description:
      'Exécute `pg_dump --format=plain` de selfHosted.sources.postgres (derrière son préfixe exec) vers postgres_full.sql.gz, gzip et SHA-256 au passage, ' +
      'et lit la révision Alembic et le nombre exact de lignes des tables principales dans l’instantané même du dump.',
    risk: 'Sans le dump de la base, l’archive ne peut pas remettre l’application en service : les dossiers patients sont dans PostgreSQL.',
    remediation:
      'Corriger ce que le message indique (l’outil, l’URL, le mot de passe, le réseau), relancer `restorecheck backup --config <config> --environment <environment>`, ' +
      'puis `restorecheck verify` sur l’archive écrite.',
  },
  summary(facts) {
    const counts = countList(facts.row_counts);
    const revision = facts.alembic_revision ? String(facts.alembic_revision) : '';
    return {
      en: [revision ? `Alembic revision ${revision}` : '', counts ? `rows: ${counts}` : ''].filter(Boolean).join('; '),
      fr: [revision ? `révision Alembic ${revision}` : '', counts ? `lignes : ${counts}` : ''].filter(Boolean).join(' ; '),
    };
  },
  warning(facts) {
    const missing = Array.isArray(facts.missing_tables) ? facts.missing_tables.map(String) : [];
    if (missing.length === 0) return undefined;
    return {
      en: `the configured core table(s) ${missing.join(', ')} do not exist in the database, so no row count was recorded for them`,
      fr: `la ou les tables principales configurées ${missing.join(', ')} n’existent pas dans la base : aucun nombre de lignes n’a été enregistré pour elles`,
    };
  },
});
