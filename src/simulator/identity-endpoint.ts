/**
 * The App Service-style managed-identity token endpoint (IDENTITY_ENDPOINT / IDENTITY_HEADER), so
 * that the unchanged DefaultAzureCredential signs in, and the check of the bearer token every
 * Resource Manager call must carry: one this endpoint issued, unexpired, and not a storage token; and the check of
 * the blob data plane's, which must be one issued for the storage audience.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { send } from './arm-http.js';
import type { RequestRecord } from './simulator-types.js';

export const MSI_PATH = '/msi/token';
export const MSI_API_VERSION = '2019-08-01';

export interface IssuedToken {
  resource: string;
  /** Seconds since the epoch. */
  expiresOn: number;
}

/** What the endpoint needs of the simulator's state (kept narrow, so that this module does not import it). */
export interface TokenBook {
  readonly identityHeader: string;
  readonly tokens: Map<string, IssuedToken>;
  now(): Date;
}

/** A token shaped like Entra ID's (a JWT; unsigned, since only this simulator reads it). */
export function issueToken(resource: string, expiresOn: number): string {
  const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const claims = { aud: resource, iss: 'https://sts.windows.net/restorecheck-simulator/', exp: expiresOn, oid: randomUUID(), jti: randomUUID() };
  return `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.${randomBytes(16).toString('base64url')}`;
}

/** The Azure Database for PostgreSQL audience, as MSAL sends it (the scope without "/.default"). */
export const OSSRDBMS_RESOURCE = 'https://ossrdbms-aad.database.windows.net';

/** The simulated managed identity (system-assigned: one per simulator). */
const CLIENT_ID = '11111111-1111-1111-1111-111111111111';

// Database tokens, per book: one per (identity, resource) for the simulator's life. Why the same token every time:
// Azure Database for PostgreSQL checks an Entra token against Entra itself, which a throwaway PostgreSQL cannot do.
// The honest stand-in is a password check: the test sets the token the simulator will issue as the
// SCRAM password of the principal's role (ALTER ROLE "<principal>" PASSWORD '<token>'), so that PostgreSQL accepts
// exactly the tokens this identity endpoint issued for the ossrdbms audience and rejects any other (a stale token, one
// for Resource Manager, a typed password). A restored copy keeps the role and its password (pg_dumpall), as a restored
// Flexible Server keeps its Entra principals.
const databaseTokens = new WeakMap<TokenBook, Map<string, { token: string; expiresOn: number }>>();

const normalisedResource = (resource: string) => resource.replace(/\/\.default$/, '').replace(/\/+$/, '');

/**
 * The token the identity endpoint issues for `resource` (default: Azure Database for PostgreSQL), the same at every
 * request while the simulator runs: the value to set as the PostgreSQL role's password (see above).
 */
export function databaseToken(book: TokenBook, resource = OSSRDBMS_RESOURCE): { token: string; expiresOn: number } {
  const tokens = databaseTokens.get(book) ?? new Map<string, { token: string; expiresOn: number }>();
  databaseTokens.set(book, tokens);
  const key = `${CLIENT_ID}|${normalisedResource(resource).toLowerCase()}`;
  let issued = tokens.get(key);
  if (!issued) {
    // A day: longer than any test or demo, so that the credential's cache and the role's password stay the same token.
    const expiresOn = Math.floor(book.now().getTime() / 1000) + 24 * 3600;
    issued = { token: issueToken(normalisedResource(resource), expiresOn), expiresOn };
    tokens.set(key, issued);
    book.tokens.set(issued.token, { resource: normalisedResource(resource), expiresOn });
  }
  return issued;
}

export function handleIdentity(book: TokenBook, req: IncomingMessage, res: ServerResponse, url: URL) {
  // App Service managed identity protocol, as @azure/identity (MSAL) sends it: GET IDENTITY_ENDPOINT
  // ?api-version=2019-08-01&resource=… with the X-IDENTITY-HEADER secret.
  if (req.headers['x-identity-header'] !== book.identityHeader) {
    return send(res, 401, { statusCode: 401, message: 'The X-IDENTITY-HEADER header is missing or wrong.' });
  }
  if (url.searchParams.get('api-version') !== MSI_API_VERSION) return send(res, 400, { statusCode: 400, message: `api-version must be ${MSI_API_VERSION}.` });
  const resource = url.searchParams.get('resource');
  if (!resource) return send(res, 400, { statusCode: 400, message: 'The resource query parameter is required.' });
  if (normalisedResource(resource).toLowerCase() === OSSRDBMS_RESOURCE) {
    const { token, expiresOn } = databaseToken(book, resource);
    return send(res, 200, { access_token: token, expires_on: String(expiresOn), resource, token_type: 'Bearer', client_id: CLIENT_ID });
  }
  const expiresOn = Math.floor(book.now().getTime() / 1000) + 3600;
  const token = issueToken(resource, expiresOn);
  book.tokens.set(token, { resource, expiresOn });
  return send(res, 200, { access_token: token, expires_on: String(expiresOn), resource, token_type: 'Bearer', client_id: CLIENT_ID });
}

/** The Azure Storage audience (the SDKs' scope `https://storage.azure.com/.default`, as MSAL sends it). */
export const STORAGE_RESOURCE = 'https://storage.azure.com';

/**
 * The bearer token of a blob data-plane request: `valid` only if this endpoint issued it for the storage audience and
 * it has not expired; `wrong-audience` for one of ours for another audience (Resource Manager's); `invalid` otherwise.
 */
export function storageTokenState(book: TokenBook, req: IncomingMessage): 'none' | 'valid' | 'invalid' | 'wrong-audience' | 'expired' {
  const header = req.headers.authorization;
  if (!header) return 'none';
  const match = /^Bearer (\S+)$/.exec(header);
  const issued = match ? book.tokens.get(match[1]!) : undefined;
  if (!issued) return 'invalid';
  if (issued.expiresOn * 1000 < book.now().getTime()) return 'expired';
  return normalisedResource(issued.resource).toLowerCase() === STORAGE_RESOURCE ? 'valid' : 'wrong-audience';
}

export function tokenState(book: TokenBook, req: IncomingMessage): RequestRecord['token'] {
  const header = req.headers.authorization;
  if (!header) return 'none';
  const match = /^Bearer (\S+)$/.exec(header);
  const issued = match ? book.tokens.get(match[1]!) : undefined;
  // A storage or database token is not a Resource Manager token.
  if (!issued || issued.expiresOn * 1000 < book.now().getTime() || /storage\.azure\.com|ossrdbms-aad/i.test(issued.resource)) return 'invalid';
  return 'valid';
}
