/**
 * MinIO: the data volume (`dataDir`, the folder holding `.minio.sys` and the buckets) → `minio/data.tar.gz`, entries
 * named relative to that folder (`.minio.sys/format.json`, `documents/patients/1/report.pdf/xl.meta`: no `./`, no
 * absolute path), directories included, streamed through tar-stream and gzip in constant memory (each file is piped
 * into its entry; nothing is read whole).
 *
 * - Locally: a sorted walk of the folder. Each file is opened first and its size taken from the open descriptor:
 *   MinIO replaces xl.meta and parts by rename, so the open file stays one consistent version while it is read.
 * - With `exec`: `[...exec, tar, -C, dataDir, -cf, -, .]` (the volume seen from a container), re-packed entry by
 *   entry through tar-stream (extract → pack): `./` stripped, the same refusals and counts.
 *
 * Only regular files and directories are stored. A symbolic link (wherever it points), hard link, device, FIFO or
 * socket is refused, and the backup of this component fails naming it: the verifier refuses any link in
 * data.tar.gz (archive-dump-integrity: "unsafe entries"), following a link could pull files from outside the volume
 * into the archive, and skipping one would make an archive that silently lacks what the volume held. MinIO itself
 * never creates links in its volume, so one is someone's doing and worth a look.
 *
 * facts: `objects` (xl-single: the `xl.meta` files outside `.minio.sys`, one per object version folder; a legacy
 * fs-mode volume without any xl.meta: its regular files outside `.minio.sys`), `bytes` (the size of the regular
 * files outside `.minio.sys`), `format` (`xl-single` | `fs`).
 */
