/**
 * The PostgreSQL gateway: the only module that imports `pg`.
 *
 * - The URL is parsed here with libpq's sslmode meanings (disable, allow, prefer, require,
 *   verify-ca, verify-full), because pg's own parser treats `require` as `verify-full` and prints
 *   a deprecation warning; users copy their URL from psql and expect psql's behaviour.
 * - Sessions are read-only (`default_transaction_read_only=on` in the startup packet, so it holds
 *   from the first statement) with a server-side `statement_timeout`, a client-side query timeout
 *   as a second deadline, and a connection timeout.
 * - Table names from the configuration are never concatenated into SQL: `to_regclass($1)` resolves
 *   them as a bound parameter, and the resolved schema and name are quoted as identifiers.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import pg from 'pg';
import { EvaluationError } from '../errors.js';
import { mapPgError, type PgErrorTarget } from './pg-errors.js';
import type {
  AlembicVersionRead,
  ConnectionProbe,
  DatabaseGateway,
  RolePrivileges,
  DatabaseOptions,
  RowCountRead,
  SignedDocumentRow,
  SmokeQueryRead,
  TableLookup,
} from './types.js';

type SslMode = 'disable' | 'allow' | 'prefer' | 'require' | 'verify-ca' | 'verify-full';
const SSL_MODES: readonly SslMode[] = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'];

export interface ParsedPostgresUrl {
  host: string;
  port: number;
  user: string;
  password: string | undefined;
  database: string;
  /** The sslmode in force: the URL's, or the default for this host (see effectiveSslMode). */
  sslMode: SslMode;
  /** True when the URL names the sslmode; false when restorecheck chose the default. */
  sslModeExplicit: boolean;
  /** The host is this machine (loopback address, localhost, or a Unix socket directory). */
  localHost: boolean;
  sslRootCert?: string;
  applicationName?: string;
  /** host:port/dbname, safe to print. */
  target: string;
}

/**
 * Whether a host is this machine: nothing then travels over a network a third party can reach.
 * An empty host (libpq's default Unix socket), a socket directory (starts with "/" or "@"),
 * "localhost", 127.0.0.0/8 and ::1 are local; every other name or address is remote, even one
 * that happens to resolve to a loopback address (we do not trust DNS for this decision).
 */
export function isLocalHost(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, '');
  if (h === '' || h.startsWith('/') || h.startsWith('@')) return true;
  if (h === 'localhost' || h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  // IPv4-mapped loopback (::ffff:127.0.0.1)
  return /^::ffff:127\.\d+\.\d+\.\d+$/.test(h);
}

/**
 * The sslmode in force. An explicit sslmode is the user's choice and is kept (db-connectivity warns when it does
 * not verify the certificate of a remote host). Without one, libpq would use `prefer`, which falls back to
 * plaintext and never checks the certificate: a man in the middle could read patient data. So for a remote host
 * the default is `verify-full` (Node's bundled Mozilla roots, which include the DigiCert Global Root G2 and
 * Microsoft RSA Root CA 2017 that Azure Database for PostgreSQL chains to, plus NODE_EXTRA_CA_CERTS, or the
 * URL's sslrootcert). A local host keeps libpq's `prefer`.
 */
export function effectiveSslMode(explicit: string | null | undefined, host: string): SslMode {
  if (explicit) return explicit as SslMode;
  return isLocalHost(host) ? 'prefer' : 'verify-full';
}

