/**
 * The PostgreSQL token provider of database.auth: entra, with credentials that stand for the ways signing in fails
 * (the real credential against the simulator's identity endpoint is in test/db/entra-auth.test.ts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TokenCredential } from '@azure/core-auth';
import { AggregateAuthenticationError, CredentialUnavailableError } from '@azure/identity';
import { POSTGRES_ENTRA_SCOPE, postgresTokenProvider } from '../../src/azure/postgres-token.js';
import { mapPgError } from '../../src/db/pg-errors.js';
import { EvaluationError } from '../../src/errors.js';

const credential = (getToken: TokenCredential['getToken']): TokenCredential => ({ getToken });

describe('postgresTokenProvider', () => {
  it('asks for the Azure Database for PostgreSQL scope at every call and returns the token', async () => {
    const asked: Array<string | string[]> = [];
    let n = 0;
    const provider = postgresTokenProvider(
      credential(async (scopes) => {
        asked.push(scopes);
        return { token: `t-${++n}`, expiresOnTimestamp: Date.now() + 3_600_000 };
      }),
    );
    assert.equal(await provider(), 't-1');
    assert.equal(await provider(), 't-2');
    assert.deepEqual(asked, [POSTGRES_ENTRA_SCOPE, POSTGRES_ENTRA_SCOPE]);
    assert.equal(POSTGRES_ENTRA_SCOPE, 'https://ossrdbms-aad.database.windows.net/.default');
  });

  it('without any credential says so, naming the scope, with the ways to sign in', async () => {
    const provider = postgresTokenProvider(
      credential(async () => {
        throw new AggregateAuthenticationError([new CredentialUnavailableError('no env'), new CredentialUnavailableError('no az')], 'chain failed');
      }),
    );
    await assert.rejects(provider(), (error: unknown) => {
      assert.ok(error instanceof EvaluationError);
      assert.equal(error.kind, 'auth');
      assert.match(error.message, /no Microsoft Entra token for Azure Database for PostgreSQL .*no Azure credential is available/);
      assert.match(error.hint, /az login.*managed identity.*OIDC/);
      return true;
    });
  });

  it('keeps the first line of a sign-in failure, and a credential that returns no token is no token', async () => {
    const failing = postgresTokenProvider(
      credential(async () => {
        throw new Error('AADSTS700016: Application not found in the directory\nTrace ID: …');
      }),
    );
    await assert.rejects(failing(), /Azure sign-in failed: AADSTS700016: Application not found in the directory$/);
    const empty = postgresTokenProvider(credential(async () => null));
    await assert.rejects(empty(), /no Microsoft Entra token.*returned no token/);
  });
});

describe('a rejected token (28P01)', () => {
  const target = { target: 'db:5432/app', user: 'ci-identity', host: 'db', port: 5432, sslMode: 'verify-full', connectTimeoutMs: 1, statementTimeoutMs: 1 };
  const rejected = Object.assign(new Error('password authentication failed for user "ci-identity"'), { code: '28P01' });

  it('names Microsoft Entra and pgaadauth_create_principal with a token, the password without one', () => {
    const entra = mapPgError(rejected, { ...target, entra: true });
    assert.match(entra.message, /^Microsoft Entra authentication failed for user "ci-identity" on db:5432\/app: the server rejected the token/);
    assert.match(entra.hint, /pgaadauth_create_principal\('ci-identity', false, false\)/);
    assert.match(mapPgError(rejected, target).message, /^password authentication failed/);
  });
});
