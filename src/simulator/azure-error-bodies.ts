/**
 * Resource Manager's error bodies for the refusals a restore test meets in a governed subscription, in the shapes
 * Microsoft documents (Microsoft Learn, Azure Resource Manager troubleshooting):
 * - ScopeLocked: "Lock your resources to protect your infrastructure" (409, the locked scope quoted in the message;
 *   the lock's name is not in it);
 * - RequestDisallowedByPolicy: "Resolve errors for request disallowed by policy" (403, "Policy identifiers" in the
 *   message, and `additionalInfo` of type PolicyViolation naming the assignment and definition);
 * - LinkedAuthorizationFailed: "Resolve errors for … authorization" (403, the action and the linked scope in the message).
 * Built from the request path, so that every id in them is the simulator's own.
 */
import { z } from 'zod';

export const AZURE_ERRORS = ['ScopeLocked', 'RequestDisallowedByPolicy', 'LinkedAuthorizationFailed'] as const;
export type AzureErrorName = (typeof AZURE_ERRORS)[number];
export const azureErrorSchema = z.enum(AZURE_ERRORS);

const OPERATION: Record<string, string> = { DELETE: 'delete', PUT: 'write', PATCH: 'write', POST: 'action' };

/** `/subscriptions/S/resourceGroups/RG` of a resource path, and its last segment (the resource's name). */
function parts(path: string): { subscription: string; group: string; name: string } {
  const m = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)/i.exec(path);
  return { subscription: m?.[1] ?? '00000000-0000-0000-0000-000000000000', group: m?.[2] ?? 'resource-group', name: path.split('/').pop() ?? '' };
}

export interface AzureErrorOptions {
  /** ScopeLocked: `resourceGroup` (the default: a lock on the resource group) or `resource` (a lock on the resource itself). */
  lockOn?: 'resourceGroup' | 'resource';
  /** RequestDisallowedByPolicy: the assignment's display name. */
  policyAssignment?: string;
}

/** The documented body of `name`, for a request `method path`. */
export function azureErrorBody(name: AzureErrorName, method: string, path: string, options: AzureErrorOptions = {}): { error: Record<string, unknown> } {
  const { subscription, group, name: resource } = parts(path);
  const groupScope = `/subscriptions/${subscription}/resourceGroups/${group}`;
  if (name === 'ScopeLocked') {
    const locked = options.lockOn === 'resource' ? path : groupScope;
    return {
      error: {
        code: 'ScopeLocked',
        message:
          `The scope '${path}' cannot perform ${OPERATION[method] ?? 'write'} operation because following scope(s) are locked: '${locked}'. ` +
          'Please remove the lock and try again.',
      },
    };
  }
  if (name === 'RequestDisallowedByPolicy') {
    const display = options.policyAssignment ?? 'Deny public network access for PostgreSQL';
    const assignmentId = `/subscriptions/${subscription}/providers/Microsoft.Authorization/policyAssignments/5a0cb6b3e7a84b11a3f2c1d0`;
    const definitionId = '/providers/Microsoft.Authorization/policyDefinitions/b52376f7-9612-48a1-81cd-1ffe4b61032c';
    const identifiers = [{ policyAssignment: { name: display, id: assignmentId }, policyDefinition: { name: display, id: definitionId } }];
    return {
      error: {
        code: 'RequestDisallowedByPolicy',
        target: resource,
        message: `Resource '${resource}' was disallowed by policy. Policy identifiers: '${JSON.stringify(identifiers)}'.`,
        additionalInfo: [
          {
            type: 'PolicyViolation',
            info: {
              policyDefinitionDisplayName: display,
              policyDefinitionId: definitionId,
              policyDefinitionName: 'b52376f7-9612-48a1-81cd-1ffe4b61032c',
              policyDefinitionEffect: 'deny',
              policyAssignmentId: assignmentId,
              policyAssignmentName: '5a0cb6b3e7a84b11a3f2c1d0',
              policyAssignmentDisplayName: display,
              policyAssignmentScope: `/subscriptions/${subscription}`,
              policyAssignmentParameters: {},
            },
          },
        ],
      },
    };
  }
  const subnet = `/subscriptions/${subscription}/resourceGroups/${group}/providers/Microsoft.Network/virtualNetworks/restore-vnet/subnets/postgres`;
  return {
    error: {
      code: 'LinkedAuthorizationFailed',
      message:
        "The client '7f3a1c52-0d4e-4b8a-9c61-2e5b8d9f0a13' with object id '7f3a1c52-0d4e-4b8a-9c61-2e5b8d9f0a13' has permission to perform action " +
        `'Microsoft.DBforPostgreSQL/flexibleServers/write' on scope '${path}'; however, it does not have permission to perform action ` +
        `'Microsoft.Network/virtualNetworks/subnets/join/action' on the linked scope(s) '${subnet}' or the linked scope(s) are invalid.`,
    },
  };
}
