/**
 * Verifies a self-hosted backup archive in ONE read of the file, as one streaming pipeline:
 *
 *   file ─┬─► SHA-256 (the sidecar's hash)
 *         └─► gunzip (CRC32 + length) ─► tar walk ─► per member:
 *                 metadata.json      → parsed (small, bounded)
 *                 *.sql.gz, *.gz     → gunzip (CRC32 + length) → format markers (head + tail windows)
 *                 redis_dump.rdb     → magic, version, CRC-64
 *                 minio/data.tar.gz  → gunzip → tar walk of its own
 *               and every member's bytes → SHA-256 (compared with metadata.json's `members`)
 *
 * Nothing is extracted or written; each stage pulls from the one before, so memory is bounded by
 * the stream buffers whatever the archive's size. Hashing runs on the main thread while zlib
 * inflates on libuv's thread pool, so the outer and inner decompression overlap with hashing.
 * When the outer gzip or tar breaks, decompression stops but the file is still read to its end so
 * that the checksum is still decided. Decompression-bomb limits end the stream they trip on.
 *
 * The result is a plain object; the archive-* checks each interpret their part of it.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { createGunzip, type Gunzip } from 'node:zlib';
import type { ArchivesConfig } from '../config/schema.js';
import { EvaluationError } from '../errors.js';
import { type ArchiveName, SIDECAR_SUFFIX, archiveStem, parseArchiveName } from './archive-name.js';
import {
  type Inspector,
  type InspectorVerdict,
  mongoArchiveInspector,
  mysqlDumpInspector,
  postgresDumpInspector,
  redisRdbInspector,
} from './dump-inspectors.js';
import { MAX_SIGNATURE_BYTES, SIGNATURE_SUFFIX } from './archive-signature.js';
import { type ArchiveMetadata, MAX_METADATA_BYTES, parseArchiveMetadata } from './metadata.js';
import { MAX_SIDECAR_BYTES, parseSidecar } from './sidecar.js';
import { type TarEntryRecord, classifyEntry } from './tar-entry.js';
import { type EntryContext, type TarEntryBody, drain, walkTar } from './tar-walk.js';
import { type MemberConsumer, MemberTee, teeing } from './member-tap.js';

/** How each known member is checked, by its path relative to the top folder. */
export type MemberKind = 'metadata' | 'postgres-dump' | 'mariadb-dump' | 'redis-rdb' | 'mongodb-archive' | 'minio-data';
export const MEMBER_KINDS: Readonly<Record<string, MemberKind>> = {
  'metadata.json': 'metadata',
  'postgres_full.sql.gz': 'postgres-dump',
  'mariadb_full.sql.gz': 'mariadb-dump',
  'redis_dump.rdb': 'redis-rdb',
  'mongodb/dump.archive.gz': 'mongodb-archive',
  'minio/data.tar.gz': 'minio-data',
};

export interface DumpResult {
  path: string;
  kind: MemberKind;
  /** Gzip-compressed inside the archive (decompressed completely, CRC and length checked). */
  compressed: boolean;
  /** Undefined when the dump decompressed completely and its markers are right. */
  problem?: string;
  details: Record<string, string | number>;
}

export interface SidecarResult {
  path: string;
  state: 'missing' | 'invalid' | 'ok';
  problem?: string;
  sha256?: string;
}

/** `<archive>.sig` beside the archive, read as bytes (at most MAX_SIGNATURE_BYTES + 1: the parser refuses a larger one). */
export interface SignatureFile {
  path: string;
  /** Null when there is no such file. */
  content: Buffer | null;
}

export interface ContainerResult {
  /** Undefined when the gzip stream and the tar structure are complete and valid. */
  problem?: string;
  /** Where the problem is: the outer gzip stream, or the tar structure inside it. */
  layer?: 'gzip' | 'tar' | 'limit';
  /** Decompressed tar bytes seen. */
  tarBytes: number;
  entries: number;
}