/** Parses a postgres:// URL the way libpq would. Throws EvaluationError('config') on a bad one. */
export function parsePostgresUrl(value: string): ParsedPostgresUrl {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new EvaluationError('config', 'database.url is not a valid URL', 'use postgres://user:password@host:5432/dbname?sslmode=verify-full');
  }
  const params = url.searchParams;
  const sslExplicit = params.get('sslmode');
  if (sslExplicit !== null && !SSL_MODES.includes(sslExplicit as SslMode)) {
    const sslParam = sslExplicit;
    throw new EvaluationError(
      'config',
      `database.url: sslmode=${sslParam} is not one of ${SSL_MODES.join(', ')}`,
      'use sslmode=verify-full for Azure Database for PostgreSQL',
    );
  }
  // libpq lets ?host= name a Unix socket directory; the URL's host part may then be empty.
  const host = params.get('host') ?? decodeURIComponent(url.hostname.replace(/^\[|\]$/g, ''));
  const localHost = isLocalHost(host);
  const port = Number(params.get('port') ?? (url.port || 5432));
  const database = decodeURIComponent(url.pathname.replace(/^\//, '')) || decodeURIComponent(url.username) || 'postgres';
  const parsed: ParsedPostgresUrl = {
    host,
    port,
    user: decodeURIComponent(url.username) || process.env.PGUSER || 'postgres',
    password: url.password ? decodeURIComponent(url.password) : process.env.PGPASSWORD,
    database,
    sslMode: effectiveSslMode(sslExplicit, host),
    sslModeExplicit: sslExplicit !== null && sslExplicit !== '',
    localHost,
    target: `${host}:${port}/${database}`,
  };
  const rootCert = params.get('sslrootcert');
  if (rootCert) parsed.sslRootCert = rootCert;
  const app = params.get('application_name');
  if (app) parsed.applicationName = app;
  return parsed;
}

function tlsOptions(parsed: ParsedPostgresUrl, mode: SslMode): ConnectionOptions | false {
  if (mode === 'disable' || mode === 'allow') return false;
  const options: ConnectionOptions = {};
  if (parsed.sslRootCert && parsed.sslRootCert !== 'system') {
    try {
      options.ca = readFileSync(parsed.sslRootCert, 'utf8');
    } catch {
      throw new EvaluationError(
        'config',
        `database.url: sslrootcert ${parsed.sslRootCert} cannot be read`,
        'point sslrootcert at a readable PEM file, or remove it to use the system CAs',
      );
    }
  }
  if (mode === 'prefer' || mode === 'require') {
    // libpq: encrypt, but verify nothing (unless a root certificate is given, then like verify-ca).
    if (!parsed.sslRootCert) return { ...options, rejectUnauthorized: false };
    return { ...options, rejectUnauthorized: true, checkServerIdentity: () => undefined };
  }
  if (mode === 'verify-ca') return { ...options, rejectUnauthorized: true, checkServerIdentity: () => undefined };
  // SNI takes a host name only; for an IP address the certificate is still checked against it.
  return isIP(parsed.host) ? { ...options, rejectUnauthorized: true } : { ...options, rejectUnauthorized: true, servername: parsed.host };
}

/** Opens (lazily) a gateway to one database. Nothing connects until the first call. */
export function openDatabase(url: string, options: DatabaseOptions): DatabaseGateway {
  return new PostgresGateway(parsePostgresUrl(url), options);
}

class PostgresGateway implements DatabaseGateway {
  private pool: Promise<pg.Pool> | undefined;
  private readonly readOnly: boolean;

  constructor(
    private readonly parsed: ParsedPostgresUrl,
    private readonly options: DatabaseOptions,
  ) {
    this.readOnly = options.readOnly ?? true;
  }

  private clientConfig(ssl: ConnectionOptions | false): pg.ClientConfig {
    const startup = [`-c statement_timeout=${this.options.statementTimeoutMs}`, `-c lock_timeout=${this.options.statementTimeoutMs}`];
    if (this.readOnly) startup.push('-c default_transaction_read_only=on');
    return {
      host: this.parsed.host,
      port: this.parsed.port,
      user: this.parsed.user,
      // node-postgres calls a password function when the server asks for a password, once per new connection (pg/lib/client.js,
      // _getPassword): a pooled connection opened an hour later gets a fresh token, not the expired one of the first.
      password: this.options.password ?? this.parsed.password ?? '',
      database: this.parsed.database,
      ssl,
      options: startup.join(' '),
      application_name: this.parsed.applicationName ?? this.options.applicationName ?? 'restorecheck',
      connectionTimeoutMillis: this.options.connectTimeoutMs,
      // Client-side deadline, in case the server never answers (the server-side one cannot fire then).
      query_timeout: this.options.statementTimeoutMs + 5_000,
      keepAlive: true,
    };
  }

  /** Decides TLS once (libpq's prefer/allow fallbacks), then pools connections with that choice. */
  private getPool(): Promise<pg.Pool> {
    this.pool ??= (async () => {
      // pg's connection timeout also runs while it waits for the password function, so a missing token would read as "no
      // connection within N ms". Asked once before the first connection, it is reported as itself (the credential caches it).
      if (this.options.password) await this.options.password();
      const mode = this.parsed.sslMode;
      const first = tlsOptions(this.parsed, mode);
      let chosen = first;
      const client = new pg.Client(this.clientConfig(first));
      try {
        await client.connect();
      } catch (error) {
        await client.end().catch(() => undefined);
        const fallback = mode === 'prefer' ? false : mode === 'allow' ? tlsOptions(this.parsed, 'require') : undefined;
        if (fallback === undefined || !isTlsNegotiationFailure(error, mode)) throw mapPgError(error, this.describe());
        chosen = fallback;
        const retry = new pg.Client(this.clientConfig(fallback));
        try {
          await retry.connect();
        } catch (retryError) {
          await retry.end().catch(() => undefined);
          throw mapPgError(retryError, this.describe());
        }
        await retry.end();
        return this.makePool(chosen);
      }
      await client.end();
      return this.makePool(chosen);
    })();
    // A failed decision must not be cached: the next call (another check) tries again and reports itself.
    this.pool.catch(() => {
      this.pool = undefined;
    });
    return this.pool;
  }

  private makePool(ssl: ConnectionOptions | false): pg.Pool {
    const pool = new pg.Pool({ ...this.clientConfig(ssl), max: 4, idleTimeoutMillis: 5_000 });
    pool.on('error', () => undefined); // an idle client dying is reported by the next query, not as a crash
    return pool;
  }

  private describe(): PgErrorTarget {
    return {
      target: this.parsed.target,
      user: this.parsed.user,
      host: this.parsed.host,
      port: this.parsed.port,
      sslMode: this.parsed.sslMode,
      connectTimeoutMs: this.options.connectTimeoutMs,
      statementTimeoutMs: this.options.statementTimeoutMs,
      entra: this.options.password !== undefined,
    };
  }

  /** Borrows a pooled connection; `connectMs` is how long getting it took (TLS decision included). */
  private async withClient<T>(work: (client: pg.PoolClient, connectMs: number) => Promise<T>): Promise<T> {
    const started = performance.now();
    const pool = await this.getPool();
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (error) {
      throw mapPgError(error, this.describe());
    }
    try {
      return await work(client, performance.now() - started);
    } catch (error) {
      throw error instanceof EvaluationError ? error : mapPgError(error, this.describe());
    } finally {
      client.release();
    }
  }

  async probe(): Promise<ConnectionProbe> {
    return this.withClient(async (client, connectMs) => {
      const t0 = performance.now();
      await client.query('SELECT 1');
      const latencyMs = performance.now() - t0;
      const info = await client.query<{ server_version: string; read_only: string; ssl: boolean | null; version: string | null }>(
        `SELECT current_setting('server_version') AS server_version,
                current_setting('default_transaction_read_only') AS read_only,
                s.ssl, s.version
           FROM (SELECT 1) AS one LEFT JOIN pg_stat_ssl s ON s.pid = pg_backend_pid()`,
      );
      const row = info.rows[0]!;
      const probe: ConnectionProbe = {
        serverVersion: row.server_version,
        tls: row.ssl === true,
        latencyMs: round(latencyMs),
        connectMs: round(connectMs),
        readOnly: row.read_only === 'on',
        target: this.parsed.target,
        sslMode: this.parsed.sslMode,
        sslModeExplicit: this.parsed.sslModeExplicit,
        localHost: this.parsed.localHost,
        role: await readRolePrivileges(client),
      };
      if (row.version) probe.tlsVersion = row.version;
      return probe;
    });
  }

  private async lookupTable(client: pg.PoolClient, name: string): Promise<TableLookup> {
    try {
      const result = await client.query<{ nspname: string; relname: string }>(
        `SELECT n.nspname, c.relname
           FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
          WHERE c.oid = pg_catalog.to_regclass($1) AND c.relkind IN ('r', 'p', 'v', 'm', 'f')`,
        [name],
      );
      const row = result.rows[0];
      return row ? { found: true, schema: row.nspname, name: row.relname } : { found: false };
    } catch (error) {
      // A name that is not even valid SQL identifier syntax cannot be a table: report it as missing.
      const code = (error as { code?: string }).code;
      if (code === '42602' || code === '22P02' || code === '3F000' || code === '42601') return { found: false };
      throw error;
    }
  }

  async readAlembicVersions(table: string): Promise<AlembicVersionRead> {
    return this.withClient(async (client) => {
      const found = await this.lookupTable(client, table);
      if (!found.found) return { kind: 'missing-table', table };
      const result = await client.query<{ version_num: string }>(
        `SELECT version_num FROM ${pg.escapeIdentifier(found.schema)}.${pg.escapeIdentifier(found.name)} ORDER BY version_num`,
      );
      return { kind: 'versions', table, versions: result.rows.map((r) => r.version_num) };
    });
  }

  async countRows(table: string): Promise<RowCountRead> {
    return this.withClient(async (client) => {
      const found = await this.lookupTable(client, table);
      if (!found.found) return { kind: 'missing-table', table };
      const lockTimeoutMs = Math.max(1, Math.round(this.options.tableLockTimeoutMs ?? Math.min(this.options.statementTimeoutMs / 2, 2_000)));
      // One transaction per table: SET LOCAL bounds the wait for this table's lock only (another session holding
      // ACCESS EXCLUSIVE, e.g. a migration), so the other tables still get counted within the check's deadline.
      await client.query('BEGIN TRANSACTION READ ONLY');
      try {
        await client.query(`SET LOCAL lock_timeout = ${lockTimeoutMs}`);
        // count(*) is exact (reltuples is an estimate); ::text keeps every digit of the bigint.
        const result = await client.query<{ n: string }>(
          `SELECT count(*)::text AS n FROM ${pg.escapeIdentifier(found.schema)}.${pg.escapeIdentifier(found.name)}`,
        );
        await client.query('COMMIT');
        return { kind: 'count', table, count: BigInt(result.rows[0]!.n) };
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        const code = (error as { code?: string }).code;
        if (code === '57014') {
          throw new EvaluationError(
            'timeout',
            `counting table "${table}" was cancelled after statement_timeout (${this.options.statementTimeoutMs} ms)`,
            'raise database.statementTimeoutMs for a very large table, or look at why the server is slow',
            { cause: error },
          );
        }
        if (code === '55P03') {
          throw new EvaluationError(
            'timeout',
            `table "${table}" is locked by another session: no lock within ${lockTimeoutMs} ms`,
            "find the session holding the lock (SELECT * FROM pg_locks JOIN pg_stat_activity USING (pid) WHERE NOT granted OR mode = 'AccessExclusiveLock'), e.g. a migration, and run again after it",
            { cause: error },
          );
        }
        throw error;
      }
    });
  }

  async querySignedDocument(sql: string): Promise<SignedDocumentRow | null> {
    return this.withClient(async (client) => {
      await client.query('BEGIN TRANSACTION READ ONLY');
      try {
        // The extended protocol refuses several statements in one string: the query is one SELECT.
        const result = await client.query({ text: sql, queryMode: 'extended' } as pg.QueryConfig);
        const row = result.rows[0] as Record<string, unknown> | undefined;
        if (!row) return null;
        return toSignedDocumentRow(
          row,
          result.fields.map((f) => f.name),
        );
      } finally {
        await client.query('ROLLBACK').catch(() => undefined);
      }
    });
  }

  async queryTimestamp(sql: string): Promise<string | null> {
    return this.withClient(async (client) => {
      await client.query('BEGIN TRANSACTION READ ONLY');
      try {
        // The value is read as PostgreSQL's own text in UTC and ISO style, not through pg's parsers: pg reads a timestamp
        // without time zone in this process's local zone, which would shift the measured RPO by the machine's UTC offset.
        await client.query("SET LOCAL TimeZone = 'UTC'");
        await client.query('SET LOCAL DateStyle = ISO');
        const asText = { getTypeParser: () => (value: string) => value };
        const result = await client.query({ text: sql, queryMode: 'extended', types: asText } as unknown as pg.QueryConfig);
        const field = result.fields[0];
        const value = field ? (result.rows[0] as Record<string, unknown> | undefined)?.[field.name] : undefined;
        if (value === undefined || value === null) return null;
        return timestampText(String(value), field?.dataTypeID ?? 0);
      } finally {
        await client.query('ROLLBACK').catch(() => undefined);
      }
    });
  }

  async runSmokeQuery(sql: string, options: { timeoutMs: number; signal?: AbortSignal }): Promise<SmokeQueryRead> {
    const timeoutMs = Math.max(1, Math.round(options.timeoutMs));
    const seconds = Math.round(timeoutMs / 100) / 10;
    const pool = await this.getPool();
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (error) {
      throw mapPgError(error, this.describe());
    }
    // The server's statement_timeout is the deadline; this one is for a server (or network) that stopped answering:
    // then pg's own query timeout would leave the connection busy, so the connection is dropped instead.
    const clientDeadlineMs = timeoutMs + 5_000;
    let broken = false;
    let stop: (() => void) | undefined;
    const stopped = new Promise<never>((_, reject) => {
      const fail = (error: EvaluationError) => {
        broken = true;
        reject(error);
      };
      const timer = setTimeout(
        () =>
          fail(
            new EvaluationError(
              'timeout',
              `no answer from ${this.parsed.target} within the smoke query's deadline (restoreTest.smokeTimeoutSeconds: ${seconds} s, plus 5 s): the connection was dropped`,
              'the server or the network stopped answering: check the restored server, or raise restoreTest.smokeTimeoutSeconds',
            ),
          ),
        clientDeadlineMs,
      );
      const onAbort = () => fail(new EvaluationError('timeout', 'the smoke query was interrupted', 'run the restore test again'));
      options.signal?.addEventListener('abort', onAbort, { once: true });
      stop = () => {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
      };
    });
    stopped.catch(() => undefined);
    // Every value as PostgreSQL's own text (no pg parsers): an expectation compares with what psql would print.
    const asText = { getTypeParser: () => (value: string) => value };
    const perQuery = { query_timeout: clientDeadlineMs + 5_000 };
    const work = (async (): Promise<SmokeQueryRead> => {
      await client.query({ text: 'BEGIN TRANSACTION READ ONLY', ...perQuery });
      try {
        await client.query({ text: `SET LOCAL statement_timeout = ${timeoutMs}`, ...perQuery });
        // The extended protocol refuses several statements in one string: one query, one statement.
        const result = await client.query({ text: sql, queryMode: 'extended', types: asText, ...perQuery } as unknown as pg.QueryConfig);
        const field = result.fields[0];
        const row = result.rows[0] as Record<string, unknown> | undefined;
        const read: SmokeQueryRead = { rows: result.rows.length };
        if (field) read.column = { name: field.name, type: PG_TYPE_NAMES[field.dataTypeID] ?? `oid ${field.dataTypeID}` };
        if (field && row) {
          const value = row[field.name];
          read.firstValue = value === null || value === undefined ? null : String(value);
        }
        return read;
      } finally {
        if (!broken) await client.query({ text: 'ROLLBACK', ...perQuery }).catch(() => undefined);
      }
    })();
    work.catch(() => undefined);
    try {
      if (options.signal?.aborted) throw new EvaluationError('timeout', 'the smoke query was interrupted', 'run the restore test again');
      return await Promise.race([work, stopped]);
    } catch (error) {
      if ((error as { code?: string }).code === '57014') {
        throw new EvaluationError(
          'timeout',
          `the query was cancelled at its deadline (restoreTest.smokeTimeoutSeconds: ${seconds} s)`,
          'make the query cheaper (an index, a LIMIT), or raise restoreTest.smokeTimeoutSeconds',
          { cause: error },
        );
      }
      throw error instanceof EvaluationError ? error : mapPgError(error, this.describe());
    } finally {
      stop?.();
      // A dropped connection is destroyed (its session, and the query in it, end with it), never handed to the pool again.
      client.release(broken ? new Error('smoke query deadline') : undefined);
    }
  }

  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    if (!pool) return;
    try {
      await (await pool).end();
    } catch {
      // the pool never opened: nothing to close
    }
  }
}

