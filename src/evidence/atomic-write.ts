/**
 * Atomic file writes for the report directory (reports, the audit log): the bytes go to a temp file
 * in the same directory, are fsynced, and only then take the final name (rename, or link for a name
 * that must not exist yet), and the directory is fsynced so the new name survives a crash. A full
 * disk or a crash mid-write therefore leaves the old state or the new one, never a torn file that
 * `report verify` would have to call tampering; what can be left is a temp file, named so that verify
 * recognises it as a torn write (TEMP_FILE_PREFIX).
 */
import { randomBytes } from 'node:crypto';
import { link, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { UsageError } from '../errors.js';

/** Temp files start with this; `report verify` reports any it finds as a torn write (verify-chain.ts). */
export const TEMP_FILE_PREFIX = '.tmp-';

/** ENOSPC (no space) and EDQUOT (quota): both mean the disk is full for us. */
export function isDiskFull(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}

/** The error a full disk becomes: one clear line naming the directory (exit 2, like any refusal to complete). */
export class DiskFullError extends UsageError {
  constructor(
    readonly dir: string,
    what: string,
  ) {
    super(
      `disk full in ${dir}: ${what} could not be written; nothing was left half-written (the directory holds its earlier state)`,
      `free space on the file system of ${dir} (df -h ${dir}), then run again`,
    );
  }
}

export interface AtomicWriteOptions {
  /** Refuse to replace an existing file (EEXIST), like the `wx` flag. */
  exclusive?: boolean;
  mode?: number;
}

/**
 * fsync of a file, or of a directory (so that a rename into it survives a crash), tolerating the file systems that
 * cannot fsync a directory (EINVAL: the rename is atomic there all the same).
 */
export async function fsyncPath(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } catch (error) {
    // Some file systems cannot fsync a directory (EINVAL); the rename itself is still atomic there.
    if ((error as NodeJS.ErrnoException).code !== 'EINVAL') throw error;
  } finally {
    await handle.close();
  }
}

/**
 * Writes `data` to `path` atomically (see the module comment). A full disk throws DiskFullError
 * after removing the temp file; any other error is rethrown as it is, also without leaving the temp file.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): Promise<void> {
  const dir = dirname(path);
  const temp = join(dir, `${TEMP_FILE_PREFIX}${basename(path)}-${randomBytes(6).toString('hex')}`);
  let placed = false;
  try {
    const handle = await open(temp, 'wx', options.mode ?? 0o644);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (options.exclusive) {
      // link() fails with EEXIST when the name is taken: the same guarantee as `wx`, and atomic.
      await link(temp, path);
      placed = true;
      await unlink(temp);
    } else {
      await rename(temp, path);
      placed = true;
    }
    await fsyncPath(dir);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    if (isDiskFull(error)) {
      // A full disk can also strike the directory fsync after the name is in place; undo, so that the old state stays whole.
      if (placed && options.exclusive) await unlink(path).catch(() => undefined);
      throw new DiskFullError(dir, basename(path));
    }
    throw error;
  }
}
