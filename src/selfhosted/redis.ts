/**
 * Redis: the RDB snapshot → `redis_dump.rdb` (not gzipped: the verifier reads its magic and CRC-64 as is).
 *
 * - Default (`rdb-stream`): `redis-cli --rdb -`, which asks the server for a replication snapshot and writes it to
 *   stdout. redis-cli before 7.0 does not know `-` and would write a file named `-`; without an exec prefix it then
 *   writes to the spool file itself, behind one it is refused (that file would be in the container).
 * - With `dataDir` (`bgsave-copy`): BGSAVE, wait (bounded) until INFO persistence shows the save finished, succeeded
 *   and is newer than before, then copy `<dataDir>/<dbfilename>` (`cat` through the exec prefix). Redis writes the RDB
 *   to a temporary file and renames it, so an open file is always one whole snapshot.
 *
 * redis-cli 7.0 writing to stdout keeps the 40-character EOF mark of the diskless transfer at the end of the RDB (to a
 * file it truncates it away; stdout cannot be truncated): the verifier then rightly finds no EOF opcode and checksum
 * at the end. The stream is therefore passed through `withoutEofMark`, which drops a final 40 bytes that are all
 * lower-case hex: a genuine RDB ends with the EOF opcode 0xFF and an 8-byte checksum, so its last 40 bytes never are.
 *
 * `keys` is the sum of INFO keyspace read right before the snapshot (a live server may change a few keys after).
 * The password goes through REDISCLI_AUTH, never the command line.
 */
import { createReadStream } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { posix } from 'node:path';
import { Transform } from 'node:stream';
import { EvaluationError } from '../errors.js';
import { maskUrl } from '../secrets/redact.js';
import type { BackupContext, ComponentBackup, SelfHostedComponent, SourceOf } from './component.js';
import { writeMember } from './member-writer.js';
import { redisCli as cli, redisCommand as command, redisConnection } from './redis-cli.js';
import { redisInPlace } from './redis-in-place.js';
import { infoFields, keyspaceKeys } from './redis-info.js';
import { redisRestoreTest } from './throwaway-redis.js';
import { startTool, toolVersion } from './tool-process.js';

type Source = SourceOf<'redis'>;
const MEMBER = 'redis_dump.rdb';
/** The longest a BGSAVE may take before the backup gives up on it (besides the backup's own deadline). */
export const BGSAVE_TIMEOUT_MS = 60 * 60_000;

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason instanceof Error ? signal.reason : new Error('interrupted'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });

/** The length of the mark redis-cli leaves at the end of `--rdb -` (CONFIG_RUN_ID_SIZE). */
const EOF_MARK_BYTES = 40;

/** Holds the last 40 bytes back; at the end drops them when they are a diskless-transfer EOF mark (40 hex digits). */
export function withoutEofMark(): Transform {
  let held = Buffer.alloc(0);
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      const joined = Buffer.concat([held, chunk]);
      const cut = Math.max(0, joined.length - EOF_MARK_BYTES);
      held = Buffer.from(joined.subarray(cut));
      callback(null, cut > 0 ? joined.subarray(0, cut) : undefined);
    },
    flush(callback) {
      const isMark = held.length === EOF_MARK_BYTES && /^[0-9a-f]+$/.test(held.toString('latin1'));
      callback(null, isMark ? undefined : held);
    },
  });
}

const INFO_SHAPE = /^# Server\n/m;

async function rdbStream(source: Source, ctx: BackupContext, file: string): Promise<{ sha256: string; size: number }> {
  const version = await toolVersion(command(source, 'redis-cli', []), ctx.signal);
  const major = Number(/(\d+)\.\d+/.exec(version)?.[1] ?? 0);
  const { args, env } = redisConnection(source);
  if (major >= 7) {
    const dump = startTool(command(source, 'redis-cli', [...args, '--rdb', '-'], env), ctx.signal);
    const [written] = await Promise.all([
      writeMember(dump.stdout.pipe(withoutEofMark()), MEMBER, file, { gzip: false, signal: ctx.signal, onProgress: ctx.progress }),
      dump.done,
    ]);
    return written;
  }
  if (source.exec) {
    throw new EvaluationError(
      'tool',
      `redis: ${version} cannot write the RDB to its output (\`--rdb -\` needs redis-cli 7 or newer), and behind an exec prefix a file it writes is out of reach`,
      'use a redis-cli 7 or newer in the container, or set selfHosted.sources.redis.dataDir to copy the RDB after a BGSAVE',
    );
  }
  // An older redis-cli writes the spool file itself; it is then hashed as the member writer would have.
  const tool = startTool(command(source, 'redis-cli', [...args, '--rdb', file], env), ctx.signal);
  tool.stdout.resume();
  await tool.done;
  const copy = `${file}.hashing`;
  const written = await writeMember(createReadStream(file), MEMBER, copy, { gzip: false, signal: ctx.signal, onProgress: ctx.progress });
  await rename(copy, file);
  return written;
}

