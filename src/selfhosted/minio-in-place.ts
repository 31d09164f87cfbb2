/**
 * The in-place restore of `minio/data.tar.gz` (issue 16): the archive's volume replaces the MinIO data folder
 * (`selfHosted.sources.minio.dataDir`, as this machine sees it), built aside and swapped in by two renames.
 *
 * 1. Extracted into `<parent>/.<name>.rc-new-<runId>` (beside the data folder: same file system, so the swap is a
 *    rename) by the restore test's own extraction (minio-restore.ts extractVolume: our tar-stream code, regular files
 *    and folders only, no link, every path inside the target, archives.limits bounds), then counted and compared with
 *    metadata.json the restore test's way (compareVolume: objects, bytes, format, content_sha256). Any difference
 *    fails the restore here, before anything of the data folder was touched.
 * 2. The new tree is given the owner of the current data folder (MinIO may run as another user; the extraction makes
 *    files 0600 and folders 0700, which that owner reads), the top folder its mode.
 * 3. `restore.stop`, rename dataDir → `.<name>.rc-old-<runId>`, rename new → dataDir, `restore.start`, and the old
 *    folder is removed.
 *
 * A failure before the swap removes the new folder: the data folder is untouched (and MinIO is started again when it
 * was stopped). A failure of the second rename puts the old folder back. A failed start leaves the restored folder in
 * place and the old one beside it, and says so.
 *
 * preflight: the data folder is a folder (not a link: the rename would move the link, not the volume), its parent is
 * writable, and `disk` asks for about the recorded `bytes` (else the current volume's size) in the parent.
 */
import { constants } from 'node:fs';
import { access, chmod, lchown, lstat, mkdir, open, readdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { archivesConfigOrDefault } from '../config/schema.js';
import { EvaluationError, RestoreFailedError, UsageError, describeError } from '../errors.js';
import type { JsonValue } from '../vocabulary.js';
import type { InPlaceContext, InPlacePreflight, InPlaceRestore, InPlaceResult, SourceOf } from './component.js';
import { withRestoreState } from './in-place-state.js';
import { compareVolume, extractVolume } from './minio-restore.js';
import { runCommands } from './service-commands.js';

type Source = SourceOf<'minio'>;
const MEMBER = 'minio/data.tar.gz';
const STOP_WHAT = 'selfHosted.sources.minio.restore.stop';
const START_WHAT = 'selfHosted.sources.minio.restore.start';
/** Room asked beyond the objects' bytes: .minio.sys, folders, file-system overhead. */
const DISK_MARGIN = (bytes: number) => Math.ceil(bytes * 0.05) + 16 * 1024 * 1024;

interface Folder {
  dataDir: string;
  parent: string;
  name: string;
}

async function inspect(source: Source): Promise<Folder> {
  const dataDir = resolve(source.dataDir);
  const info = await lstat(dataDir).catch(() => undefined);
  if (info?.isSymbolicLink()) {
    throw new UsageError(
      `minio: ${source.dataDir} is a symbolic link: the restore swaps the folder by renaming it, which would move the link, not the volume`,
      'set selfHosted.sources.minio.dataDir to the real path of the MinIO volume',
    );
  }
  if (!info?.isDirectory()) {
    throw new UsageError(
      `minio: ${source.dataDir} is not a folder on this machine: the in-place restore replaces the MinIO data folder here`,
      'set selfHosted.sources.minio.dataDir to the MinIO volume as this machine sees it (a Docker volume’s host path; the exec prefix is not used to restore)',
    );
  }
  const parent = dirname(dataDir);
  const writable = await access(parent, constants.W_OK | constants.X_OK).then(
    () => true,
    () => false,
  );
  if (!writable) {
    throw new EvaluationError(
      'permission',
      `minio: ${parent} is not writable by this process: the restored volume is built beside ${dataDir} and swapped in by renaming`,
      'run restorecheck restore as root or as the owner of that folder',
    );
  }
  return { dataDir, parent, name: basename(dataDir) };
}

/** The bytes of the regular files under `root` (the current volume: the estimate when the metadata records none). */
async function folderBytes(root: string): Promise<number> {
  let bytes = 0;
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) await walk(join(dir, entry.name));
      else if (entry.isFile()) bytes += (await lstat(join(dir, entry.name))).size;
    }
  };
  await walk(root);
  return bytes;
}

const recordedCount = (value: JsonValue | undefined) => (typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : undefined);

/** Gives every entry under `root` (and root) to uid/gid, never following a link (there is none: the extraction makes none). */
async function chownTree(root: string, uid: number, gid: number): Promise<void> {
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      await lchown(path, uid, gid);
      if (entry.isDirectory()) await walk(path);
    }
  };
  await lchown(root, uid, gid);
  await walk(root);
}

