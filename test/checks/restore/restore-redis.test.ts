import { componentRestoreCheckTests } from '../../helpers/component-restore-judge.js';

componentRestoreCheckTests('redis', 'redis_dump.rdb');
