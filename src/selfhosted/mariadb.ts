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
import { EvaluationError } from '../errors.js';
import { maskUrl } from '../secrets/redact.js';
import type { BackupContext, ComponentBackup, SelfHostedComponent, SourceOf } from './component.js';
import { writeMember } from './member-writer.js';
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
};
