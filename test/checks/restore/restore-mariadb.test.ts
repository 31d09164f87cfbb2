import { componentRestoreCheckTests } from '../../helpers/component-restore-judge.js';

componentRestoreCheckTests('mariadb', 'mariadb_full.sql.gz');
