/**
 * The restore test of `minio/data.tar.gz` (issue 15): the volume is extracted into a throwaway folder and counted
 * there the way the backup counted it (minio-tally.ts), then compared with metadata.json (`components.minio`). No
 * MinIO server is needed: a volume is files, and what MinIO would serve is what the folder holds.
 *
 * The tar is untrusted content. It is extracted by our own code (tar-stream, never GNU tar), under the rules of the
 * verifier (tar-entry.ts classifyEntry): regular files and directories only (a symbolic or hard link, a device, a FIFO
 * is refused), no absolute path, no `..`, no backslash, no pax global path; each path normalised and created inside
 * the target by us, folder by folder (mkdir, never following anything: O_NOFOLLOW, O_EXCL), files 0600 and folders
 * 0700 whatever the tar says, owner and times ignored. The entry count and the bytes written are bounded by
 * archives.limits (maxMinioEntries, maxTotalBytes). An entry stored twice, or a file where a folder is, is refused too:
 * restorecheck's backup never writes one, and which of the two would be "the" object is unknowable. A refusal is a
 * RestoreFailedError naming the entry; what was extracted so far stays in the throwaway folder until dispose.
 *
 * It runs as us (root when we are root), not as the sandbox user: nothing of the content is run or interpreted beyond
 * tar headers, which our code parses; the folder is made by mkdtemp (0700), so no other user can place a link in it
 * while it is written, and the files keep mode 0600. Handing the extraction to a process of the sandbox user would
 * add a child process and a protocol for no gain in what the content can do.
 *
 * Per-object hashes: where metadata.json records `object_sha256` (path in the volume → SHA-256 of the file), each is
 * compared; restorecheck's backup does not record them (millions of objects would not fit metadata.json's bound), so
 * the comparison says so in `notCompared`.
 */
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { type FileHandle, lstat, mkdir, open, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { archivesConfigOrDefault } from '../config/schema.js';
import { EvaluationError, RestoreFailedError } from '../errors.js';
import { classifyEntry } from '../archive/tar-entry.js';
import { drain, walkTar } from '../archive/tar-walk.js';
import { createThrowawayDirectory, released, sweepAbandonedDirectories, type AbandonedDirectory } from '../restore/throwaway-directory.js';
import type { JsonValue } from '../vocabulary.js';
import type { ComponentRestoreTest, RestoreComparison, RestoreSession, RestoreTestContext } from './component.js';
import { MinioTally } from './minio-tally.js';

export const MINIO_DIR_PREFIX = 'restorecheck-minio-';
const MEMBER = 'minio/data.tar.gz';
/** The longest file name most file systems take (a longer one is refused as the volume could not have held it). */
const MAX_NAME_BYTES = 255;

/** A MinIO restore session, with where the volume was extracted (no probe reads the objects yet: see the README). */
export interface MinioRestoreSession extends RestoreSession {
  /** The throwaway directory (owner.json, files/). */
  dir: string;
  /** The extracted volume: `.minio.sys/`, the buckets. */
  filesDir: string;
}

const refusedEntry = (name: string, why: string) =>
  new RestoreFailedError(
    `minio: data.tar.gz holds an entry that is not extracted: ${JSON.stringify(name.slice(0, 300))} (${why}); the volume was not restored`,
    'the MinIO member of this archive was not written by restorecheck backup, or was altered: take a new backup, and find out who made this one',
  );

const diskFull = (dir: string, code: string) =>
  new EvaluationError('tool', `minio: disk full in ${dir} (${code}) while extracting the volume`, 'free space or point TMPDIR elsewhere');

/** Creates each folder of `segments` under `root` (0700), refusing anything that is there and not a folder. */
async function makeFolders(root: string, segments: readonly string[], entryName: string): Promise<void> {
  let path = root;
  for (const segment of segments) {
    path = join(path, segment);
    try {
      await mkdir(path, { mode: 0o700 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      // lstat: never follow. Only our own code writes here, so anything but a folder is a file of the tar.
      if (!(await lstat(path)).isDirectory()) throw refusedEntry(entryName, `${segments.join('/')} crosses a file of the same name`);
    }
  }
}

async function writeFileEntry(handle: FileHandle, body: AsyncIterable<Uint8Array>, count: (bytes: number) => void): Promise<void> {
  for await (const chunk of body) {
    count(chunk.length);
    await handle.write(chunk);
  }
}

/** Extracts data.tar.gz's tar (decompressed) into `filesDir` under the rules above; shared with the in-place restore. */
export async function extractVolume(
  content: Readable,
  filesDir: string,
  limits: { maxMinioEntries: number; maxTotalBytes: number },
): Promise<{ entries: number; bytes: number }> {
  let bytes = 0;
  let lastFolder = '';
  const count = (n: number) => {
    bytes += n;
    if (bytes > limits.maxTotalBytes) {
      throw new RestoreFailedError(
        `minio: data.tar.gz extracts to more than archives.limits.maxTotalBytes (${limits.maxTotalBytes} bytes); the extraction stopped there`,
        'raise archives.limits.maxTotalBytes if the volume is expected to be this large',
      );
    }
  };
  const summary = await walkTar(
    content as AsyncIterable<Uint8Array>,
    async (header, body, context) => {
      const entry = classifyEntry(header, '', context.paxGlobal);
      if (entry.unsafe) throw refusedEntry(header.name, entry.unsafe);
      if (entry.root) return drain(body);
      const segments = entry.normalized.split('/');
      for (const segment of segments) {
        if (segment.includes('\0')) throw refusedEntry(header.name, 'a NUL byte in its path');
        if (Buffer.byteLength(segment) > MAX_NAME_BYTES) throw refusedEntry(header.name, `a path segment longer than ${MAX_NAME_BYTES} bytes`);
      }
      try {
        if (entry.type === 'directory') {
          await makeFolders(filesDir, segments, header.name);
          lastFolder = entry.normalized;
          return drain(body);
        }
        // A file: its folders first (a tar may leave them out), created by us; consecutive files of one folder skip it.
        const folder = segments.slice(0, -1).join('/');
        if (folder !== '' && folder !== lastFolder) {
          await makeFolders(filesDir, segments.slice(0, -1), header.name);
          lastFolder = folder;
        }
        let handle: FileHandle;
        try {
          handle = await open(join(filesDir, ...segments), constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw refusedEntry(header.name, 'stored twice, or where a folder of that name is');
          throw error;
        }
        try {
          await writeFileEntry(handle, body, count);
        } finally {
          await handle.close();
        }
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOSPC' || code === 'EDQUOT') throw diskFull(filesDir, code);
        if (code === 'ENOTDIR' || code === 'EISDIR' || code === 'ENAMETOOLONG' || code === 'ELOOP') throw refusedEntry(header.name, code);
        throw error;
      }
    },
    { maxEntries: limits.maxMinioEntries, limitName: 'archives.limits.maxMinioEntries' },
  );
  if (summary.problem) {
    throw new RestoreFailedError(
      `minio: data.tar.gz does not extract: ${summary.problem}`,
      'the MinIO member of this archive is damaged: take a new backup, and check the copies of this one',
    );
  }
  return { entries: summary.entries, bytes };
}

/** Counts the extracted folder as the backup counted the volume: a sorted walk, the same tally. */
async function tallyFolder(root: string): Promise<MinioTally> {
  const tally = new MinioTally();
  const walk = async (relative: string): Promise<void> => {
    for (const name of (await readdir(relative ? join(root, relative) : root)).sort()) {
      const rel = relative ? `${relative}/${name}` : name;
      const info = await lstat(join(root, rel));
      if (info.isDirectory()) {
        tally.add(rel, 'directory', 0);
        await walk(rel);
      } else if (info.isFile()) {
        tally.add(rel, 'file', info.size);
        // Every file is read (the content digest covers them all), through a descriptor that follows no link.
        const handle = await open(join(root, rel), constants.O_RDONLY | constants.O_NOFOLLOW);
        try {
          for await (const chunk of handle.createReadStream({ autoClose: false, highWaterMark: 256 * 1024 })) tally.see(rel, chunk as Buffer);
        } finally {
          await handle.close();
        }
      } else {
        // Only our extraction writes here, and it makes files and folders only.
        throw new EvaluationError('internal', `minio: ${rel} in the extracted volume is neither a file nor a folder`, 'report this as a bug');
      }
    }
  };
  await walk('');
  return tally;
}

async function sha256OfFile(path: string): Promise<string | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch {
    return undefined;
  }
  try {
    if (!(await handle.stat()).isFile()) return undefined;
    const hash = createHash('sha256');
    for await (const chunk of handle.createReadStream({ autoClose: false, highWaterMark: 256 * 1024 })) hash.update(chunk as Buffer);
    return hash.digest('hex');
  } finally {
    await handle.close();
  }
}

/** A recorded count: a non-negative integer, or undefined. */
const recordedCount = (value: JsonValue | undefined) => (typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : undefined);

/** Counts the extracted folder and compares it with metadata.json's `components.minio`; shared with the in-place restore. */
export async function compareVolume(filesDir: string, recorded: Record<string, JsonValue> | undefined): Promise<RestoreComparison> {
  const facts = (await tallyFolder(filesDir)).facts();
  const restored: Record<string, JsonValue> = { ...facts };
  const comparison: RestoreComparison = { restored, matched: [], differences: [], notCompared: [] };
  const numeric: [key: 'objects' | 'bytes' | 'entries', say: (restored: number, recorded: number) => string][] = [
    ['objects', (a, b) => `the volume restores ${a} objects, the metadata records ${b}`],
    ['bytes', (a, b) => `the volume's objects restore ${a} bytes, the metadata records ${b}`],
    ['entries', (a, b) => `data.tar.gz restores ${a} files and folders, the metadata records ${b}`],
  ];
  for (const [key, say] of numeric) {
    const expected = recordedCount(recorded?.[key]);
    if (expected === undefined) {
      // `entries` is a detail of restorecheck's own tar; objects and bytes are what a restore must prove.
      if (key !== 'entries') comparison.notCompared.push(`${key} (the metadata records none)`);
    } else if (expected === facts[key]) comparison.matched.push(key);
    else comparison.differences.push(say(facts[key], expected));
  }
  if (typeof recorded?.format === 'string') {
    if (recorded.format === facts.format) comparison.matched.push('format');
    else comparison.differences.push(`the volume restores as ${facts.format}, the metadata records ${recorded.format}`);
  }
  const digest = recorded?.content_sha256;
  if (typeof digest === 'string') {
    if (digest === facts.content_sha256) comparison.matched.push(`the content of every file (${facts.content_files} files, content_sha256)`);
    else
      comparison.differences.push(
        `the files restore with another content than the backup's (content_sha256 ${facts.content_sha256.slice(0, 12)}…, the metadata records ${digest.slice(0, 12)}…)`,
      );
  }
  const hashes = recorded?.object_sha256;
  if (hashes && typeof hashes === 'object' && !Array.isArray(hashes)) {
    let equal = 0;
    const wrong: string[] = [];
    for (const [path, expected] of Object.entries(hashes).sort(([a], [b]) => (a < b ? -1 : 1))) {
      const segments = path.split('/').filter((segment) => segment !== '' && segment !== '.');
      // A recorded path is metadata, untrusted too: only a normalised path inside the volume is read.
      const actual = segments.includes('..') || path.startsWith('/') || segments.length === 0 ? undefined : await sha256OfFile(join(filesDir, ...segments));
      if (actual !== undefined && actual === expected) equal++;
      else wrong.push(actual === undefined ? `${path} (missing)` : `${path} (another SHA-256)`);
    }
    if (wrong.length === 0) comparison.matched.push(`per-object hashes (${equal})`);
    else
      comparison.differences.push(
        `${wrong.length} of ${equal + wrong.length} objects do not restore with the SHA-256 the metadata records: ${wrong.slice(0, 5).join(', ')}${wrong.length > 5 ? ` and ${wrong.length - 5} more` : ''}`,
      );
  } else if (typeof digest !== 'string') {
    comparison.notCompared.push('per-object hashes (the metadata records none)');
  }
  return comparison;
}

async function startSession(ctx: RestoreTestContext): Promise<MinioRestoreSession> {
  const dir = await createThrowawayDirectory(MINIO_DIR_PREFIX);
  const filesDir = join(dir, 'files');
  let loaded = false;
  let disposed: Promise<{ removed: string[]; leftover: string[] }> | undefined;
  try {
    await mkdir(filesDir, { mode: 0o700 });
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    released(dir);
    throw error;
  }
  return {
    target: `throwaway folder ${filesDir} (extracted by restorecheck)`,
    dir,
    filesDir,
    async load(member: string, content: Readable): Promise<void> {
      if (member !== MEMBER) throw new EvaluationError('internal', `minio: no restore test for member ${member}`, 'report this as a bug');
      if (loaded) throw new EvaluationError('internal', 'minio: data.tar.gz was loaded twice into one folder', 'report this as a bug');
      loaded = true;
      const started = performance.now();
      const { entries, bytes } = await extractVolume(content, filesDir, archivesConfigOrDefault(ctx.config.archives).limits);
      ctx.log.info(`minio: extracted ${entries} entries (${bytes} bytes) in ${((performance.now() - started) / 1000).toFixed(2)} s`);
    },
    async compare(recorded) {
      if (!loaded) throw new EvaluationError('internal', 'minio: compare before data.tar.gz was loaded', 'report this as a bug');
      return compareVolume(filesDir, recorded);
    },
    dispose() {
      disposed ??= (async () => {
        await rm(dir, { recursive: true, force: true }).catch(() => undefined);
        const gone = await lstat(dir).then(
          () => false,
          () => true,
        );
        if (gone) released(dir);
        return gone ? { removed: [`extracted MinIO volume ${dir}`], leftover: [] } : { removed: [], leftover: [dir] };
      })();
      return disposed;
    },
  };
}

export const minioRestoreTest: ComponentRestoreTest = {
  // Everything it needs is ours (tar-stream): always available.
  unavailable: async () => undefined,
  start: startSession,
};

/** Removes the extracted volumes in `parent` (default TMPDIR) whose owner is gone (nothing runs from them). */
export function sweepAbandonedMinio(parent?: string): Promise<AbandonedDirectory[]> {
  return sweepAbandonedDirectories(MINIO_DIR_PREFIX, [], parent);
}
