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
import { z } from 'zod';
import { EvaluationError, RestoreFailedError } from '../errors.js';
import { ClientCommandRefused, MariadbInputGuard, SYSTEM_SCHEMAS } from '../restore/mariadb-input-guard.js';
import { sandboxUser } from '../restore/sandbox-user.js';
import { maskUrl } from '../secrets/redact.js';
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
import { writeMember } from './member-writer.js';
import { type ThrowawayMariadb, mariadbBinaries, startThrowawayMariadb } from './throwaway-mariadb.js';
import { type ToolCommand, runToolForOutput, startTool, toolVersion } from './tool-process.js';

type Source = SourceOf<'mariadb'>;
const MEMBER = 'mariadb_full.sql.gz';
const PACKAGE = 'mariadb-client';
/** Schemas mariadb-dump --all-databases leaves out. */
const NOT_DUMPED = ['information_schema', 'performance_schema', 'sys'];
/** Schemas whose tables are not counted (the server's own). */
const NOT_COUNTED = ['mysql', ...NOT_DUMPED];
/** Counts output: a line per table; thousands of tables stay far below this. */
const MAX_COUNT_OUTPUT = 64 * 1024 * 1024;

interface Connection {
  /** Connection options of both mariadb and mariadb-dump (no password). */
  args: string[];
  env: Record<string, string>;
  /** Without any secret. */
  label: string;
}

export function mariadbConnection(source: Source): Connection {
  let host: string | undefined;
  let port: number | undefined;
  let user: string | undefined;
  let password: string | undefined;
  if (source.url !== undefined) {
    const url = new URL(source.url);
    host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    port = url.port ? Number(url.port) : 3306;
    user = url.username ? decodeURIComponent(url.username) : undefined;
    password = url.password ? decodeURIComponent(url.password) : undefined;
  } else if (source.host !== undefined) {
    host = source.host;
    port = source.port ?? 3306;
    user = source.user;
    password = source.password;
  } else {
    user = source.user;
    password = source.password;
  }
  // --protocol: the client would otherwise take `localhost` to mean its default socket, not the port configured.
  const args = host !== undefined ? [`--host=${host}`, `--port=${port}`, '--protocol=TCP'] : [`--socket=${source.socket}`, '--protocol=SOCKET'];
  if (user !== undefined) args.push(`--user=${user}`);
  const label =
    source.url !== undefined
      ? maskUrl(source.url)
      : host !== undefined
        ? `mariadb://${user ? `${user}@` : ''}${host}:${port}`
        : `mariadb://${user ? `${user}@` : ''}localhost (socket ${source.socket})`;
  return { args, env: password ? { MYSQL_PWD: password } : {}, label };
}

function command(source: Source, tool: string, args: string[], env: Record<string, string> = {}): ToolCommand {
  return { component: 'mariadb', debianPackage: PACKAGE, exec: source.exec, tool, args, env };
}

/** The arguments of mariadb-dump after the connection options. */
export function mariadbDumpArgs(source: Source): string[] {
  return ['--single-transaction', '--routines', '--events', '--triggers', ...(source.databases ? ['--databases', ...source.databases] : ['--all-databases'])];
}

const literal = (value: string) => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
const list = (values: readonly string[]) => values.map(literal).join(', ');

/**
 * One session: the server's version, the dumped databases, then the count of every base table, all in one consistent
 * snapshot. The count query is built by the server itself from information_schema (a prepared statement), so that the
 * list of tables and their counts come from the same session.
 */
export function countsSql(databases: readonly string[] | undefined): string {
  const dumped = databases ? `schema_name IN (${list(databases)})` : `schema_name NOT IN (${list(NOT_DUMPED)})`;
  const counted =
    `table_type IN ('BASE TABLE', 'SYSTEM VERSIONED') AND table_schema NOT IN (${list(NOT_COUNTED)})` +
    (databases ? ` AND table_schema IN (${list(databases)})` : '');
  const ident = (column: string) => `'\`', REPLACE(${column}, '\`', '\`\`'), '\`'`;
  return [
    'SET SESSION group_concat_max_len = 1073741824;',
    'SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ;',
    'START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY;',
    "SELECT 'version', VERSION();",
    `SELECT 'database', schema_name FROM information_schema.schemata WHERE ${dumped} ORDER BY schema_name;`,
    `SELECT IFNULL(GROUP_CONCAT(CONCAT('SELECT ''count'', ', QUOTE(CONCAT(table_schema, '.', table_name)), ', COUNT(*) FROM ', ${ident('table_schema')}, '.', ${ident('table_name')})` +
      ` ORDER BY table_schema, table_name SEPARATOR ' UNION ALL '), 'SELECT ''none'', NULL, NULL') INTO @restorecheck_counts` +
      ` FROM information_schema.tables WHERE ${counted};`,
    'PREPARE restorecheck_counts FROM @restorecheck_counts;',
    'EXECUTE restorecheck_counts;',
    'DEALLOCATE PREPARE restorecheck_counts;',
    'COMMIT;',
  ].join('\n');
}

/** A field of `mariadb -B` output: tabs, newlines, NUL and backslashes come escaped. */
function unescapeField(value: string): string {
  return value.replace(/\\(.)/g, (_, c: string) => ({ t: '\t', n: '\n', '0': '\0', '\\': '\\' })[c] ?? c);
}

