/**
 * Storage through Resource Manager (@azure/arm-storage: blob service settings, account locations)
 * and through the blob data plane (@azure/storage-blob: the signed-document probe), mapped to plain
 * types. The data plane cannot tell versioning or container soft delete; those come from Resource
 * Manager only. The probe streams the blob into a hash: nothing is written to disk.
 */
import { createHash } from 'node:crypto';
import { StorageManagementClient } from '@azure/arm-storage';
import { BlobServiceClient, type StoragePipelineOptions } from '@azure/storage-blob';
import { z } from 'zod';
import type { AzureConfig } from '../config/schema.js';
import { TOOL_VERSION } from '../version.js';
import { type AzureSettings, armPipelineOptions, armScope, guardPipeline, withDeadline } from './azure-settings.js';
import { type AzureCall, requestIdOf, toEvaluationError } from './error-mapping.js';
import { ResourceManagerCalls, validated } from './resource-manager-calls.js';
import type { BlobProbe, BlobServiceSettings, ContainerImmutability, LifecycleRule, StorageAccountInfo, StorageGateway } from './types.js';

type StorageConfig = NonNullable<AzureConfig['storage']>;

const retention = z.object({ enabled: z.boolean().optional(), days: z.number().int().optional(), allowPermanentDelete: z.boolean().optional() }).optional();
const blobServiceSchema = z.object({
  isVersioningEnabled: z.boolean().optional(),
  deleteRetentionPolicy: retention,
  containerDeleteRetentionPolicy: retention,
  changeFeed: z.object({ enabled: z.boolean().optional() }).optional(),
  restorePolicy: z.object({ enabled: z.boolean().optional() }).optional(),
});
const accountSchema = z.object({
  name: z.string().optional(),
  location: z.string().optional(),
  primaryLocation: z.string().optional(),
  secondaryLocation: z.string().optional(),
  sku: z.object({ name: z.string().optional() }).optional(),
});

const containerSchema = z.object({
  immutabilityPolicy: z
    .object({
      state: z.string().optional(),
      immutabilityPeriodSinceCreationInDays: z.number().int().optional(),
      allowProtectedAppendWrites: z.boolean().optional(),
      allowProtectedAppendWritesAll: z.boolean().optional(),
    })
    .optional(),
  immutableStorageWithVersioning: z.object({ enabled: z.boolean().optional() }).optional(),
  hasLegalHold: z.boolean().optional(),
});

/** ManagementPolicies_Get (`policy.rules`); only the delete actions matter here, every other field is let through. */
const daysSchema = z.number().nonnegative().optional();
const lifecycleSchema = z.object({
  policy: z
    .object({
      rules: z
        .array(
          z.object({
            name: z.string(),
            enabled: z.boolean().optional(),
            definition: z
              .object({
                filters: z.object({ prefixMatch: z.array(z.string()).optional() }).optional(),
                actions: z
                  .object({
                    baseBlob: z
                      .object({
                        delete: z
                          .object({
                            daysAfterModificationGreaterThan: daysSchema,
                            daysAfterCreationGreaterThan: daysSchema,
                            daysAfterLastAccessTimeGreaterThan: daysSchema,
                          })
                          .optional(),
                      })
                      .optional(),
                    version: z.object({ delete: z.object({ daysAfterCreationGreaterThan: daysSchema }).optional() }).optional(),
                    snapshot: z.object({ delete: z.object({ daysAfterCreationGreaterThan: daysSchema }).optional() }).optional(),
                  })
                  .optional(),
              })
              .optional(),
          }),
        )
        .default([]),
    })
    .optional(),
});

const API_HINT = 'the endpoint does not speak the Microsoft.Storage API version restorecheck uses (2025-08-01)';

export class AzureStorageGateway implements StorageGateway {
  private arm: StorageManagementClient | undefined;
  private blob: BlobServiceClient | undefined;
  private readonly calls: ResourceManagerCalls;

  constructor(
    private readonly settings: AzureSettings,
    private readonly storage: StorageConfig,
  ) {
    this.calls = new ResourceManagerCalls(settings, 'azure.storage.resourceGroup');
  }

