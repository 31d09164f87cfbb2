/**
 * Response bodies shaped like the official examples (../shared/azure-spec-examples; the copies the
 * tests compare against are in test/fixtures/azure-spec-examples): pure functions of a scenario
 * item, the time of the request and the subscription. Times in a scenario are relative ("hours
 * ago"), so they are resolved here against `now`.
 */
import type { Operation } from './long-running-operations.js';
import type { ScenarioStorageAccount } from './scenario.js';
import type { SimulatedServer } from './simulator-types.js';

const hoursAgo = (now: Date, hours: number) => new Date(now.getTime() - hours * 3_600_000).toISOString();

/** With an item's nullForUnset (tests only), each of `keys` that `target` lacks is sent as `null`, as Azure does for some unset fields. */
function nullsFor(on: boolean | undefined, target: Record<string, unknown>, keys: string[]): void {
  if (!on) return;
  for (const key of keys) if (!(key in target)) target[key] = null;
}

const skuTier = (sku: string) => (sku.startsWith('Premium') ? 'Premium' : 'Standard');

export const serverId = (subscriptionId: string, s: { resourceGroup: string; name: string }) =>
  `/subscriptions/${subscriptionId}/resourceGroups/${s.resourceGroup}/providers/Microsoft.DBforPostgreSQL/flexibleServers/${s.name}`;

export const accountId = (subscriptionId: string, a: { resourceGroup: string; name: string }) =>
  `/subscriptions/${subscriptionId}/resourceGroups/${a.resourceGroup}/providers/Microsoft.Storage/storageAccounts/${a.name}`;

/** Servers_Get (ServersGet.json); a property the scenario leaves out is left out here too. */
export function serverBody(s: SimulatedServer, now: Date, subscriptionId: string) {
  const backup: Record<string, unknown> = {};
  if (s.backup?.backupRetentionDays !== undefined) backup.backupRetentionDays = s.backup.backupRetentionDays;
  if (s.backup?.geoRedundantBackup !== undefined) backup.geoRedundantBackup = s.backup.geoRedundantBackup;
  if (s.backup?.earliestRestoreDaysAgo !== undefined) backup.earliestRestoreDate = hoursAgo(now, s.backup.earliestRestoreDaysAgo * 24);
  nullsFor(s.nullForUnset, backup, ['backupRetentionDays', 'geoRedundantBackup', 'earliestRestoreDate']);
  const body = {
    sku: { name: 'Standard_D2ds_v5', tier: 'GeneralPurpose' },
    systemData: { createdAt: hoursAgo(now, 24 * 400) },
    properties: {
      storage: { type: '', iops: 500, tier: 'P10', storageSizeGB: 128, autoGrow: 'Disabled' },
      network: s.network ?? { publicNetworkAccess: 'Disabled' },
      dataEncryption: s.dataEncryption ?? { type: 'SystemManaged' },
      authConfig: { activeDirectoryAuth: 'Enabled', passwordAuth: 'Enabled' },
      fullyQualifiedDomainName: s.fullyQualifiedDomainName ?? `${s.name}.postgres.database.azure.com`,
      ...(s.version !== undefined ? { version: s.version } : {}),
      administratorLogin: 'restorecheckadmin',
      ...(s.state !== undefined ? { state: s.state } : {}),
      availabilityZone: '1',
      ...(s.backup ? { backup } : {}),
      highAvailability: s.highAvailability ?? { mode: 'Disabled', state: 'NotEnabled' },
      // No pointInTimeUTC: the official example's answer has none, and the simulator copies the source's data as it is
      // now, whatever the point in time asked for, so it must not claim a point it did not restore (issue 12).
      ...(s.createMode ? { createMode: s.createMode, sourceServerResourceId: s.sourceServerResourceId } : {}),
      replicationRole: 'Primary',
    },
    location: s.location,
    ...(s.identity ? { identity: identityBody(s.identity) } : {}),
    ...(s.tags ? { tags: s.tags } : {}),
    id: serverId(subscriptionId, s),
    name: s.name,
    type: 'Microsoft.DBforPostgreSQL/flexibleServers',
  };
  nullsFor(s.nullForUnset, body.properties as Record<string, unknown>, ['version', 'state', 'backup']);
  nullsFor(s.nullForUnset, body as Record<string, unknown>, ['tags']);
  return body;
}

