/**
 * What the checks may ask of Azure, in plain types: SDK models stop in src/azure/. A property that
 * Azure did not return (or returned as `null`) stays `undefined` here, so a check can judge it by
 * Azure's documented default or say "unknown" (status `error`) instead of guessing. Every method
 * throws EvaluationError (kind, hint, Azure request id) when it cannot answer.
 */
import type { FleetResource } from '../vocabulary.js';

/** A Flexible Server as Resource Manager describes it (only what restorecheck reads). */
export interface FlexibleServer {
  id?: string;
  name?: string;
  location?: string;
  /** Ready, Stopped, Disabled, … (extensible: unknown values pass through). */
  state?: string;
  version?: string;
  fullyQualifiedDomainName?: string;
  backupRetentionDays?: number;
  /** "Enabled" or "Disabled" (extensible). */
  geoRedundantBackup?: string;
  /** ISO 8601. */
  earliestRestoreDate?: string;
  highAvailabilityMode?: string;
  /** Resource tags (restore tests mark what they create with them). */
  tags?: Record<string, string>;
  /** How the server is reached: public access (firewall rules) or a delegated subnet (VNet integration). */
  network?: ServerNetwork;
  /** Managed identities (a customer-managed key is read through a user-assigned one). */
  identity?: ServerIdentity;
  dataEncryption?: ServerDataEncryption;
}

/** properties.network (Network in the SDK). A VNet-integrated server has a delegated subnet and cannot be restored to public access. */
export interface ServerNetwork {
  /** "Enabled" or "Disabled" (extensible). */
  publicNetworkAccess?: string;
  delegatedSubnetResourceId?: string;
  privateDnsZoneArmResourceId?: string;
}

/** identity (UserAssignedIdentity in the SDK), as a restore must repeat it: the type and the ARM ids of the user-assigned identities. */
export interface ServerIdentity {
  /** "None", "UserAssigned", "SystemAssigned", "SystemAssigned,UserAssigned" (extensible). */
  type?: string;
  userAssignedIdentityIds: string[];
}

/** properties.dataEncryption: "SystemManaged", or "AzureKeyVault" with the key and the identity that reads it. */
export interface ServerDataEncryption {
  type?: string;
  primaryKeyURI?: string;
  primaryUserAssignedIdentityId?: string;
  geoBackupKeyURI?: string;
  geoBackupUserAssignedIdentityId?: string;
}

/** A firewall rule of a public-access server (FirewallRules_CreateOrUpdate). */
export interface FirewallRuleRequest {
  resourceGroup: string;
  server: string;
  /** 1–128 of letters, digits, `-` and `_`. */
  name: string;
  startIpAddress: string;
  endIpAddress: string;
}

/** What a point-in-time restore to a new server needs (Servers_CreateOrUpdate, createMode PointInTimeRestore). */
export interface PointInTimeRestoreRequest {
  resourceGroup: string;
  /** The new server. */
  name: string;
  /** Must be the source's region; sent as the region name (`francecentral`, not `France Central`). */
  location: string;
  /** ARM id of the source server. */
  sourceServerId: string;
  pointInTime: Date;
  tags: Record<string, string>;
  /** The new server's network: the source's by default, or restoreTest.network (another delegated subnet). */
  network?: ServerNetwork;
  /** A customer-managed-key source's identity and key, repeated so that the copy can read its key. */
  identity?: ServerIdentity;
  dataEncryption?: ServerDataEncryption;
}

/** How long a long-running operation may take, and how to stop waiting for it. */
export interface LongRunningOptions {
  /** Aborting stops the wait (the operation itself goes on in Azure). */
  signal: AbortSignal;
  /** Upper bound of the whole operation, every poll included. */
  timeoutMs: number;
  /** Poll interval when Azure sends no Retry-After. */
  pollIntervalMs: number;
}

/**
 * The end of a restore Azure accepted: the new server, or Azure's own verdict that the restore
 * Failed (the backup did not restore). Anything that prevents knowing which is thrown instead.
 */
export type PointInTimeRestoreResult = { status: 'succeeded'; server: FlexibleServer } | { status: 'failed'; code?: string; message: string };

export interface FlexibleServerBackup {
  name?: string;
  /** "Full", "Customer On-Demand". */
  backupType?: string;
  source?: string;
  /** ISO 8601; absent while a backup is not complete. */
  completedTime?: string;
}

export interface BackupListing {
  backups: FlexibleServerBackup[];
  /** How many pages Resource Manager returned (every page is read). */
  pages: number;
}

