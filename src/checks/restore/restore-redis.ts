import { componentRestoreCheck } from '../restore-component-texts.js';

export const restoreRedis = componentRestoreCheck({
  component: 'redis',
  members: ['redis_dump.rdb'],
  title: 'The Redis snapshot loads, with the keys the backup recorded',
  description:
    'Starts a throwaway redis-server (no network beyond its own socket, run as an unprivileged user) on a copy of redis_dump.rdb, waits for ' +
    'the load to finish, and compares the number of keys (DBSIZE over every database, INFO keyspace) with metadata.json (components.redis.keys).',
  risk: 'An RDB saved empty, or one Redis refuses to load, loses the sessions, queues and caches kept in Redis while its checksum stays right.',
  remediation:
    'Start a scratch redis-server on the file (`redis-server --dir <folder> --dbfilename redis_dump.rdb`) and read its log; check the backup ' +
    'job saves the right instance after its writes (BGSAVE finished), run `restorecheck backup` again and restore-test the new archive.',
  fr: {
    title: 'L’instantané Redis se charge, avec les clés enregistrées par la sauvegarde',
    description:
      'Démarre un redis-server jetable (aucun réseau hors sa propre socket, exécuté par un utilisateur non privilégié) sur une copie de ' +
      'redis_dump.rdb, attend la fin du chargement et compare le nombre de clés (DBSIZE sur toutes les bases, INFO keyspace) à metadata.json ' +
      '(components.redis.keys).',
    risk: 'Un RDB enregistré vide, ou que Redis refuse de charger, perd les sessions, files et caches gardés dans Redis alors que sa somme de contrôle reste juste.',
    remediation:
      'Démarrer un redis-server de test sur le fichier (`redis-server --dir <folder> --dbfilename redis_dump.rdb`) et lire son journal ; vérifier ' +
      'que la tâche de sauvegarde enregistre la bonne instance après ses écritures (BGSAVE terminé), relancer `restorecheck backup` et tester la ' +
      'restauration de la nouvelle archive.',
  },
});