export interface ArchiveVerification {
  path: string;
  fileName: string;
  /** The top folder the members must be in: the file name without `.tar.gz`. */
  topFolder: string;
  /** Undefined when the file name does not follow `<name>_<env>_<YYYYMMDD>_<HHMMSS>.tar.gz`. */
  name?: ArchiveName;
  sizeBytes: number;
  bytesRead: number;
  /** SHA-256 of the whole file, lower-case hex. */
  sha256: string;
  sidecar: SidecarResult;
  /** Judged by archive-signature (archive-signature.ts) against `sha256` and `metadata.sha256`, never against the sidecar. */
  signature: SignatureFile;
  container: ContainerResult;
  entries: TarEntryRecord[];
  dumps: DumpResult[];
  /** `sha256`: of metadata.json's bytes as read from the archive (set when it was read to its end, whatever its content). */
  metadata: { present: boolean; value?: ArchiveMetadata; problem?: string; sha256?: string };
  /** Set when a decompression-bomb limit ended a stream. */
  limitExceeded?: { where: string; detail: string };
  limits: { maxExpansionRatio: number; maxTotalBytes: number; maxEntries: number; maxMinioEntries: number };
  durationMs: number;
}

export interface VerifyOptions {
  limits: ArchivesConfig['limits'];
  signal?: AbortSignal;
  /** Called as the file is read (bytes so far, file size); the CLI draws a progress bar from it. */
  onProgress?: (bytesRead: number, totalBytes: number) => void;
  /**
   * Restore while verifying (member-tap.ts): asked once per known member (its first regular-file entry) as the walk
   * reaches it; a consumer returned gets the member's content as it is read. verifyArchive resolves only after every
   * consumer has settled.
   */
  tap?: (member: string, kind: Exclude<MemberKind, 'metadata'>) => MemberConsumer | undefined;
  /** Called as soon as metadata.json has been read and parsed (it comes first in archives restorecheck writes). */
  onMetadata?: (metadata: ArchiveMetadata) => void;
}

/** File reads and inflate output in large chunks: fewer round trips through the event loop. */
const READ_CHUNK = 1024 * 1024;
const INFLATE_CHUNK = 256 * 1024;
/** The expansion ratio is judged only past this many output bytes: tiny streams have noisy ratios. */
const RATIO_GRACE_BYTES = 16 * 1024 * 1024;

class LimitExceeded extends Error {
  override readonly name = 'LimitExceeded';
}

/** Counts decompressed bytes per stream and in total, and ends a stream that trips a limit. */
class ExpansionGuard {
  total = 0;
  constructor(private readonly limits: ArchivesConfig['limits']) {}

  /** Throws LimitExceeded when `out` bytes from `in` compressed bytes (plus this chunk) is too much. */
  add(where: string, chunkBytes: number, outSoFar: number, inSoFar: number): void {
    this.total += chunkBytes;
    if (this.total > this.limits.maxTotalBytes) {
      throw new LimitExceeded(`${where}: more than ${this.limits.maxTotalBytes} decompressed bytes in total (limits.maxTotalBytes)`);
    }
    if (outSoFar > RATIO_GRACE_BYTES && outSoFar > this.limits.maxExpansionRatio * Math.max(inSoFar, 1)) {
      throw new LimitExceeded(`${where}: expands more than ${this.limits.maxExpansionRatio}:1 (${outSoFar} bytes from ${inSoFar}; limits.maxExpansionRatio)`);
    }
  }
}

function waitDrainOrClose(stream: Gunzip): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off('drain', done);
      stream.off('close', done);
      stream.off('error', done);
      resolve();
    };
    stream.on('drain', done);
    stream.on('close', done);
    stream.on('error', done);
  });
}

/** Writes to a gunzip with backpressure; silently drops data once it has failed or been ended by a limit. */
async function feed(gunzip: Gunzip, chunk: Uint8Array): Promise<void> {
  if (gunzip.destroyed || gunzip.writableEnded) return;
  if (!gunzip.write(chunk)) await waitDrainOrClose(gunzip);
}

/** Yields a gunzip's output, counting it against the limits. Breaking out (a limit) destroys the gunzip. */
async function* inflated(gunzip: Gunzip, where: string, guard: ExpansionGuard, compressedIn: () => number): AsyncGenerator<Uint8Array> {
  let out = 0;
  for await (const chunk of gunzip as AsyncIterable<Buffer>) {
    out += chunk.length;
    guard.add(where, chunk.length, out, compressedIn());
    yield chunk;
  }
}

function describeZlibError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  if (/unexpected end of file/i.test(message)) return 'the gzip stream is truncated (unexpected end of file)';
  if (/incorrect data check/i.test(message)) return 'the gzip CRC-32 does not match the data (incorrect data check)';
  if (/incorrect length check/i.test(message)) return 'the gzip length trailer does not match the data (incorrect length check)';
  if (/incorrect header check|unknown compression method/i.test(message)) return `not a valid gzip stream (${message})`;
  return `the gzip stream is corrupt (${message})`;
}