  private armClient(): StorageManagementClient {
    if (!this.arm) {
      this.arm = new StorageManagementClient(this.settings.credential, this.settings.subscriptionId, {
        ...armPipelineOptions(this.settings),
        credentials: { scopes: [armScope(this.settings.endpoint)] },
      });
      guardPipeline(this.arm.pipeline, this.settings);
    }
    return this.arm;
  }

  /** Connection string (account key or SAS) when configured, otherwise Entra ID with the run's credential. */
  private blobClient(): BlobServiceClient {
    if (!this.blob) {
      const options: StoragePipelineOptions = {
        retryOptions: {
          maxTries: this.settings.maxRetries + 1,
          tryTimeoutInMs: this.settings.requestTimeoutMs,
          retryDelayInMs: 500,
          maxRetryDelayInMs: this.settings.maxRetryAfterSeconds * 1000,
        },
        userAgentOptions: { userAgentPrefix: `restorecheck/${TOOL_VERSION}` },
      };
      this.blob = this.storage.connectionString
        ? BlobServiceClient.fromConnectionString(this.storage.connectionString, options)
        : new BlobServiceClient(this.storage.blobEndpoint ?? `https://${this.storage.account}.blob.core.windows.net`, this.settings.credential, options);
    }
    return this.blob;
  }

  getBlobServiceSettings(resourceGroup: string, account: string): Promise<BlobServiceSettings> {
    const call = this.calls.describe(`GET blob service properties of storage account ${account} (resource group ${resourceGroup})`, resourceGroup);
    return this.calls.once(`blobService:${resourceGroup}/${account}`, call, async (abortSignal) => {
      const raw = validated(
        blobServiceSchema,
        await this.armClient().blobServices.getServiceProperties(resourceGroup, account, { abortSignal }),
        call,
        API_HINT,
      );
      const result: BlobServiceSettings = {
        isVersioningEnabled: raw.isVersioningEnabled,
        deleteRetentionPolicy: raw.deleteRetentionPolicy,
        containerDeleteRetentionPolicy: raw.containerDeleteRetentionPolicy,
        changeFeedEnabled: raw.changeFeed?.enabled,
        restorePolicyEnabled: raw.restorePolicy?.enabled,
      };
      return result;
    });
  }

  getAccount(resourceGroup: string, account: string): Promise<StorageAccountInfo> {
    const call = this.calls.describe(`GET storage account ${account} (resource group ${resourceGroup})`, resourceGroup);
    return this.calls.once(`account:${resourceGroup}/${account}`, call, async (abortSignal) => {
      const raw = validated(accountSchema, await this.armClient().storageAccounts.getProperties(resourceGroup, account, { abortSignal }), call, API_HINT);
      const result: StorageAccountInfo = {
        name: raw.name,
        location: raw.location,
        primaryLocation: raw.primaryLocation,
        secondaryLocation: raw.secondaryLocation,
        skuName: raw.sku?.name,
      };
      return result;
    });
  }

  getContainerImmutability(resourceGroup: string, account: string, container: string): Promise<ContainerImmutability> {
    const call = this.calls.describe(
      `GET container ${container} of storage account ${account} (resource group ${resourceGroup})`,
      resourceGroup,
      'Reader',
      'report.store.resourceGroup',
    );
    return this.calls.once(`container:${resourceGroup}/${account}/${container}`, call, async (abortSignal) => {
      // BlobContainers_Get flattens properties: immutabilityPolicy is the policy's properties (state, period), or absent.
      const raw = validated(containerSchema, await this.armClient().blobContainers.get(resourceGroup, account, container, { abortSignal }), call, API_HINT);
      const policy = raw.immutabilityPolicy;
      const result: ContainerImmutability = {
        ...(policy && (policy.state !== undefined || policy.immutabilityPeriodSinceCreationInDays !== undefined) ? { policy } : {}),
        ...(raw.immutableStorageWithVersioning?.enabled !== undefined ? { versionLevelImmutability: raw.immutableStorageWithVersioning.enabled } : {}),
        ...(raw.hasLegalHold !== undefined ? { hasLegalHold: raw.hasLegalHold } : {}),
      };
      return result;
    });
  }

