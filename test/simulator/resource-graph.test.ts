/**
 * The simulator's Resource Graph (POST /providers/Microsoft.ResourceGraph/resources, api-version 2022-10-01): the
 * request and answer shapes of resourcegraph.json, its strict KQL subset (anything else is Resource Graph's own 400),
 * $top / $skipToken paging, the scope (named subscriptions, or every readable one), its 403, and throttling by
 * concurrency with the peak in flight.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { discoveryQuery } from '../../src/azure/resource-graph-gateway.js';
import { parseQuery } from '../../src/simulator/resource-graph.js';
import { type RunningSimulator, startSimulator } from '../../src/simulator/resource-manager.js';
import { parseScenario } from '../../src/simulator/scenario.js';
import { dig, type SimulatorClient, simulatorClient } from '../helpers/simulator-https.js';

const A = 'aaaaaaaa-0000-4000-8000-000000000001';
const B = 'bbbbbbbb-0000-4000-8000-000000000002';
const LOCKED = 'dddddddd-0000-4000-8000-000000000004';
const GRAPH = '/providers/Microsoft.ResourceGraph/resources?api-version=2022-10-01';
const QUERY = discoveryQuery({ kinds: ['postgres', 'storage'], tag: { restorecheck: 'on' } });

const scenarioInput = {
  subscriptionId: A,
  unreadableSubscriptions: [LOCKED],
  paging: { resourceGraphPageSize: 7 },
  servers: [{ subscriptionId: LOCKED, resourceGroup: 'rg', name: 'hidden-db', location: 'francecentral', tags: { restorecheck: 'on' } }],
  fleet: { subscriptions: [A, B], servers: 12, storageAccounts: 11, untagged: 3, faults: [{ every: 5, fault: 'vanished' }] },
};

let sim: RunningSimulator;
let client: SimulatorClient;
let token: string;

before(async () => {
  sim = await startSimulator({ scenario: parseScenario(scenarioInput) });
  client = await simulatorClient(sim);
  token = await client.token();
});
after(async () => {
  await sim?.stop();
});

type Page = { totalRecords: number; count: number; resultTruncated: string; $skipToken?: string; data: Array<Record<string, unknown>>; facets: unknown[] };
const post = (body: unknown, t: string | undefined = token) => client.call('POST', GRAPH, { token: t, body });
async function page(body: Record<string, unknown>): Promise<Page> {
  const answer = await post(body);
  assert.equal(answer.status, 200, answer.body);
  return answer.json() as Page;
}

/** Every row of a query, following $skipToken; the pages' sizes. */
async function all(body: Record<string, unknown>): Promise<{ rows: Array<Record<string, unknown>>; sizes: number[] }> {
  const rows: Array<Record<string, unknown>> = [];
  const sizes: number[] = [];
  let skipToken: string | undefined;
  do {
    const options = { ...(body.options as object), ...(skipToken ? { $skipToken: skipToken } : {}) };
    const p = await page({ ...body, options });
    rows.push(...p.data);
    sizes.push(p.count);
    assert.equal(p.count, p.data.length);
    skipToken = p.$skipToken;
  } while (skipToken);
  return { rows, sizes };
}

