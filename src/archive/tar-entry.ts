/**
 * What an entry of an archive is, after normalisation: its path relative to the top folder, and
 * why it is unsafe to extract (absolute path, `..`, backslash, link, device, FIFO) — such entries
 * are failures, never warn-and-skip.
 */
import type { Header } from 'tar-stream';

export interface TarEntryRecord {
  /** The name as stored (after GNU long-name / pax resolution). */
  rawName: string;
  /** tar-stream's type name, or `unknown`. */
  type: string;
  size: number;
  /** Normalised path relative to the top folder: '' for the top folder itself; undefined when outside it or unsafe. */
  path?: string;
  /** The normalised full path (top folder included), used to find duplicates. */
  normalized: string;
  /** Why extracting this entry would be unsafe. */
  unsafe?: string;
  /** The entry is not under the expected top folder. */
  outsideTop?: boolean;
  /** SHA-256 and byte count of the entry's data, when it was read to its end. */
  sha256?: string;
  readBytes?: number;
  /** The archive was damaged inside this entry: its data could not be read to the end. */
  incomplete?: boolean;
}

export function classifyEntry(header: Header, topFolder: string): TarEntryRecord {
  const rawName = header.name;
  const type: string = header.type ?? 'unknown';
  const segments = rawName.split('/').filter((segment) => segment !== '' && segment !== '.');
  const normalized = segments.join('/');
  const record: TarEntryRecord = { rawName, type, size: header.size, normalized };

  if (type === 'symlink') record.unsafe = `symbolic link to "${header.linkname}"`;
  else if (type === 'link') record.unsafe = `hard link to "${header.linkname}"`;
  else if (type === 'character-device' || type === 'block-device') record.unsafe = `${type.replace('-', ' ')}`;
  else if (type === 'fifo') record.unsafe = 'FIFO (named pipe)';
  else if (type !== 'file' && type !== 'directory') record.unsafe = `entry of type ${type}`;
  if (rawName.startsWith('/')) record.unsafe = 'absolute path';
  else if (segments.includes('..')) record.unsafe = 'path with `..` (escapes the extraction directory)';
  else if (rawName.includes('\\')) record.unsafe = 'path with a backslash';
  // `./` (or `.`) is the extraction directory itself, as `tar -czf x.tar.gz -C dir .` writes it first:
  // harmless as a directory; as anything else (a file or link named `.`) it would replace that directory.
  else if (normalized === '' && !(type === 'directory' && /^(\.\/?)+$/.test(rawName))) record.unsafe = 'empty path';

  if (record.unsafe) return record;
  if (segments[0] !== topFolder) {
    record.outsideTop = true;
    return record;
  }
  record.path = segments.slice(1).join('/');
  return record;
}