/** identity (UserAssignedIdentity), keyed by the identities' ARM ids as in ServersCreateWithDataEncryptionEnabled.json (no GET example shows one). */
function identityBody(identity: NonNullable<SimulatedServer['identity']>) {
  return { type: identity.type, userAssignedIdentities: Object.fromEntries(identity.userAssignedIdentities.map((id) => [id, {}])) };
}

/** The 202 body of a point-in-time restore PUT, as recorded from Azure (the Azure CLI's test recordings). */
export const restoreAcceptedBody = (startTime: string) => ({ operation: 'RestoreSnapshotManagementOperation', startTime });

/** FirewallRules_Get (FirewallRulesGet.json). */
export function firewallRuleBody(subscriptionId: string, server: SimulatedServer, rule: { name: string; startIpAddress: string; endIpAddress: string }) {
  return {
    id: `${serverId(subscriptionId, server)}/firewallRules/${rule.name}`,
    name: rule.name,
    type: 'Microsoft.DBforPostgreSQL/flexibleServers/firewallRules',
    properties: { startIpAddress: rule.startIpAddress, endIpAddress: rule.endIpAddress },
  };
}

/** BackupsAutomaticAndOnDemand_ListByServer items: the scenario's backups, then its generated series (oldest first). */
export function backupBodies(s: SimulatedServer, now: Date, subscriptionId: string) {
  const items = [...s.backups];
  if (s.backupSeries) {
    const { count, intervalHours, newestHoursAgo } = s.backupSeries;
    for (let i = count - 1; i >= 0; i--) items.push({ backupType: 'Full', source: 'Automatic', completedHoursAgo: newestHoursAgo + i * intervalHours });
  }
  return items.map((b, index) => {
    const completed = b.completedHoursAgo !== undefined ? hoursAgo(now, b.completedHoursAgo) : undefined;
    const name = b.name ?? `backup_${(completed ?? now.toISOString()).replace(/[-:.]/g, '').slice(0, 15)}_${index}`;
    const properties = { backupType: b.backupType, source: b.source, ...(completed ? { completedTime: completed } : {}) };
    nullsFor(s.nullForUnset, properties, ['completedTime']);
    return { properties, id: `${serverId(subscriptionId, s)}/backups/${name}`, name, type: 'Microsoft.DBforPostgreSQL/flexibleServers/backups' };
  });
}

/** BackupsLongTermRetention_ListByServer items. */
export function ltrBodies(s: SimulatedServer, now: Date, subscriptionId: string) {
  return s.longTermRetention.map((op) => {
    const properties = {
      backupName: op.backupName,
      datasourceSizeInBytes: 1_048_576,
      dataTransferredInBytes: 1_048_576,
      status: op.status,
      percentComplete: op.status === 'Succeeded' ? 100 : 50,
      startTime: hoursAgo(now, op.endedDaysAgo * 24 + 1),
      ...(op.status === 'Running' ? {} : { endTime: hoursAgo(now, op.endedDaysAgo * 24) }),
    };
    nullsFor(s.nullForUnset, properties, ['endTime']);
    // As in the official example: the id is the server's, and the type has a lower-case "b".
    return { id: serverId(subscriptionId, s), name: op.backupName, type: 'Microsoft.DBforPostgreSQL/flexibleServers/ltrbackupOperations', properties };
  });
}

/** StorageAccounts_GetProperties (StorageAccountGetProperties.json). */
export function accountBody(a: ScenarioStorageAccount, now: Date, subscriptionId: string) {
  const body = {
    name: a.name,
    type: 'Microsoft.Storage/storageAccounts',
    id: accountId(subscriptionId, a),
    kind: 'StorageV2',
    location: a.location,
    ...(a.tags ? { tags: a.tags } : {}),
    sku: { name: a.sku, tier: skuTier(a.sku) },
    properties: {
      creationTime: hoursAgo(now, 24 * 400),
      encryption: { keySource: 'Microsoft.Storage', services: { blob: { enabled: true, keyType: 'Account' } } },
      primaryEndpoints: { blob: `https://${a.name}.blob.core.windows.net/` },
      primaryLocation: a.primaryLocation ?? a.location,
      provisioningState: 'Succeeded',
      statusOfPrimary: 'available',
      ...(a.secondaryLocation ? { secondaryLocation: a.secondaryLocation, statusOfSecondary: 'available' } : {}),
      supportsHttpsTrafficOnly: true,
      minimumTlsVersion: 'TLS1_2',
      allowBlobPublicAccess: false,
    },
  };
  nullsFor(a.nullForUnset, body.properties, ['secondaryLocation']);
  return body;
}

