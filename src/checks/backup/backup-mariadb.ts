import { componentBackupCheck, countList } from '../backup-texts.js';

export const backupMariadb = componentBackupCheck({
  component: 'mariadb',
  title: 'The MariaDB databases are in the backup',
  description:
    'Runs `mariadb-dump --single-transaction --routines --events --triggers` of selfHosted.sources.mariadb (all databases, or the configured ones; ' +
    'behind its exec prefix) into mariadb_full.sql.gz, and records the exact row count of every table, read in a consistent snapshot just before the dump.',
  risk: 'Without the MariaDB dump, what the application keeps there (appointments, say) cannot be brought back from the archive.',
  remediation:
    'Fix what the message names (the tool, the URL or host, the password, the network), run `restorecheck backup --config <config> --environment <environment>` again, ' +
    'and `restorecheck verify` the archive it writes.',
  fr: {
    title: 'Les bases MariaDB sont dans la sauvegarde',
    description:
      'Exécute `mariadb-dump --single-transaction --routines --events --triggers` de selfHosted.sources.mariadb (toutes les bases, ou celles configurées ; ' +
      'derrière son préfixe exec) vers mariadb_full.sql.gz, et enregistre le nombre exact de lignes de chaque table, lu dans un instantané cohérent juste avant le dump.',
    risk: 'Sans le dump MariaDB, ce que l’application y conserve (les rendez-vous, par exemple) ne peut pas être restauré depuis l’archive.',
    remediation:
      'Corriger ce que le message indique (l’outil, l’URL ou l’hôte, le mot de passe, le réseau), relancer `restorecheck backup --config <config> --environment <environment>`, ' +
      'puis `restorecheck verify` sur l’archive écrite.',
  },
  summary(facts) {
    const counts = countList(facts.table_counts);
    return { en: counts ? `rows: ${counts}` : '', fr: counts ? `lignes : ${counts}` : '' };
  },
});
