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
}

/** A relation resolved by `to_regclass`, with the safely quoted name to use in SQL. */
export type TableLookup = { found: false } | { found: true; schema: string; name: string };

export type AlembicVersionRead =
  | { kind: 'missing-table'; table: string }
  | { kind: 'versions'; table: string; versions: string[] };

/** A row count as exact text: bigint counts can exceed 2^53. */
export type RowCountRead = { kind: 'missing-table'; table: string } | { kind: 'count'; table: string; count: bigint };

export interface SignedDocumentRow {
  blobName: string;
  /** Lower-case hex SHA-256 when the database stores one. */
  sha256?: string;
}

export interface DatabaseGateway {
  /** Opens a connection and describes it. */
  probe(): Promise<ConnectionProbe>;
  readAlembicVersions(table: string): Promise<AlembicVersionRead>;
  countRows(table: string): Promise<RowCountRead>;
  /** Runs the configured query in a read-only transaction; null when it returns no row. */
  querySignedDocument(sql: string): Promise<SignedDocumentRow | null>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  statementTimeoutMs: number;
  connectTimeoutMs: number;
  /** Default true: `check` never writes. */
  readOnly?: boolean;
  applicationName?: string;
}
