import { componentBackupCheck } from '../backup-texts.js';

export const backupRedis = componentBackupCheck({
  component: 'redis',
  title: 'The Redis data set is in the backup',
  description:
    'Takes an RDB snapshot of selfHosted.sources.redis into redis_dump.rdb: `redis-cli --rdb -`, or with `dataDir` a BGSAVE and a copy of the file it ' +
    'writes (behind the exec prefix), and records the number of keys.',
  risk: 'Without the Redis snapshot, the sessions, queues and caches the application keeps there are lost in a restore.',
  remediation:
    'Fix what the message names (the tool, the URL, the password, a BGSAVE that failed: see the Redis log), run ' +
    '`restorecheck backup --config <config> --environment <environment>` again, and `restorecheck verify` the archive it writes.',
  fr: {
    title: 'Les données Redis sont dans la sauvegarde',
    description:
      'Prend un instantané RDB de selfHosted.sources.redis vers redis_dump.rdb : `redis-cli --rdb -`, ou avec `dataDir` un BGSAVE et une copie du fichier ' +
      'qu’il écrit (derrière le préfixe exec), et enregistre le nombre de clés.',
    risk: 'Sans l’instantané Redis, les sessions, files d’attente et caches que l’application y garde sont perdus à la restauration.',
    remediation:
      'Corriger ce que le message indique (l’outil, l’URL, le mot de passe, un BGSAVE en échec : voir le journal de Redis), relancer ' +
      '`restorecheck backup --config <config> --environment <environment>`, puis `restorecheck verify` sur l’archive écrite.',
  },
  summary(facts) {
    return typeof facts.keys === 'number' ? { en: `${facts.keys} keys`, fr: `${facts.keys} clés` } : { en: '', fr: '' };
  },
});
