/**
 * The pieces a fleet run shares, on their own: the request cap (a semaphore and its pipeline policy, placed after the
 * bearer policy so that a retry's wait holds no slot) and the one-token-per-audience credential. The pipeline here is
 * core-rest-pipeline's own, with a transport that answers from a script: what is under test is the policies' order and
 * the slots, not Azure (the simulator tests in fleet-gateways.test.ts do that).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import {
  bearerTokenAuthenticationPolicy,
  bearerTokenAuthenticationPolicyName,
  createHttpHeaders,
  createPipelineFromOptions,
  createPipelineRequest,
  type HttpClient,
  type PipelineRequest,
} from '@azure/core-rest-pipeline';
import { guardPipeline } from '../../src/azure/azure-settings.js';
import { requestGuardPolicyName } from '../../src/azure/request-guard.js';
import { RequestLimiter, requestLimiterPolicyName } from '../../src/azure/request-limiter.js';
import { sharedTokens } from '../../src/azure/shared-tokens.js';

const ENDPOINT = 'https://management.example.test';
const token = (expiresInMs = 3600_000): AccessToken => ({ token: `t-${Math.random()}`, expiresOnTimestamp: Date.now() + expiresInMs });
const staticCredential: TokenCredential = { getToken: async () => token() };

function pipelineWith(limiter: RequestLimiter) {
  const pipeline = createPipelineFromOptions({ retryOptions: { maxRetries: 3, retryDelayInMs: 10, maxRetryDelayInMs: 5_000 } });
  pipeline.addPolicy(bearerTokenAuthenticationPolicy({ credential: staticCredential, scopes: `${ENDPOINT}/.default` }));
  guardPipeline(pipeline, {
    subscriptionId: '00000000-0000-0000-0000-000000000000',
    endpoint: ENDPOINT,
    requestTimeoutMs: 30_000,
    maxRetries: 3,
    maxRetryAfterSeconds: 5,
    maxPages: 10,
    credential: staticCredential,
    limiter,
  });
  return pipeline;
}

describe('RequestLimiter', () => {
  it('lets `max` through at once, the rest in arrival order, and counts the peak', async () => {
    const limiter = new RequestLimiter(2);
    const order: string[] = [];
    const releases = await Promise.all([limiter.acquire(), limiter.acquire()]);
    const waiting = ['c', 'd', 'e'].map(async (name) => {
      const release = await limiter.acquire();
      order.push(name);
      return release;
    });
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(order, [], 'nobody past the cap');
    assert.equal(limiter.inFlight, 2);
    releases[0]!();
    releases[0]!(); // a second release of the same slot changes nothing
    const c = await waiting[0]!;
    assert.deepEqual(order, ['c']);
    assert.equal(limiter.inFlight, 2);
    releases[1]!();
    c();
    for (const release of await Promise.all(waiting.slice(1))) release();
    assert.deepEqual(order, ['c', 'd', 'e']);
    assert.equal(limiter.inFlight, 0);
    assert.equal(limiter.peak, 2);
  });

  it('drops a waiter whose signal aborts (AbortError), without losing the slot', async () => {
    const limiter = new RequestLimiter(1);
    const held = await limiter.acquire();
    const controller = new AbortController();
    const aborted = limiter.acquire(controller.signal);
    controller.abort();
    await assert.rejects(aborted, { name: 'AbortError' });
    held();
    const next = await limiter.acquire();
    assert.equal(limiter.inFlight, 1);
    next();
    assert.equal(limiter.inFlight, 0);
  });

  it('sits after the retry policy, the request guard and the bearer policy', () => {
    const names = pipelineWith(new RequestLimiter(1))
      .getOrderedPolicies()
      .map((p) => p.name);
    const at = (name: string) => names.indexOf(name);
    assert.ok(at('defaultRetryPolicy') >= 0 && at(requestGuardPolicyName) > at('defaultRetryPolicy'), names.join());
    assert.ok(at(bearerTokenAuthenticationPolicyName) > at(requestGuardPolicyName), names.join());
    assert.ok(at(requestLimiterPolicyName) > at(bearerTokenAuthenticationPolicyName), names.join());
  });

  it('holds no slot while a retry waits out Retry-After', async () => {
    const limiter = new RequestLimiter(1);
    const pipeline = pipelineWith(limiter);
    const sent: string[] = [];
    let throttledOnce = false;
    const transport: HttpClient = {
      async sendRequest(request: PipelineRequest) {
        const name = new URL(request.url).pathname.slice(1);
        sent.push(name);
        assert.equal(limiter.inFlight, 1, 'each attempt holds the one slot');
        assert.match(request.headers.get('authorization') ?? '', /^Bearer t-/);
        if (name === 'first' && !throttledOnce) {
          throttledOnce = true;
          return { request, status: 429, headers: createHttpHeaders({ 'retry-after': '1' }), bodyAsText: '{}' };
        }
        return { request, status: 200, headers: createHttpHeaders(), bodyAsText: '{}' };
      },
    };
    const call = (name: string) => pipeline.sendRequest(transport, createPipelineRequest({ url: `${ENDPOINT}/${name}` }));
    const [first, second] = await Promise.all([call('first'), call('second')]);
    assert.equal(first.status, 200);
    assert.equal(second.status, 200);
    // The second went while the first waited its second out: the wait did not hold the slot.
    assert.deepEqual(sent, ['first', 'second', 'first']);
    assert.equal(limiter.peak, 1);
  });
});

describe('sharedTokens', () => {
  it('asks once per audience for every concurrent caller, then serves the token until near its expiry', async () => {
    const asked: string[] = [];
    const inner: TokenCredential = {
      async getToken(scopes) {
        asked.push([scopes].flat().join(' '));
        await new Promise((resolve) => setTimeout(resolve, 20));
        return token();
      },
    };
    const shared = sharedTokens(inner);
    const arm = await Promise.all(Array.from({ length: 50 }, () => shared.getToken('https://management.azure.com/.default')));
    assert.equal(new Set(arm.map((t) => t?.token)).size, 1);
    await shared.getToken('https://management.azure.com/.default');
    await shared.getToken('https://ossrdbms-aad.database.windows.net/.default');
    assert.deepEqual(asked, ['https://management.azure.com/.default', 'https://ossrdbms-aad.database.windows.net/.default']);
    assert.equal(shared.fetched, 2);
    // A claims challenge goes to the credential itself.
    await shared.getToken('https://management.azure.com/.default', { claims: 'x' });
    assert.equal(asked.length, 3);
  });

  it('lets a caller stop waiting without failing the others, and fetches again after a failure', async () => {
    let calls = 0;
    let fail = true;
    const inner: TokenCredential = {
      async getToken() {
        calls++;
        await new Promise((resolve) => setTimeout(resolve, 30));
        if (fail) throw new Error('identity endpoint down');
        return token();
      },
    };
    const shared = sharedTokens(inner);
    const controller = new AbortController();
    const impatient = shared.getToken('s', { abortSignal: controller.signal });
    const patient = shared.getToken('s');
    controller.abort();
    await assert.rejects(impatient, { name: 'AbortError' });
    await assert.rejects(patient, /identity endpoint down/);
    fail = false;
    assert.ok(await shared.getToken('s'));
    assert.equal(calls, 2, 'a failure is not cached');
  });
});
