/**
 * toEvaluationError on the refusals Azure really sends (bodies as documented on Microsoft Learn and built by the
 * simulator's azure-error-bodies.ts): each keeps Azure's code and message, and only a missing role gets the role hint.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type AzureCall, toEvaluationError } from '../../src/azure/error-mapping.js';
import type { EvaluationError } from '../../src/errors.js';
import { azureErrorBody } from '../../src/simulator/azure-error-bodies.js';

const SUB = '00000000-0000-0000-0000-000000000000';
const RG = 'medicapp-rg';
const SERVER_PATH = `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.DBforPostgreSQL/flexibleServers/medicappdbprod-restore-202612021200`;

const ARM_CALL: AzureCall = {
  what: 'point-in-time restore to new Flexible Server medicappdbprod-restore-202612021200 (resource group medicapp-rg)',
  plane: 'arm',
  role: `Contributor on resource group ${RG}`,
  scope: `/subscriptions/${SUB}/resourceGroups/${RG}`,
  timeoutMs: 30_000,
  resourceGroupKey: 'azure.postgres.resourceGroup',
};
const BLOB_CALL: AzureCall = {
  what: 'GET blob consent-7.pdf in container documents of storage account medicappstorage',
  plane: 'blob',
  role: 'Storage Blob Data Reader on container documents',
  scope: `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Storage/storageAccounts/medicappstorage/blobServices/default/containers/documents`,
  timeoutMs: 30_000,
};

/** What the SDKs throw: a RestError with the status, Azure's code and message, the parsed body and the request id header. */
function restError(statusCode: number, body: { error: Record<string, unknown> } | { code: string; message: string }): Error {
  const inner = 'error' in body ? body.error : body;
  return Object.assign(new Error(String(inner.message)), {
    name: 'RestError',
    statusCode,
    code: String(inner.code),
    response: { headers: { get: (h: string) => (h === 'x-ms-request-id' ? 'req-42' : undefined) }, parsedBody: body },
  });
}

const map = (error: unknown, call: AzureCall = ARM_CALL): EvaluationError => toEvaluationError(error, call);

