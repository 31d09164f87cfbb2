/**
 * The simulator's refusals as Azure documents them: the bodies of ScopeLocked, RequestDisallowedByPolicy and
 * LinkedAuthorizationFailed (Microsoft Learn's shapes), served over HTTPS by an `azureError` injection, the code a
 * Failed restore ends with, and ResourceGroupNotFound for a resource group that does not exist.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { request } from 'node:https';
import { after, before, describe, it } from 'node:test';
import { azureErrorBody } from '../../src/simulator/azure-error-bodies.js';
import { type RunningSimulator, startSimulator } from '../../src/simulator/resource-manager.js';
import { parseScenario } from '../../src/simulator/scenario.js';

const SUB = '00000000-0000-0000-0000-000000000000';
const GROUP = `/subscriptions/${SUB}/resourceGroups/medicapp-rg`;
const SERVER = `${GROUP}/providers/Microsoft.DBforPostgreSQL/flexibleServers/medicappdbprod`;
const API = '?api-version=2025-08-01';

/** The parts of an answer's JSON these tests read. */
interface Answer {
  access_token?: string;
  error: { code: string; message: string };
}

let sim: RunningSimulator;
let ca: string;

function call(method: string, path: string, headers: Record<string, string> = {}, body?: unknown): Promise<{ status: number; json: () => Answer }> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, sim.endpoint), { method, ca, headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: () => JSON.parse(text) as Answer }));
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

async function signedIn(): Promise<Record<string, string>> {
  const answer = await call('GET', `/msi/token?api-version=2019-08-01&resource=${encodeURIComponent(sim.endpoint)}`, {
    'x-identity-header': sim.identityHeader,
  });
  return { authorization: `Bearer ${answer.json().access_token ?? ''}` };
}

before(async () => {
  sim = await startSimulator({
    scenario: parseScenario({
      subscriptionId: SUB,
      resourceGroups: ['medicapp-restore-rg'],
      servers: [{ resourceGroup: 'medicapp-rg', name: 'medicappdbprod', location: 'francecentral', state: 'Ready' }],
    }),
  });
  ca = await readFile(sim.caFile, 'utf8');
});
after(async () => sim?.stop());

describe("the simulator's refusals, in Azure's documented shapes", () => {
  it('ScopeLocked: the operation and the locked scope in the message, on the group or on the resource', () => {
    const onGroup = azureErrorBody('ScopeLocked', 'DELETE', SERVER).error;
    assert.equal(onGroup.code, 'ScopeLocked');
    assert.equal(
      onGroup.message,
      `The scope '${SERVER}' cannot perform delete operation because following scope(s) are locked: '${GROUP}'. Please remove the lock and try again.`,
    );
    assert.match(
      String(azureErrorBody('ScopeLocked', 'PUT', SERVER, { lockOn: 'resource' }).error.message),
      /perform write operation .* locked: '.*\/medicappdbprod'/,
    );
  });

  it('RequestDisallowedByPolicy: target, "Policy identifiers" in the message, additionalInfo of type PolicyViolation', () => {
    const { error } = azureErrorBody('RequestDisallowedByPolicy', 'PUT', SERVER, { policyAssignment: 'Allowed locations' });
    assert.equal(error.target, 'medicappdbprod');
    assert.match(
      String(error.message),
      /^Resource 'medicappdbprod' was disallowed by policy\. Policy identifiers: '\[\{"policyAssignment":\{"name":"Allowed locations"/,
    );
    const [info] = error.additionalInfo as Array<{ type: string; info: Record<string, unknown> }>;
    assert.equal(info?.type, 'PolicyViolation');
    assert.equal(info?.info.policyDefinitionEffect, 'deny');
    assert.equal(info?.info.policyAssignmentDisplayName, 'Allowed locations');
    assert.match(String(info?.info.policyAssignmentId), new RegExp(`^/subscriptions/${SUB}/providers/Microsoft\\.Authorization/policyAssignments/`));
  });

  it('LinkedAuthorizationFailed: the action granted, the action missing and the linked scope', () => {
    const { error } = azureErrorBody('LinkedAuthorizationFailed', 'PUT', SERVER);
    assert.match(String(error.message), /has permission to perform action 'Microsoft\.DBforPostgreSQL\/flexibleServers\/write' on scope/);
    assert.match(
      String(error.message),
      /does not have permission to perform action 'Microsoft\.Network\/virtualNetworks\/subnets\/join\/action' on the linked scope\(s\) '/,
    );
  });

  it('an azureError injection answers with that body and its status, built from the request path', async () => {
    const auth = await signedIn();
    sim.inject({ path: '/flexibleServers/medicappdbprod', method: 'DELETE', status: 409, azureError: 'ScopeLocked', times: 1 });
    const answer = await call('DELETE', `${SERVER}${API}`, auth);
    assert.equal(answer.status, 409);
    assert.deepEqual(answer.json(), azureErrorBody('ScopeLocked', 'DELETE', SERVER));
  });

  it('a resource group that no server, account or resourceGroups entry names answers ResourceGroupNotFound', async () => {
    const auth = await signedIn();
    const missing = await call('GET', `${SERVER.replace('medicapp-rg', 'medicap-rg')}${API}`, auth);
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.json(), { error: { code: 'ResourceGroupNotFound', message: "Resource group 'medicap-rg' could not be found." } });
    const list = await call('GET', `/subscriptions/${SUB}/resourceGroups/nope/providers/Microsoft.DBforPostgreSQL/flexibleServers${API}`, auth);
    assert.equal(list.json().error.code, 'ResourceGroupNotFound');
    // A group declared in the scenario exists, empty: a missing server in it is ResourceNotFound.
    const empty = await call('GET', `${SERVER.replace('medicapp-rg', 'medicapp-restore-rg')}${API}`, auth);
    assert.equal(empty.json().error.code, 'ResourceNotFound');
  });

  it('a restore failed by lro.failRestore ends Failed with InternalServerError', async () => {
    const auth = await signedIn();
    // Without hooks, lro.failRestore fails a restore (with hooks, restore.failureCode sets the code; see azure-restore-failures.test.ts).
    sim.load(
      parseScenario({
        subscriptionId: SUB,
        lro: { durationMs: 0, failRestore: true },
        servers: [{ resourceGroup: 'medicapp-rg', name: 'medicappdbprod', location: 'francecentral' }],
      }),
    );
    const put = await call('PUT', `${SERVER.replace('medicappdbprod', 'medicappdbprod-copy')}${API}`, auth, {
      location: 'francecentral',
      properties: { createMode: 'PointInTimeRestore', sourceServerResourceId: SERVER, pointInTimeUTC: new Date(Date.now() - 60_000).toISOString() },
    });
    assert.equal(put.status, 202);
    let op = sim.operations().at(-1);
    for (let i = 0; i < 50 && op?.status === 'InProgress'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      op = sim.operations().at(-1);
    }
    assert.equal(op?.status, 'Failed');
    assert.equal(op?.error?.code, 'InternalServerError');
  });
});
