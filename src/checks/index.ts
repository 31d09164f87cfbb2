/**
 * The check registry: explicit, one line per check. A test asserts the ids are unique and equal
 * the file names. Adding a check = one file + its tests + one line here.
 */
import { blobRecoveryDrill } from './blob/blob-recovery-drill.js';
import { blobContainerSoftDelete } from './blob/blob-container-soft-delete.js';
import { blobSoftDelete } from './blob/blob-soft-delete.js';
import { blobVersioning } from './blob/blob-versioning.js';
import { reportStoreImmutability } from './blob/report-store-immutability.js';
import { storageDataResidency } from './blob/storage-data-residency.js';
import { backupMariadb } from './backup/backup-mariadb.js';
import { backupMinio } from './backup/backup-minio.js';
import { backupMongodb } from './backup/backup-mongodb.js';
import { backupPostgres } from './backup/backup-postgres.js';
import { backupRedis } from './backup/backup-redis.js';
import { archiveAge } from './archive/archive-age.js';
import { archiveChecksum } from './archive/archive-checksum.js';
import { archiveDumpIntegrity } from './archive/archive-dump-integrity.js';
import { archiveIntegrity } from './archive/archive-integrity.js';
import { archiveMembers } from './archive/archive-members.js';
import { archiveMetadata } from './archive/archive-metadata.js';
import { archiveSignature } from './archive/archive-signature.js';
import { dbAlembicVersion } from './db/db-alembic-version.js';
import { dbConnectivity } from './db/db-connectivity.js';
import { dbCoreRowCounts } from './db/db-core-row-counts.js';
import { signedDocument } from './db/signed-document.js';
import { pgflexBackupRetention } from './pgflex/pgflex-backup-retention.js';
import { pgflexDataResidency } from './pgflex/pgflex-data-residency.js';
import { pgflexGeoRedundantBackup } from './pgflex/pgflex-geo-redundant-backup.js';
import { pgflexRecentBackup } from './pgflex/pgflex-recent-backup.js';
import { pgflexRestoreWindow } from './pgflex/pgflex-restore-window.js';
import { pgflexServerState } from './pgflex/pgflex-server-state.js';
import { restoreAlembicMatch } from './restore/restore-alembic-match.js';
import { restoreCleanup } from './restore/restore-cleanup.js';
import { restoreMariadb } from './restore/restore-mariadb.js';
import { restoreMinio } from './restore/restore-minio.js';
import { restoreMongodb } from './restore/restore-mongodb.js';
import { restoreProvision } from './restore/restore-provision.js';
import { restoreRedis } from './restore/restore-redis.js';
import { restoreRowCountsMatch } from './restore/restore-row-counts-match.js';
import { restoreSignedDocument } from './restore/restore-signed-document.js';
import { restoreSmoke } from './restore/restore-smoke.js';
import { restoreTestFreshness } from './restore/restore-test-freshness.js';
import { restoreDatabaseHealth } from './in-place/restore-database-health.js';
import { restoreHealth } from './in-place/restore-health.js';
import { restoreRto } from './in-place/restore-rto.js';
import { restoreSafetyBackup } from './in-place/restore-safety-backup.js';
import { restoredMariadb } from './in-place/restored-mariadb.js';
import { restoredMinio } from './in-place/restored-minio.js';
import { restoredMongodb } from './in-place/restored-mongodb.js';
import { restoredPostgres } from './in-place/restored-postgres.js';
import { restoredRedis } from './in-place/restored-redis.js';
import type { Check, CheckCommand } from './types.js';

export const checks: readonly Check[] = [
  dbConnectivity,
  dbAlembicVersion,
  dbCoreRowCounts,
  signedDocument,
  pgflexServerState,
  pgflexBackupRetention,
  pgflexGeoRedundantBackup,
  pgflexRecentBackup,
  pgflexRestoreWindow,
  pgflexDataResidency,
  blobSoftDelete,
  blobContainerSoftDelete,
  blobVersioning,
  storageDataResidency,
  reportStoreImmutability,
  archiveChecksum,
  archiveIntegrity,
  archiveMembers,
  archiveDumpIntegrity,
  archiveMetadata,
  archiveSignature,
  archiveAge,
  backupPostgres,
  backupMariadb,
  backupMongodb,
  backupRedis,
  backupMinio,
  restoreProvision,
  restoreAlembicMatch,
  restoreRowCountsMatch,
  restoreSignedDocument,
  restoreSmoke,
  restoreMariadb,
  restoreMongodb,
  restoreRedis,
  restoreMinio,
  blobRecoveryDrill,
  restoreCleanup,
  restoreTestFreshness,
  restoreSafetyBackup,
  restoredPostgres,
  restoredMariadb,
  restoredMongodb,
  restoredRedis,
  restoredMinio,
  restoreDatabaseHealth,
  restoreHealth,
  restoreRto,
];

/**
 * The archive-* checks that must pass before an archive is restored by `restore-test --archive`. Its age does not
 * matter there (restoring last month's backup is a fair test), so archive-age is not one of them. archive-signature is
 * (skipped without archives.publicKey): a tampered archive must not be restored.
 */
export const archiveRestoreGate: readonly Check[] = [
  archiveChecksum,
  archiveIntegrity,
  archiveMembers,
  archiveDumpIntegrity,
  archiveMetadata,
  archiveSignature,
];

export function checksFor(command: CheckCommand): Check[] {
  return checks.filter((c) => c.command === command);
}

/** The restore-<component> checks: an archive restore test's only (an Azure point-in-time restore has no such components). */
export const componentRestoreChecks: readonly Check[] = [restoreMariadb, restoreMongodb, restoreRedis, restoreMinio];
