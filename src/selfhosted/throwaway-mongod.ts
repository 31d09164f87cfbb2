/**
 * The restore test of `mongodb/dump.archive.gz` (issue 15): a throwaway mongod, and `mongorestore --archive --dryRun`
 * fed the archive (decompressed by verify-archive) on its standard input.
 *
 * NOT RUN HERE: mongod and the MongoDB Database Tools are not packaged by Debian and nothing may be downloaded on the
 * machine this was written on, so this module was written from MongoDB's documentation (mongod's --dbpath, --bind_ip,
 * --port, --unixSocketPrefix, --filePermissions, --logpath; mongorestore's --uri, --archive with no value = stdin,
 * --dryRun, --nsExclude) and has never started a mongod. Its tests cover the unavailable path only; `unavailable()`
 * says so whenever mongod or mongorestore is not on PATH, which makes the check `skipped`, never `pass`.
 *
 * Safety, as for Redis (throwaway-redis.ts): `$TMPDIR/restorecheck-mongo-<random>/` with owner.json first (ours), a
 * `server/` folder of the sandbox user holding the dbpath, the log and the Unix socket; mongod and mongorestore (which
 * parses the untrusted archive) both run as the sandbox user with PATH and an empty HOME only. mongod listens on
 * 127.0.0.1 on a free port (mongorestore's documented way in; mongod has no "no TCP" mode) and a 0700 Unix socket.
 * Without authentication: a dry run writes nothing into it, so another local user reaching the port finds nothing of
 * the backup.
 *
 * What it proves: mongorestore reads the whole archive (prelude, collection metadata, every namespace segment up to
 * its EOF) against a real server and accepts it. What it does not: a dry run restores no document, and mongorestore
 * then reports 0 documents (MongoDB TOOLS-3493), so no count is compared; the metadata records none either (only
 * tool_version and dump_bytes, the compressed size). Dropping `--dryRun` would restore for real, and counting per
 * collection would then be possible (a mongosh or a driver would be needed to read them).
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { chown, mkdir, readFile, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { EvaluationError, RestoreFailedError } from '../errors.js';
import { sandboxUser } from '../restore/sandbox-user.js';
import { freePort } from '../restore/throwaway-cluster.js';
import { type AbandonedDirectory, createThrowawayDirectory, onExit, released, sweepAbandonedDirectories } from '../restore/throwaway-directory.js';
import type { JsonValue } from '../vocabulary.js';
import type { ComponentRestoreTest, RestoreComparison, RestoreSession, RestoreTestContext } from './component.js';
import { onPath } from './tool-process.js';

const run = promisify(execFile);

export const MONGO_DIR_PREFIX = 'restorecheck-mongo-';
const MEMBER = 'mongodb/dump.archive.gz';
/** How long mongod may take to accept connections, and mongorestore to read the archive (besides the run's deadline). */
const MONGOD_START_TIMEOUT_MS = 120_000;
export const MONGORESTORE_TIMEOUT_MS = 60 * 60_000;
const STDERR_TAIL = 8192;

const sandboxEnv = (home: string): NodeJS.ProcessEnv => ({ PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home });

function asSandbox(): { uid?: number; gid?: number } {
  const user = sandboxUser();
  return user.switched ? { uid: user.uid, gid: user.gid } : {};
}

/** True when something accepts a TCP connection on 127.0.0.1:port within a second. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, timeout: 1_000 });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}

async function settledWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise.then(() => true), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

const exitOf = (child: ChildProcess) =>
  new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve({ code: child.exitCode, signal: child.signalCode });
    else child.once('exit', (code, signal) => resolve({ code, signal }));
  });

/** What mongorestore says when the archive itself is not one it can read (its demultiplexer and BSON reader). */
export const REFUSED_ARCHIVE = /archive|demux|prelude|magic|corrupt|invalid BSON|unexpected EOF|bad file format|checksum/i;