import type { Stats } from 'node:fs';
import { constants, createReadStream } from 'node:fs';
import { type FileHandle, lstat, open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { type Header, extract as tarExtract, pack as tarPack } from 'tar-stream';
import { EvaluationError } from '../errors.js';
import type { BackupContext, ComponentBackup, SelfHostedComponent, SourceOf } from './component.js';
import { writeMember } from './member-writer.js';
import { minioInPlace } from './minio-in-place.js';
import { minioRestoreTest } from './minio-restore.js';
import { MinioTally as Tally } from './minio-tally.js';
import { type RunningTool, type ToolCommand, startTool, toolVersion } from './tool-process.js';

type Source = SourceOf<'minio'>;
const MEMBER = 'minio/data.tar.gz';

type EntryHeader = Partial<Header> & { name: string };

function command(source: Source, args: string[]): ToolCommand {
  return { component: 'minio', debianPackage: 'tar', exec: source.exec, tool: 'tar', args };
}

const refused = (path: string, what: string) =>
  new EvaluationError(
    'refused',
    `minio: ${path} in the data folder is ${what}: only regular files and directories are backed up`,
    'remove it from the MinIO volume (MinIO never creates one), or move what it points to into the volume, then run the backup again',
  );

/** Writes a body into a tar-stream entry, waiting for it to drain (constant memory), and for the entry to be done. */
async function writeEntry(
  pack: ReturnType<typeof tarPack>,
  header: EntryHeader,
  body: AsyncIterable<Buffer> | undefined,
  onChunk: (chunk: Buffer) => void,
  signal: AbortSignal,
): Promise<void> {
  let done!: (error?: Error | null) => void;
  const finished = new Promise<void>((resolve, reject) => {
    done = (error) => (error ? reject(error) : resolve());
  });
  const sink = pack.entry(header, (error) => done(error));
  if (header.type === 'file') {
    for await (const chunk of body ?? []) {
      signal.throwIfAborted();
      onChunk(chunk);
      if (!sink.write(chunk)) {
        await new Promise<void>((resolve, reject) => {
          const onAbort = () => reject(signal.reason instanceof Error ? signal.reason : new Error('interrupted'));
          signal.addEventListener('abort', onAbort, { once: true });
          sink.once('drain', () => {
            signal.removeEventListener('abort', onAbort);
            resolve();
          });
        });
      }
    }
    // streamx's end() takes an optional chunk; its typings ask for one.
    (sink as unknown as { end(): void }).end();
  }
  await finished;
}

/** The local walk: sorted, directories before their contents, links and special files refused. */
async function packLocal(dataDir: string, pack: ReturnType<typeof tarPack>, tally: Tally, signal: AbortSignal): Promise<void> {
  const walk = async (relative: string): Promise<void> => {
    const names = (await readdir(relative ? join(dataDir, relative) : dataDir)).sort();
    for (const name of names) {
      signal.throwIfAborted();
      const rel = relative ? `${relative}/${name}` : name;
      const path = join(dataDir, rel);
      let info: Stats;
      try {
        info = await lstat(path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue; // deleted while the walk ran: not in the backup
        throw error;
      }
      if (info.isSymbolicLink()) throw refused(rel, 'a symbolic link');
      if (info.isDirectory()) {
        tally.add(rel, 'directory', 0);
        await writeEntry(
          pack,
          { name: `${rel}/`, type: 'directory', mode: info.mode & 0o7777, mtime: info.mtime, uid: info.uid, gid: info.gid },
          undefined,
          () => undefined,
          signal,
        );
        await walk(rel);
      } else if (info.isFile()) {
        let handle: FileHandle;
        try {
          // O_NOFOLLOW: a file swapped for a link between lstat and open is not followed.
          handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
          throw error;
        }
        try {
          const opened = await handle.stat();
          if (!opened.isFile()) throw refused(rel, 'no longer a regular file');
          const size = opened.size;
          tally.add(rel, 'file', size);
          const body = size > 0 ? createReadStream('', { fd: handle, start: 0, end: size - 1, autoClose: false, highWaterMark: 256 * 1024 }) : undefined;
          await writeEntry(
            pack,
            { name: rel, type: 'file', size, mode: opened.mode & 0o7777, mtime: opened.mtime, uid: opened.uid, gid: opened.gid },
            body as AsyncIterable<Buffer> | undefined,
            (chunk) => tally.see(rel, chunk),
            signal,
          ).catch((error: unknown) => {
            throw error instanceof Error && /size mismatch/i.test(error.message) ? refused(rel, 'a file that shrank while it was read') : error;
          });
        } finally {
          await handle.close();
        }
      } else {
        throw refused(rel, info.isFIFO() ? 'a FIFO' : info.isSocket() ? 'a socket' : 'a device');
      }
    }
  };
  await walk('');
}

/** `tar -C dataDir -cf - .` behind the exec prefix, re-packed entry by entry. */
async function packThroughExec(tool: RunningTool, pack: ReturnType<typeof tarPack>, tally: Tally, signal: AbortSignal): Promise<void> {
  const extract = tarExtract();
  tool.stdout.pipe(extract as unknown as NodeJS.WritableStream);
  try {
    await repack(extract, pack, tally, signal);
  } catch (error) {
    // A refused entry ends the extraction: the tool's output is then read by nobody, and the tool (tar) would wait on
    // its pipe for ever. Destroying its stdout closes the pipe: tar dies of SIGPIPE and its `done` settles.
    tool.stdout.destroy();
    throw error;
  }
}

async function repack(extract: ReturnType<typeof tarExtract>, pack: ReturnType<typeof tarPack>, tally: Tally, signal: AbortSignal): Promise<void> {
  for await (const entry of extract) {
    const header = entry.header;
    const raw = header.name;
    const segments = raw.split('/').filter((segment) => segment !== '' && segment !== '.');
    if (raw.startsWith('/')) throw refused(raw, 'stored under an absolute path');
    if (segments.includes('..')) throw refused(raw, 'stored with `..` in its path');
    const name = segments.join('/');
    if (header.type === 'symlink') throw refused(name || raw, `a symbolic link (to ${header.linkname ?? '?'})`);
    if (header.type === 'link') throw refused(name || raw, `a hard link (to ${header.linkname ?? '?'})`);
    if (header.type !== 'file' && header.type !== 'directory') throw refused(name || raw, `an entry of type ${header.type}`);
    if (name === '') {
      // `./`, the folder itself.
      entry.resume();
      continue;
    }
    tally.add(name, header.type, header.size ?? 0);
    const out: EntryHeader = {
      name: header.type === 'directory' ? `${name}/` : name,
      type: header.type,
      size: header.type === 'file' ? (header.size ?? 0) : 0,
      mode: (header.mode ?? (header.type === 'directory' ? 0o755 : 0o644)) & 0o7777,
      mtime: header.mtime ?? new Date(0),
      uid: header.uid ?? 0,
      gid: header.gid ?? 0,
    };
    if (header.type === 'directory') entry.resume();
    await writeEntry(pack, out, header.type === 'file' ? (entry as AsyncIterable<Buffer>) : undefined, (chunk) => tally.see(name, chunk), signal);
  }
}

export const minio: SelfHostedComponent<'minio'> = {
  name: 'minio',
  members: [MEMBER],
  describe: (source) => `${source.dataDir}${source.exec ? ` via ${source.exec.join(' ')}` : ''}`,
  async toolVersion(source, signal) {
    if (!source.exec) return { name: 'restorecheck (tar-stream)', version: 'built in' };
    return { name: 'tar', version: await toolVersion(command(source, []), signal) };
  },
  async backup(source, ctx: BackupContext): Promise<ComponentBackup> {
    if (!source.exec) {
      const info = await lstat(source.dataDir).catch(() => undefined);
      if (!info?.isDirectory()) {
        throw new EvaluationError(
          'not-found',
          `minio: ${source.dataDir} is not a folder`,
          'set selfHosted.sources.minio.dataDir to the MinIO data volume (the folder holding .minio.sys)',
        );
      }
    }
    const tally = new Tally();
    const pack = tarPack();
    // Ends the tar behind the prefix and the feeding when anything fails (or the backup is interrupted).
    const stop = new AbortController();
    const signal = AbortSignal.any([ctx.signal, stop.signal]);
    const tool = source.exec ? startTool(command(source, ['-C', source.dataDir, '-cf', '-', '.']), signal) : undefined;
    const feeding = (async () => {
      if (tool) await Promise.all([packThroughExec(tool, pack, tally, signal), tool.done]);
      else await packLocal(source.dataDir, pack, tally, signal);
      pack.finalize();
    })();
    feeding.catch((error: unknown) => {
      stop.abort(error);
      pack.destroy(error instanceof Error ? error : new Error(String(error)));
    });
    const writing = writeMember(pack as unknown as Readable, MEMBER, `${ctx.spoolDir}/${MEMBER}`, { gzip: true, signal: ctx.signal, onProgress: ctx.progress });
    writing.catch((error: unknown) => stop.abort(error));
    const [fed, written] = await Promise.allSettled([feeding, writing]);
    // The feeding's error says why (a link, the tar's exit); the writer's is then only "premature close".
    if (fed.status === 'rejected') throw fed.reason;
    if (written.status === 'rejected') throw written.reason;
    const member = written.value;
    const facts = tally.facts();
    ctx.log.info(`minio: ${facts.objects} objects, ${facts.bytes} bytes (${facts.format})`);
    return {
      members: [{ path: member.path, file: member.file, sha256: member.sha256, size: member.size }],
      facts: { ...facts, tar_bytes: member.rawBytes, mode: source.exec ? 'exec-tar' : 'local' },
    };
  },
  restoreTest: minioRestoreTest,
  inPlace: minioInPlace,
};
