/**
 * MariaDB (or MySQL): `mariadb-dump --single-transaction --routines --events --triggers` of every database
 * (`--all-databases`) or of `databases` (`--databases a b`) → gzip → `mariadb_full.sql.gz`.
 *
 * Before the dump, one `mariadb` session reads the exact row count of every base table of the dumped databases (not
 * mysql, information_schema, performance_schema, sys) inside `START TRANSACTION WITH CONSISTENT SNAPSHOT`. MariaDB
 * cannot hand that snapshot to mariadb-dump (there is no pg_export_snapshot), and the dump's own `--single-transaction`
 * opens a second one: the counts are exact for a quiescent database only, and the facts say so
 * (`snapshot_consistent_counts: false`), unlike PostgreSQL's.
 *
 * The connection is `url` (mariadb:// or mysql://), host/port/user/password, or a Unix socket. The password goes through
 * MYSQL_PWD, never the command line (`ps` would show it); behind an exec prefix, `docker compose exec -e MYSQL_PWD …`
 * forwards it.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { statfs } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { EvaluationError, RestoreFailedError } from '../errors.js';
import { ClientCommandRefused, MariadbInputGuard, SYSTEM_SCHEMAS } from '../restore/mariadb-input-guard.js';
import { sandboxUser } from '../restore/sandbox-user.js';
import type { JsonValue } from '../vocabulary.js';
import type {
  BackupContext,
  ComponentBackup,
  ComponentRestoreTest,
  RestoreComparison,
  RestoreSession,
  RestoreTestContext,
  SelfHostedComponent,
  SourceOf,
} from './component.js';
import { mariadbInPlace } from './mariadb-in-place.js';
import { writeMember } from './member-writer.js';
import { type ThrowawayMariadb, mariadbBinaries, startThrowawayMariadb } from './throwaway-mariadb.js';
import { type ToolCommand, runToolForOutput, startTool, toolVersion } from './tool-process.js';
import { type MariadbLoadResult, compareMariadb, countsSql, mariadbConnection, parseCounts, parseDumpHeader } from './mariadb-facts.js';

type Source = SourceOf<'mariadb'>;
const MEMBER = 'mariadb_full.sql.gz';
const PACKAGE = 'mariadb-client';
/** Counts output: a line per table; thousands of tables stay far below this. */
const MAX_COUNT_OUTPUT = 64 * 1024 * 1024;

function command(source: Source, tool: string, args: string[], env: Record<string, string> = {}): ToolCommand {
  return { component: 'mariadb', debianPackage: PACKAGE, exec: source.exec, tool, args, env };
}

/** The arguments of mariadb-dump after the connection options. */
export function mariadbDumpArgs(source: Source): string[] {
  return ['--single-transaction', '--routines', '--events', '--triggers', ...(source.databases ? ['--databases', ...source.databases] : ['--all-databases'])];
}

// ---------------------------------------------------------------------------------------------------------------
// Restore test: mariadb_full.sql.gz into a throwaway mariadbd (throwaway-mariadb.ts), then the exact count of every table.

/** The account the dump is loaded as: privileges on the dump's own schemas, granted as the dump names them, nothing else. */
const RESTORE_USER = 'restorecheck_restore';
/** The longest error message kept (a syntax error quotes the statement). */
const ERROR_TEXT = 300;

/**
 * Errors of statements that need what the restore account does not have, on purpose: another DEFINER (SUPER / SET USER),
 * accounts and grants (CREATE USER, GRANT), global settings (SET GLOBAL, sql_log_bin), the server's own `mysql` schema
 * (an --all-databases dump restores its accounts), files (FILE, secure_file_priv, LOAD DATA LOCAL). They are expected
 * of a dump loaded by an unprivileged account, and counted, not failures: the tables and their rows are what is compared.
 */
const PRIVILEGE_ERRORS = new Set([
  1044, // access denied to database
  1045, // access denied for user (GRANT … TO an account it may not touch)
  1095, // not the owner of the thread (KILL)
  1133, // no such account (GRANT / SET PASSWORD for an account of the source)
  1142, // command denied for a table (the mysql schema)
  1143, // command denied for a column
  1227, // you need (at least one of) the SUPER, SET USER, CREATE USER, … privilege(s)
  1290, // --secure-file-priv
  1370, // command denied for a routine
  1410, // not allowed to create a user with GRANT
  4166, // LOAD DATA LOCAL disabled
]);
/** A full disk where the throwaway server writes: not the dump's fault. */
const DISK_FULL = /No space left on device|errno: 28\b|error 28\b|Disk full|The table '[^']*' is full/i;

