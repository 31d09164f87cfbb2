/**
 * database.auth: entra — the password of a PostgreSQL connection is a Microsoft Entra access token for Azure
 * Database for PostgreSQL, from the same DefaultAzureCredential as the Azure calls. Nothing is stored: the token is
 * asked for per new connection (the credential caches it until it is close to expiring), and it lives only in pg's
 * connection. It never reaches a message: errors name the principal and the target, and the redactor masks any
 * JWT-shaped text (src/secrets/redact.ts) in case a library echoes one.
 */
import type { TokenCredential } from '@azure/core-auth';
import { EvaluationError } from '../errors.js';
import { createCredential } from './azure-settings.js';

/** The token audience of Azure Database for PostgreSQL (and MySQL): the same in every public-cloud region. */
export const POSTGRES_ENTRA_SCOPE = 'https://ossrdbms-aad.database.windows.net/.default';

const SIGN_IN_HINT =
  'sign in the identity restorecheck runs as: `az login` on a workstation, the managed identity of the Azure VM or job, or in CI azure/login with a federated credential (OIDC, AZURE_CLIENT_ID / AZURE_TENANT_ID / AZURE_FEDERATED_TOKEN_FILE)';

function firstLine(text: string): string {
  const line = text.split('\n').find((l) => l.trim() !== '') ?? text;
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}

/** The message of a credential's failure, with the scope named: the same identity may have an Azure token and no database one. */
function noToken(error: unknown): EvaluationError {
  const e = typeof error === 'object' && error !== null ? (error as { name?: string; message?: string; errors?: unknown[] }) : {};
  const unavailable =
    e.name === 'CredentialUnavailableError' ||
    (e.name === 'AggregateAuthenticationError' &&
      Array.isArray(e.errors) &&
      e.errors.every((inner) => (inner as { name?: string } | null)?.name === 'CredentialUnavailableError'));
  const why = unavailable
    ? 'no Azure credential is available (DefaultAzureCredential tried environment variables, workload identity, managed identity and the Azure CLI)'
    : `Azure sign-in failed: ${firstLine(e.message ?? String(error))}`;
  return new EvaluationError(
    'auth',
    `no Microsoft Entra token for Azure Database for PostgreSQL (database.auth: entra, scope ${POSTGRES_ENTRA_SCOPE}): ${why}`,
    SIGN_IN_HINT,
    { cause: error },
  );
}

/** Asks `credential` for a PostgreSQL token at every call: node-postgres calls it once per new connection. */
export function postgresTokenProvider(credential: TokenCredential): () => Promise<string> {
  return async () => {
    let token: Awaited<ReturnType<TokenCredential['getToken']>>;
    try {
      token = await credential.getToken(POSTGRES_ENTRA_SCOPE);
    } catch (error) {
      // boundedCredential's own errors (hung or unreachable identity endpoint) already say what to do.
      if (error instanceof EvaluationError) throw error;
      throw noToken(error);
    }
    if (!token?.token) throw noToken(new Error('the credential returned no token'));
    return token.token;
  };
}

/** The provider of a run that has no azure section: a credential of its own, each token request bounded by `tokenTimeoutMs`. */
export function standalonePostgresTokenProvider(tokenTimeoutMs: number): () => Promise<string> {
  return postgresTokenProvider(createCredential(tokenTimeoutMs));
}
