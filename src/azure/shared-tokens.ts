/**
 * One token per audience for a whole fleet run. Hundreds of gateways, each with its own SDK client and bearer policy,
 * ask the credential for a token at the same moment when the run starts; the credential's own cache fills only once the
 * first answer is in, so without this each of them would ask the identity endpoint (and Entra ID) itself.
 *
 * The first caller's request is shared by every caller for the same scopes until it settles; the token is then served
 * from here until five minutes before it expires (longer than the bearer policy's own two-minute refresh window, so a
 * refresh always reaches the credential). The shared request is not bound to any one caller's abort signal (the
 * credential below has its own deadline, boundedCredential); each caller stops waiting when its own signal aborts.
 */
import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/core-auth';
import { abortError } from '../deadline.js';

const REFRESH_MARGIN_MS = 5 * 60_000;

export interface SharedTokenCredential extends TokenCredential {
  /** Tokens asked of the credential underneath (a test's count: one per audience for the whole run). */
  readonly fetched: number;
}

export function sharedTokens(inner: TokenCredential): SharedTokenCredential {
  const tokens = new Map<string, AccessToken>();
  const pending = new Map<string, Promise<AccessToken | null>>();
  let fetched = 0;
  return {
    get fetched() {
      return fetched;
    },
    async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken | null> {
      // A claims challenge (continuous access evaluation) asks for a fresh token: never served from here.
      if (options?.claims) return inner.getToken(scopes, options);
      const key = JSON.stringify([[scopes].flat(), options?.tenantId ?? '', options?.enableCae ?? false]);
      const cached = tokens.get(key);
      if (cached && cached.expiresOnTimestamp - Date.now() > REFRESH_MARGIN_MS) return cached;
      let request = pending.get(key);
      if (!request) {
        fetched++;
        const { abortSignal: _callers, ...shared } = options ?? {};
        request = inner
          .getToken(scopes, shared)
          .then((token) => {
            if (token) tokens.set(key, token);
            return token;
          })
          .finally(() => pending.delete(key));
        // A caller that stopped waiting must not leave an unhandled rejection behind.
        request.catch(() => undefined);
        pending.set(key, request);
      }
      const signal = options?.abortSignal;
      if (!signal) return request;
      // The caller stops waiting when its signal aborts, with the SDK's own AbortError (as boundedCredential's callers do).
      if (signal.aborted) throw abortError();
      return new Promise<AccessToken | null>((resolve, reject) => {
        const onAbort = () => reject(abortError());
        signal.addEventListener('abort', onAbort);
        request.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
      });
    },
  };
}