  getLifecycleRules(resourceGroup: string, account: string): Promise<LifecycleRule[]> {
    const call = this.calls.describe(`GET lifecycle management policy of storage account ${account} (resource group ${resourceGroup})`, resourceGroup);
    return this.calls.once(`lifecycle:${resourceGroup}/${account}`, call, async (abortSignal) => {
      let raw: unknown;
      try {
        raw = await this.armClient().managementPolicies.get(resourceGroup, account, 'default', { abortSignal });
      } catch (error) {
        // An account without a policy answers 404 (the account itself was read by the blob service GET before).
        if ((error as { statusCode?: number }).statusCode === 404) return [];
        throw error;
      }
      const policy = validated(lifecycleSchema, raw, call, API_HINT).policy;
      return (policy?.rules ?? []).map((rule): LifecycleRule => {
        const actions = rule.definition?.actions;
        const base = actions?.baseBlob?.delete;
        const basis: [number | undefined, LifecycleRule['baseBlobDeleteBasis']][] = [
          [base?.daysAfterModificationGreaterThan, 'modification'],
          [base?.daysAfterCreationGreaterThan, 'creation'],
          [base?.daysAfterLastAccessTimeGreaterThan, 'last access'],
        ];
        const [baseDays, baseBasis] = basis.find(([days]) => days !== undefined) ?? [undefined, undefined];
        const versionDays = actions?.version?.delete?.daysAfterCreationGreaterThan;
        const snapshotDays = actions?.snapshot?.delete?.daysAfterCreationGreaterThan;
        return {
          name: rule.name,
          // Azure's default: a rule is enabled unless it says otherwise.
          enabled: rule.enabled ?? true,
          prefixMatch: rule.definition?.filters?.prefixMatch ?? [],
          ...(baseDays !== undefined ? { baseBlobDeleteAfterDays: baseDays, baseBlobDeleteBasis: baseBasis } : {}),
          ...(versionDays !== undefined ? { versionDeleteAfterDays: versionDays } : {}),
          ...(snapshotDays !== undefined ? { snapshotDeleteAfterDays: snapshotDays } : {}),
        };
      });
    });
  }

  probeBlob(container: string, blobName: string, signal: AbortSignal): Promise<BlobProbe> {
    const call: AzureCall = {
      what: `GET blob ${blobName} in container ${container} of storage account ${this.storage.account}`,
      plane: 'blob',
      role: `Storage Blob Data Reader on container ${container}`,
      scope:
        `/subscriptions/${this.settings.subscriptionId}/resourceGroups/${this.storage.resourceGroup}` +
        `/providers/Microsoft.Storage/storageAccounts/${this.storage.account}/blobServices/default/containers/${container}`,
      timeoutMs: this.settings.requestTimeoutMs,
      sharedKey: Boolean(this.storage.connectionString),
    };
    return withDeadline(
      call.timeoutMs,
      async (abortSignal) => {
        const client = this.blobClient().getContainerClient(container).getBlobClient(blobName);
        let download;
        try {
          download = await client.download(0, undefined, { abortSignal, maxRetryRequests: this.settings.maxRetries });
        } catch (error) {
          const e = error as { statusCode?: number; code?: string };
          if (e.statusCode === 404 && (e.code === 'BlobNotFound' || e.code === 'ContainerNotFound')) {
            return { exists: false, container, blobName, reason: e.code === 'BlobNotFound' ? 'blob-not-found' : 'container-not-found' } as const;
          }
          throw error;
        }
        const hash = createHash('sha256');
        let size = 0;
        const body = download.readableStreamBody;
        if (body) {
          for await (const chunk of body) {
            const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
            size += bytes.length;
            hash.update(bytes);
          }
        }
        const requestId = download.requestId ?? requestIdOf(download);
        return {
          exists: true,
          container,
          blobName,
          size,
          sha256: hash.digest('hex'),
          ...(download.lastModified ? { lastModified: download.lastModified.toISOString() } : {}),
          ...(requestId ? { requestId } : {}),
        } as const;
      },
      (error) => toEvaluationError(error, call),
      signal,
    );
  }
}
