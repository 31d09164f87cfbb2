import { inPlaceComponentCheck } from '../in-place-component-texts.js';

export const restoredPostgres = inPlaceComponentCheck({
  component: 'postgres',
  members: ['postgres_full.sql.gz'],
  title: 'The PostgreSQL database is back as the archive recorded it',
  description:
    "Loads postgres_full.sql.gz into a new database on the target server (through the psql meta-command guard), swaps it in for the configured database only once the load succeeded, then compares the core tables' row counts and the Alembic revision with metadata.json.",
  risk: 'A database restored only in part, or at another migration than the code expects, breaks the application while looking restored.',
  remediation:
    'Read the failure, fix it (privileges to create and rename databases, the dump), and run `restorecheck restore --config <config> --environment <environment>` again; the safety backup named in the report puts back what was there before.',
  fr: {
    title: 'La base PostgreSQL est revenue telle que l’archive l’a enregistrée',
    description:
      'Charge postgres_full.sql.gz dans une nouvelle base du serveur cible (derrière le garde des méta-commandes psql), ne la substitue à la base configurée qu’une fois le chargement réussi, puis compare les comptes de lignes des tables principales et la révision Alembic à metadata.json.',
    risk: 'Une base restaurée en partie, ou à une autre migration que celle attendue par le code, casse l’application tout en paraissant restaurée.',
    remediation:
      'Lire l’échec, le corriger (droits de créer et renommer des bases, le dump), puis relancer `restorecheck restore --config <config> --environment <environment>` ; la sauvegarde de sécurité nommée dans le rapport remet ce qui était là avant.',
  },
});
