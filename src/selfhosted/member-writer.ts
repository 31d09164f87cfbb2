/**
 * Writes one archive member into the spool folder as it streams out of its tool: gzip (when the member is a `.gz`),
 * SHA-256 and size of the bytes written, then fsync. The manifest's hash is thus computed on the way, never by a
 * second read of the file.
 */
import { createHash } from 'node:crypto';
import { createWriteStream, mkdirSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { SpooledMember } from './component.js';
import { createParallelGzip } from './parallel-gzip.js';

export interface WrittenMember extends SpooledMember {
  /** Bytes that came out of the tool (before gzip). */
  rawBytes: number;
}

export interface MemberWriteOptions {
  /** Gzip the stream (level 6, as `gzip` does by default; several cores: parallel-gzip.ts). */
  gzip: boolean;
  signal: AbortSignal;
  onProgress?: (bytesWritten: number) => void;
}

/** Progress is reported at most this often (bytes). */
const PROGRESS_STEP = 8 * 1024 * 1024;

export async function writeMember(source: NodeJS.ReadableStream, path: string, file: string, options: MemberWriteOptions): Promise<WrittenMember> {
  // Synchronously, before anything is awaited: the source is attached at once, so a stream that fails early (a file
  // not found) or a short tool's output meets its consumer instead of an empty event loop.
  mkdirSync(dirname(file), { recursive: true });
  let rawBytes = 0;
  let size = 0;
  let reported = 0;
  const hash = createHash('sha256');
  const countRaw = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      rawBytes += chunk.length;
      callback(null, chunk);
    },
  });
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      size += chunk.length;
      if (options.onProgress && size - reported >= PROGRESS_STEP) {
        reported = size;
        options.onProgress(size);
      }
      callback(null, chunk);
    },
  });
  // `wx`: a spool file is new, always; 1 MiB chunks keep the syscalls few on a multi-GB dump.
  const out = createWriteStream(file, { flags: 'wx', mode: 0o600, highWaterMark: 1024 * 1024 });
  const stages = options.gzip ? [countRaw, createParallelGzip({ level: 6 }), meter] : [countRaw, meter];
  await pipeline([source, ...stages, out], { signal: options.signal });
  const handle = await open(file, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
  options.onProgress?.(size);
  return { path, file, sha256: hash.digest('hex'), size, rawBytes };
}