function isZlibError(error: unknown): boolean {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).code === 'string' && /^Z_/.test(String((error as NodeJS.ErrnoException).code));
}

/**
 * Decompresses one gzip member (fed from `body`) into `inspector`. Never throws: every failure is
 * the member's problem, and `body` is always read to its end so the outer tar walk continues.
 */
async function inspectGzipMember(
  body: TarEntryBody,
  where: string,
  inspector: Inspector,
  guard: ExpansionGuard,
  tee?: MemberTee,
): Promise<{ problem?: string; details: Record<string, string | number>; limit?: string }> {
  const gunzip = createGunzip({ chunkSize: INFLATE_CHUNK });
  gunzip.on('error', () => undefined); // reported through the consumer below
  let compressedIn = 0;
  let bodyError: unknown;
  const feeding = (async () => {
    try {
      for await (const chunk of body) {
        compressedIn += chunk.length;
        await feed(gunzip, chunk);
      }
    } catch (error) {
      bodyError = error;
    }
    if (bodyError !== undefined) gunzip.destroy();
    else if (!gunzip.destroyed && !gunzip.writableEnded) gunzip.end();
  })();
  let verdict: InspectorVerdict | undefined;
  let failure: string | undefined;
  let limit: string | undefined;
  try {
    verdict = await inspector(
      teeing(
        inflated(gunzip, where, guard, () => compressedIn),
        tee,
      ),
    );
  } catch (error) {
    if (error instanceof LimitExceeded) {
      limit = error.message;
      failure = `decompression stopped: ${error.message}`;
    } else if (isZlibError(error)) failure = describeZlibError(error);
    else failure = `could not be decompressed (${error instanceof Error ? error.message : String(error)})`;
    gunzip.destroy();
  }
  await feeding;
  if (bodyError !== undefined)
    return { problem: 'the archive is damaged inside this member: it could not be read to its end', details: verdict?.details ?? {} };
  if (failure) return { problem: failure, details: { compressedBytes: compressedIn }, ...(limit ? { limit } : {}) };
  const result: { problem?: string; details: Record<string, string | number> } = { details: { compressedBytes: compressedIn, ...verdict!.details } };
  if (verdict!.problem) result.problem = verdict!.problem;
  return result;
}

/** MinIO's `data.tar.gz` must itself be a complete tar with only safe entries. */
function minioTarInspector(maxEntries: number): Inspector {
  // maxEntries: archives.limits.maxMinioEntries (the walk keeps nothing per entry, so it may be large).
  return async (source) => {
    const unsafe: string[] = [];
    let unsafeCount = 0;
    const summary = await walkTar(
      source,
      async (header, body, context) => {
        const entry = classifyEntry(header, '', context.paxGlobal);
        // Only the first few names are kept: a hostile data.tar.gz could hold millions.
        if (entry.unsafe && ++unsafeCount <= 5) unsafe.push(`${header.name} (${entry.unsafe})`);
        await drain(body);
      },
      { maxEntries, limitName: 'archives.limits.maxMinioEntries' },
    );
    const details = { decompressedBytes: summary.tarBytes, entries: summary.entries };
    if (summary.problem) return { problem: `data.tar.gz: ${summary.problem}`, details };
    if (unsafe.length > 0)
      return { problem: `data.tar.gz holds unsafe entries: ${unsafe.join(', ')}${unsafeCount > 5 ? ` and ${unsafeCount - 5} more` : ''}`, details };
    return { details };
  };
}

const INSPECTORS: Record<Exclude<MemberKind, 'metadata' | 'redis-rdb'>, (limits: ArchivesConfig['limits']) => Inspector> = {
  'postgres-dump': () => postgresDumpInspector,
  'mariadb-dump': () => mysqlDumpInspector,
  'mongodb-archive': () => mongoArchiveInspector,
  'minio-data': (limits) => minioTarInspector(limits.maxMinioEntries),
};

