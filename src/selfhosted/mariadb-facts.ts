/**
 * What a MariaDB server and a MariaDB dump hold, as the backup, the restore test and the in-place restore all read it:
 * the client's connection options (the password in MYSQL_PWD), the exact count of every table in one snapshot, the
 * dump's own header, and the comparison of a restored server with the backup's facts (metadata.json's
 * `components.mariadb`).
 */
import { z } from 'zod';
import { EvaluationError } from '../errors.js';
import { maskUrl } from '../secrets/redact.js';
import type { JsonValue } from '../vocabulary.js';
import type { RestoreComparison, SourceOf } from './component.js';

type Source = SourceOf<'mariadb'>;
const MEMBER = 'mariadb_full.sql.gz';

/** Schemas mariadb-dump --all-databases leaves out. */
const NOT_DUMPED = ['information_schema', 'performance_schema', 'sys'];
/** Schemas whose tables are not counted (the server's own). */
const NOT_COUNTED = ['mysql', ...NOT_DUMPED];

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

const tableCountsSchema = z.record(z.string(), z.number().int().nonnegative());
const databasesSchema = z.array(z.string());

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
