import { componentBackupCheck } from '../backup-texts.js';

export const backupMongodb = componentBackupCheck({
  component: 'mongodb',
  title: 'The MongoDB databases are in the backup',
  description:
    'Runs `mongodump --archive --gzip` of selfHosted.sources.mongodb (behind its exec prefix, typically the mongo container, which ships mongodump) ' +
    'into mongodb/dump.archive.gz.',
  risk: 'Without the MongoDB archive, the documents the application keeps there cannot be brought back.',
  remediation:
    'Fix what the message names (mongodump is not packaged by Debian: run it in the mongo container through `exec`, or install the MongoDB Database Tools), ' +
    'run `restorecheck backup --config <config> --environment <environment>` again, and `restorecheck verify` the archive it writes.',
  fr: {
    title: 'Les bases MongoDB sont dans la sauvegarde',
    description:
      'Exécute `mongodump --archive --gzip` de selfHosted.sources.mongodb (derrière son préfixe exec, en général le conteneur mongo, qui fournit mongodump) ' +
      'vers mongodb/dump.archive.gz.',
    risk: 'Sans l’archive MongoDB, les documents que l’application y conserve ne peuvent pas être restaurés.',
    remediation:
      'Corriger ce que le message indique (mongodump n’est pas fourni par Debian : l’exécuter dans le conteneur mongo via `exec`, ou installer les MongoDB Database Tools), ' +
      'relancer `restorecheck backup --config <config> --environment <environment>`, puis `restorecheck verify` sur l’archive écrite.',
  },
  summary: () => ({ en: '', fr: '' }),
});