async function readSidecar(path: string, fileName: string): Promise<SidecarResult> {
  const sidecarPath = `${path}${SIDECAR_SUFFIX}`;
  let handle;
  try {
    handle = await open(sidecarPath, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { path: sidecarPath, state: 'missing', problem: `no sidecar ${basename(sidecarPath)} beside the archive` };
    throw new EvaluationError(
      'not-found',
      `cannot read the sidecar ${sidecarPath} (${code ?? String(error)})`,
      'check the file permissions of the backup directory',
    );
  }
  try {
    const buffer = Buffer.alloc(MAX_SIDECAR_BYTES + 1);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    if (bytesRead > MAX_SIDECAR_BYTES) return { path: sidecarPath, state: 'invalid', problem: `it is larger than ${MAX_SIDECAR_BYTES} bytes` };
    const parsed = parseSidecar(buffer.subarray(0, bytesRead), fileName);
    return parsed.ok ? { path: sidecarPath, state: 'ok', sha256: parsed.sidecar.sha256 } : { path: sidecarPath, state: 'invalid', problem: parsed.problem };
  } finally {
    await handle.close();
  }
}

/** Reads `<archive>.sig` when there is one: a small file, read with a bound like the sidecar. */
async function readSignatureFile(path: string): Promise<SignatureFile> {
  const signaturePath = `${path}${SIGNATURE_SUFFIX}`;
  let handle;
  try {
    handle = await open(signaturePath, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { path: signaturePath, content: null };
    throw new EvaluationError(
      'not-found',
      `cannot read the signature ${signaturePath} (${code ?? String(error)})`,
      'check the file permissions of the backup directory',
    );
  }
  try {
    const buffer = Buffer.alloc(MAX_SIGNATURE_BYTES + 1);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    return { path: signaturePath, content: buffer.subarray(0, bytesRead) };
  } finally {
    await handle.close();
  }
}

/** Reads `body` wholly (it is bounded by MAX_METADATA_BYTES), keeping nothing beyond that bound. */
async function readSmall(body: TarEntryBody): Promise<Buffer | undefined> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size <= MAX_METADATA_BYTES) chunks.push(chunk);
  }
  return size <= MAX_METADATA_BYTES ? Buffer.concat(chunks) : undefined;
}

/** Hashes and counts an entry's bytes on their way to the member's own check; marks the entry incomplete if the archive breaks inside it. */
async function* tapped(body: TarEntryBody, record: TarEntryRecord): AsyncGenerator<Uint8Array> {
  const hash = createHash('sha256');
  let bytes = 0;
  try {
    for await (const chunk of body) {
      hash.update(chunk);
      bytes += chunk.length;
      yield chunk;
    }
  } catch (error) {
    record.incomplete = true;
    throw error;
  }
  record.sha256 = hash.digest('hex');
  record.readBytes = bytes;
}

/**
 * The one pass. Throws EvaluationError only when the file itself cannot be read (missing,
 * permission, I/O error, deadline): everything about the archive's content is in the result.
 */