describe('Resource Graph (simulator)', () => {
  it('answers the gateway query in the shape of the official examples, paged by the scenario cap', async () => {
    const { rows, sizes } = await all({ subscriptions: [A, B], query: QUERY, options: { $top: 1000, resultFormat: 'objectArray' } });
    assert.deepEqual(sizes, [7, 7, 7, 2]);
    const first = await page({ subscriptions: [A, B], query: QUERY, options: { $top: 1000 } });
    assert.equal(first.totalRecords, 23);
    assert.equal(first.resultTruncated, 'false');
    assert.deepEqual(first.facets, []);
    assert.equal(typeof first.$skipToken, 'string');
    // Every tagged resource once, vanished ones included (the index lags), untagged and other subscriptions' left out.
    const names = rows.map((r) => r.name as string);
    assert.equal(new Set(names).size, 23);
    assert.ok(names.includes('pg-fleet-005') && names.includes('stfleet010'), 'vanished resources are listed');
    assert.ok(!names.some((n) => n.includes('untagged')) && !names.includes('hidden-db'));
    // order by id asc, the projected columns only, type and resource group in lower case.
    const ids = rows.map((r) => r.id as string);
    assert.deepEqual(ids, [...ids].sort());
    assert.deepEqual(Object.keys(rows[0]!), ['id', 'name', 'type', 'subscriptionId', 'resourceGroup', 'location', 'tags']);
    assert.ok(rows.every((r) => r.type === 'microsoft.dbforpostgresql/flexibleservers' || r.type === 'microsoft.storage/storageaccounts'));
    assert.ok(rows.every((r) => r.resourceGroup === String(r.resourceGroup).toLowerCase()));
    // The request is recorded, with its body.
    const recorded = sim.requests.filter((r) => r.path === '/providers/Microsoft.ResourceGraph/resources');
    assert.ok(recorded.length >= 5);
    assert.equal(dig(recorded.at(-1)!.body, 'query'), QUERY);
  });

  it('takes a smaller $top, and $skip; a token is good for its own query and scope only', async () => {
    const three = await page({ subscriptions: [A, B], query: QUERY, options: { $top: 3 } });
    assert.equal(three.count, 3);
    const skipped = await page({ subscriptions: [A, B], query: QUERY, options: { $top: 3, $skip: 3 } });
    const { rows } = await all({ subscriptions: [A, B], query: QUERY, options: {} });
    assert.deepEqual(
      skipped.data.map((r) => r.id),
      rows.slice(3, 6).map((r) => r.id),
    );
    const foreign = await post({ subscriptions: [A], query: QUERY, options: { $skipToken: three.$skipToken } });
    assert.equal(foreign.status, 400);
    assert.equal(dig(foreign.json(), 'error.details.1.code'), 'InvalidSkipToken');
    const garbage = await post({ subscriptions: [A, B], query: QUERY, options: { $skipToken: 'eyAibm8iOiAibHVjayIgfQ==' } });
    assert.equal(garbage.status, 400);
    assert.equal((await post({ query: QUERY, options: { $top: 1001 } })).status, 400);
  });

  it('queries every readable subscription without `subscriptions`, and refuses an unreadable one with 403 AccessDenied', async () => {
    const { rows } = await all({ query: QUERY, options: {} });
    assert.equal(rows.length, 23, 'the locked subscription is left out');
    assert.deepEqual(new Set(rows.map((r) => r.subscriptionId)), new Set([A, B]));
    const onlyB = await all({ subscriptions: [B], query: QUERY, options: {} });
    assert.ok(onlyB.rows.length > 0 && onlyB.rows.every((r) => r.subscriptionId === B));
    const denied = await post({ subscriptions: [A, LOCKED], query: QUERY });
    assert.equal(denied.status, 403);
    const body = denied.json();
    assert.equal(dig(body, 'error.code'), 'AccessDenied');
    assert.match(String(dig(body, 'error.message')), /^Please provide below info when asking for support: timestamp = .*, correlationId = /);
    assert.equal(dig(body, 'error.details.0.code'), 'AccessDenied');
  });

  it('matches tags case-insensitively, keys and values, through the lower-cased copy', async () => {
    const upper = discoveryQuery({ kinds: ['postgres'], tag: { RestoreCheck: 'ON' } });
    const { rows } = await all({ subscriptions: [A, B], query: upper, options: {} });
    assert.equal(rows.length, 12);
    // A direct lookup on tags is case-sensitive on the key, as KQL's dynamic lookup is.
    const direct = "Resources | where type in~ ('microsoft.dbforpostgresql/flexibleservers') | where tags['RestoreCheck'] =~ 'on' | project id";
    assert.equal((await page({ query: direct, options: {} })).totalRecords, 0);
  });

  it('refuses what it does not implement with Resource Graph’s 400 (InvalidQuery, then ParserFailure)', async () => {
    for (const query of [
      'Resources | summarize count() by type',
      "Resources | where name == 'x'",
      "Resources | where type in~ ('a') or 1 == 1",
      "Resources | where type =~ 'a'",
      'securityresources | project id',
      "Resources | where tags['a'] =~ 'b' | extend x = 1",
      "Resources | project id | where type in~ ('a')",
      "Resources | where tags['a] =~ 'b'",
      "Resources | where tags['a'] =~ 'b' // comment",
      'Resources | project id, name; Resources',
    ]) {
      const answer = await post({ query });
      assert.equal(answer.status, 400, query);
      const body = answer.json();
      assert.equal(dig(body, 'error.code'), 'BadRequest', query);
      assert.equal(dig(body, 'error.details.0.code'), 'InvalidQuery', query);
      assert.equal(dig(body, 'error.details.1.code'), 'ParserFailure', query);
      assert.equal(typeof dig(body, 'error.details.1.characterPositionInLine'), 'number', query);
    }
    for (const unsupported of [
      { query: QUERY, managementGroups: ['mg1'] },
      { query: QUERY, facets: [{ expression: 'location' }] },
      { query: QUERY, options: { resultFormat: 'table' } },
    ]) {
      const answer = await post(unsupported);
      assert.equal(answer.status, 400, JSON.stringify(unsupported));
      assert.equal(dig(answer.json(), 'error.details.0.code'), 'SimulatorUnsupported');
    }
    assert.equal((await post({ options: {} })).status, 400, 'query is required');
  });

  it('accepts every query the gateway builds, hostile tags included', () => {
    const tags: Array<Record<string, string>> = [{}, { restorecheck: 'on' }, { a: "o'brien", "k'ey": "x') or 1 == 1 //" }, { env: '@"|\\\'' }];
    for (const tag of tags) {
      for (const kinds of [['postgres'], ['storage'], ['postgres', 'storage']] as const) {
        assert.doesNotThrow(() => parseQuery(discoveryQuery({ kinds: [...kinds], tag })), JSON.stringify(tag));
      }
    }
  });

  it('needs a token and api-version 2022-10-01, and answers POST only', async () => {
    assert.equal((await post({ query: QUERY }, '')).status, 401);
    assert.equal(
      (await client.call('POST', '/providers/Microsoft.ResourceGraph/resources?api-version=2021-03-01', { token, body: { query: QUERY } })).status,
      400,
    );
    assert.equal((await client.call('GET', GRAPH, { token })).status, 405);
  });
});