/** Names of the common types, for the report (any other type is shown by its oid). */
const PG_TYPE_NAMES: Record<number, string> = {
  16: 'bool',
  20: 'int8',
  21: 'int2',
  23: 'int4',
  25: 'text',
  700: 'float4',
  701: 'float8',
  1042: 'bpchar',
  1043: 'varchar',
  1082: 'date',
  1114: 'timestamp',
  1184: 'timestamptz',
  1700: 'numeric',
  2950: 'uuid',
  3802: 'jsonb',
  114: 'json',
};

const WRITABLE_TABLES_SHOWN = 5;

/**
 * The connected role's attributes. has_table_privilege counts ownership and grants through roles;
 * pg_write_all_data exists from PostgreSQL 14 on, hence to_regrole (NULL before).
 */
async function readRolePrivileges(client: pg.PoolClient): Promise<RolePrivileges> {
  const role = await client.query<{ name: string; superuser: boolean; write_all: boolean }>(
    `SELECT r.rolname AS name, r.rolsuper AS superuser,
            CASE WHEN pg_catalog.to_regrole('pg_write_all_data') IS NULL THEN false
                 ELSE pg_catalog.pg_has_role(r.oid, pg_catalog.to_regrole('pg_write_all_data'), 'USAGE') END AS write_all
       FROM pg_catalog.pg_roles r WHERE r.rolname = current_user`,
  );
  const tables = await client.query<{ name: string; total: string }>(
    `SELECT pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname) AS name, (count(*) OVER ())::text AS total
       FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
        AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'
        AND pg_catalog.has_table_privilege(c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE')
      ORDER BY 1 LIMIT ${WRITABLE_TABLES_SHOWN}`,
  );
  const r = role.rows[0];
  return {
    name: r?.name ?? '',
    superuser: r?.superuser === true,
    writeAllData: r?.write_all === true,
    writableTableCount: Number(tables.rows[0]?.total ?? 0),
    writableTables: tables.rows.map((t) => t.name),
  };
}

