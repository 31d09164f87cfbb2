import { componentBackupCheck, formatBytes } from '../backup-texts.js';

export const backupMinio = componentBackupCheck({
  component: 'minio',
  title: 'The MinIO objects are in the backup',
  description:
    'Packs the MinIO data volume (selfHosted.sources.minio.dataDir) into minio/data.tar.gz, entries relative to the folder, no link followed, ' +
    'and records the number of objects and their bytes.',
  risk: 'Without the object store, the documents (some of them signed) that the database points to are lost in a restore.',
  remediation:
    'Fix what the message names (the folder, its permissions, a link out of it), run `restorecheck backup --config <config> --environment <environment>` again, ' +
    'and `restorecheck verify` the archive it writes.',
  fr: {
    title: 'Les objets MinIO sont dans la sauvegarde',
    description:
      'Empaquette le volume de données MinIO (selfHosted.sources.minio.dataDir) dans minio/data.tar.gz, chemins relatifs au dossier, sans suivre de lien, ' +
      'et enregistre le nombre d’objets et leur taille.',
    risk: 'Sans le stockage objet, les documents (dont certains signés) vers lesquels pointe la base sont perdus à la restauration.',
    remediation:
      'Corriger ce que le message indique (le dossier, ses droits, un lien qui en sort), relancer `restorecheck backup --config <config> --environment <environment>`, ' +
      'puis `restorecheck verify` sur l’archive écrite.',
  },
  summary(facts) {
    if (typeof facts.objects !== 'number') return { en: '', fr: '' };
    const bytes = typeof facts.bytes === 'number' ? formatBytes(facts.bytes) : '?';
    return { en: `${facts.objects} objects, ${bytes}`, fr: `${facts.objects} objets, ${bytes}` };
  },
});
