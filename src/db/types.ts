/**
 * What the checks may ask of a PostgreSQL database, in plain types. Only src/db/ imports `pg`.
 * Every method throws EvaluationError (with a hint) when it cannot answer.
 */

export interface ConnectionProbe {
  /** `SHOW server_version`, e.g. "15.18 (Debian 15.18-0+deb12u1)". */
  serverVersion: string;
  /** True when the session is encrypted, as the server itself sees it (pg_stat_ssl). */
  tls: boolean;
  tlsVersion?: string;
  /** Round trip of one `SELECT 1` on the open connection. */
  latencyMs: number;
  /** Time to open the connection (TCP, TLS, authentication). */
  connectMs: number;
  /** The session really is read-only (`default_transaction_read_only`). */
  readOnly: boolean;
  /** host:port/dbname, without credentials. */
  target: string;
  /** The sslmode in force, whether the URL named it, and whether the host is this machine. */
  sslMode: string;
  sslModeExplicit: boolean;
  localHost: boolean;
  /** What the connected role could do outside restorecheck's read-only session. */
  role: RolePrivileges;
}

/**
 * The role's power, as the server reports it. restorecheck's session is read-only, but the credentials
 * themselves are a secret stored in CI: a leaked writer or superuser password can change patient data.
 */
export interface RolePrivileges {
  name: string;
  superuser: boolean;
  /** Member of pg_write_all_data (PostgreSQL 14+). */
  writeAllData: boolean;
  /** Tables (outside the system schemas) on which it holds INSERT, UPDATE, DELETE or TRUNCATE, owned ones included. */
  writableTableCount: number;
  /** The first few of them, schema-qualified, for the message. */
  writableTables: string[];
}

/** A relation resolved by `to_regclass`, with the safely quoted name to use in SQL. */
export type TableLookup = { found: false } | { found: true; schema: string; name: string };

export type AlembicVersionRead = { kind: 'missing-table'; table: string } | { kind: 'versions'; table: string; versions: string[] };

/** A row count as exact text: bigint counts can exceed 2^53. */
export type RowCountRead = { kind: 'missing-table'; table: string } | { kind: 'count'; table: string; count: bigint };

export interface SignedDocumentRow {
  blobName: string;
  /** Lower-case hex SHA-256 when the database stores one. */
  sha256?: string;
}

/** What a smoke query returned: its row count, and the first column of the first row in PostgreSQL's text form. */
export interface SmokeQueryRead {
  rows: number;
  /** Absent: no row (or no column); null: SQL NULL; otherwise PostgreSQL's own text of the value (`t`, `42`, `1.50`). */
  firstValue?: string | null;
  /** The first column: its name and type (`int8`, `bool`, `numeric`…; `oid N` for a type without a name here). */
  column?: { name: string; type: string };
}

export interface DatabaseGateway {
  /** Opens a connection and describes it. */
  probe(): Promise<ConnectionProbe>;
  readAlembicVersions(table: string): Promise<AlembicVersionRead>;
  countRows(table: string): Promise<RowCountRead>;
  /** Runs the configured query in a read-only transaction; null when it returns no row. */
  querySignedDocument(sql: string): Promise<SignedDocumentRow | null>;
  /**
   * Runs a query returning one timestamp (restoreTest.freshnessQuery) in a read-only transaction: the first column of the
   * first row as ISO 8601 UTC, or null for no row or a NULL value. A timestamp without time zone is read as UTC.
   */
  queryTimestamp(sql: string): Promise<string | null>;
  /**
   * Runs one smoke query (restoreTest.smoke) in a read-only transaction with `SET LOCAL statement_timeout` at
   * `timeoutMs`, and a client-side deadline a little later that drops the connection (a server that stopped answering
   * must not hang the run); `signal` drops it too. Throws EvaluationError: `timeout` past a deadline or on the signal,
   * `query` (or the mapped kind) when the server refuses the query.
   */
  runSmokeQuery(sql: string, options: { timeoutMs: number; signal?: AbortSignal }): Promise<SmokeQueryRead>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  statementTimeoutMs: number;
  connectTimeoutMs: number;
  /**
   * How long one table count may wait for its lock (SET LOCAL lock_timeout), so that a table locked by another
   * session is reported as not counted instead of eating the whole check deadline. Default: min(statementTimeoutMs / 2, 2000), below the statement timeout so the lock is named as the reason.
   */
  tableLockTimeoutMs?: number;
  /** Default true: `check` never writes. */
  readOnly?: boolean;
  /**
   * database.auth: entra: called for every new connection, its answer (a Microsoft Entra token) is the password, and the URL's
   * password and PGPASSWORD are not used. It throws EvaluationError (with a hint) when there is no token. Absent: the URL's password.
   */
  password?: () => Promise<string>;
  applicationName?: string;
}
