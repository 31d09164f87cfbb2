import { componentRestoreCheck } from '../restore-component-texts.js';

export const restoreMariadb = componentRestoreCheck({
  component: 'mariadb',
  members: ['mariadb_full.sql.gz'],
  title: 'The MariaDB dump restores, and holds the rows the backup recorded',
  description:
    'Loads mariadb_full.sql.gz into a throwaway mariadbd (its own data directory, socket and loopback port, run as an unprivileged user) ' +
    'through the MariaDB client with client commands refused, then counts the rows of every restored table and compares them with the ' +
    'per-table counts of metadata.json (components.mariadb.table_counts).',
  risk: 'A MariaDB dump that is truncated or does not load passes a checksum every month and fails only on the day it is needed.',
  remediation:
    'Restore the dump by hand into a scratch server (`gunzip -c mariadb_full.sql.gz | mariadb`) to see every error; fix the backup job ' +
    '(a dump cut by a full disk or a killed job, a table left out), run `restorecheck backup` again and restore-test the new archive.',
  fr: {
    title: 'Le dump MariaDB se restaure et contient les lignes enregistrées par la sauvegarde',
    description:
      'Charge mariadb_full.sql.gz dans un mariadbd jetable (son propre répertoire de données, sa socket et un port de bouclage, exécuté par un ' +
      'utilisateur non privilégié) avec le client MariaDB, commandes du client refusées, puis compte les lignes de chaque table restaurée et les ' +
      'compare aux nombres par table de metadata.json (components.mariadb.table_counts).',
    risk: 'Un dump MariaDB tronqué ou qui ne se charge pas passe la somme de contrôle chaque mois et n’échoue que le jour où l’on en a besoin.',
    remediation:
      'Restaurer le dump à la main dans un serveur de test (`gunzip -c mariadb_full.sql.gz | mariadb`) pour voir chaque erreur ; corriger la tâche ' +
      'de sauvegarde (un dump coupé par un disque plein ou une tâche interrompue, une table oubliée), relancer `restorecheck backup` et tester la ' +
      'restauration de la nouvelle archive.',
  },
});