/** A schema name as a GRANT takes it: quoted, and its `_` and `%` not wildcards. */
function grantTarget(name: string): string {
  return `\`${name.replace(/`/g, '``').replace(/([_%\\])/g, '\\$1')}\``;
}

const quoteIdent = (name: string) => `\`${name.replace(/`/g, '``')}\``;

/** A name mariadb accepts for a schema (at most 64 characters, no control character): anything else is not granted. */
const plausibleSchema = (name: string) =>
  [...name].length <= 64 && name.length > 0 && !/[\u0000-\u001f\u007f]/.test(name) && !SYSTEM_SCHEMAS.has(name.toLowerCase());

let clientFacts: Promise<{ version: string; sandbox: boolean } | undefined> | undefined;
/** The client's version and whether it has `--sandbox` (MariaDB 10.5.25, 10.6.18, 10.11.8, 11.x and newer): read once. */
function readClientFacts(client: string): Promise<{ version: string; sandbox: boolean } | undefined> {
  const read = async () => {
    const output = (args: string[]) =>
      new Promise<string>((resolve) => {
        const child = spawn(client, args, { stdio: ['ignore', 'pipe', 'ignore'], timeout: 20_000, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
        let out = '';
        child.stdout.setEncoding('utf8').on('data', (text: string) => {
          if (out.length < 1024 * 1024) out += text;
        });
        child.once('error', () => resolve(''));
        child.once('close', () => resolve(out));
      });
    const [version, help] = await Promise.all([output(['--no-defaults', '--version']), output(['--no-defaults', '--help'])]);
    if (!version) return undefined;
    return { version: version.split('\n')[0]!.trim(), sandbox: /^\s*--sandbox\b/m.test(help) };
  };
  clientFacts ??= read();
  return clientFacts;
}

/** Splits the client's stderr into its ERROR lines (with --force it goes on after each, and says which line failed). */
class ClientErrors {
  refusedPrivileged = 0;
  refusedExamples: string[] = [];
  errors: string[] = [];
  errorCount = 0;
  /** The client itself refused a command (its sandbox mode, or binary mode's "Unknown command"): the guard missed it. */
  clientRefusal: string | undefined;
  /** The connection to the server was lost (2006, 2013): the server died or dropped the client. */
  connectionLost: string | undefined;
  diskFull = false;
  private carry = '';

  feed(text: string): void {
    const lines = (this.carry + text).split('\n');
    this.carry = (lines.pop() ?? '').slice(-64 * 1024);
    for (const line of lines) this.line(line);
  }

  end(): void {
    if (this.carry) this.line(this.carry);
    this.carry = '';
  }

  private line(line: string): void {
    if (DISK_FULL.test(line)) this.diskFull = true;
    const server = /^ERROR (\d+) \(([0-9A-Z]{5})\)(?: at line \d+)?(?: in file: .*?)?: /.exec(line);
    if (server) {
      const code = Number(server[1]);
      const text = line.slice(0, ERROR_TEXT);
      if (PRIVILEGE_ERRORS.has(code)) {
        this.refusedPrivileged++;
        if (this.refusedExamples.length < 5) this.refusedExamples.push(text);
      } else if (code >= 2000 && code < 3000) {
        this.connectionLost ??= text;
        this.count(text);
      } else this.count(text);
      return;
    }
    const client = /^ERROR(?: at line \d+)?: (.*)$/.exec(line);
    if (client) {
      if (/sandbox mode|Unknown command/i.test(client[1]!)) this.clientRefusal ??= line.slice(0, ERROR_TEXT);
      this.count(line.slice(0, ERROR_TEXT));
    }
  }

  private count(text: string): void {
    this.errorCount++;
    if (this.errors.length < 10) this.errors.push(text);
  }
}

/** Reads the dump's first lines (its comment header), then hands back a stream of the whole dump, counting its bytes. */
async function withHeader(content: Readable): Promise<{ header: string; stream: Readable; bytes: () => number }> {
  const iterator: AsyncIterator<Buffer> = content[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let headBytes = 0;
  let done = false;
  // mariadb-dump's header is some 1 KB of comments before the first statement: enough to read it, never the whole dump.
  while (headBytes < 64 * 1024) {
    const next = await iterator.next();
    if (next.done) {
      done = true;
      break;
    }
    const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value);
    head.push(chunk);
    headBytes += chunk.length;
    const text = Buffer.concat(head).toString('latin1');
    if (text.split('\n').some((line, i, all) => i < all.length - 1 && line.trim() !== '' && !line.startsWith('--') && !/^\/\*M?!999999\\-/.test(line))) break;
  }
  let bytes = headBytes;
  async function* all(): AsyncGenerator<Buffer> {
    try {
      for (const chunk of head) yield chunk;
      while (!done) {
        const next = await iterator.next();
        if (next.done) break;
        const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value);
        bytes += chunk.length;
        yield chunk;
      }
    } finally {
      if (!content.destroyed && !content.readableEnded) content.destroy();
    }
  }
  return { header: Buffer.concat(head).toString('utf8'), stream: Readable.from(all(), { objectMode: false }), bytes: () => bytes };
}

/**
 * Loads a dump (the decompressed SQL) into the throwaway server: the guard in front of the client, the client as the
 * restore account with `--sandbox --binary-mode` (no client command but DELIMITER), as the sandbox OS user.
 *
 * `--force`: the client goes on after an error, as psql does without ON_ERROR_STOP. An unprivileged load meets expected
 * refusals (a view's DEFINER=root, CREATE USER, the mysql schema): stopping at the first would restore nothing after it.
 * So every error is read from stderr and classified; the load fails (RestoreFailedError) when any error is not one of
 * the expected refusals, naming the first, after the whole dump was tried (so the evidence counts them all).
 */
export async function loadMariadbDump(
  server: ThrowawayMariadb,
  account: { user: string; password: string },
  content: Readable,
  signal: AbortSignal,
  log: { info(message: string): void } = { info: () => undefined },
): Promise<MariadbLoadResult> {
  const started = performance.now();
  const { header: headerText, stream, bytes } = await withHeader(content);
  const header = parseDumpHeader(headerText);
  const granted = new Set<string>();
  const grant = async (name: string, create: boolean) => {
    if (granted.has(name) || !plausibleSchema(name)) return;
    granted.add(name);
    // Before the statement runs: the database-level grant also lets the account create the schema it names.
    await server.sql(
      `${create ? `CREATE DATABASE IF NOT EXISTS ${quoteIdent(name)}; ` : ''}GRANT ALL PRIVILEGES ON ${grantTarget(name)}.* TO '${RESTORE_USER}'@'localhost';`,
      {
        timeoutMs: 60_000,
        signal,
      },
    );
  };
  // A dump of one database made without --databases has no CREATE DATABASE and no USE: its tables go into the database
  // the client starts in, the one its header names (as `mariadb agenda < dump` would restore it).
  let defaultDatabase: string | undefined;
  if (header.database && plausibleSchema(header.database)) {
    defaultDatabase = header.database;
    await grant(defaultDatabase, true);
  }

  const invocation = server.client(account.user, account.password, [
    '--binary-mode',
    '--sandbox',
    '--force',
    '--batch',
    '--skip-reconnect',
    '--local-infile=0',
    '--default-character-set=utf8mb4',
    '--max-allowed-packet=1G',
    '--connect-timeout=30',
    ...(defaultDatabase ? [`--database=${defaultDatabase}`] : []),
  ]);
  const client = spawn(invocation.file, invocation.args, {
    env: invocation.env,
    cwd: invocation.cwd,
    stdio: ['pipe', 'ignore', 'pipe'],
    ...(invocation.uid !== undefined ? { uid: invocation.uid, gid: invocation.gid } : {}),
  });
  const errors = new ClientErrors();
  client.stderr.setEncoding('utf8').on('data', (text: string) => errors.feed(text));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    client.once('error', reject);
    client.once('close', (code, killedBy) => resolve({ code, signal: killedBy }));
  });
  // The client closing its input early (it died) must not crash this process with EPIPE.
  client.stdin.on('error', () => undefined);
  const guard = new MariadbInputGuard(
    {
      database: async (name, statement) => {
        log.info(`mariadb: the dump ${statement === 'create' ? 'creates' : 'uses'} database ${name}`);
        // USE of a schema the dump did not create (dumped with --no-create-db): create it, as the dump expects it.
        await grant(name, statement === 'use');
      },
    },
    // Killed before its input closes: at the end of its input the client would run the statement it holds.
    () => client.kill('SIGKILL'),
  );
  const onAbort = () => {
    client.kill('SIGKILL');
    stream.destroy(new Error('interrupted'));
  };
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });
  try {
    await pipeline(stream, guard, client.stdin);
  } catch (error) {
    client.kill('SIGKILL');
    await exited.catch(() => undefined);
    if (error instanceof ClientCommandRefused) {
      throw new RestoreFailedError(`mariadb_full.sql.gz: ${error.message}`, REFUSED_HINT, { cause: error });
    }
    if (signal.aborted) throw new EvaluationError('timeout', 'the MariaDB restore was interrupted', 'run the restore test again', { cause: error });
    await throwIfDiskFull(server, errors.diskFull, error);
    throw new EvaluationError(
      'invalid-response',
      `mariadb_full.sql.gz could not be read to the end: ${(error as Error).message}`,
      'verify the archive (restorecheck verify) and regenerate the backup',
      {
        cause: error,
      },
    );
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
  const exit = await exited;
  errors.end();
  await throwIfDiskFull(server, errors.diskFull);
  const result: MariadbLoadResult = {
    seconds: Math.round((performance.now() - started) / 10) / 100,
    sqlBytes: bytes(),
    statements: guard.statements,
    refusedPrivileged: errors.refusedPrivileged,
    refusedExamples: errors.refusedExamples,
    errors: errors.errors,
    errorCount: errors.errorCount,
    dumpCompleted: guard.dumpCompleted,
    ...(header.dumpedBy ? { dumpedBy: header.dumpedBy } : {}),
    ...(header.serverVersion ? { dumpedFrom: header.serverVersion } : {}),
    ...(defaultDatabase ? { defaultDatabase } : {}),
    clientOsUser: server.osUser,
  };
  if (errors.clientRefusal) {
    throw new RestoreFailedError(
      `mariadb_full.sql.gz: the mariadb client refused a command of the dump (${errors.clientRefusal}); restorecheck refuses to run a dump that can execute commands`,
      REFUSED_HINT,
    );
  }
  if (errors.connectionLost) {
    const tail = (await server.log()).trim().split('\n').slice(-5).join(' / ');
    throw new EvaluationError(
      'tool',
      `the throwaway mariadbd dropped the restore (${errors.connectionLost})${tail ? `; its log: ${tail}` : ''}`,
      'run the restore test again; if it recurs, restore the dump by hand into MariaDB of the same version to see why',
    );
  }
  if (exit.code !== 0 && errors.errorCount === 0) {
    throw new EvaluationError(
      'tool',
      `the mariadb client ${exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`} while restoring`,
      'check the MariaDB client installation (apt-get install mariadb-client)',
    );
  }
  if (errors.errorCount > 0) {
    const cut = result.dumpCompleted || !header.dumpedBy ? '' : ' (the dump ends without mariadb-dump\'s "-- Dump completed" line: it is cut short)';
    throw Object.assign(
      new RestoreFailedError(
        `mariadb_full.sql.gz does not restore: ${errors.errorCount} ${errors.errorCount === 1 ? 'statement' : 'statements'} failed${cut}; the first: ${errors.errors[0]}`,
        'restore the dump by hand into a MariaDB of the same version (mariadb --force < dump) to see every error; regenerate the backup if the dump is damaged',
      ),
      { load: result },
    );
  }
  return result;
}

const REFUSED_HINT =
  'do not restore this dump: mariadb-dump never writes client commands, so the file was altered or made by hand; make a new backup from the database and find out who could write to the backups';

/** A full TMPDIR stops the server's writes; the client only says "table is full" or errno 28. Name the cause. */
async function throwIfDiskFull(server: ThrowawayMariadb, said: boolean, cause?: unknown): Promise<void> {
  let free: number | undefined;
  try {
    const s = await statfs(server.dir);
    free = s.bavail * s.bsize;
  } catch {
    // the directory is gone: fall back to the client's words
  }
  if (!said && (free === undefined || free >= 16 * 1024 * 1024)) return;
  throw new EvaluationError(
    'tool',
    `disk full in ${server.dir} (ENOSPC${free !== undefined ? `, ${Math.floor(free / 1024)} KiB free` : ''}): the throwaway MariaDB could not write the restored data`,
    'free space there, or point TMPDIR at a directory with room for the restored databases (e.g. TMPDIR=/var/tmp restorecheck restore-test …)',
    cause === undefined ? {} : { cause },
  );
}

class MariadbRestoreSession implements RestoreSession {
  readonly target: string;
  private load_: MariadbLoadResult | undefined;
  private loadFailed = false;
  private disposed: Promise<{ removed: string[]; leftover: string[] }> | undefined;

  constructor(
    private readonly server: ThrowawayMariadb,
    private readonly password: string,
    private readonly ctx: RestoreTestContext,
    private readonly client: { version: string },
  ) {
    this.target = `throwaway mariadbd ${server.version} (Unix socket only, no network; OS user ${server.osUser})`;
  }

  async load(member: string, content: Readable): Promise<void> {
    if (member !== MEMBER) {
      content.destroy();
      throw new EvaluationError('internal', `mariadb: no restore for member ${member}`, 'report this as a bug');
    }
    if (this.load_ || this.loadFailed) {
      content.destroy();
      throw new EvaluationError('internal', `mariadb: ${MEMBER} was handed over twice`, 'report this as a bug');
    }
    this.ctx.log.info(`mariadb: loading ${MEMBER} into ${this.target}`);
    try {
      this.load_ = await loadMariadbDump(this.server, { user: RESTORE_USER, password: this.password }, content, this.ctx.signal, this.ctx.log);
    } catch (error) {
      this.loadFailed = true;
      // A load that failed still restored what it could: compare() reports it too, if asked.
      const partial = (error as { load?: MariadbLoadResult }).load;
      if (partial) this.load_ = partial;
      throw error;
    }
  }

  async compare(recorded: Record<string, JsonValue> | undefined): Promise<RestoreComparison> {
    const output = await this.server.sql(countsSql(undefined), { timeoutMs: 30 * 60_000, signal: this.ctx.signal, maxBuffer: MAX_COUNT_OUTPUT });
    const counts = parseCounts(output);
    const load = this.load_;
    const restored: Record<string, JsonValue> = {
      server_version: counts.serverVersion,
      client_version: this.client.version,
      os_user: this.server.osUser,
      databases: counts.databases,
      table_counts: counts.tableCounts,
    };
    if (load) {
      Object.assign(restored, {
        restore_seconds: load.seconds,
        sql_bytes: load.sqlBytes,
        statements: load.statements,
        statements_refused_privileged: load.refusedPrivileged,
        statements_failed: load.errorCount,
        dump_completed: load.dumpCompleted,
        ...(load.refusedExamples.length ? { refused_examples: load.refusedExamples } : {}),
        ...(load.errors.length ? { errors: load.errors } : {}),
        ...(load.dumpedBy ? { dumped_by: load.dumpedBy } : {}),
        ...(load.dumpedFrom ? { dumped_from: load.dumpedFrom } : {}),
        ...(load.defaultDatabase ? { default_database: load.defaultDatabase } : {}),
      });
    }
    return { restored, ...compareMariadb(counts, load, recorded) };
  }

  dispose(): Promise<{ removed: string[]; leftover: string[] }> {
    this.disposed ??= this.server
      .stop()
      .then((outcome) => (outcome.removed ? { removed: [this.server.dir], leftover: [] } : { removed: [], leftover: [this.server.dir] }));
    return this.disposed.then(
      (first) => first,
      () => ({ removed: [], leftover: [this.server.dir] }),
    );
  }
}

const restoreTest: ComponentRestoreTest = {
  async unavailable() {
    const binaries = mariadbBinaries();
    if ('missing' in binaries) return binaries.missing;
    try {
      sandboxUser();
    } catch (error) {
      return (error as Error).message;
    }
    const facts = await readClientFacts(binaries.client);
    if (!facts) return `the mariadb client (${binaries.client}) does not run`;
    if (!facts.sandbox) {
      return `the mariadb client here (${facts.version}) has no --sandbox mode (MariaDB 10.5.25, 10.6.18, 10.11.8 and later have it): restorecheck does not load a dump without it`;
    }
    return undefined;
  },
  async start(ctx) {
    const binaries = mariadbBinaries();
    if ('missing' in binaries) throw new EvaluationError('tool', binaries.missing, 'install MariaDB on this machine to restore-test MariaDB dumps');
    const facts = await readClientFacts(binaries.client);
    if (!facts?.sandbox)
      throw new EvaluationError('tool', 'the mariadb client has no --sandbox mode', 'install MariaDB 10.11.8 or later (apt-get install mariadb-client)');
    const server = await startThrowawayMariadb({ signal: ctx.signal });
    try {
      const password = randomBytes(18).toString('hex');
      // The restore account: nothing global. SELECT on one empty table of the mysql schema only so that an
      // --all-databases dump's `USE mysql` succeeds (and every write into it is refused): were USE refused, the mysql
      // tables that follow would be created in the schema the client was in before.
      await server.sql(
        `CREATE USER '${RESTORE_USER}'@'localhost' IDENTIFIED BY '${password}'; GRANT SELECT ON mysql.time_zone_leap_second TO '${RESTORE_USER}'@'localhost';`,
        { timeoutMs: 60_000, signal: ctx.signal },
      );
      ctx.log.info(`mariadb: ${server.version} started for the restore test (${server.dir})`);
      return new MariadbRestoreSession(server, password, ctx, facts);
    } catch (error) {
      await server.stop();
      throw error;
    }
  },
};

export const mariadb: SelfHostedComponent<'mariadb'> = {
  name: 'mariadb',
  members: [MEMBER],
  describe: (source) => `${mariadbConnection(source).label}${source.exec ? ` via ${source.exec.join(' ')}` : ''}`,
  async toolVersion(source, signal) {
    const [dump] = await Promise.all([
      toolVersion(command(source, 'mariadb-dump', []), signal),
      // The client reads the table counts: without it the backup could not say what the dump holds.
      toolVersion(command(source, 'mariadb', []), signal),
    ]);
    return { name: 'mariadb-dump', version: dump };
  },
  async backup(source, ctx: BackupContext): Promise<ComponentBackup> {
    const connection = mariadbConnection(source);
    const output = await runToolForOutput(
      command(source, 'mariadb', [...connection.args, '-N', '-B', '-e', countsSql(source.databases)], connection.env),
      ctx.signal,
      MAX_COUNT_OUTPUT,
    );
    const counts = parseCounts(output);
    const absent = (source.databases ?? []).filter((name) => !counts.databases.includes(name));
    if (absent.length > 0) {
      throw new EvaluationError(
        'not-found',
        `mariadb: ${absent.length === 1 ? 'database' : 'databases'} ${absent.join(', ')} not found on ${connection.label}`,
        'correct selfHosted.sources.mariadb.databases (or remove it to dump every database)',
      );
    }

    ctx.log.info(`mariadb: mariadb-dump of ${counts.databases.join(', ') || '(no database)'} (${counts.serverVersion})`);
    const dump = startTool(command(source, 'mariadb-dump', [...connection.args, ...mariadbDumpArgs(source)], connection.env), ctx.signal);
    const [written] = await Promise.all([
      writeMember(dump.stdout, MEMBER, `${ctx.spoolDir}/${MEMBER}`, { gzip: true, signal: ctx.signal, onProgress: ctx.progress }),
      dump.done,
    ]);
    return {
      members: [{ path: written.path, file: written.file, sha256: written.sha256, size: written.size }],
      facts: {
        server_version: counts.serverVersion,
        databases: counts.databases,
        table_counts: counts.tableCounts,
        dump_bytes: written.rawBytes,
        snapshot_consistent_counts: false,
        counts_snapshot:
          'read in a consistent snapshot of their own just before the dump (mariadb-dump opens another): exact when nothing writes during the backup',
      },
    };
  },
  restoreTest,
  inPlace: mariadbInPlace,
};
