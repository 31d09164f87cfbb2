/**
 * The in-place restore of MariaDB (`restorecheck restore`, issue 16): `mariadb_full.sql.gz` back into the configured
 * server (`restore.url`, default the source's own connection).
 *
 * MariaDB cannot rename a database, so there is no building aside and swapping: the dump replaces the databases it
 * holds where they are. To keep "a failure leaves the target as it was" for everything that can be known in advance, the
 * dump is read twice:
 *
 * 1. Spooled to a throwaway directory (ours, 0700) through the client-command guard (mariadb-input-guard.ts), noting the
 *    databases it creates. A refused command, a stream that breaks or a mariadb-dump dump without its closing
 *    `-- Dump completed` line fails here, and nothing on the server was touched.
 * 2. `restore.stop`, then the spooled copy is fed through the guard again to the `mariadb` client (`--no-defaults
 *    --binary-mode --sandbox`, no `--force`: the first error stops it), as the sandbox user unless an exec prefix runs
 *    it. Right before each `CREATE DATABASE` reaches the client, that database is dropped (so that a table created after
 *    the backup does not survive), never a system schema (mysql, information_schema, performance_schema, sys), whose
 *    tables the dump replaces one by one (mariadb-dump's DROP TABLE IF EXISTS). A failure from here on leaves the
 *    databases dropped so far partly restored: the error says which, and that the safety backup holds them.
 * 3. The exact count of every table of the dumped databases, against the backup's `table_counts`; `restore.start`.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { EvaluationError, RestoreFailedError, type RestorecheckError, UsageError, describeError } from '../errors.js';
import { ClientCommandRefused, MariadbInputGuard, SYSTEM_SCHEMAS } from '../restore/mariadb-input-guard.js';
import { createThrowawayDirectory, released } from '../restore/throwaway-directory.js';
import type { JsonValue } from '../vocabulary.js';
import type { InPlaceContext, InPlacePreflight, InPlaceRestore, InPlaceResult, SourceOf } from './component.js';
import { type ClientHome, createClientHome, startDumpClient } from './dump-client.js';
import { type MariadbLoadResult, compareMariadb, countsSql, mariadbConnection, parseCounts, parseDumpHeader } from './mariadb-facts.js';
import { runCommands } from './service-commands.js';
import { type ToolCommand, onPath } from './tool-process.js';

type Source = SourceOf<'mariadb'>;
const MEMBER = 'mariadb_full.sql.gz';
const PACKAGE = 'mariadb-client';
const CONTROL_TIMEOUT_MS = 60_000;
/** The global privileges the restore needs: drop and create the dumped databases, and load their tables. */
const NEEDED = ['CREATE', 'DROP', 'INSERT', 'SELECT', 'ALTER', 'INDEX'];
const quoteIdent = (name: string) => `\`${name.replace(/`/g, '``')}\``;
const literal = (value: string) => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;

interface Session {
  source: Source;
  /** The connection as the restore uses it (restore.url, else the source's). */
  connection: ReturnType<typeof mariadbConnection>;
  key: string;
  file: string;
  home: ClientHome | undefined;
}

function command(s: Session, args: string[], stdin: 'pipe' | 'ignore' = 'ignore'): ToolCommand {
  // --no-defaults first (the client reads it only there): no option file of anyone changes where or how we connect.
  return { component: 'mariadb', debianPackage: PACKAGE, exec: s.source.exec, tool: 'mariadb', args: ['--no-defaults', ...args], env: s.connection.env, stdin };
}

async function openSession(source: Source): Promise<Session> {
  const target = source.restore?.url
    ? { ...source, url: source.restore.url, host: undefined, socket: undefined, user: undefined, password: undefined }
    : source;
  const key = source.restore?.url ? 'selfHosted.sources.mariadb.restore.url' : 'selfHosted.sources.mariadb';
  let file = 'mariadb';
  if (!source.exec) {
    const found = onPath('mariadb');
    if (!found) {
      throw new EvaluationError(
        'tool',
        'mariadb: the mariadb client is not installed on this machine: the in-place restore loads the dump with it',
        'install it (apt-get install mariadb-client), or set selfHosted.sources.mariadb.exec to run it where it is, e.g. [docker, compose, exec, -T, mariadb]',
      );
    }
    file = found;
  }
  const home = source.exec ? undefined : await createClientHome('restorecheck-mariadb-inplace-');
  return { source, connection: mariadbConnection(target), key, file, home };
}