describe('toEvaluationError: 403 by what Azure says it is', () => {
  it('AuthorizationFailed: the identity lacks the role, with the role assignment command and Azure message', () => {
    const message =
      "The client 'abc' with object id 'abc' does not have authorization to perform action 'Microsoft.DBforPostgreSQL/flexibleServers/write' " +
      `over scope '${SERVER_PATH}' or the scope is invalid. If access was recently granted, please refresh your credentials.`;
    const e = map(restError(403, { error: { code: 'AuthorizationFailed', message } }));
    assert.equal(e.kind, 'permission');
    assert.match(e.message, /AuthorizationFailed: the identity lacks Contributor on resource group medicapp-rg/);
    assert.match(e.message, /does not have authorization to perform action 'Microsoft\.DBforPostgreSQL\/flexibleServers\/write'/);
    assert.match(e.hint, /az role assignment create .*--role "Contributor" --scope \/subscriptions\/0{8}-.*\/resourceGroups\/medicapp-rg/);
    assert.equal(e.requestId, 'req-42');
  });

  it('RequestDisallowedByPolicy: an Azure Policy deny, naming the assignment, and no role hint', () => {
    const body = azureErrorBody('RequestDisallowedByPolicy', 'PUT', SERVER_PATH, { policyAssignment: 'Allowed locations' });
    const e = map(restError(403, body));
    assert.equal(e.kind, 'permission');
    assert.match(e.message, /an Azure Policy denies it \(policy assignment Allowed locations \(\/subscriptions\/.*\/policyAssignments\/[0-9a-f]+\)\)/);
    assert.match(e.message, /RequestDisallowedByPolicy: Resource 'medicappdbprod-restore-202612021200' was disallowed by policy/);
    assert.doesNotMatch(e.message, /lacks/);
    assert.doesNotMatch(e.hint, /az role assignment/);
    assert.match(e.hint, /exemption/);
  });

  it('RequestDisallowedByPolicy without additionalInfo: the assignment from the message', () => {
    const { error } = azureErrorBody('RequestDisallowedByPolicy', 'PUT', SERVER_PATH, { policyAssignment: 'Deny public access' });
    const e = map(restError(403, { code: String(error.code), message: String(error.message) }));
    assert.match(e.message, /policy assignment Deny public access \(/);
  });

  it('LinkedAuthorizationFailed: the missing action on the linked resource (a subnet join), with the role on that scope', () => {
    const e = map(restError(403, azureErrorBody('LinkedAuthorizationFailed', 'PUT', SERVER_PATH)));
    assert.equal(e.kind, 'permission');
    assert.match(e.message, /lacks Microsoft\.Network\/virtualNetworks\/subnets\/join\/action on \/subscriptions\/.*\/subnets\/postgres/);
    assert.match(e.message, /LinkedAuthorizationFailed: The client/);
    assert.match(e.hint, /--role "Network Contributor" --scope \/subscriptions\/.*\/virtualNetworks\/restore-vnet\/subnets\/postgres/);
  });

  it('an unknown 403 code keeps the code and message and does not claim a missing role', () => {
    const e = map(restError(403, { error: { code: 'SubscriptionNotRegistered', message: 'The subscription is not registered.' } }));
    assert.match(e.message, /refused it \(SubscriptionNotRegistered: The subscription is not registered\.\)/);
    assert.doesNotMatch(e.message, /lacks/);
  });

  it('blob AuthorizationFailure is the storage firewall, not a missing data role', () => {
    const e = map(restError(403, { code: 'AuthorizationFailure', message: 'This request is not authorized to perform this operation.' }), BLOB_CALL);
    assert.equal(e.kind, 'permission');
    assert.match(e.message, /firewall \(network rules\) refuses this network: AuthorizationFailure: This request is not authorized/);
    assert.match(e.hint, /network-rule add/);
    assert.doesNotMatch(e.hint, /Storage Blob Data Reader/);
  });

  it('blob AuthorizationPermissionMismatch is the missing data role', () => {
    const message = 'This request is not authorized to perform this operation using this permission.';
    const e = map(restError(403, { code: 'AuthorizationPermissionMismatch', message }), BLOB_CALL);
    assert.match(e.message, /AuthorizationPermissionMismatch: the identity lacks Storage Blob Data Reader on container documents/);
    assert.match(e.hint, /--role "Storage Blob Data Reader"/);
  });

  it('a storage firewall refusal stays a firewall refusal with a SAS connection string', () => {
    const e = map(restError(403, { code: 'AuthorizationFailure', message: 'This request is not authorized to perform this operation.' }), {
      ...BLOB_CALL,
      sharedKey: true,
    });
    assert.match(e.message, /firewall/);
  });

  it('a SAS refusal names the connection string it came from and the permissions the call needs', () => {
    const refused = () =>
      restError(403, { code: 'AuthorizationPermissionMismatch', message: 'This request is not authorized to perform this operation using this permission.' });
    assert.match(map(refused(), { ...BLOB_CALL, sharedKey: true }).hint, /azure\.storage\.connectionString .*sp=r/);
    const drill = map(refused(), {
      ...BLOB_CALL,
      sharedKey: true,
      connectionString: { key: 'azure.storage.drill.connectionString', sasPermissions: 'sp=rwdlx on the drill container' },
    });
    assert.equal(drill.hint, 'the SAS in azure.storage.drill.connectionString does not allow this call (it needs sp=rwdlx on the drill container)');
  });
});

describe('toEvaluationError: ResourceGroupNotFound', () => {
  it('is a configuration error naming the key, not a not-found that a check could score as fail', () => {
    const e = map(restError(404, { error: { code: 'ResourceGroupNotFound', message: "Resource group 'medicap-rg' could not be found." } }), {
      ...ARM_CALL,
      scope: `/subscriptions/${SUB}/resourceGroups/medicap-rg`,
    });
    assert.equal(e.kind, 'config');
    assert.match(e.message, /resource group medicap-rg \(azure\.postgres\.resourceGroup\) does not exist/);
    assert.match(e.hint, /fix azure\.postgres\.resourceGroup/);
  });

  it('a missing resource in an existing group is still not-found', () => {
    const e = map(restError(404, { error: { code: 'ResourceNotFound', message: 'The Resource was not found.' } }));
    assert.equal(e.kind, 'not-found');
  });
});

describe('toEvaluationError: 409 ScopeLocked', () => {
  it('a lock on the resource group: its scope, and the commands to find and remove the lock', () => {
    const e = map(restError(409, azureErrorBody('ScopeLocked', 'DELETE', SERVER_PATH)));
    assert.equal(e.kind, 'conflict');
    assert.match(e.message, new RegExp(`a lock on /subscriptions/${SUB}/resourceGroups/${RG} forbids it \\(the resource group ${RG} is locked\\)`));
    assert.match(e.message, /cannot perform delete operation/);
    assert.match(e.hint, new RegExp(`az lock list --resource-group ${RG} --output table`));
    assert.match(e.hint, new RegExp(`az lock delete --name LOCK --resource-group ${RG}\``));
  });

  it('a lock on the server itself: the resource in the commands', () => {
    const e = map(restError(409, azureErrorBody('ScopeLocked', 'DELETE', SERVER_PATH, { lockOn: 'resource' })));
    assert.match(e.message, /\(the resource medicappdbprod-restore-202612021200 is locked\)/);
    const resourceArgs = '--resource medicappdbprod-restore-\\d{12} --resource-type Microsoft\\.DBforPostgreSQL/flexibleServers';
    assert.match(e.hint, new RegExp(`az lock delete --name LOCK --resource-group medicapp-rg ${resourceArgs}`));
  });
});
