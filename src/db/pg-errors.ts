/**
 * Turns what pg and Node's network stack throw into EvaluationErrors a user can act on.
 * The password is never part of a message: we build messages from the target, not from the error's
 * config, and the caller's redactor masks anything else.
 */
import { EvaluationError } from '../errors.js';

/** What a message may name: the connection's target, never its password or token. */
export interface PgErrorTarget {
  target: string;
  user: string;
  host: string;
  port: number;
  sslMode: string;
  connectTimeoutMs: number;
  statementTimeoutMs: number;
  /** The password was a Microsoft Entra token (database.auth: entra). */
  entra?: boolean;
}

const TLS_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'EPROTO',
]);

export function mapPgError(error: unknown, t: PgErrorTarget): EvaluationError {
  if (error instanceof EvaluationError) return error;
  const e = error as { code?: string; message?: string; severity?: string };
  const code = e.code ?? '';
  const message = e.message ?? String(error);

  switch (code) {
    case '28P01':
      // With a token, "wrong password" would send the user hunting for a password that does not exist.
      if (t.entra) {
        return new EvaluationError(
          'auth',
          `Microsoft Entra authentication failed for user "${t.user}" on ${t.target}: the server rejected the token (database.auth: entra)`,
          `the URL's user must be the Entra principal's role, created in the server by an Entra administrator (SELECT * FROM pgaadauth_create_principal('${t.user}', false, false);), and the server must allow Microsoft Entra authentication`,
          { cause: error },
        );
      }
      return new EvaluationError(
        'auth',
        `password authentication failed for user "${t.user}" on ${t.target}`,
        'check the password in the database URL (the secret behind ${DATABASE_URL}); it is never printed',
        { cause: error },
      );
    case '28000':
      return new EvaluationError(
        'auth',
        `the server at ${t.target} rejected user "${t.user}": ${firstLine(message)}`,
        'check the user name, the pg_hba.conf rules or the Azure firewall rules, and whether the server requires TLS (sslmode=verify-full)',
        { cause: error },
      );
    case '3D000':
      return new EvaluationError(
        'not-found',
        `database "${t.target.split('/').pop()}" does not exist on ${t.host}:${t.port}`,
        'fix the database name at the end of the database URL',
        { cause: error },
      );
    case '57014':
      return new EvaluationError(
        'timeout',
        `a query on ${t.target} was cancelled after statement_timeout (${t.statementTimeoutMs} ms)`,
        'raise database.statementTimeoutMs, or look at why the server is slow',
        { cause: error },
      );
    case '25006':
      return new EvaluationError(
        'query',
        `the query tried to write in a read-only session on ${t.target}: ${firstLine(message)}`,
        'restorecheck only reads: make the configured query a plain SELECT',
        { cause: error },
      );
    case 'ECONNREFUSED':
      return new EvaluationError(
        'refused',
        `connection refused by ${t.host}:${t.port}`,
        'is PostgreSQL running and listening on that port? For Azure, check the firewall rules and the server state',
        { cause: error },
      );
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new EvaluationError(
        'unreachable',
        `host ${t.host} cannot be resolved`,
        'check the host name in the database URL and the DNS (private endpoints need the private DNS zone)',
        { cause: error },
      );
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return new EvaluationError('unreachable', `host ${t.host} is unreachable`, 'check the network path (VPN, private endpoint, firewall) to the database', {
        cause: error,
      });
    case 'ETIMEDOUT':
      return new EvaluationError(
        'timeout',
        `connecting to ${t.host}:${t.port} timed out`,
        'check the firewall rules; raise database.connectTimeoutMs if the server is only slow',
        { cause: error },
      );
    case 'ECONNRESET':
      return new EvaluationError(
        'unreachable',
        `the connection to ${t.host}:${t.port} was reset`,
        "check that the port is PostgreSQL's and that no proxy cuts the connection",
        { cause: error },
      );
  }
  if (TLS_CODES.has(code) || /certificate|SSL|TLS/i.test(message)) {
    return new EvaluationError(
      'tls',
      `TLS to ${t.host}:${t.port} failed (sslmode=${t.sslMode}): ${firstLine(message)}`,
      'for verify-full the server certificate must match the host name and chain to a trusted CA: add sslrootcert=/path/ca.pem, or fix the host name',
      { cause: error },
    );
  }
  if (/connection timeout|timeout expired|Connection terminated due to connection timeout/i.test(message)) {
    return new EvaluationError(
      'timeout',
      `no connection to ${t.host}:${t.port} within ${t.connectTimeoutMs} ms`,
      'check the firewall and that the host is right; raise database.connectTimeoutMs if the server is only slow',
      { cause: error },
    );
  }
  if (/Query read timeout/i.test(message)) {
    return new EvaluationError(
      'timeout',
      `${t.target} did not answer a query within ${t.statementTimeoutMs + 5_000} ms`,
      'the server or the network is stalled; raise database.statementTimeoutMs if the query is only slow',
      { cause: error },
    );
  }
  if (/terminated unexpectedly|Connection terminated/i.test(message)) {
    return new EvaluationError(
      'unreachable',
      `the connection to ${t.host}:${t.port} closed unexpectedly`,
      "check that the port is PostgreSQL's and the server is up",
      { cause: error },
    );
  }
  if (code.length === 5) {
    return new EvaluationError(
      'query',
      `PostgreSQL error ${code} on ${t.target}: ${firstLine(message)}`,
      'see the PostgreSQL message; the statement is the one the check names',
      { cause: error },
    );
  }
  return new EvaluationError('internal', `database call on ${t.target} failed: ${firstLine(message)}`, 'run again with RESTORECHECK_DEBUG=1 for details', {
    cause: error,
  });
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}