export interface CountsResult {
  serverVersion: string;
  databases: string[];
  tableCounts: Record<string, number>;
}

export function parseCounts(output: string): CountsResult {
  let serverVersion: string | undefined;
  const databases: string[] = [];
  const tableCounts: Record<string, number> = {};
  for (const line of output.split('\n')) {
    if (line === '') continue;
    const [kind, ...rest] = line.split('\t').map(unescapeField);
    if (kind === 'version') serverVersion = rest[0];
    else if (kind === 'database' && rest[0] !== undefined) databases.push(rest[0]);
    else if (kind === 'count' && rest.length === 2 && /^\d+$/.test(rest[1]!)) tableCounts[rest[0]!] = Number(rest[1]);
    else if (kind !== 'none') {
      throw new EvaluationError('invalid-response', `mariadb: unexpected output while counting rows: ${line.slice(0, 200)}`, 'report this as a bug');
    }
  }
  if (!serverVersion)
    throw new EvaluationError('invalid-response', 'mariadb: the server did not return its version', 'check that the source is a MariaDB or MySQL server');
  return { serverVersion, databases, tableCounts };
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

export interface MariadbLoadResult {
  seconds: number;
  /** Bytes of SQL fed to the client (the decompressed member). */
  sqlBytes: number;
  statements: number;
  refusedPrivileged: number;
  /** The first few refused statements' errors, as the server said them. */
  refusedExamples: string[];
  /** Errors that are failures (syntax, a cut statement, a constraint…): the first few. */
  errors: string[];
  errorCount: number;
  dumpCompleted: boolean;
  dumpedBy?: string;
  dumpedFrom?: string;
  /** The schema the client started in: the dump's header names one when it holds a single database without CREATE DATABASE. */
  defaultDatabase?: string;
  clientOsUser: string;
}

export interface DumpHeader {
  /** `MariaDB dump 10.19  Distrib 10.11.19-MariaDB, for debian-linux-gnu (x86_64)` */
  dumpedBy?: string;
  /** `-- Server version\t10.11.19-MariaDB-0+deb12u1` */
  serverVersion?: string;
  /** `-- Host: localhost    Database: agenda` (empty for --all-databases). */
  database?: string;
}

/** What mariadb-dump's comment header says (its first lines). */
export function parseDumpHeader(text: string): DumpHeader {
  const header: DumpHeader = {};
  const by = /^-- ((?:MariaDB|MySQL) dump .+?)\s*$/m.exec(text)?.[1];
  const from = /^-- Server version\s+(.+?)\s*$/m.exec(text)?.[1];
  const database = /^-- Host: .*?\s+Database: (.*?)\s*$/m.exec(text)?.[1];
  if (by) header.dumpedBy = by;
  if (from) header.serverVersion = from;
  if (database) header.database = database;
  return header;
}

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

const tableCountsSchema = z.record(z.string(), z.number().int().nonnegative());
const databasesSchema = z.array(z.string());

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

/** The restored copy against metadata.json's `components.mariadb` (see the backup's facts above). */
export function compareMariadb(
  restored: CountsResult,
  load: MariadbLoadResult | undefined,
  recorded: Record<string, JsonValue> | undefined,
): Pick<RestoreComparison, 'matched' | 'differences' | 'notCompared'> {
  const matched: string[] = [];
  const differences: string[] = [];
  const notCompared: string[] = [];
  if (!load) differences.push(`${MEMBER} was never loaded into the throwaway server`);
  if (load && !load.dumpCompleted) {
    if (load.dumpedBy) differences.push(`the dump ends without mariadb-dump's closing line "-- Dump completed": it is cut short`);
    else notCompared.push('whether the dump is complete (it has no mariadb-dump header, hence no closing line to look for)');
  }
  const counts = tableCountsSchema.safeParse(recorded?.table_counts);
  if (recorded?.table_counts === undefined) notCompared.push('per-table row counts (the metadata records none)');
  else if (!counts.success) notCompared.push("per-table row counts (the metadata's table_counts is not a map of table to count)");
  else {
    for (const table of Object.keys(counts.data).sort()) {
      const want = counts.data[table]!;
      const got = restored.tableCounts[table];
      if (got === undefined) differences.push(`table ${table} (${want} rows in the metadata) is missing from the restore`);
      else if (got !== want) differences.push(`table ${table}: the restore holds ${got} rows, the metadata records ${want}`);
      else matched.push(`table ${table}`);
    }
    for (const table of Object.keys(restored.tableCounts).sort()) {
      if (!(table in counts.data)) differences.push(`table ${table} was restored (${restored.tableCounts[table]} rows) but the metadata records no such table`);
    }
  }
  const databases = databasesSchema.safeParse(recorded?.databases);
  if (databases.success) {
    for (const name of [...databases.data].sort()) {
      if (restored.databases.includes(name)) matched.push(`database ${name}`);
      else differences.push(`database ${name} is in the metadata but was not restored`);
    }
  }
  const dumpBytes = recorded?.dump_bytes;
  if (load && typeof dumpBytes === 'number') {
    if (dumpBytes === load.sqlBytes) matched.push('dump bytes');
    else differences.push(`the dump holds ${load.sqlBytes} bytes of SQL, the metadata records ${dumpBytes}`);
  }
  return { matched, differences, notCompared };
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
};