/** Columns `blob_name` and `sha256` by name, else the first and second column. */
function toSignedDocumentRow(row: Record<string, unknown>, fields: string[]): SignedDocumentRow {
  const nameKey = fields.includes('blob_name') ? 'blob_name' : fields[0];
  const hashKey = fields.includes('sha256') ? 'sha256' : fields.length > 1 && !fields.includes('blob_name') ? fields[1] : undefined;
  const blobName = nameKey === undefined ? undefined : row[nameKey];
  if (typeof blobName !== 'string' || blobName.trim() === '') {
    throw new EvaluationError(
      'query',
      'the signed-document query returned a row without a blob name',
      'make the query return the blob name as its first column (or a column named blob_name)',
    );
  }
  const out: SignedDocumentRow = { blobName };
  const rawHash = hashKey === undefined ? undefined : row[hashKey];
  if (rawHash !== null && rawHash !== undefined && rawHash !== '') {
    out.sha256 = normaliseSha256(rawHash);
  }
  return out;
}

const TIMESTAMP_TYPES: Record<number, string> = { 1082: 'date', 1114: 'timestamp', 1184: 'timestamptz' };

/** PostgreSQL's ISO text of a date or timestamp (session in UTC) as ISO 8601 UTC; anything else is a query error. */
function timestampText(text: string, typeId: number): string {
  const hint = 'make restoreTest.freshnessQuery return one timestamp, e.g. SELECT max(created_at) FROM appointments';
  if (!TIMESTAMP_TYPES[typeId]) {
    throw new EvaluationError('query', `the freshness query returned "${text.slice(0, 40)}" (type oid ${typeId}), not a timestamp or date`, hint);
  }
  // "2026-11-21 03:00:00.123456+00", "2026-11-21 03:00:00" (no zone: read as UTC) or "2026-11-21"; infinity and BC are refused.
  const m = /^(\d{4}-\d{2}-\d{2})(?: (\d{2}:\d{2}:\d{2})(\.\d+)?([+-]\d{2}(?::?\d{2}){0,2})?)?$/.exec(text);
  const ms = m ? Date.parse(`${m[1]}T${m[2] ?? '00:00:00'}${(m[3] ?? '').slice(0, 4)}${zone(m[4])}`) : Number.NaN;
  if (Number.isNaN(ms)) throw new EvaluationError('query', `the freshness query returned "${text.slice(0, 40)}", which is not a point in time`, hint);
  return new Date(ms).toISOString();
}

