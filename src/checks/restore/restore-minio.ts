import { componentRestoreCheck } from '../restore-component-texts.js';

export const restoreMinio = componentRestoreCheck({
  component: 'minio',
  members: ['minio/data.tar.gz'],
  title: 'The MinIO data restores, with every object the backup recorded',
  description:
    'Extracts minio/data.tar.gz into a throwaway folder under the rules of verification (regular files and folders only, no links, every ' +
    'path inside the folder, entry and size limits), then counts the objects and their bytes and compares them (and per-object hashes, when ' +
    'the metadata lists them) with metadata.json (components.minio).',
  risk: 'Documents missing from the object store backup (signed consents, reports) are lost for good, and nothing else notices.',
  remediation:
    'List the tarball (`tar tzvf data.tar.gz`) against the bucket; check the backup job packs the whole MinIO data volume while MinIO is ' +
    'quiet, run `restorecheck backup` again and restore-test the new archive.',
  fr: {
    title: 'Les données MinIO se restaurent, avec chaque objet enregistré par la sauvegarde',
    description:
      'Extrait minio/data.tar.gz dans un dossier jetable selon les règles de la vérification (fichiers ordinaires et dossiers seulement, aucun ' +
      'lien, chaque chemin dans le dossier, limites d’entrées et de taille), puis compte les objets et leurs octets et les compare (ainsi que ' +
      'les empreintes par objet quand les métadonnées les listent) à metadata.json (components.minio).',
    risk: 'Des documents absents de la sauvegarde du stockage objet (consentements signés, comptes rendus) sont perdus pour de bon, sans que rien ne le signale.',
    remediation:
      'Lister l’archive (`tar tzvf data.tar.gz`) et la comparer au bucket ; vérifier que la tâche de sauvegarde emballe tout le volume de données ' +
      'MinIO pendant que MinIO est calme, relancer `restorecheck backup` et tester la restauration de la nouvelle archive.',
  },
});