export interface LongTermRetentionOperation {
  backupName?: string;
  /** Running, Succeeded, Failed, Cancelled. */
  status?: string;
  startTime?: string;
  endTime?: string;
}

/** Reads (and, for restore tests, later changes) Flexible Servers through Resource Manager. */
export interface FlexibleServerGateway {
  /** servers.get; EvaluationError kind `not-found` when the server does not exist. */
  getServer(resourceGroup: string, server: string): Promise<FlexibleServer>;
  /** backupsAutomaticAndOnDemand.listByServer, every page. */
  listBackups(resourceGroup: string, server: string): Promise<BackupListing>;
  /** backupsLongTermRetention.listByServer, every page. */
  listLongTermRetentionOperations(resourceGroup: string, server: string): Promise<LongTermRetentionOperation[]>;
  /** servers.get, asked again each time (not memoised); null when the server does not exist. */
  findServer(resourceGroup: string, server: string, signal?: AbortSignal): Promise<FlexibleServer | null>;
  /** servers.listByResourceGroup, every page (restore-test cleanup). */
  listServers(resourceGroup: string, signal?: AbortSignal): Promise<FlexibleServer[]>;
  /** servers.beginCreateOrUpdate with createMode PointInTimeRestore, waited for until Azure says Succeeded or Failed. */
  restoreToNewServer(request: PointInTimeRestoreRequest, options: LongRunningOptions): Promise<PointInTimeRestoreResult>;
  /** firewallRules.beginCreateOrUpdate, waited for (a long-running operation); the rule goes when its server is deleted. */
  createFirewallRule(request: FirewallRuleRequest, options: LongRunningOptions): Promise<void>;
  /** servers.beginDelete, waited for; a 409 (another operation in progress) is retried until the deadline. Absent already: resolves. */
  deleteServer(resourceGroup: string, server: string, options: LongRunningOptions): Promise<void>;
}

export interface RetentionPolicy {
  enabled?: boolean;
  days?: number;
  /** Blob soft delete only: whoever may delete may also purge soft-deleted versions and snapshots (deletetype=permanent). */
  allowPermanentDelete?: boolean;
}

/** Microsoft.Storage blobServices/default, from Resource Manager (the data plane does not expose versioning or container soft delete). */
export interface BlobServiceSettings {
  isVersioningEnabled?: boolean;
  deleteRetentionPolicy?: RetentionPolicy;
  containerDeleteRetentionPolicy?: RetentionPolicy;
  changeFeedEnabled?: boolean;
  restorePolicyEnabled?: boolean;
}

export interface StorageAccountInfo {
  name?: string;
  location?: string;
  primaryLocation?: string;
  secondaryLocation?: string;
  /** Standard_LRS, Standard_GRS, Standard_RAGZRS, … */
  skuName?: string;
}

export type BlobProbe =
  | { exists: false; container: string; blobName: string; reason: 'blob-not-found' | 'container-not-found' }
  | {
      exists: true;
      container: string;
      blobName: string;
      size: number;
      /** ISO 8601. */
      lastModified?: string;
      /** Lower-case hex SHA-256 of the content, streamed (never written to disk). */
      sha256: string;
      requestId?: string;
    };

export interface StorageGateway {
  getBlobServiceSettings(resourceGroup: string, account: string): Promise<BlobServiceSettings>;
  getAccount(resourceGroup: string, account: string): Promise<StorageAccountInfo>;
  /** Reads one blob through the data plane: existence, size, last-modified and a streamed SHA-256. */
  probeBlob(container: string, blobName: string, signal: AbortSignal): Promise<BlobProbe>;
  /** BlobContainers_Get through Resource Manager: the container's immutability policy (report-store-immutability). */
  getContainerImmutability(resourceGroup: string, account: string, container: string): Promise<ContainerImmutability>;
  /** ManagementPolicies_Get: the account's lifecycle rules; an empty list when it has no policy (Azure's 404). */
  getLifecycleRules(resourceGroup: string, account: string): Promise<LifecycleRule[]>;
}

/** One blob of the report store's listing. */
export interface StoredBlob {
  name: string;
  size?: number;
}

/**
 * The report store's container through the blob data plane (azure/report-store-gateway.ts): list, read, and create-only
 * writes. No overwrite and no delete exist here on purpose: the container may be under a WORM policy.
 */