/** "+00" → "+00:00", "+0530"/"+05:30" → "+05:30"; seconds of a historical offset are dropped; none → "Z". */
function zone(offset: string | undefined): string {
  if (!offset) return 'Z';
  const digits = offset.slice(1).replace(/:/g, '');
  return `${offset[0]}${digits.slice(0, 2)}:${digits.slice(2, 4) || '00'}`;
}

/** Accepts hex (any case), base64 of 32 bytes, or a bytea; returns lower-case hex. */
export function normaliseSha256(value: unknown): string {
  if (Buffer.isBuffer(value) && value.length === 32) return value.toString('hex');
  if (typeof value === 'string') {
    const trimmed = value.trim().replace(/^sha256[:=]/i, '');
    if (/^[0-9a-fA-F]{64}$/.test(trimmed)) return trimmed.toLowerCase();
    if (/^[A-Za-z0-9+/]{43}=$/.test(trimmed)) return Buffer.from(trimmed, 'base64').toString('hex');
  }
  throw new EvaluationError(
    'query',
    'the signed-document query returned a sha256 value that is not a SHA-256 (64 hex digits or base64)',
    'return the stored digest as hex text, or leave the column out',
  );
}

function isTlsNegotiationFailure(error: unknown, mode: SslMode): boolean {
  const message = error instanceof Error ? error.message : String(error);
  if (mode === 'prefer') return /does not support SSL/i.test(message);
  // allow: plain first; the server may demand encryption (pg_hba hostssl).
  return /no pg_hba\.conf entry .*no encryption|SSL off/i.test(message);
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
