import { componentRestoreCheckTests } from '../../helpers/component-restore-judge.js';

componentRestoreCheckTests('mongodb', 'mongodb/dump.archive.gz');