describe('throttling by concurrency (simulator)', () => {
  it('answers 429 past maxInFlight (Resource Manager: Retry-After; Resource Graph: quota headers) and keeps the peak', async () => {
    const throttled = await startSimulator({
      scenario: parseScenario({ ...scenarioInput, latencyMs: 3000, throttle: { maxInFlight: 2, retryAfterSeconds: 2 } }),
    });
    try {
      const c = await simulatorClient(throttled);
      const t = await c.token();
      const server = `/subscriptions/${A}/resourceGroups/rg-fleet-1/providers/Microsoft.DBforPostgreSQL/flexibleServers/pg-fleet-001?api-version=2025-08-01`;
      // Two held for 3 s; once both are in flight, a third (and a Resource Graph query) is one too many.
      const held = [c.call('GET', server, { token: t }), c.call('GET', server, { token: t })];
      for (let i = 0; i < 200 && throttled.concurrency().inFlight < 2; i++) await new Promise((resolve) => setTimeout(resolve, 10));
      const arm = await c.call('GET', server, { token: t });
      const graph = await c.call('POST', GRAPH, { token: t, body: { query: QUERY } });
      assert.equal(arm.status, 429);
      assert.equal(arm.headers['retry-after'], '2');
      assert.equal(dig(arm.json(), 'error.code'), 'SubscriptionRequestsThrottled');
      assert.match(String(dig(arm.json(), 'error.message')), new RegExp(`Number of 'read' requests for subscription '${A}'`));
      assert.equal(graph.status, 429);
      assert.equal(dig(graph.json(), 'error.code'), 'RateLimiting');
      assert.equal(graph.headers['x-ms-user-quota-remaining'], '0');
      assert.equal(graph.headers['x-ms-user-quota-resets-after'], '00:00:02');
      assert.deepEqual(
        (await Promise.all(held)).map((a) => a.status),
        [200, 200],
      );
      const seen = throttled.concurrency();
      assert.equal(seen.throttled, 2);
      assert.equal(seen.peak, 3, 'the two held and one refused at a time');
      throttled.resetConcurrency();
      assert.deepEqual(throttled.concurrency(), { inFlight: 0, peak: 0, throttled: 0 });
    } finally {
      await throttled.stop();
    }
  });
});