/**
 * BlobServices_GetServiceProperties (BlobServicesGet.json): the scenario's settings as they are. A setting the scenario
 * leaves out is left out, as real Azure does for a fresh account (no isVersioningEnabled, no containerDeleteRetentionPolicy).
 */
export function blobServiceBody(a: ScenarioStorageAccount, subscriptionId: string) {
  const properties = { ...a.blobService };
  nullsFor(a.nullForUnset, properties, ['isVersioningEnabled', 'deleteRetentionPolicy', 'containerDeleteRetentionPolicy', 'changeFeed']);
  return {
    name: 'default',
    type: 'Microsoft.Storage/storageAccounts/blobServices',
    id: `${accountId(subscriptionId, a)}/blobServices/default`,
    properties,
    sku: { name: a.sku, tier: skuTier(a.sku) },
  };
}

/**
 * ManagementPolicies_Get (StorageAccountGetManagementPolicy.json): the scenario's rules as they are, under
 * properties.policy, named "DefaultManagementPolicy" as in the example. Call it only for an account that has a policy.
 * lastModifiedTime: 30 days before the request (the scenario does not say when the policy was set).
 */
export function managementPolicyBody(a: ScenarioStorageAccount, now: Date, subscriptionId: string) {
  return {
    id: `${accountId(subscriptionId, a)}/managementPolicies/default`,
    name: 'DefaultManagementPolicy',
    type: 'Microsoft.Storage/storageAccounts/managementPolicies',
    properties: { policy: { rules: structuredClone(a.managementPolicy?.rules ?? []) }, lastModifiedTime: hoursAgo(now, 24 * 30) },
  };
}

/**
 * BlobContainers_Get, shaped like the official examples BlobContainersGetWithAllowProtectedAppendWritesAll.json and
 * BlobContainersPutObjectLevelWorm.json (its 200 body, for immutableStorageWithVersioning): the policy's
 * own properties sit under properties.immutabilityPolicy.properties (the SDK flattens them), with the policy's etag beside.
 */
export function containerBody(a: ScenarioStorageAccount, c: ScenarioStorageAccount['containers'][number], subscriptionId: string) {
  const policy = c.immutabilityPolicy;
  return {
    id: `${accountId(subscriptionId, a)}/blobServices/default/containers/${c.name}`,
    name: c.name,
    type: 'Microsoft.Storage/storageAccounts/blobServices/containers',
    etag: '"0x8D592D74CC20EBA"',
    properties: {
      publicAccess: 'None',
      leaseStatus: 'Unlocked',
      leaseState: 'Available',
      ...(policy
        ? {
            immutabilityPolicy: {
              etag: '"8d592d74cb3011a"',
              properties: {
                immutabilityPeriodSinceCreationInDays: policy.days,
                ...(policy.allowProtectedAppendWritesAll !== undefined ? { allowProtectedAppendWritesAll: policy.allowProtectedAppendWritesAll } : {}),
                state: policy.state,
              },
            },
          }
        : {}),
      ...(c.versionLevelImmutability !== undefined ? { immutableStorageWithVersioning: { enabled: c.versionLevelImmutability } } : {}),
      hasImmutabilityPolicy: policy !== undefined,
      hasLegalHold: false,
    },
  };
}

/** The Azure-AsyncOperation status body (ARM's convention; no official example shows one). */
export function operationStatusBody(op: Operation) {
  return { name: op.id, status: op.status, startTime: op.startTime, ...(op.endTime ? { endTime: op.endTime } : {}), ...(op.error ? { error: op.error } : {}) };
}
