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
  /** The extraction directory itself (`./`, as `tar -C dir .` writes it): harmless, neither a member nor unexpected. */
  root?: boolean;
}

/** What a pax global header (`g`) says; GNU tar and Python apply its `path`/`linkpath` to every later member. */
export type PaxGlobal = Record<string, string>;

export function classifyEntry(header: Header, topFolder: string, paxGlobal?: PaxGlobal): TarEntryRecord {
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
  else if (normalized === '' && rawName !== '' && type === 'directory')
    record.root = true; // `./` from `tar -C dir .`
  else if (normalized === '') record.unsafe = 'empty path';
  // tar-stream ignores a global header's path unless a per-entry pax header follows; GNU tar and Python do not:
  // they list (and refuse to extract) every member under it. No backup tool writes a global path, so refuse it.
  for (const key of ['path', 'linkpath'] as const) {
    const value = paxGlobal?.[key];
    if (value !== undefined) record.unsafe = `a pax global header sets ${key}=${JSON.stringify(value.slice(0, 200))} for every member`;
  }

  if (record.unsafe || record.root) return record;
  if (segments[0] !== topFolder) {
    record.outsideTop = true;
    return record;
  }
  record.path = segments.slice(1).join('/');
  return record;
}