export async function verifyArchive(path: string, options: VerifyOptions): Promise<ArchiveVerification> {
  const started = performance.now();
  const fileName = basename(path);
  const topFolder = archiveStem(fileName);
  let size: number;
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new EvaluationError('not-found', `${path} is not a regular file`, 'pass the path of a .tar.gz archive');
    size = info.size;
  } catch (error) {
    if (error instanceof EvaluationError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new EvaluationError('not-found', `cannot read the archive ${path} (${code ?? String(error)})`, 'check the path and the file permissions');
  }
  const sidecar = await readSidecar(path, fileName);
  const signature = await readSignatureFile(path);
  const guard = new ExpansionGuard(options.limits);
  const entries: TarEntryRecord[] = [];
  const dumps: DumpResult[] = [];
  const metadata: ArchiveVerification['metadata'] = { present: false };
  const seenMembers = new Set<string>();
  let limitExceeded: ArchiveVerification['limitExceeded'];
  const tees: MemberTee[] = [];
  const teeFor = (member: string, kind: Exclude<MemberKind, 'metadata'>): MemberTee | undefined => {
    const consumer = options.tap?.(member, kind);
    if (!consumer) return undefined;
    const tee = new MemberTee(consumer);
    tees.push(tee);
    return tee;
  };

  const onEntry = async (header: Parameters<Parameters<typeof walkTar>[1]>[0], body: TarEntryBody, context: EntryContext) => {
    const record = classifyEntry(header, topFolder, context.paxGlobal);
    entries.push(record);
    const source = tapped(body, record);
    const kind = record.path !== undefined && record.type === 'file' && !seenMembers.has(record.path) ? MEMBER_KINDS[record.path] : undefined;
    if (record.path !== undefined) seenMembers.add(record.path);
    try {
      if (kind === undefined) {
        await drain(source);
      } else if (kind === 'metadata') {
        metadata.present = true;
        const bytes = await readSmall(source);
        // tapped() hashed every byte (also of one too large to keep): the hash a .sig signs.
        if (record.sha256 !== undefined && !record.incomplete) metadata.sha256 = record.sha256;
        if (!bytes) metadata.problem = `metadata.json is larger than ${MAX_METADATA_BYTES} bytes`;
        else {
          const parsed = parseArchiveMetadata(bytes);
          if (parsed.ok) {
            metadata.value = parsed.value;
            options.onMetadata?.(parsed.value);
          } else metadata.problem = parsed.problem;
        }
      } else if (kind === 'redis-rdb') {
        const verdict = await redisRdbInspector(teeing(source, teeFor(record.path!, kind)));
        dumps.push({ path: record.path!, kind, compressed: false, ...verdict });
      } else {
        const result = await inspectGzipMember(source, record.path!, INSPECTORS[kind](options.limits), guard, teeFor(record.path!, kind));
        if (result.limit) limitExceeded ??= { where: record.path!, detail: result.limit };
        const dump: DumpResult = { path: record.path!, kind, compressed: true, details: result.details };
        if (result.problem) dump.problem = result.problem;
        dumps.push(dump);
      }
    } catch (error) {
      // The archive broke inside this member (the outer stream failed): say so, and keep going.
      record.incomplete = true;
      if (kind === 'metadata') metadata.problem = 'metadata.json could not be read to its end: the archive is damaged inside it';
      else if (kind !== undefined)
        dumps.push({
          path: record.path!,
          kind,
          compressed: kind !== 'redis-rdb',
          problem: 'the archive is damaged inside this member: it could not be read to its end',
          details: {},
        });
      void error;
    }
  };

  const fileHash = createHash('sha256');
  const outer = createGunzip({ chunkSize: INFLATE_CHUNK });
  outer.on('error', () => undefined); // reported through the tar walk below
  let bytesRead = 0;
  let readError: unknown;
  const deadline = options.signal;

  const reading = (async () => {
    try {
      const stream = createReadStream(path, { highWaterMark: READ_CHUNK, ...(deadline ? { signal: deadline } : {}) });
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        fileHash.update(chunk);
        bytesRead += chunk.length;
        options.onProgress?.(bytesRead, size);
        await feed(outer, chunk);
      }
    } catch (error) {
      readError = error;
      outer.destroy();
      return;
    }
    if (!outer.destroyed && !outer.writableEnded) outer.end();
  })();

  const container: ContainerResult = { tarBytes: 0, entries: 0 };
  try {
    const summary = await walkTar(
      inflated(outer, 'the archive', guard, () => bytesRead),
      onEntry,
      {
        maxEntries: options.limits.maxEntries,
        limitName: 'archives.limits.maxEntries',
      },
    );
    container.tarBytes = summary.tarBytes;
    container.entries = summary.entries;
    if (summary.problem) {
      container.problem = summary.problem;
      container.layer = summary.limitExceeded ? 'limit' : 'tar';
    }
    if (summary.limitExceeded) limitExceeded ??= { where: 'the archive', detail: summary.limitExceeded };
  } catch (error) {
    container.entries = entries.length;
    if (error instanceof LimitExceeded) {
      limitExceeded ??= { where: 'the archive', detail: error.message };
      container.problem = `decompression stopped: ${error.message}`;
      container.layer = 'limit';
    } else if (isZlibError(error)) {
      container.problem = size === 0 ? 'the file is empty' : describeZlibError(error);
      container.layer = 'gzip';
    } else if (readError === undefined) {
      throw error;
    }
    outer.destroy();
  }
  await reading;
  // A consumer may still be finishing (a restore committing) after its member's last byte: the pass is over when it is.
  await Promise.all(tees.map((tee) => tee.settled));
  if (readError !== undefined) {
    if (deadline?.aborted) throw deadline.reason;
    const code = (readError as NodeJS.ErrnoException).code;
    throw new EvaluationError(
      'not-found',
      `reading ${path} failed after ${bytesRead} bytes (${code ?? String(readError)})`,
      'check the disk and the file; run verify again',
    );
  }
  if (container.problem === undefined && size === 0) {
    container.problem = 'the file is empty';
    container.layer = 'gzip';
  }

  const result: ArchiveVerification = {
    path,
    fileName,
    topFolder,
    sizeBytes: size,
    bytesRead,
    sha256: fileHash.digest('hex'),
    sidecar,
    signature,
    container,
    entries,
    dumps,
    metadata,
    limits: { ...options.limits },
    durationMs: Math.round(performance.now() - started),
  };
  const name = parseArchiveName(fileName);
  if (name) result.name = name;
  if (limitExceeded) result.limitExceeded = limitExceeded;
  return result;
}
