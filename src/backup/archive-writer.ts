/**
 * Packs the spooled members into the archive of contract.md: one top folder named like the file, metadata.json first,
 * then the members, gzip over the whole. Written as `<file>.partial` in the spool folder, fsynced, then renamed to its
 * final name in the backup directory (same file system: atomic), the directory fsynced; the sidecar is written and
 * fsynced after (writeFileAtomic). A crash before the rename leaves no final name; after it, at worst an archive
 * without its sidecar, which `verify` fails (archive-checksum).
 *
 * The members are already compressed (gzip, RDB's LZF), so the outer gzip stores (level 0: deflate's stored blocks, still
 * a .tar.gz that every gzip reads): compressing compressed bytes again would cost time and save nothing (this keeps the
 * packing nearly free). metadata.json is a few KB.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import tar from 'tar-stream';
import { SIDECAR_SUFFIX } from '../archive/archive-name.js';
import { fsyncPath, writeFileAtomic } from '../evidence/atomic-write.js';
import type { SpooledMember } from '../selfhosted/component.js';

export interface PackedArchive {
  path: string;
  sha256: string;
  size: number;
  sidecar: string;
}

/** The folders above each member (`mongodb/`, `minio/`), each once, parents first. */
function folders(members: readonly SpooledMember[]): string[] {
  const out = new Set<string>();
  for (const member of members) {
    const parts = member.path.split('/').slice(0, -1);
    for (let i = 1; i <= parts.length; i++) out.add(parts.slice(0, i).join('/'));
  }
  return [...out].sort();
}

/**
 * Writes `<spoolDir>/<fileName>.partial` from metadata.json and the members, then renames it to `<backupDir>/<fileName>`
 * and writes the sidecar. `onProgress` gets the archive bytes written so far.
 */
export async function packArchive(options: {
  spoolDir: string;
  backupDir: string;
  fileName: string;
  stem: string;
  mtime: Date;
  metadata: Uint8Array;
  members: readonly SpooledMember[];
  signal: AbortSignal;
  onProgress?: (bytes: number) => void;
}): Promise<PackedArchive> {
  const { stem, mtime } = options;
  const partial = join(options.spoolDir, `${options.fileName}.partial`);
  const pack = tar.pack();
  const hash = createHash('sha256');
  let size = 0;
  let reported = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      size += chunk.length;
      if (options.onProgress && size - reported >= 16 * 1024 * 1024) {
        reported = size;
        options.onProgress(size);
      }
      callback(null, chunk);
    },
  });
  const written = pipeline(
    pack,
    createGzip({ level: 0, chunkSize: 256 * 1024 }),
    meter,
    createWriteStream(partial, { flags: 'wx', mode: 0o644, highWaterMark: 1024 * 1024 }),
    { signal: options.signal },
  );
  const header = (name: string, extra: Partial<tar.Header>): Partial<tar.Header> & { name: string } => ({
    mtime,
    uid: 0,
    gid: 0,
    uname: 'root',
    gname: 'root',
    ...extra,
    name,
  });
  const feed = async () => {
    pack.entry(header(`${stem}/`, { type: 'directory', mode: 0o755 }));
    pack.entry(header(`${stem}/metadata.json`, { type: 'file', mode: 0o644, size: options.metadata.length }), Buffer.from(options.metadata));
    for (const folder of folders(options.members)) pack.entry(header(`${stem}/${folder}/`, { type: 'directory', mode: 0o755 }));
    for (const member of options.members) {
      const entry = pack.entry(header(`${stem}/${member.path}`, { type: 'file', mode: 0o644, size: member.size }));
      await pipeline(createReadStream(member.file, { highWaterMark: 1024 * 1024 }), entry, { signal: options.signal });
    }
    pack.finalize();
  };
  try {
    await Promise.all([feed(), written]);
  } catch (error) {
    pack.destroy();
    await written.catch(() => undefined);
    throw error;
  }
  await fsyncPath(partial);
  const path = join(options.backupDir, options.fileName);
  await rename(partial, path);
  await fsyncPath(dirname(path));
  const sidecar = `${path}${SIDECAR_SUFFIX}`;
  const sha256 = hash.digest('hex');
  try {
    await writeFileAtomic(sidecar, `${sha256}  ${options.fileName}\n`, { mode: 0o644 });
  } catch (error) {
    // An archive without its sidecar is not a finished backup (the disk filled in between, say): it loses its final name.
    await rm(path, { force: true });
    throw error;
  }
  return { path, sha256, size, sidecar };
}