async function fsyncFolder(dir: string): Promise<void> {
  const handle = await open(dir, constants.O_RDONLY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** The content, counted for the progress lines as it is read. */
function counted(content: Readable, progress: (bytes: number) => void): Readable {
  let bytes = 0;
  return Readable.from(
    (async function* () {
      for await (const chunk of content as AsyncIterable<Buffer>) {
        bytes += chunk.length;
        progress(bytes);
        yield chunk;
      }
    })(),
  );
}

export const minioInPlace: InPlaceRestore<'minio'> = {
  async preflight(source, _ctx, recorded): Promise<InPlacePreflight> {
    const folder = await inspect(source);
    const bytes = recordedCount(recorded?.bytes) ?? (await folderBytes(folder.dataDir));
    return { target: `MinIO data folder ${folder.dataDir}`, disk: { path: folder.parent, bytes: bytes + DISK_MARGIN(bytes) } };
  },

  async restore(source, member, content, recorded, ctx: InPlaceContext): Promise<InPlaceResult> {
    if (member !== MEMBER) throw new EvaluationError('internal', `minio: no in-place restore for member ${member}`, 'report this as a bug');
    const { dataDir, parent, name } = await inspect(source);
    const target = `MinIO data folder ${dataDir}`;
    const newDir = join(parent, `.${name}.rc-new-${ctx.runId}`);
    const oldDir = join(parent, `.${name}.rc-old-${ctx.runId}`);
    const steps: string[] = [];
    const untouched = `nothing was swapped: ${dataDir} is untouched`;

    // 1. Build aside and compare, before anything of the data folder is touched.
    if (
      await lstat(oldDir).then(
        () => true,
        () => false,
      )
    ) {
      throw new EvaluationError(
        'conflict',
        `minio: ${oldDir} exists (left by an earlier restore?); ${untouched}`,
        'look at it, remove it, then run the restore again',
      );
    }
    try {
      await mkdir(newDir, { mode: 0o700 });
    } catch (error) {
      throw withRestoreState(error, `${newDir} could not be created (left by an earlier restore?); ${untouched}`);
    }
    let comparison: InPlaceResult['comparison'];
    try {
      const started = performance.now();
      const { entries, bytes } = await extractVolume(counted(content, ctx.progress), newDir, archivesConfigOrDefault(ctx.config.archives).limits);
      steps.push(`extracted ${entries} entries (${bytes} bytes) into ${newDir} (${((performance.now() - started) / 1000).toFixed(1)} s)`);
      comparison = await compareVolume(newDir, recorded);
      if (comparison.differences.length > 0) {
        throw new RestoreFailedError(
          `minio: the extracted volume differs from what the archive's metadata records: ${comparison.differences.join('; ')}`,
          'the MinIO member of this archive does not hold what its backup counted: take a new backup, and check the copies of this one',
        );
      }
      steps.push(`the extracted volume matches the metadata (${comparison.matched.join(', ') || 'nothing recorded to compare'})`);
      const owner = await lstat(dataDir);
      if (owner.uid !== process.getuid?.() || owner.gid !== process.getgid?.()) {
        await chownTree(newDir, owner.uid, owner.gid).catch((error: NodeJS.ErrnoException) => {
          throw new EvaluationError(
            'permission',
            `minio: the restored volume cannot be given to uid ${owner.uid} gid ${owner.gid} (the owner of ${dataDir}): ${error.code ?? error.message}`,
            'run restorecheck restore as root or as the owner of the MinIO data folder',
          );
        });
        steps.push(`gave the restored volume to uid ${owner.uid} gid ${owner.gid} (the owner of ${dataDir})`);
      }
      await chmod(newDir, owner.mode & 0o7777);
    } catch (error) {
      await rm(newDir, { recursive: true, force: true });
      throw withRestoreState(error, untouched);
    }

    // 2. Stop, swap, start.
    let stopping = true;
    let stranded: string | undefined;
    try {
      steps.push(...(await runCommands(source.restore?.stop, STOP_WHAT, { signal: ctx.signal, log: ctx.log })));
      await rename(dataDir, oldDir);
      try {
        await rename(newDir, dataDir);
      } catch (error) {
        await rename(oldDir, dataDir).catch((back: unknown) => {
          stranded = `moving the previous volume back failed too (${describeError(back)}): ${dataDir} is missing, the previous volume is at ${oldDir} and the restored one at ${newDir}; MinIO was not started`;
        });
        throw error;
      }
      stopping = false;
      await fsyncFolder(parent);
      steps.push(`swapped the restored volume in (the previous one aside as ${oldDir})`);
      steps.push(...(await runCommands(source.restore?.start, START_WHAT, { signal: ctx.signal, log: ctx.log })));
    } catch (error) {
      if (stranded) throw withRestoreState(error, stranded);
      if (!stopping) {
        throw withRestoreState(error, `the restored volume is in place at ${dataDir}, the previous one kept as ${oldDir}; MinIO was not started`);
      }
      await rm(newDir, { recursive: true, force: true });
      let again = '';
      if (source.restore?.start && !ctx.signal.aborted) {
        again = await runCommands(source.restore.start, START_WHAT, { signal: ctx.signal, log: ctx.log }).then(
          () => '; MinIO was started again',
          (failed: unknown) => `; starting MinIO again failed too (${describeError(failed)})`,
        );
      }
      throw withRestoreState(error, `${untouched}${again}`);
    }
    try {
      await rm(oldDir, { recursive: true, force: true });
      steps.push(`removed the previous volume ${oldDir}`);
    } catch (error) {
      steps.push(`could not remove the previous volume ${oldDir} (${describeError(error)}): remove it by hand`);
    }
    return { target, steps, comparison };
  },
};