async function startSession(ctx: RestoreTestContext): Promise<RestoreSession> {
  const user = sandboxUser();
  const owner = asSandbox();
  const dir = await createThrowawayDirectory(MONGO_DIR_PREFIX, { traversable: user.switched });
  const serverDir = join(dir, 'server');
  const dbPath = join(serverDir, 'db');
  const logFile = join(serverDir, 'mongod.log');
  let mongod: ChildProcess | undefined;
  let restored: { archiveBytes: number; seconds: number; mongorestore: string } | undefined;
  let disposed: Promise<{ removed: string[]; leftover: string[] }> | undefined;
  let port = 0;

  const removeAll = async () => {
    const leftover: string[] = [];
    if (mongod && mongod.exitCode === null && mongod.signalCode === null) {
      const exited = exitOf(mongod);
      mongod.kill('SIGTERM'); // a clean shutdown; the data is thrown away either way
      if (!(await settledWithin(exited, 30_000))) {
        mongod.kill('SIGKILL');
        if (!(await settledWithin(exited, 10_000))) leftover.push(`mongod pid ${mongod.pid}`);
      }
    }
    await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    const gone = await readFile(join(dir, 'owner.json')).then(
      () => false,
      () => true,
    );
    if (gone) released(dir);
    else leftover.push(dir);
    return { removed: gone ? [`throwaway mongod directory ${dir}`] : [], leftover };
  };

  let version = 'unknown';
  try {
    version = /db version v?(\S+)/.exec((await run('mongod', ['--version'], { timeout: 30_000, env: sandboxEnv(dir) })).stdout)?.[1] ?? version;
    await mkdir(dbPath, { recursive: true, mode: 0o700 });
    if (user.switched) {
      await chown(serverDir, user.uid, user.gid);
      await chown(dbPath, user.uid, user.gid);
    }
    port = await freePort('127.0.0.1');
    mongod = spawn(
      'mongod',
      [
        '--dbpath',
        dbPath,
        '--bind_ip',
        '127.0.0.1',
        '--port',
        String(port),
        '--unixSocketPrefix',
        serverDir,
        '--filePermissions',
        '0700',
        '--logpath',
        logFile,
        '--wiredTigerCacheSizeGB',
        '0.25',
        '--setParameter',
        'diagnosticDataCollectionEnabled=false',
      ],
      { ...owner, cwd: serverDir, env: sandboxEnv(serverDir), stdio: 'ignore' },
    );
    const server = mongod;
    server.on('error', () => undefined); // seen below as an exit
    onExit(dir, () => server.kill('SIGKILL'));
    const deadline = Date.now() + MONGOD_START_TIMEOUT_MS;
    for (;;) {
      ctx.signal.throwIfAborted();
      if (server.exitCode !== null || server.signalCode !== null || server.pid === undefined) {
        const log = await readFile(logFile, 'utf8').catch(() => '');
        throw new EvaluationError(
          'tool',
          `mongodb: the throwaway mongod exited before accepting connections: ${log.split('\n').filter(Boolean).slice(-3).join(' / ').slice(0, 600)}`,
          'run mongod by hand with a temporary --dbpath to see why',
        );
      }
      if (await accepts(port)) break;
      if (Date.now() > deadline) {
        throw new EvaluationError(
          'timeout',
          `mongodb: the throwaway mongod did not accept connections within ${MONGOD_START_TIMEOUT_MS / 1000} s`,
          'check the machine load',
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  } catch (error) {
    await removeAll();
    throw error;
  }

  return {
    target: `throwaway mongod ${version} on 127.0.0.1:${port} (as ${user.name})`,
    async load(member: string, content: Readable): Promise<void> {
      if (member !== MEMBER) throw new EvaluationError('internal', `mongodb: no restore test for member ${member}`, 'report this as a bug');
      if (restored) throw new EvaluationError('internal', 'mongodb: the archive was loaded twice', 'report this as a bug');
      const mongorestore = (await run('mongorestore', ['--version'], { timeout: 30_000, env: sandboxEnv(serverDir) })).stdout.split('\n')[0]?.trim() ?? '';
      const started = performance.now();
      const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(MONGORESTORE_TIMEOUT_MS)]);
      // --archive without a value reads standard input; the archive is the decompressed mongodump archive.
      const child = spawn(
        'mongorestore',
        [`--uri=mongodb://127.0.0.1:${port}/`, '--archive', '--dryRun', '--nsExclude=admin.*', '--nsExclude=config.*', '--nsExclude=local.*'],
        { ...owner, cwd: serverDir, env: sandboxEnv(serverDir), stdio: ['pipe', 'ignore', 'pipe'], signal, killSignal: 'SIGKILL' },
      );
      let tail = '';
      child.stderr!.setEncoding('utf8');
      child.stderr!.on('data', (chunk: string) => {
        tail = (tail + chunk).slice(-STDERR_TAIL);
      });
      child.on('error', () => undefined); // an abort; seen below
      const exited = exitOf(child);
      let archiveBytes = 0;
      let cut: unknown;
      const counting = async function* (source: Readable) {
        try {
          for await (const chunk of source as AsyncIterable<Buffer>) {
            archiveBytes += chunk.length;
            yield chunk;
          }
        } catch (error) {
          cut = error;
          throw error;
        }
      };
      // mongorestore may stop reading (a refused archive): a broken pipe then only means "see its exit".
      const feeding = pipeline(content, counting, child.stdin!).catch(() => undefined);
      const [, { code, signal: killedBy }] = await Promise.all([feeding, exited]);
      if (ctx.signal.aborted) throw ctx.signal.reason instanceof Error ? ctx.signal.reason : new Error('interrupted');
      // The member itself was cut (verification says why): whatever mongorestore made of half an archive proves nothing.
      if (cut !== undefined) throw cut;
      const said = tail.split('\n').filter(Boolean).slice(-4).join(' / ').slice(0, 600);
      if (code !== 0) {
        if (signal.aborted)
          throw new EvaluationError(
            'timeout',
            `mongodb: mongorestore had not read the archive after ${MONGORESTORE_TIMEOUT_MS / 60_000} minutes`,
            'check the machine load',
          );
        if (killedBy === null && REFUSED_ARCHIVE.test(tail)) {
          throw new RestoreFailedError(
            `mongodb: mongorestore refused the archive: ${said}`,
            'the MongoDB member of this archive is damaged: take a new backup, and check the copies of this one',
          );
        }
        throw new EvaluationError(
          'tool',
          `mongodb: mongorestore ${killedBy ? `was killed by ${killedBy}` : `exited with code ${code}`}: ${said}`,
          'run mongorestore --archive --dryRun by hand on the archive to see why',
        );
      }
      restored = { archiveBytes, seconds: (performance.now() - started) / 1000, mongorestore };
    },
    async compare(_recorded: Record<string, JsonValue> | undefined): Promise<RestoreComparison> {
      if (!restored) throw new EvaluationError('internal', 'mongodb: compare before the archive was loaded', 'report this as a bug');
      return {
        restored: {
          archive_bytes: restored.archiveBytes,
          mongod_version: version,
          mongorestore_version: restored.mongorestore,
          dry_run: true,
          load_seconds: Number(restored.seconds.toFixed(3)),
        },
        matched: [],
        differences: [],
        notCompared: ['document counts (a mongorestore dry run restores none, and the metadata records none)'],
      };
    },
    dispose() {
      disposed ??= removeAll();
      return disposed;
    },
  };
}

export const mongodbRestoreTest: ComponentRestoreTest = {
  async unavailable() {
    return onPath('mongod') && onPath('mongorestore') ? undefined : 'mongod/mongorestore not installed';
  },
  start: startSession,
};

/** Kills the mongod still running from, and removes, every throwaway MongoDB directory whose owner is gone. */
export function sweepAbandonedMongo(parent?: string): Promise<AbandonedDirectory[]> {
  return sweepAbandonedDirectories(MONGO_DIR_PREFIX, ['mongod'], parent);
}