/** A connection problem of the client's stderr as an error with what to do. */
function connectionError(s: Session, stderr: string): RestorecheckError | undefined {
  const text = stderr.trim().split('\n').filter(Boolean).slice(-2).join(' / ');
  const where = s.connection.label;
  if (/ERROR (1045|1698)\b/.test(stderr))
    return new EvaluationError('auth', `mariadb: the restore user could not sign in to ${where}: ${text}`, `check the user and password of ${s.key}`);
  if (/ERROR (2002|2003|2005|2006|2013)\b/.test(stderr)) {
    return new EvaluationError('unreachable', `mariadb: ${where} cannot be reached: ${text}`, `check that the server runs and that ${s.key} names it`);
  }
  return undefined;
}

/** Runs statements through the client (`-N -B`): the output lines. */
async function sql(s: Session, statements: string, signal: AbortSignal, timeoutMs = CONTROL_TIMEOUT_MS): Promise<string[]> {
  const bounded = AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]);
  const tool = startDumpClient(
    command(s, [...s.connection.args, '-N', '-B', '--connect-timeout=15', '--default-character-set=utf8mb4'], 'pipe'),
    s.file,
    s.home,
    bounded,
  );
  tool.stdin!.on('error', () => undefined);
  tool.stdin!.end(`${statements}\n`);
  let out = '';
  tool.stdout.setEncoding('utf8').on('data', (text: string) => {
    out += text;
  });
  try {
    await tool.done;
  } catch (error) {
    if (bounded.aborted) {
      throw new EvaluationError(
        'timeout',
        signal.aborted ? 'mariadb: interrupted' : `mariadb: the server did not answer within ${timeoutMs / 1000} s`,
        'run the restore again',
        {
          cause: error,
        },
      );
    }
    throw connectionError(s, tool.stderrTail()) ?? error;
  }
  return out.split('\n').filter((line) => line !== '');
}

/** What preflight reads: the server, the account, its global privileges, and about how big the dumped databases are. */
async function inspect(s: Session, signal: AbortSignal) {
  const grantee = "CONCAT('''', SUBSTRING_INDEX(CURRENT_USER(), '@', 1), '''@''', SUBSTRING_INDEX(CURRENT_USER(), '@', -1), '''')";
  const schemas = s.source.databases ? `IN (${s.source.databases.map(literal).join(', ')})` : `NOT IN (${[...SYSTEM_SCHEMAS].map(literal).join(', ')})`;
  const lines = await sql(
    s,
    [
      "SELECT 'version', VERSION();",
      "SELECT 'user', CURRENT_USER();",
      `SELECT 'priv', PRIVILEGE_TYPE FROM information_schema.USER_PRIVILEGES WHERE GRANTEE = ${grantee};`,
      `SELECT 'schema', TABLE_SCHEMA, PRIVILEGE_TYPE FROM information_schema.SCHEMA_PRIVILEGES WHERE GRANTEE = ${grantee};`,
      `SELECT 'bytes', COALESCE(SUM(data_length + index_length), 0) FROM information_schema.tables WHERE table_schema ${schemas};`,
    ].join('\n'),
    signal,
  );
  const facts = { version: '', user: '', global: new Set<string>(), schema: new Map<string, Set<string>>(), bytes: 0 };
  for (const line of lines) {
    const [kind, a = '', b = ''] = line.split('\t');
    if (kind === 'version') facts.version = a;
    else if (kind === 'user') facts.user = a;
    else if (kind === 'priv') facts.global.add(a);
    else if (kind === 'schema') facts.schema.set(a, new Set([...(facts.schema.get(a) ?? []), b]));
    else if (kind === 'bytes') facts.bytes = Number(a) || 0;
  }
  return facts;
}

/** Whether the client can run `--sandbox` (MariaDB 10.5.25, 10.6.18, 10.11.8 and later): the dump is never loaded without it. */
async function hasSandbox(s: Session, signal: AbortSignal): Promise<boolean> {
  const tool = startDumpClient(command(s, ['--help']), s.file, s.home, AbortSignal.any([signal, AbortSignal.timeout(CONTROL_TIMEOUT_MS)]));
  let out = '';
  tool.stdout.setEncoding('utf8').on('data', (text: string) => {
    if (out.length < 1024 * 1024) out += text;
  });
  await tool.done;
  return /^\s*--sandbox\b/m.test(out);
}

