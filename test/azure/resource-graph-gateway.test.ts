/**
 * Fleet discovery end to end: restorecheck's Resource Graph gateway (LiveGateways.resourceGraph(), sharedAzure(config)
 * .resourceGraph()) against the simulator's Resource Graph, signed in by the unchanged DefaultAzureCredential through
 * the simulator's managed identity, in a child process that trusts its CA (test/helpers/fleet-driver.ts). Paging,
 * scope, maxPages, 403, the hostile-tag escaping, Resource Graph's throttling, a refused query, a vanished resource.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { discoveryQuery, kqlString } from '../../src/azure/resource-graph-gateway.js';
import type { DiscoveryScope } from '../../src/azure/types.js';
import { EvaluationError } from '../../src/errors.js';
import { type RunningSimulator, startSimulator } from '../../src/simulator/resource-manager.js';
import { parseScenario, type Scenario } from '../../src/simulator/scenario.js';
import type { FleetResource } from '../../src/vocabulary.js';
import type { StepResult } from '../helpers/fleet-driver.js';
import { drive, simulatorConfig } from '../helpers/fleet-driver-client.js';

const A = 'aaaaaaaa-0000-4000-8000-000000000001';
const B = 'bbbbbbbb-0000-4000-8000-000000000002';
const C = 'cccccccc-0000-4000-8000-000000000003';
const LOCKED = 'dddddddd-0000-4000-8000-000000000004';
const HOSTILE = "o'brien') or 1 == 1 //";
const WIDENING = "x' or type in~ ('microsoft.storage/storageaccounts') or tags['a'] =~ 'b";

const scenarioInput = {
  subscriptionId: A,
  unreadableSubscriptions: [LOCKED],
  servers: [
    { subscriptionId: B, resourceGroup: 'Team-RG', name: 'pg-hostile', location: 'francecentral', tags: { restorecheck: 'on', Team: HOSTILE } },
    { subscriptionId: LOCKED, resourceGroup: 'rg', name: 'pg-locked', location: 'francecentral', tags: { restorecheck: 'on' } },
  ],
  fleet: { subscriptions: [A, B, C], servers: 224, storageAccounts: 225, untagged: 5, faults: [{ every: 50, fault: 'vanished' }] },
};

let sim: RunningSimulator;
let scenario: Scenario;
let dir: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'restorecheck-graph-'));
  scenario = parseScenario(scenarioInput);
  sim = await startSimulator({ scenario });
});
after(async () => {
  await sim?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const scope = (change: Partial<DiscoveryScope> = {}): DiscoveryScope => ({
  subscriptions: [A, B, C],
  tag: { restorecheck: 'on' },
  kinds: ['postgres', 'storage'],
  pageSize: 100,
  ...change,
});

/** The tagged resources of the scenario in these subscriptions, as discovery must report them (vanished ones included). */
function expected(subscriptions: string[], kinds: FleetResource['kind'][] = ['postgres', 'storage']): string[] {
  const items = [
    ...(kinds.includes('postgres') ? scenario.servers.map((s) => ({ ...s, type: 'Microsoft.DBforPostgreSQL/flexibleServers' })) : []),
    ...(kinds.includes('storage') ? scenario.storageAccounts.map((a) => ({ ...a, type: 'Microsoft.Storage/storageAccounts' })) : []),
  ];
  return items
    .filter((i) => i.tags?.restorecheck === 'on' && subscriptions.includes(i.subscriptionId ?? A))
    .map((i) => `/subscriptions/${i.subscriptionId ?? A}/resourceGroups/${i.resourceGroup}/providers/${i.type}/${i.name}`)
    .sort((x, y) => (x.toLowerCase() < y.toLowerCase() ? -1 : 1));
}

function found(result: StepResult | undefined): { resources: FleetResource[]; pages: number; query: string; elapsedMs: number } {
  assert.ok(result?.op === 'discover');
  assert.ok(result.ok, JSON.stringify(result));
  return result;
}

function refused(result: StepResult | undefined): { kind: string; message: string; hint: string } {
  assert.ok(result?.op === 'discover');
  assert.ok(!result.ok, 'discovery should have failed');
  return result.error;
}

const graphRequests = () => sim.requests.filter((r) => r.path === '/providers/Microsoft.ResourceGraph/resources');

