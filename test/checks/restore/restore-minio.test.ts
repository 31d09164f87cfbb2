import { componentRestoreCheckTests } from '../../helpers/component-restore-judge.js';

componentRestoreCheckTests('minio', 'minio/data.tar.gz');
