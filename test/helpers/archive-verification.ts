/**
 * An `ArchiveVerification` built in memory: what verifyArchive returns for a sound production archive of the
 * contract's format, so that a unit test of an archive-* check states only what it changes. Nothing is written
 * or read; the values (sizes, hashes, dump details) are shaped like a real pass over such an archive.
 */
import { createHash } from 'node:crypto';
import { parseArchiveName } from '../../src/archive/archive-name.js';
import type { ArchiveMetadata } from '../../src/archive/metadata.js';
import type { TarEntryRecord } from '../../src/archive/tar-entry.js';
import type { ArchiveVerification, DumpResult } from '../../src/archive/verify-archive.js';
import { archivesSchema } from '../../src/config/schema.js';

export const FILE_NAME = 'medicapp_production_20261121_030000.tar.gz';
/** The moment FILE_NAME is dated (UTC), and the clock of a run two hours later. */
export const ARCHIVED_AT = new Date('2026-11-21T03:00:00.000Z');
export const NOW = new Date('2026-11-21T05:00:00.000Z');
export const BACKUP_DIR = '/var/backups/medicapp';

/** A deterministic lower-case SHA-256 for a label (a member's bytes stand-in). */
export function fakeSha256(label: string): string {
  return createHash('sha256').update(label).digest('hex');
}
const EMPTY_SHA256 = fakeSha256('');

/** The members of a sound archive, relative to the top folder, and their sizes in bytes. */
const MEMBER_SIZES: Record<string, number> = {
  'metadata.json': 612,
  'postgres_full.sql.gz': 1_482_113,
  'redis_dump.rdb': 88_201,
  'mongodb/dump.archive.gz': 530_114,
  'minio/data.tar.gz': 2_093_056,
};

/**
 * One entry of the archive as classifyEntry records it after a complete read: `path` relative to `topFolder`
 * (a directory ends with `/`), its bytes hashed. `fields` overrides (type, unsafe, sha256 …).
 */
export function memberEntry(path: string, fields: Partial<TarEntryRecord> & { topFolder?: string } = {}): TarEntryRecord {
  const { topFolder = topFolderOf(FILE_NAME), ...rest } = fields;
  const directory = path === '' || path.endsWith('/');
  const relative = path.replace(/\/$/, '');
  const size = directory ? 0 : (MEMBER_SIZES[relative] ?? 1024);
  return {
    rawName: relative === '' ? `${topFolder}/` : `${topFolder}/${path}`,
    type: directory ? 'directory' : 'file',
    size,
    path: relative,
    normalized: relative === '' ? topFolder : `${topFolder}/${relative}`,
    sha256: directory ? EMPTY_SHA256 : fakeSha256(relative),
    readBytes: size,
    ...rest,
  };
}

/** The entries `tar -czf NAME.tar.gz -C DIR NAME` writes for the default members, in tar order. */
export function defaultEntries(topFolder = topFolderOf(FILE_NAME)): TarEntryRecord[] {
  return ['', 'metadata.json', 'postgres_full.sql.gz', 'redis_dump.rdb', 'mongodb/', 'mongodb/dump.archive.gz', 'minio/', 'minio/data.tar.gz'].map((path) =>
    memberEntry(path, { topFolder }),
  );
}

/** The dumps' verdicts of a sound archive, with the details the inspectors record. */
export function defaultDumps(): DumpResult[] {
  return [
    {
      path: 'postgres_full.sql.gz',
      kind: 'postgres-dump',
      compressed: true,
      details: { compressedBytes: 1_482_113, decompressedBytes: 9_874_332, dumpKind: 'database', serverVersion: '16.4', pgDumpVersion: '16.4' },
    },
    { path: 'redis_dump.rdb', kind: 'redis-rdb', compressed: false, details: { bytes: 88_201, rdbVersion: 11, crc64: '8c1f0e4b2d7a9e13' } },
    { path: 'mongodb/dump.archive.gz', kind: 'mongodb-archive', compressed: true, details: { compressedBytes: 530_114, decompressedBytes: 3_310_902 } },
    { path: 'minio/data.tar.gz', kind: 'minio-data', compressed: true, details: { compressedBytes: 2_093_056, decompressedBytes: 2_150_400, entries: 96 } },
  ];
}

/** metadata.json as the backup script writes it, every member listed with its size and SHA-256. */
export function defaultMetadata(environment = 'production', timestamp = ARCHIVED_AT.toISOString().replace('.000Z', 'Z')): ArchiveMetadata {
  const members: Record<string, { sha256: string; size: number }> = {};
  for (const [path, size] of Object.entries(MEMBER_SIZES)) if (path !== 'metadata.json') members[path] = { sha256: fakeSha256(path), size };
  return {
    environment,
    timestamp,
    git_commit: '4f2c9a1e7b3d',
    hostname: 'backup-01',
    backup_name: 'medicapp',
    members,
    row_counts: { patients: 1204, documents: 8831 },
    alembic_revision: 'b7e4c2d91a03',
  };
}

function topFolderOf(fileName: string): string {
  return fileName.endsWith('.tar.gz') ? fileName.slice(0, -'.tar.gz'.length) : fileName;
}

/** tar bytes of `entries`: a 512-byte header each, data padded to 512, two zero blocks at the end. */
function tarBytesOf(entries: TarEntryRecord[]): number {
  return entries.reduce((sum, e) => sum + 512 + Math.ceil(e.size / 512) * 512, 0) + 1024;
}

export type VerificationOverrides = Partial<ArchiveVerification> & {
  /** Merged into the default metadata.json value (ignored when `metadata` is given). */
  meta?: Partial<ArchiveMetadata>;
};

/**
 * A complete, passing verification. Fields given replace the defaults; the others follow them as a real archive
 * would: another `fileName` gives its own path, top folder, parsed name, sidecar path, entries under that folder
 * and a metadata.json of the name's environment and time; other `entries` give the container's entry count.
 */
export function verification(overrides: VerificationOverrides = {}): ArchiveVerification {
  const { meta, ...given } = overrides;
  const fileName = given.fileName ?? FILE_NAME;
  const topFolder = given.topFolder ?? topFolderOf(fileName);
  const path = given.path ?? `${BACKUP_DIR}/${fileName}`;
  const name = parseArchiveName(fileName);
  const entries = given.entries ?? defaultEntries(topFolder);
  const tarBytes = tarBytesOf(entries);
  const sha256 = given.sha256 ?? fakeSha256(`archive ${fileName}`);
  const sizeBytes = given.sizeBytes ?? tarBytes - 41_337;
  const metadataValue = { ...defaultMetadata(name?.environment, name ? name.timestamp.toISOString().replace('.000Z', 'Z') : undefined), ...meta };
  const result: ArchiveVerification = {
    path,
    fileName,
    topFolder,
    sizeBytes,
    bytesRead: sizeBytes,
    sha256,
    sidecar: { path: `${path}.sha256`, state: 'ok', sha256 },
    // Unsigned by default (archive-signature is skipped without a public key anyway).
    signature: { path: `${path}.sig`, content: null },
    container: { tarBytes, entries: entries.length },
    entries,
    dumps: defaultDumps(),
    metadata: { present: true, value: metadataValue, sha256: fakeSha256('metadata.json') },
    limits: archivesSchema.parse({}).limits,
    durationMs: 412,
    ...given,
  };
  // `name` follows the file name unless given (also as undefined: a conventional name verifyArchive did not parse).
  const parsed = 'name' in given ? given.name : name;
  if (parsed) result.name = parsed;
  else delete result.name;
  return result;
}
