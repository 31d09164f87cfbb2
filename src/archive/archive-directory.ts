/**
 * The backup directory: which files are archives (by the naming convention), which have a sidecar,
 * and which is the newest (by the UTC timestamp in the name, not the file's mtime, which a copy
 * or a restore from tape changes).
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import { ARCHIVE_SUFFIX, type ArchiveName, SIDECAR_SUFFIX, parseArchiveName } from './archive-name.js';

export interface ArchiveFile {
  path: string;
  name: ArchiveName;
  hasSidecar: boolean;
}

export interface DirectoryListing {
  dir: string;
  /** Conventionally named archives, newest first. */
  archives: ArchiveFile[];
  /** `*.tar.gz` files whose name does not follow the convention: never touched. */
  unrecognised: string[];
  /** Sidecars whose archive is not there. */
  orphanSidecars: string[];
}

export async function listArchiveDirectory(dir: string): Promise<DirectoryListing> {
  let names: string[];
  try {
    names = (await readdir(dir, { withFileTypes: true })).filter((d) => d.isFile()).map((d) => d.name);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(
      `cannot read the backup directory ${dir} (${code ?? String(error)})`,
      'pass an existing directory (--dir, archives.dir, or the DIR argument)',
    );
  }
  const present = new Set(names);
  const archives: ArchiveFile[] = [];
  const unrecognised: string[] = [];
  for (const fileName of names) {
    if (!fileName.endsWith(ARCHIVE_SUFFIX)) continue;
    const name = parseArchiveName(fileName);
    if (name) archives.push({ path: join(dir, fileName), name, hasSidecar: present.has(`${fileName}${SIDECAR_SUFFIX}`) });
    else unrecognised.push(fileName);
  }
  const orphanSidecars = names.filter((n) => n.endsWith(`${ARCHIVE_SUFFIX}${SIDECAR_SUFFIX}`) && !present.has(n.slice(0, -SIDECAR_SUFFIX.length)));
  archives.sort((a, b) => b.name.timestamp.getTime() - a.name.timestamp.getTime() || b.name.fileName.localeCompare(a.name.fileName));
  return { dir, archives, unrecognised: unrecognised.sort(), orphanSidecars: orphanSidecars.sort() };
}

/** The newest archive, optionally of one environment. */
export function newestArchive(listing: DirectoryListing, environment?: string): ArchiveFile | undefined {
  return listing.archives.find((a) => environment === undefined || a.name.environment === environment);
}
