import { inPlaceComponentCheck } from '../in-place-component-texts.js';

export const restoredMariadb = inPlaceComponentCheck({
  component: 'mariadb',
  members: ['mariadb_full.sql.gz'],
  title: 'The MariaDB databases are back as the archive recorded them',
  description:
    'Loads mariadb_full.sql.gz into the target server through the client-command guard (each dumped database dropped and recreated, never a system schema), then compares the per-table row counts with metadata.json.',
  risk: 'A MariaDB dump loaded in part leaves tables missing or stale, and the application runs on a mix of old and new data.',
  remediation:
    'Read the failure, fix it (the user’s privileges, the dump), and run `restorecheck restore --config <config> --environment <environment>` again; the safety backup named in the report puts back what was there before.',
  fr: {
    title: 'Les bases MariaDB sont revenues telles que l’archive les a enregistrées',
    description:
      'Charge mariadb_full.sql.gz dans le serveur cible derrière le garde des commandes client (chaque base sauvegardée supprimée puis recréée, jamais un schéma système), puis compare les comptes de lignes par table à metadata.json.',
    risk: 'Un dump MariaDB chargé en partie laisse des tables absentes ou périmées, et l’application tourne sur un mélange d’anciennes et de nouvelles données.',
    remediation:
      'Lire l’échec, le corriger (les droits de l’utilisateur, le dump), puis relancer `restorecheck restore --config <config> --environment <environment>` ; la sauvegarde de sécurité nommée dans le rapport remet ce qui était là avant.',
  },
});