describe('Resource Graph gateway', () => {
  it('discovers every tagged resource of the subscriptions once, sorted, in pages, whatever caps the page', async () => {
    const before = graphRequests().length;
    const cappedBySimulator = { ...scenarioInput, paging: { resourceGraphPageSize: 100 } };
    const [byScope, subset, all, storageOnly] = await drive(sim, dir, {
      config: simulatorConfig(sim),
      steps: [
        { op: 'discover', scope: scope() },
        { op: 'discover', scope: scope({ subscriptions: [A, C] }), shared: true },
        { op: 'discover', scope: scope({ subscriptions: 'all' }) },
        { op: 'discover', scope: scope({ kinds: ['storage'], pageSize: 1000 }) },
      ],
    });
    const whole = found(byScope);
    assert.equal(whole.pages, 5, '450 resources, 100 per page');
    assert.equal(whole.resources.length, 450);
    assert.deepEqual(
      whole.resources.map((r) => r.id),
      expected([A, B, C]),
    );
    assert.ok(!whole.resources.some((r) => r.name.includes('untagged')), 'untagged resources are not discovered');
    const hostile = whole.resources.find((r) => r.name === 'pg-hostile');
    // Names and resource group as the id spells them (Resource Graph lower-cases its resourceGroup column).
    assert.deepEqual(hostile, {
      id: `/subscriptions/${B}/resourceGroups/Team-RG/providers/Microsoft.DBforPostgreSQL/flexibleServers/pg-hostile`,
      kind: 'postgres',
      name: 'pg-hostile',
      subscriptionId: B,
      resourceGroup: 'Team-RG',
      location: 'francecentral',
      tags: { restorecheck: 'on', Team: HOSTILE },
    });
    assert.ok(
      whole.resources.some((r) => r.name === 'pg-fleet-050'),
      'a vanished server is still listed',
    );
    assert.equal(whole.query, discoveryQuery(scope()));
    assert.deepEqual(
      found(subset).resources.map((r) => r.id),
      expected([A, C]),
    );
    // `all`: every subscription the identity can read (the locked one is left out, not an error).
    assert.deepEqual(
      found(all).resources.map((r) => r.id),
      expected([A, B, C]),
    );
    const storage = found(storageOnly);
    assert.equal(storage.pages, 1);
    assert.deepEqual(
      storage.resources.map((r) => r.id),
      expected([A, B, C], ['storage']),
    );
    // Each page one POST with the token of the run: 5 + 3 (A and C: 300 of them) + 5 + 1.
    const sent = graphRequests().slice(before);
    assert.equal(sent.length, 14);
    assert.ok(sent.every((r) => r.token === 'valid' && r.method === 'POST' && r.query === '?api-version=2022-10-01'));
    assert.deepEqual(
      sent.map((r) => (r.body as { subscriptions?: string[] }).subscriptions?.length ?? 'all'),
      [3, 3, 3, 3, 3, 2, 2, 2, 'all', 'all', 'all', 'all', 'all', 3],
    );

    // The simulator's own cap (paging.resourceGraphPageSize) pages a $top of 1000 just the same.
    sim.load(parseScenario(cappedBySimulator));
    try {
      const [capped] = await drive(sim, dir, { config: simulatorConfig(sim), steps: [{ op: 'discover', scope: scope({ pageSize: 1000 }) }] });
      assert.equal(found(capped).pages, 5);
      assert.equal(found(capped).resources.length, 450);
    } finally {
      sim.load(scenario);
    }
  });

  it('ends past azure.maxPages, names a subscription the identity cannot read, and refuses a control character', async () => {
    const [tooMany, enough, denied, control] = await drive(sim, dir, {
      config: simulatorConfig(sim),
      steps: [
        { op: 'discover', scope: scope(), config: simulatorConfig(sim, { maxPages: 4 }) },
        { op: 'discover', scope: scope(), config: simulatorConfig(sim, { maxPages: 5 }) },
        { op: 'discover', scope: scope({ subscriptions: [A, LOCKED] }) },
        { op: 'discover', scope: scope({ tag: { team: 'a\nb' } }) },
      ],
    });
    const pages = refused(tooMany);
    assert.equal(pages.kind, 'invalid-response');
    assert.match(pages.message, /more than 4 pages \(azure\.maxPages\)/);
    assert.match(pages.hint, /azure\.maxPages/);
    assert.equal(found(enough).resources.length, 450);
    const forbidden = refused(denied);
    assert.equal(forbidden.kind, 'permission');
    assert.match(forbidden.message, /^403 on POST Resource Graph query \(subscriptions .*\): the identity may not read them \(AccessDenied/);
    assert.match(
      forbidden.hint,
      /needs Reader on each subscription of azure\.discover\.subscriptions: `az role assignment create .* --role Reader --scope \/subscriptions\//,
    );
    const refusedTag = refused(control);
    assert.equal(refusedTag.kind, 'config');
    assert.match(refusedTag.message, /control character/);
  });

  it('keeps a hostile tag value one string: it finds its own resource, and widens nothing', async () => {
    const [exact, caseless, widening, hostileKey] = await drive(sim, dir, {
      config: simulatorConfig(sim),
      steps: [
        { op: 'discover', scope: scope({ tag: { Team: HOSTILE } }) },
        { op: 'discover', scope: scope({ tag: { team: HOSTILE.toUpperCase() } }) },
        { op: 'discover', scope: scope({ tag: { restorecheck: WIDENING } }) },
        { op: 'discover', scope: scope({ tag: { [WIDENING]: 'on' } }) },
      ],
    });
    assert.deepEqual(
      found(exact).resources.map((r) => r.name),
      ['pg-hostile'],
    );
    assert.deepEqual(
      found(caseless).resources.map((r) => r.name),
      ['pg-hostile'],
      'tag keys and values match without regard to case',
    );
    assert.deepEqual(found(widening).resources, []);
    assert.deepEqual(found(hostileKey).resources, []);
    // The literal is verbatim: the quote doubled, nothing else touched.
    assert.equal(kqlString(HOSTILE, 'x'), "@'o''brien'') or 1 == 1 //'");
    assert.throws(
      () => kqlString('a\u0000b', 'the value'),
      (e: unknown) => e instanceof EvaluationError && e.kind === 'config',
    );
  });

  it("waits out Resource Graph's throttling (its quota reset as Retry-After), bounded by azure.maxRetryAfterSeconds", async () => {
    const path = '/providers/Microsoft.ResourceGraph/resources';
    const rateLimited = (resetsAfter: string, times: number) => ({
      path,
      method: 'POST' as const,
      status: 429,
      code: 'RateLimiting',
      message: 'Client application has been throttled and should not attempt to repeat the request until an amount of time has elapsed.',
      headers: { 'x-ms-user-quota-remaining': '0', 'x-ms-user-quota-resets-after': resetsAfter },
      times,
    });
    sim.clearInjections();
    sim.inject(rateLimited('00:00:01', 2));
    const before = graphRequests().length;
    const [waited] = await drive(sim, dir, { config: simulatorConfig(sim), steps: [{ op: 'discover', scope: scope({ kinds: ['storage'], pageSize: 1000 }) }] });
    assert.equal(found(waited).resources.length, 225);
    assert.deepEqual(
      graphRequests()
        .slice(before)
        .map((r) => r.status),
      [429, 429, 200],
    );
    sim.clearInjections();
    sim.inject(rateLimited('00:10:00', 1));
    const [tooLong] = await drive(sim, dir, { config: simulatorConfig(sim), steps: [{ op: 'discover', scope: scope() }] });
    const throttled = refused(tooLong);
    assert.equal(throttled.kind, 'throttled');
    assert.match(throttled.message, /asked to wait 600 s \(Retry-After\), more than azure\.maxRetryAfterSeconds \(5 s\)/);
    sim.clearInjections();
  });

  it('reports a query Resource Graph refuses as restorecheck’s own bug, not a configuration problem', async () => {
    const invalid = {
      error: {
        code: 'BadRequest',
        message:
          'Please provide below info when asking for support: timestamp = 2026-01-01T00:00:00.0000000Z, correlationId = 00000000-0000-0000-0000-000000000000.',
        details: [
          {
            code: 'InvalidQuery',
            message: 'Query is invalid. Please refer to the documentation for the Azure Resource Graph service and fix the error before retrying.',
          },
          { code: 'ParserFailure', message: 'ParserFailure', line: 1, characterPositionInLine: 11, token: 'x' },
        ],
      },
    };
    sim.inject({ path: '/providers/Microsoft.ResourceGraph/resources', method: 'POST', status: 400, body: JSON.stringify(invalid), times: 1 });
    try {
      const [result] = await drive(sim, dir, { config: simulatorConfig(sim), steps: [{ op: 'discover', scope: scope() }] });
      const error = refused(result);
      assert.equal(error.kind, 'internal');
      assert.match(error.message, /Resource Graph refused the query restorecheck built \(BadRequest \/ InvalidQuery \/ ParserFailure: Query is invalid/);
      assert.match(error.hint, /bug in restorecheck/);
    } finally {
      sim.clearInjections();
    }
  });

  it('lists a vanished resource, whose every Resource Manager read is then 404 not-found', async () => {
    const [discovered] = await drive(sim, dir, { config: simulatorConfig(sim), steps: [{ op: 'discover', scope: scope({ kinds: ['postgres'] }) }] });
    const servers = found(discovered).resources;
    const vanished = servers.filter((r) => ['pg-fleet-050', 'pg-fleet-100'].includes(r.name));
    const present = servers.filter((r) => ['pg-fleet-049', 'pg-hostile'].includes(r.name));
    assert.equal(vanished.length, 2);
    const [reads] = await drive(sim, dir, { config: simulatorConfig(sim), steps: [{ op: 'getServers', resources: [...vanished, ...present], shared: true }] });
    assert.ok(reads?.op === 'getServers');
    assert.deepEqual(reads.results.map((r) => (r.ok ? `${r.id.split('/').pop()} ok` : `${r.id.split('/').pop()} ${r.error.kind}`)).sort(), [
      'pg-fleet-049 ok',
      'pg-fleet-050 not-found',
      'pg-fleet-100 not-found',
      'pg-hostile ok',
    ]);
    const failed = reads.results.find((r) => r.id.endsWith('/pg-fleet-050'))!;
    assert.ok(!failed.ok);
    assert.match(failed.error.message, /GET Flexible Server pg-fleet-050 .*404 ResourceNotFound/);
  });
});