async function preflight(source: Source, ctx: InPlaceContext): Promise<InPlacePreflight> {
  const s = await openSession(source);
  try {
    const facts = await inspect(s, ctx.signal);
    const missing = NEEDED.filter((p) => !facts.global.has(p));
    const lacking =
      missing.length === 0
        ? []
        : source.databases
          ? source.databases.filter((db) => NEEDED.some((p) => !facts.global.has(p) && !facts.schema.get(db)?.has(p)))
          : ['*'];
    if (lacking.length > 0) {
      throw new EvaluationError(
        'permission',
        `mariadb: the restore user ${facts.user} may not drop, create and load ${lacking[0] === '*' ? 'every database' : `database(s) ${lacking.join(', ')}`}: it lacks ${missing.join(', ')}`,
        `restore as an account with ${NEEDED.join(', ')} (e.g. root): set ${source.restore?.url ? s.key : 'selfHosted.sources.mariadb.restore.url'}`,
      );
    }
    if (!(await hasSandbox(s, ctx.signal))) {
      throw new EvaluationError(
        'tool',
        `mariadb: the mariadb client${source.exec ? ` run through ${source.exec.join(' ')}` : ''} has no --sandbox mode: restorecheck does not load a dump without it`,
        'install MariaDB 10.11.8 or later (10.5.25, 10.6.18) where the client runs',
      );
    }
    ctx.log.info(`mariadb: ${s.connection.label}: ${facts.version} as ${facts.user}`);
    const target = `${s.connection.label} (as ${facts.user}), ${facts.version}`;
    // The dump is spooled (decompressed) to TMPDIR before it is loaded: about as big as the data it holds.
    return { target, disk: { path: tmpdir(), bytes: facts.bytes } };
  } finally {
    await s.home?.remove();
  }
}

const REFUSED_HINT =
  'do not restore this dump: mariadb-dump never writes client commands, so the file was altered or made by hand; make a new backup from the database and find out who could write to the backups';

/** The server's first error of the client's stderr (`ERROR 1050 (42S01) at line 12: Table … exists`). */
function errorLine(stderr: string): string | undefined {
  return stderr
    .split('\n')
    .find((l) => /^ERROR/.test(l))
    ?.trim()
    .slice(0, 300);
}

/** The same error, its message ending with what state the restore left. */
function withState(error: unknown, state: string): Error {
  const message = `${describeError(error)}; ${state}`;
  if (error instanceof RestoreFailedError) return new RestoreFailedError(message, error.hint, { cause: error });
  if (error instanceof EvaluationError) return new EvaluationError(error.kind, message, error.hint, { cause: error });
  if (error instanceof UsageError) return new UsageError(message, error.hint);
  return new EvaluationError('internal', message, 'run the restore again; report it if it persists', { cause: error });
}

/** Pass 1: the dump to `file` through the guard; what it names. Throws before anything is changed. */
async function spool(content: Readable, file: string, ctx: InPlaceContext) {
  let bytes = 0;
  let head = '';
  const meter = new Transform({
    transform(chunk: Buffer, _enc, callback) {
      bytes += chunk.length;
      if (head.length < 4096) head += chunk.toString('utf8', 0, Math.min(chunk.length, 4096));
      ctx.progress(bytes);
      callback(null, chunk);
    },
  });
  const created: string[] = [];
  const used: string[] = [];
  const guard = new MariadbInputGuard({
    database: async (name, statement) => {
      (statement === 'create' ? created : used).push(name);
    },
  });
  const onAbort = () => content.destroy(new Error('interrupted'));
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  try {
    await pipeline(content, meter, guard, createWriteStream(file, { mode: 0o600 }));
  } catch (error) {
    if (error instanceof ClientCommandRefused) throw new RestoreFailedError(`${MEMBER}: ${error.message}`, REFUSED_HINT, { cause: error });
    if (ctx.signal.aborted) throw new EvaluationError('timeout', 'mariadb: the restore was interrupted', 'run the restore again', { cause: error });
    throw new EvaluationError(
      'invalid-response',
      `${MEMBER} could not be read to the end: ${describeError(error)}`,
      'verify the archive (restorecheck verify)',
      {
        cause: error,
      },
    );
  } finally {
    ctx.signal.removeEventListener('abort', onAbort);
  }
  const header = parseDumpHeader(head);
  if (header.dumpedBy && !guard.dumpCompleted) {
    throw new RestoreFailedError(
      `${MEMBER} ends without mariadb-dump's closing line "-- Dump completed": it is cut short`,
      'verify the archive (restorecheck verify) and restore a complete backup',
    );
  }
  return { bytes, header, created, used, statements: guard.statements, dumpCompleted: guard.dumpCompleted };
}

