import { componentRestoreCheck } from '../restore-component-texts.js';

export const restoreMongodb = componentRestoreCheck({
  component: 'mongodb',
  members: ['mongodb/dump.archive.gz'],
  title: 'The MongoDB archive restores into a throwaway mongod',
  description:
    'Runs `mongorestore --archive --dryRun` of mongodb/dump.archive.gz against a throwaway mongod (its own data folder, loopback only, run ' +
    'as an unprivileged user) when mongod and mongorestore are installed; otherwise the check is skipped with that reason, never passed.',
  risk: 'A MongoDB archive that mongorestore cannot read loses the collections it holds, though its framing looks right.',
  remediation:
    'Install mongod and mongorestore (MongoDB Database Tools) where restorecheck runs the restore test, or restore the archive by hand into ' +
    'a scratch mongod (`mongorestore --archive=dump.archive --dryRun`) and keep its output with the report.',
  fr: {
    title: 'L’archive MongoDB se restaure dans un mongod jetable',
    description:
      'Lance `mongorestore --archive --dryRun` de mongodb/dump.archive.gz vers un mongod jetable (son propre dossier de données, bouclage ' +
      'seulement, exécuté par un utilisateur non privilégié) quand mongod et mongorestore sont installés ; sinon le contrôle est ignoré avec ' +
      'cette raison, jamais réussi.',
    risk: 'Une archive MongoDB que mongorestore ne peut pas lire perd les collections qu’elle contient, même si sa structure semble juste.',
    remediation:
      'Installer mongod et mongorestore (MongoDB Database Tools) là où restorecheck fait le test de restauration, ou restaurer l’archive à la main ' +
      'dans un mongod de test (`mongorestore --archive=dump.archive --dryRun`) et garder sa sortie avec le rapport.',
  },
});