async function bgsaveCopy(source: Source, ctx: BackupContext, file: string, dataDir: string): Promise<{ sha256: string; size: number }> {
  const deadline = AbortSignal.any([ctx.signal, AbortSignal.timeout(BGSAVE_TIMEOUT_MS)]);
  let dbfilename = 'dump.rdb';
  try {
    const answer = await cli(source, ['CONFIG', 'GET', 'dbfilename'], /^dbfilename\n.+\n/, ctx.signal);
    dbfilename = answer.split('\n')[1]!.trim() || dbfilename;
  } catch (error) {
    // CONFIG is often renamed or denied on a hardened server: the default file name is then assumed.
    if (error instanceof EvaluationError && error.kind === 'auth') throw error;
    ctx.log.info(`redis: CONFIG GET dbfilename refused; copying ${dbfilename}`);
  }
  const persistence = async () => infoFields(await cli(source, ['INFO', 'persistence'], /^# Persistence\n/m, ctx.signal));
  // A save already running is waited for first: BGSAVE would be refused, and its result may predate the keys read.
  let state = await persistence();
  while (state.get('rdb_bgsave_in_progress') === '1') {
    await sleep(500, deadline);
    state = await persistence();
  }
  const before = Number(state.get('rdb_last_save_time') ?? 0);
  // rdb_last_save_time counts seconds: BGSAVE starts in a later second (server time), so that "newer" is unambiguous.
  for (;;) {
    const now = Number((await cli(source, ['TIME'], /^\d+\n\d+\n/, ctx.signal)).split('\n')[0]);
    if (now > before) break;
    await sleep(200, deadline);
  }
  await cli(source, ['BGSAVE'], /^Background saving (started|scheduled)/, ctx.signal);
  for (let wait = 100; ; wait = Math.min(wait * 2, 2_000)) {
    await sleep(wait, deadline);
    state = await persistence();
    if (state.get('rdb_bgsave_in_progress') !== '0' || Number(state.get('rdb_last_save_time') ?? 0) <= before) continue;
    if (state.get('rdb_last_bgsave_status') !== 'ok') {
      throw new EvaluationError(
        'tool',
        `redis: BGSAVE failed (rdb_last_bgsave_status:${state.get('rdb_last_bgsave_status')})`,
        "read the Redis server's log (disk full? permissions of its dir?)",
      );
    }
    break;
  }
  const path = posix.join(dataDir, dbfilename);
  const reader = source.exec ? startTool(command(source, 'cat', [path]), ctx.signal) : { stdout: createReadStream(path), done: Promise.resolve() };
  try {
    const [written] = await Promise.all([writeMember(reader.stdout, MEMBER, file, { gzip: false, signal: ctx.signal, onProgress: ctx.progress }), reader.done]);
    return written;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new EvaluationError(
        'not-found',
        `redis: ${path} does not exist after BGSAVE`,
        "set selfHosted.sources.redis.dataDir to the server's `dir` (CONFIG GET dir)",
      );
    }
    throw error;
  }
}

export const redis: SelfHostedComponent<'redis'> = {
  name: 'redis',
  members: [MEMBER],
  describe: (source) => `${maskUrl(source.url)}${source.exec ? ` via ${source.exec.join(' ')}` : ''}`,
  async toolVersion(source, signal) {
    // (`cat`, which copies a BGSAVE's file behind an exec prefix, is not probed: BusyBox's has no --version.)
    return { name: 'redis-cli', version: await toolVersion(command(source, 'redis-cli', []), signal) };
  },
  async backup(source, ctx: BackupContext): Promise<ComponentBackup> {
    const info = infoFields(await cli(source, ['INFO'], INFO_SHAPE, ctx.signal));
    const rawInfo = await cli(source, ['INFO', 'keyspace'], /^# Keyspace\n/m, ctx.signal);
    const keys = keyspaceKeys(rawInfo);
    const file = `${ctx.spoolDir}/${MEMBER}`;
    const mode = source.dataDir ? 'bgsave-copy' : 'rdb-stream';
    ctx.log.info(`redis: ${mode === 'bgsave-copy' ? `BGSAVE, then a copy from ${source.dataDir}` : 'redis-cli --rdb'} (${keys} keys)`);
    const written = source.dataDir ? await bgsaveCopy(source, ctx, file, source.dataDir) : await rdbStream(source, ctx, file);
    const head = Buffer.alloc(9);
    const handle = await open(file, 'r');
    try {
      await handle.read(head, 0, 9, 0);
    } finally {
      await handle.close();
    }
    if (!head.subarray(0, 5).equals(Buffer.from('REDIS'))) {
      throw new EvaluationError(
        'invalid-response',
        `redis: what was received is not an RDB file (no REDIS magic; ${written.size} bytes, starting ${JSON.stringify(head.subarray(0, Math.min(9, written.size)).toString('latin1'))})`,
        'run the redis-cli command by hand to see what it writes',
      );
    }
    return {
      members: [{ path: MEMBER, file, sha256: written.sha256, size: written.size }],
      facts: { keys, redis_version: info.get('redis_version') ?? 'unknown', mode, rdb_version: head.subarray(5, 9).toString('latin1') },
    };
  },
  restoreTest: redisRestoreTest,
  inPlace: redisInPlace,
};