async function restore(
  source: Source,
  member: string,
  content: Readable,
  recorded: Record<string, JsonValue> | undefined,
  ctx: InPlaceContext,
): Promise<InPlaceResult> {
  if (member !== MEMBER) {
    content.destroy();
    throw new EvaluationError('internal', `mariadb: no in-place restore for member ${member}`, 'report this as a bug');
  }
  let s: Session;
  try {
    s = await openSession(source);
  } catch (error) {
    content.destroy();
    throw withState(error, 'nothing was changed');
  }
  const steps: string[] = [];
  const dropped: string[] = [];
  const skipped: string[] = [];
  let stopped = false;
  const dir = await createThrowawayDirectory('restorecheck-mariadb-spool-');
  try {
    const spoolFile = join(dir, 'dump.sql');
    let spooled: Awaited<ReturnType<typeof spool>>;
    const started = performance.now();
    try {
      spooled = await spool(content, spoolFile, ctx);
    } catch (error) {
      content.destroy();
      throw withState(error, 'nothing was changed on the server');
    }
    const names = [...new Set([...spooled.created, ...spooled.used])];
    steps.push(
      `read ${MEMBER} (${spooled.bytes} bytes, ${spooled.statements} statements, databases ${names.join(', ') || 'none'}) through the client-command guard`,
    );

    // A dump of one database made without --databases: its tables go into the database its header names.
    const defaultDatabase =
      spooled.created.length === 0 && spooled.used.length === 0 && spooled.header.database && !SYSTEM_SCHEMAS.has(spooled.header.database.toLowerCase())
        ? spooled.header.database
        : undefined;

    try {
      steps.push(...(await runCommands(source.restore?.stop, 'selfHosted.sources.mariadb.restore.stop', { signal: ctx.signal, log: ctx.log })));
      stopped = true;
    } catch (error) {
      throw withState(error, 'nothing was changed on the server');
    }

    const seen = new Set<string>();
    const drop = async (name: string) => {
      if (seen.has(name)) return;
      seen.add(name);
      if (SYSTEM_SCHEMAS.has(name.toLowerCase())) {
        skipped.push(name);
        return;
      }
      ctx.log.info(`mariadb: dropping database ${name} before the dump creates it again`);
      // A session of the application holding a lock on one of its tables must not make the restore wait for ever.
      await sql(s, `SET SESSION lock_wait_timeout = 60; DROP DATABASE IF EXISTS ${quoteIdent(name)};`, ctx.signal, 120_000);
      dropped.push(name);
    };
    try {
      if (defaultDatabase) {
        await drop(defaultDatabase);
        await sql(s, `CREATE DATABASE ${quoteIdent(defaultDatabase)};`, ctx.signal);
      }
      const tool = startDumpClient(
        command(
          s,
          [
            ...s.connection.args,
            '--binary-mode',
            '--sandbox',
            '--batch',
            '--skip-reconnect',
            '--local-infile=0',
            '--default-character-set=utf8mb4',
            '--max-allowed-packet=1G',
            '--connect-timeout=30',
            ...(defaultDatabase ? [`--database=${defaultDatabase}`] : []),
          ],
          'pipe',
        ),
        s.file,
        s.home,
        ctx.signal,
      );
      tool.stdin!.on('error', () => undefined);
      tool.stdout.resume();
      const kill = () => tool.child.kill('SIGKILL');
      const guard = new MariadbInputGuard(
        {
          database: async (name, statement) => {
            if (statement === 'create') await drop(name);
          },
        },
        // Killed before its input closes: at the end of its input the client would run the statement it holds.
        kill,
      );
      const file = createReadStream(spoolFile);
      for (const stream of [file, guard]) stream.once('error', kill);
      const onAbort = () => {
        kill();
        file.destroy(new Error('interrupted'));
      };
      if (ctx.signal.aborted) onAbort();
      else ctx.signal.addEventListener('abort', onAbort, { once: true });
      try {
        await pipeline(file, guard, tool.stdin!);
        await tool.done;
      } catch (error) {
        kill();
        await tool.done.catch(() => undefined);
        if (error instanceof ClientCommandRefused) throw new RestoreFailedError(`${MEMBER}: ${error.message}`, REFUSED_HINT, { cause: error });
        if (ctx.signal.aborted) throw new EvaluationError('timeout', 'mariadb: the restore was interrupted', 'run the restore again', { cause: error });
        const stderr = tool.stderrTail();
        const connection = connectionError(s, stderr);
        if (connection) throw connection;
        const first = errorLine(stderr);
        if (first && /sandbox mode|Unknown command/i.test(first)) {
          throw new RestoreFailedError(`${MEMBER}: the mariadb client refused a command of the dump (${first})`, REFUSED_HINT, { cause: error });
        }
        if (first) {
          throw new RestoreFailedError(
            `${MEMBER} does not restore: ${first}`,
            'restore the dump by hand into a scratch MariaDB of the same version to see why; regenerate the backup if the dump is damaged',
            { cause: error },
          );
        }
        throw error;
      } finally {
        ctx.signal.removeEventListener('abort', onAbort);
      }
    } catch (error) {
      if (dropped.length > 0) {
        throw withState(
          error,
          `database(s) ${dropped.join(', ')} were dropped and are only partly restored${
            stopped && source.restore?.stop ? ' (the services stopped by restore.stop were left stopped)' : ''
          }: restore the safety backup taken before this restore`,
        );
      }
      // Nothing dropped: what the dump ran before its first CREATE DATABASE is session settings (mariadb-dump's SETs).
      let started = '';
      if (stopped && source.restore?.start) {
        started = await runCommands(source.restore.start, 'selfHosted.sources.mariadb.restore.start', {
          signal: AbortSignal.timeout(120_000),
          log: ctx.log,
        }).then(
          () => ' (the services stopped by restore.stop were started again)',
          (e: unknown) => ` (the services stopped by restore.stop could not be started again: ${describeError(e)})`,
        );
      }
      throw withState(error, `no database was dropped: the server was left as it was${started}`);
    }
    const seconds = Math.round((performance.now() - started) / 10) / 100;
    steps.push(`dropped ${dropped.length > 0 ? `database(s) ${dropped.join(', ')}` : 'no database'} right before the dump created each again`);
    if (skipped.length > 0) steps.push(`did not drop the system schema(s) ${skipped.join(', ')} (the dump replaces their tables one by one)`);
    const usedOnly = spooled.used.filter((name) => !spooled.created.includes(name) && !SYSTEM_SCHEMAS.has(name.toLowerCase()));
    if (usedOnly.length > 0)
      steps.push(`kept database(s) ${[...new Set(usedOnly)].join(', ')} (the dump uses them without creating them): tables not in the dump were kept`);
    steps.push(
      `loaded ${MEMBER} with the mariadb client (--binary-mode --sandbox, stopping at the first error)${s.home ? ` as ${s.home.osUser}` : ` via ${source.exec!.join(' ')}`} (${seconds} s)`,
    );

    const countedNames = defaultDatabase ? [defaultDatabase] : names;
    // No database named (an empty dump): '' is no schema's name, so nothing is counted.
    const counts = parseCounts((await sql(s, countsSql(countedNames.length > 0 ? countedNames : ['']), ctx.signal, 30 * 60_000)).join('\n'));
    const load: MariadbLoadResult = {
      seconds,
      sqlBytes: spooled.bytes,
      statements: spooled.statements,
      refusedPrivileged: 0,
      refusedExamples: [],
      errors: [],
      errorCount: 0,
      dumpCompleted: spooled.dumpCompleted,
      ...(spooled.header.dumpedBy ? { dumpedBy: spooled.header.dumpedBy } : {}),
      ...(spooled.header.serverVersion ? { dumpedFrom: spooled.header.serverVersion } : {}),
      ...(defaultDatabase ? { defaultDatabase } : {}),
      clientOsUser: s.home?.osUser ?? `via ${source.exec?.join(' ')}`,
    };
    const comparison = {
      restored: {
        server_version: counts.serverVersion,
        databases: counts.databases,
        table_counts: counts.tableCounts,
        sql_bytes: spooled.bytes,
        restore_seconds: seconds,
        dropped_databases: dropped,
        ...(load.dumpedBy ? { dumped_by: load.dumpedBy } : {}),
      },
      ...compareMariadb(counts, load, recorded),
    };
    steps.push(`counted ${Object.keys(counts.tableCounts).length} tables in ${counts.databases.length} database(s)`);
    steps.push(...(await runCommands(source.restore?.start, 'selfHosted.sources.mariadb.restore.start', { signal: ctx.signal, log: ctx.log })));
    return { target: s.connection.label, steps, comparison };
  } finally {
    content.destroy();
    await rm(dir, { recursive: true, force: true });
    released(dir);
    await s.home?.remove();
  }
}

export const mariadbInPlace: InPlaceRestore<'mariadb'> = { preflight, restore };
