import { inPlaceComponentCheck } from '../in-place-component-texts.js';

export const restoredMinio = inPlaceComponentCheck({
  component: 'minio',
  members: ['minio/data.tar.gz'],
  title: 'The MinIO objects are back as the archive recorded them',
  description:
    'Extracts minio/data.tar.gz into a new folder beside the data folder (regular files only, no links, paths inside it), compares the objects with metadata.json, and swaps it in while MinIO is stopped.',
  risk: 'Documents missing from object storage after a restore are patient files lost, while the database still points at them.',
  remediation:
    'Read the failure, fix it (disk space, the stop and start commands), and run `restorecheck restore --config <config> --environment <environment>` again.',
  fr: {
    title: 'Les objets MinIO sont revenus tels que l’archive les a enregistrés',
    description:
      'Extrait minio/data.tar.gz dans un nouveau dossier à côté du dossier de données (fichiers ordinaires seulement, aucun lien, chemins à l’intérieur), compare les objets à metadata.json, puis le substitue pendant que MinIO est arrêté.',
    risk: 'Des documents absents du stockage objet après une restauration sont des dossiers patients perdus, alors que la base y fait encore référence.',
    remediation:
      'Lire l’échec, le corriger (l’espace disque, les commandes d’arrêt et de démarrage), puis relancer `restorecheck restore --config <config> --environment <environment>`.',
  },
});
