import { inPlaceComponentCheck } from '../in-place-component-texts.js';

export const restoredRedis = inPlaceComponentCheck({
  component: 'redis',
  members: ['redis_dump.rdb'],
  title: 'The Redis data set is back as the archive recorded it',
  description: 'Stops Redis, puts redis_dump.rdb in its data directory, starts it, waits for the load, and compares the number of keys with metadata.json.',
  risk: 'A Redis that restarts empty, or on its own newer file, loses the sessions and queues the restore was meant to bring back.',
  remediation:
    'Read the failure, fix it (the data directory, the start command, appendonly), and run `restorecheck restore --config <config> --environment <environment>` again.',
  fr: {
    title: 'Les données Redis sont revenues telles que l’archive les a enregistrées',
    description:
      'Arrête Redis, place redis_dump.rdb dans son répertoire de données, le redémarre, attend le chargement et compare le nombre de clés à metadata.json.',
    risk: 'Un Redis qui redémarre vide, ou sur son propre fichier plus récent, perd les sessions et files que la restauration devait ramener.',
    remediation:
      'Lire l’échec, le corriger (le répertoire de données, la commande de démarrage, appendonly), puis relancer `restorecheck restore --config <config> --environment <environment>`.',
  },
});