export interface ReportStoreBlobs {
  /** Where the store is, for messages: `container <name> of storage account <account>` (never a key or SAS). */
  readonly where: string;
  /** Every blob under `prefix`, at most `maxPages` pages; more is an EvaluationError. */
  list(prefix: string, signal: AbortSignal): Promise<StoredBlob[]>;
  read(name: string, signal: AbortSignal): Promise<Buffer>;
  /** Creates the blob only if no blob of that name exists ("If-None-Match: *"); `exists` when one does, untouched. */
  create(name: string, bytes: Uint8Array, contentType: string, signal: AbortSignal): Promise<'created' | 'exists'>;
}

/** A container's time-based retention (immutability) policy and version-level immutability, as Resource Manager says. */
export interface ContainerImmutability {
  /** properties.immutabilityPolicy; absent when the container has none. */
  policy?: {
    /** "Locked" or "Unlocked" (extensible). */
    state?: string;
    immutabilityPeriodSinceCreationInDays?: number;
    allowProtectedAppendWrites?: boolean;
    allowProtectedAppendWritesAll?: boolean;
  };
  /** properties.immutableStorageWithVersioning.enabled */
  versionLevelImmutability?: boolean;
  hasLegalHold?: boolean;
}

/** One entry of a listing with deleted blobs and versions included (blob-recovery-drill). */
export interface DrillListedBlob {
  name: string;
  deleted: boolean;
  /** Set for a version; absent for the base blob (and on accounts without versioning). */
  versionId?: string;
  isCurrentVersion?: boolean;
  /** Days before a soft-deleted entry is gone for good, as the listing says. */
  remainingRetentionDays?: number;
}

/** What a read of the canary found: its content's SHA-256, or nothing there. */
export type DrillRead = { exists: false } | { exists: true; sha256: string; size: number; versionId?: string; bytes: Buffer };

/**
 * The drill container through the blob data plane (azure/blob-drill-gateway.ts): the few Blob REST operations the
 * recovery drill needs, on that container only. The drill creates and deletes nothing else.
 */
export interface DrillBlobs {
  /** `container <name> of storage account <account>` (never a key or SAS), for messages. */
  readonly where: string;
  /** Put Blob (a block blob, overwriting); the version id Azure created when versioning is on. */
  put(name: string, bytes: Uint8Array, signal: AbortSignal): Promise<{ versionId?: string }>;
  /** Get Blob (of a version when given), hashed; its bytes kept (a canary is small: promoting a version writes them back). */
  read(name: string, signal: AbortSignal, versionId?: string): Promise<DrillRead>;
  /** Delete Blob with its snapshots, or one version; `permanent` purges a soft-deleted version (deletetype=permanent). */
  delete(name: string, signal: AbortSignal, options?: { versionId?: string; permanent?: boolean }): Promise<'deleted' | 'not-found'>;
  /** List Blobs with include=deleted,versions under the name. */
  list(prefix: string, signal: AbortSignal): Promise<DrillListedBlob[]>;
  /** Undelete Blob. */
  undelete(name: string, signal: AbortSignal): Promise<void>;
}

/** A lifecycle management rule's delete actions (ManagementPolicies_Get), in days; absent where the rule has none. */
export interface LifecycleRule {
  name: string;
  enabled: boolean;
  /** prefixMatch filters (`container/prefix`); empty: every container. */
  prefixMatch: string[];
  baseBlobDeleteAfterDays?: number;
  /** Which clock the base blob rule counts from, for the message. */
  baseBlobDeleteBasis?: 'modification' | 'creation' | 'last access';
  versionDeleteAfterDays?: number;
  snapshotDeleteAfterDays?: number;
}

/** azure.discover's scope (issue 17): what one Resource Graph query asks for. */
export interface DiscoveryScope {
  /** Subscription ids, or every subscription the identity can read. */
  subscriptions: string[] | 'all';
  /** Every key must carry its value (case-insensitive); `{}`: no tag filter. */
  tag: Record<string, string>;
  kinds: FleetResource['kind'][];
  /** Rows per page ($top). */
  pageSize: number;
}

export interface Discovery {
  /** Sorted by id (lower case), each once. */
  resources: FleetResource[];
  /** Pages read ($skipToken), and the KQL query sent (for the report's evidence). */
  pages: number;
  query: string;
}

/**
 * Azure Resource Graph (POST /providers/Microsoft.ResourceGraph/resources, api-version 2022-10-01): the fleet's
 * discovery, paged with $skipToken, under azure.requestTimeoutMs per page and azure.maxPages in all.
 */
export interface ResourceGraphGateway {
  discover(scope: DiscoveryScope, signal?: AbortSignal): Promise<Discovery>;
}
