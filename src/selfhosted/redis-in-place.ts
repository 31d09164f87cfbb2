/**
 * The in-place restore of `redis_dump.rdb` (issue 16): the archive's RDB becomes the configured server's RDB file, and
 * the server is restarted on it. Redis has no "load this RDB" command: it reads `<dir>/<dbfilename>` at start only, so
 * the file is swapped while the server is down.
 *
 * 1. The RDB is written to `<dataDir>/.restorecheck-<runId>.rdb` (O_EXCL, no link followed), fsynced, and given the
 *    owner and mode of the server's current RDB file (the server may run as another user). It must start with the
 *    `REDIS` magic. Everything up to here changes nothing of the server: a failure removes the temp file.
 * 2. Stop: `restore.stop`, or by default `SHUTDOWN NOSAVE` through redis-cli. NOSAVE: a plain SHUTDOWN (or SIGTERM with
 *    `save` configured) would write the server's current data over its RDB file; the orchestration's safety backup holds
 *    that data. Then it is asked PING until it no longer answers (a deadline). A server busy saving on its way down
 *    does not answer within the probe's own deadline and counts as still up: the file is never swapped under a save.
 * 3. The temp file is renamed over `<dir>/<dbfilename>` (atomic; the folder is fsynced), `restore.start` runs, and the
 *    server is waited for until INFO persistence says `loading:0` (a first answer within REDIS_START_TIMEOUT_MS, the
 *    whole load within REDIS_LOAD_TIMEOUT_MS).
 * 4. INFO keyspace against metadata's `keys`.
 *
 * After the stop, a failure runs `restore.start` again when the server does not answer, and the error says what state
 * it left (the RDB replaced or not, the server started again or not).
 *
 * Refused in preflight (nothing changed): no data folder (`restore.dataDir ?? dataDir`), or one that is not a writable
 * folder here; no `restore.start` (a server cannot be started generically: systemd, Docker, a supervisor…); `appendonly
 * yes` (Redis loads the AOF at start and ignores the RDB); and, when CONFIG may be read and there is no exec prefix (the
 * paths are then this machine's), a server `dir` that is not the data folder. CONFIG is often renamed on a hardened
 * server: then `dbfilename` is assumed `dump.rdb` and appendonly is read from INFO persistence (`aof_enabled`).
 */
import { constants } from 'node:fs';
import { type FileHandle, access, lstat, open, realpath, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { archivesConfigOrDefault } from '../config/schema.js';
import { EvaluationError, RestoreFailedError, UsageError, describeError } from '../errors.js';
import { maskUrl } from '../secrets/redact.js';
import type { JsonValue } from '../vocabulary.js';
import { withRestoreState } from './in-place-state.js';
import type { InPlaceContext, InPlacePreflight, InPlaceRestore, InPlaceResult, RestoreComparison, SourceOf } from './component.js';
import { redisCli, redisCommand, redisConnection } from './redis-cli.js';
import { infoFields, keyspaceByDb } from './redis-info.js';
import { describeCommand, runCommands } from './service-commands.js';
import { startTool } from './tool-process.js';

type Source = SourceOf<'redis'>;
const MEMBER = 'redis_dump.rdb';
/** Until the stopped server no longer answers. */
export const REDIS_STOP_TIMEOUT_MS = 120_000;
/** Until the started server answers at all (a server that refused the RDB exits: it never does). */
export const REDIS_START_TIMEOUT_MS = 120_000;
/** Until the started server has loaded the RDB (a large one takes minutes). */
export const REDIS_LOAD_TIMEOUT_MS = 60 * 60_000;
/** One probe (PING, INFO): a server that does not answer within it is busy (saving, loading), not gone. */
const PROBE_TIMEOUT_MS = 5_000;
const CLI_TIMEOUT_MS = 30_000;
const START_WHAT = 'selfHosted.sources.redis.restore.start';
const STOP_WHAT = 'selfHosted.sources.redis.restore.stop';

/** What preflight (and the restore, again) found out about the server. */
interface ServerFacts {
  dataDir: string;
  dbfilename: string;
  /** CONFIG GET could be read (else dbfilename is assumed). */
  configReadable: boolean;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason instanceof Error ? signal.reason : new Error('interrupted'));
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason instanceof Error ? signal.reason : new Error('interrupted'));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });

const within = (signal: AbortSignal, ms: number) => AbortSignal.any([signal, AbortSignal.timeout(ms)]);

/** `CONFIG GET <name>`'s value, or undefined when CONFIG is refused (renamed, ACL); a failed AUTH is thrown. */
async function configGet(source: Source, name: string, signal: AbortSignal): Promise<string | undefined> {
  try {
    const answer = await redisCli(source, ['CONFIG', 'GET', name], new RegExp(`^${name}\\n.*\\n`), within(signal, CLI_TIMEOUT_MS));
    return answer.split('\n')[1]!.trim();
  } catch (error) {
    if (error instanceof EvaluationError && error.kind === 'auth') throw error;
    if (signal.aborted) throw error;
    return undefined;
  }
}

async function inspect(source: Source, ctx: InPlaceContext): Promise<ServerFacts> {
  const dataDir = source.restore?.dataDir ?? source.dataDir;
  if (!dataDir) {
    throw new UsageError(
      'redis: the in-place restore needs the folder of the server’s RDB file on this machine',
      "set selfHosted.sources.redis.restore.dataDir (or dataDir) to the server's `dir` as this machine sees it (a Docker volume's host path)",
    );
  }
  if (!source.restore?.start) {
    throw new UsageError(
      'redis: the in-place restore needs the command that starts the server again (restorecheck cannot start a Redis server generically)',
      'set selfHosted.sources.redis.restore.start, e.g. [[docker, compose, start, redis]] or [[systemctl, start, redis-server]]',
    );
  }
  const info = await stat(dataDir).catch(() => undefined);
  if (!info?.isDirectory()) {
    throw new UsageError(
      `redis: ${dataDir} (the in-place restore's data folder) is not a folder on this machine`,
      "set selfHosted.sources.redis.restore.dataDir to the server's `dir` as this machine sees it",
    );
  }
  const writable = await access(dataDir, constants.W_OK | constants.X_OK).then(
    () => true,
    () => false,
  );
  if (!writable) {
    throw new EvaluationError(
      'permission',
      `redis: ${dataDir} is not writable by this process: the RDB cannot be put there`,
      "run restorecheck restore as root or as the server's user",
    );
  }
  const signal = ctx.signal;
  await redisCli(source, ['PING'], /^PONG\n/, within(signal, CLI_TIMEOUT_MS));
  const [dir, dbfilenameRead, appendonly] = [
    await configGet(source, 'dir', signal),
    await configGet(source, 'dbfilename', signal),
    await configGet(source, 'appendonly', signal),
  ];
  const configReadable = dir !== undefined && dbfilenameRead !== undefined;
  const dbfilename = dbfilenameRead || 'dump.rdb';
  if (!configReadable) ctx.log.info(`redis: CONFIG GET refused; assuming the RDB file is ${dbfilename} in ${dataDir}`);
  if (dbfilename.includes('/') || dbfilename === '.' || dbfilename === '..') {
    throw new EvaluationError(
      'invalid-response',
      `redis: the server's dbfilename ${JSON.stringify(dbfilename)} is not a file name`,
      'check the server configuration',
    );
  }
  const aof =
    appendonly !== undefined
      ? appendonly === 'yes'
      : infoFields(await redisCli(source, ['INFO', 'persistence'], /^# Persistence\n/m, within(signal, CLI_TIMEOUT_MS))).get('aof_enabled') === '1';
  if (aof) {
    throw new EvaluationError(
      'config',
      'redis: the server has appendonly yes: at start it loads its append-only file and ignores the RDB, so the restored RDB would not be used',
      'turn the AOF off for the restore (`appendonly no` in its configuration, and CONFIG SET appendonly no), run the restore, then turn it on again with CONFIG SET appendonly yes (Redis rewrites the AOF from the restored data) and in the configuration',
    );
  }
  if (configReadable && !source.exec) {
    const [server, ours] = await Promise.all([realpath(dir).catch(() => dir), realpath(dataDir)]);
    if (server !== ours) {
      throw new UsageError(
        `redis: the server writes its RDB in ${dir} (CONFIG GET dir), not in ${dataDir}: restored there, it would never be loaded`,
        `set selfHosted.sources.redis.restore.dataDir to ${dir}`,
      );
    }
  }
  return { dataDir, dbfilename, configReadable };
}

function describeTarget(source: Source, facts: ServerFacts): string {
  return `${maskUrl(source.url)}${source.exec ? ` via ${source.exec.join(' ')}` : ''} (RDB file ${join(facts.dataDir, facts.dbfilename)})`;
}

/** The owner and mode the new RDB file gets: the current RDB file's, else the folder's owner and 0600. */
async function wantedOwner(facts: ServerFacts): Promise<{ uid: number; gid: number; mode: number }> {
  const current = await lstat(join(facts.dataDir, facts.dbfilename)).catch(() => undefined);
  if (current?.isFile()) return { uid: current.uid, gid: current.gid, mode: current.mode & 0o7777 };
  const folder = await stat(facts.dataDir);
  return { uid: folder.uid, gid: folder.gid, mode: 0o600 };
}

/** Writes the RDB to `file` (new, 0600 while written), fsynced; returns its size. Refuses a content without the REDIS magic. */
async function writeTemp(
  content: Readable,
  file: string,
  maxBytes: number,
  owner: { uid: number; gid: number; mode: number },
  ctx: InPlaceContext,
): Promise<number> {
  const handle: FileHandle = await open(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  let bytes = 0;
  let head = Buffer.alloc(0);
  try {
    for await (const chunk of content as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      if (bytes > maxBytes) {
        throw new RestoreFailedError(
          `redis: the RDB is larger than archives.limits.maxTotalBytes (${maxBytes} bytes)`,
          'raise archives.limits.maxTotalBytes if this RDB is expected to be this large',
        );
      }
      if (head.length < 9) head = Buffer.concat([head, chunk.subarray(0, 9 - head.length)]);
      await handle.write(chunk);
      ctx.progress(bytes);
    }
    if (!head.subarray(0, 5).equals(Buffer.from('REDIS'))) {
      throw new RestoreFailedError(
        `redis: the archive's ${MEMBER} is not an RDB file (no REDIS magic; ${bytes} bytes, starting ${JSON.stringify(head.toString('latin1'))})`,
        'the Redis member of this archive is damaged or not an RDB: take a new backup, and check the copies of this one',
      );
    }
    const me = process.getuid?.();
    if (me !== undefined && (owner.uid !== me || owner.gid !== process.getgid?.())) {
      await handle.chown(owner.uid, owner.gid).catch((error: NodeJS.ErrnoException) => {
        throw new EvaluationError(
          'permission',
          `redis: the new RDB cannot be given to uid ${owner.uid} gid ${owner.gid} (the owner of the server's RDB file): ${error.code ?? error.message}`,
          "run restorecheck restore as root or as the server's user",
        );
      });
    }
    await handle.chmod(owner.mode);
    await handle.sync();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOSPC' || code === 'EDQUOT') {
      throw new EvaluationError('tool', `redis: disk full in ${file} (${code}) while writing the RDB`, `free space in the folder of the server's RDB file`);
    }
    throw error;
  } finally {
    await handle.close();
  }
  return bytes;
}

async function fsyncFolder(dir: string): Promise<void> {
  const handle = await open(dir, constants.O_RDONLY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

type Probe = { state: 'answers'; text: string } | { state: 'busy' } | { state: 'down'; why: string };

/**
 * One redis-cli command with a short deadline: `down` when redis-cli (or the exec prefix) fails, which is how a
 * server that is gone shows (connection refused, no socket, the container not running); `busy` past the deadline.
 */
async function probe(source: Source, args: string[], signal: AbortSignal): Promise<Probe> {
  const { args: conn, env } = redisConnection(source);
  const deadline = within(signal, PROBE_TIMEOUT_MS);
  const tool = startTool(redisCommand(source, 'redis-cli', [...conn, ...args], env), deadline);
  let out = '';
  tool.stdout.setEncoding('utf8');
  tool.stdout.on('data', (chunk: string) => {
    if (out.length < 1024 * 1024) out += chunk;
  });
  try {
    await tool.done;
    return { state: 'answers', text: out.replace(/\r\n/g, '\n') };
  } catch (error) {
    signal.throwIfAborted();
    if (deadline.aborted) return { state: 'busy' };
    return { state: 'down', why: describeError(error) };
  }
}

/** Stops the server (restore.stop, or SHUTDOWN NOSAVE) and waits until it no longer answers. */
async function stopServer(source: Source, ctx: InPlaceContext): Promise<string[]> {
  const steps: string[] = [];
  if (source.restore?.stop) {
    steps.push(...(await runCommands(source.restore.stop, STOP_WHAT, { signal: ctx.signal, log: ctx.log })));
  } else {
    ctx.log.info('restore: redis: SHUTDOWN NOSAVE');
    const answer = await probe(source, ['SHUTDOWN', 'NOSAVE'], ctx.signal);
    // Success is an empty answer (the connection closes); an error reply is printed and redis-cli still exits 0.
    if (answer.state === 'answers' && answer.text.trim() !== '') {
      const said = answer.text.trim().split('\n')[0]!.slice(0, 300);
      throw new EvaluationError(
        /NOAUTH|WRONGPASS/.test(said) ? 'auth' : /NOPERM/.test(said) ? 'permission' : 'refused',
        `redis: SHUTDOWN NOSAVE was refused: ${said}`,
        `let the user run SHUTDOWN, or set ${STOP_WHAT} to the command that stops the server (e.g. [[docker, compose, stop, redis]])`,
      );
    }
    steps.push('stopped redis with SHUTDOWN NOSAVE (its data in memory was not saved over its RDB file)');
  }
  const started = performance.now();
  const deadline = within(ctx.signal, REDIS_STOP_TIMEOUT_MS);
  for (;;) {
    const state = await probe(source, ['PING'], ctx.signal);
    if (state.state === 'down') break;
    if (deadline.aborted) {
      ctx.signal.throwIfAborted();
      throw new EvaluationError(
        'timeout',
        `redis: the server still answers ${REDIS_STOP_TIMEOUT_MS / 1000} s after it was stopped`,
        `check ${STOP_WHAT}: it must stop the server that ${maskUrl(source.url)} reaches`,
      );
    }
    await sleep(200, deadline).catch(() => undefined);
  }
  steps.push(`the server no longer answers (${((performance.now() - started) / 1000).toFixed(1)} s)`);
  return steps;
}

/** Waits until the started server answers INFO persistence with loading:0. */
async function waitLoaded(source: Source, ctx: InPlaceContext): Promise<string> {
  const started = performance.now();
  const load = within(ctx.signal, REDIS_LOAD_TIMEOUT_MS);
  let lastAnswer = performance.now();
  let answered = false;
  for (let wait = 50; ; wait = Math.min(wait * 2, 1_000)) {
    const state = await probe(source, ['INFO', 'persistence'], ctx.signal);
    if (state.state !== 'down') {
      lastAnswer = performance.now();
      if (state.state === 'answers' && /^# Persistence\n/m.test(state.text)) {
        answered = true;
        if (infoFields(state.text).get('loading') === '0') break;
      }
    }
    if (performance.now() - lastAnswer > REDIS_START_TIMEOUT_MS) {
      throw new EvaluationError(
        'timeout',
        `redis: the server ${answered ? 'stopped answering while it loaded the RDB' : `does not answer ${REDIS_START_TIMEOUT_MS / 1000} s after ${START_WHAT} ran`}${state.state === 'down' ? ` (${state.why})` : ''}`,
        "read the Redis server's log: a server that refuses the RDB (damaged, or of a newer Redis) exits at start",
      );
    }
    if (load.aborted) {
      ctx.signal.throwIfAborted();
      throw new EvaluationError(
        'timeout',
        `redis: the server had not loaded the RDB after ${REDIS_LOAD_TIMEOUT_MS / 60_000} minutes`,
        "read the Redis server's log",
      );
    }
    await sleep(wait, load).catch(() => undefined);
  }
  return `the server answers and has loaded the RDB (${((performance.now() - started) / 1000).toFixed(1)} s)`;
}

async function compareKeys(source: Source, recorded: Record<string, JsonValue> | undefined, rdbBytes: number, ctx: InPlaceContext): Promise<RestoreComparison> {
  const signal = within(ctx.signal, CLI_TIMEOUT_MS * 2);
  const byDb = keyspaceByDb(await redisCli(source, ['INFO', 'keyspace'], /^# Keyspace\n/m, signal));
  const server = infoFields(await redisCli(source, ['INFO', 'server'], /^# Server\n/m, signal));
  const keys = Object.values(byDb).reduce((sum, n) => sum + n, 0);
  const restored: Record<string, JsonValue> = { keys, keys_per_db: byDb, redis_version: server.get('redis_version') ?? 'unknown', rdb_bytes: rdbBytes };
  const comparison: RestoreComparison = { restored, matched: [], differences: [], notCompared: [] };
  const expected = recorded?.keys;
  if (typeof expected !== 'number') comparison.notCompared.push('keys (the metadata records none)');
  else if (keys === expected) comparison.matched.push('keys');
  else
    comparison.differences.push(
      `the server holds ${keys} keys after the restore, the metadata records ${expected}${keys < expected ? ' (keys whose TTL ran out since the backup are not loaded)' : ''}`,
    );
  return comparison;
}

export const redisInPlace: InPlaceRestore<'redis'> = {
  async preflight(source, ctx): Promise<InPlacePreflight> {
    const facts = await inspect(source, ctx);
    const current = await stat(join(facts.dataDir, facts.dbfilename)).catch(() => undefined);
    // The new RDB sits beside the current one until the swap: about as large as it (the archive's size is unknown here).
    return { target: describeTarget(source, facts), ...(current ? { disk: { path: facts.dataDir, bytes: current.size } } : {}) };
  },

  async restore(source, member, content, recorded, ctx): Promise<InPlaceResult> {
    if (member !== MEMBER) throw new EvaluationError('internal', `redis: no in-place restore for member ${member}`, 'report this as a bug');
    const facts = await inspect(source, ctx);
    const target = describeTarget(source, facts);
    const finalPath = join(facts.dataDir, facts.dbfilename);
    const temp = join(facts.dataDir, `.restorecheck-${ctx.runId}.rdb`);
    const steps: string[] = [];
    let rdbBytes: number;
    try {
      rdbBytes = await writeTemp(content, temp, archivesConfigOrDefault(ctx.config.archives).limits.maxTotalBytes, await wantedOwner(facts), ctx);
    } catch (error) {
      await rm(temp, { force: true });
      throw withRestoreState(error, 'nothing was changed: the server still runs with its data');
    }
    steps.push(`wrote the archive's RDB (${rdbBytes} bytes) beside ${finalPath}`);

    let phase: 'stopping' | 'replaced' = 'stopping';
    try {
      steps.push(...(await stopServer(source, ctx)));
      await rename(temp, finalPath);
      await fsyncFolder(facts.dataDir);
      phase = 'replaced';
      steps.push(`replaced ${finalPath} with the archive's RDB`);
      steps.push(...(await runCommands(source.restore!.start, START_WHAT, { signal: ctx.signal, log: ctx.log })));
      steps.push(await waitLoaded(source, ctx));
    } catch (error) {
      if (phase === 'stopping') await rm(temp, { force: true });
      const replaced =
        phase === 'replaced'
          ? `the server's RDB file ${finalPath} now holds the archive's (the data from before the restore is in the safety backup)`
          : `the server's RDB file ${finalPath} was not replaced`;
      throw withRestoreState(error, `${replaced}; ${await startAgain(source, ctx, phase)}`);
    }
    const comparison = await compareKeys(source, recorded, rdbBytes, ctx);
    steps.push(`the server holds ${comparison.restored.keys} keys`);
    return { target, steps, comparison };
  },
};

/** After a failure past the stop: starts the server again when it does not answer; says what happened. */
async function startAgain(source: Source, ctx: InPlaceContext, phase: 'stopping' | 'replaced'): Promise<string> {
  if (ctx.signal.aborted) return 'interrupted: the server was not started again, check it (start it with the restore.start command)';
  const now = await probe(source, ['PING'], ctx.signal).catch(() => ({ state: 'down' as const, why: 'interrupted' }));
  if (now.state !== 'down') return phase === 'stopping' ? 'the server still answers with its data' : 'the server answers';
  const shown = source.restore!.start!.map((argv) => describeCommand(argv)).join('; ');
  try {
    await runCommands(source.restore!.start, START_WHAT, { signal: ctx.signal, log: ctx.log });
    await waitLoaded(source, ctx);
    return phase === 'stopping'
      ? `the server was started again (${shown}) on its own RDB file: changes made since its last save are only in the safety backup`
      : `the server was started again (${shown})`;
  } catch (again) {
    return `the server is down: starting it again (${shown}) failed too (${describeError(again)})`;
  }
}
