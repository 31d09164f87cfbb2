/**
 * The report store's container through the blob data plane (@azure/storage-blob): list, read and create-only writes
 * (evidence/report-store.ts holds the logic). A connection string (Azurite, a key or SAS) when configured, otherwise
 * Entra ID with DefaultAzureCredential against the account's blob endpoint. Writes carry "If-None-Match: *": an existing
 * blob is never overwritten, which is also what a container under a locked WORM policy allows.
 */
import type { TokenCredential } from '@azure/core-auth';
import { BlobServiceClient, type ContainerClient, type StoragePipelineOptions } from '@azure/storage-blob';
import type { ReportStoreConfig } from '../config/schema.js';
import { EvaluationError } from '../errors.js';
import { TOOL_VERSION } from '../version.js';
import { createCredential, withDeadline } from './azure-settings.js';
import { type AzureCall, toEvaluationError } from './error-mapping.js';
import type { ReportStoreBlobs, StoredBlob } from './types.js';

/** Blobs per listing page: the service's maximum. */
const PAGE_SIZE = 5000;

export interface ReportStoreOptions {
  /** Deadline of one call (a page, a read, a write), retries included. */
  requestTimeoutMs: number;
  maxRetries: number;
  /** For role hints: the subscription, when known. */
  subscriptionId?: string;
  credential?: TokenCredential;
}

export class BlobReportStore implements ReportStoreBlobs {
  readonly where: string;
  private client: ContainerClient | undefined;

  constructor(
    private readonly store: ReportStoreConfig & { resourceGroup?: string },
    private readonly options: ReportStoreOptions,
  ) {
    this.where = `container ${store.container} of storage account ${store.account}`;
  }

  private container(): ContainerClient {
    if (!this.client) {
      const pipeline: StoragePipelineOptions = {
        retryOptions: { maxTries: this.options.maxRetries + 1, tryTimeoutInMs: this.options.requestTimeoutMs, retryDelayInMs: 500, maxRetryDelayInMs: 10_000 },
        userAgentOptions: { userAgentPrefix: `restorecheck/${TOOL_VERSION}` },
      };
      let service: BlobServiceClient;
      try {
        service = this.store.connectionString
          ? BlobServiceClient.fromConnectionString(this.store.connectionString, pipeline)
          : new BlobServiceClient(
              this.store.blobEndpoint ?? `https://${this.store.account}.blob.core.windows.net`,
              this.options.credential ?? createCredential(Math.max(1_000, Math.floor(this.options.requestTimeoutMs * 0.75))),
              pipeline,
            );
      } catch {
        // The SDK's message may quote the string it could not parse: it is not passed on.
        throw new EvaluationError(
          'config',
          `report.store.connectionString is not a connection string restorecheck can use for storage account ${this.store.account}`,
          "use the account's connection string (DefaultEndpointsProtocol=https;AccountName=…;AccountKey=… or a SAS with BlobEndpoint=…), or leave it out to sign in with Entra ID",
        );
      }
      this.client = service.getContainerClient(this.store.container);
    }
    return this.client;
  }

  private call(what: string, role: string): AzureCall {
    const group = this.store.resourceGroup ?? '<resource group>';
    return {
      what: `${what} in ${this.where}`,
      plane: 'blob',
      role: `${role} on container ${this.store.container}`,
      scope:
        `/subscriptions/${this.options.subscriptionId ?? '<subscription>'}/resourceGroups/${group}` +
        `/providers/Microsoft.Storage/storageAccounts/${this.store.account}/blobServices/default/containers/${this.store.container}`,
      timeoutMs: this.options.requestTimeoutMs,
      sharedKey: Boolean(this.store.connectionString),
    };
  }

  private run<T>(call: AzureCall, work: (signal: AbortSignal) => Promise<T>, outer: AbortSignal): Promise<T> {
    return withDeadline(call.timeoutMs, work, (error) => (error instanceof EvaluationError ? error : toEvaluationError(error, call)), outer);
  }

  /** Page by page, each page under its own deadline; `maxPages` bounds a huge store (contract: more is an error, not a wait). */
  async list(prefix: string, signal: AbortSignal): Promise<StoredBlob[]> {
    const maxPages = this.store.maxPages;
    const blobs: StoredBlob[] = [];
    const pages = this.container().listBlobsFlat({ prefix }).byPage({ maxPageSize: PAGE_SIZE });
    for (let page = 1; ; page++) {
      if (page > maxPages) {
        throw new EvaluationError(
          'invalid-response',
          `the report store lists more than ${maxPages} pages of ${PAGE_SIZE} blobs under ${prefix} in ${this.where}`,
          'raise report.store.maxPages, or give this environment a prefix of its own (report.store.prefix)',
        );
      }
      const call = this.call(`LIST blobs under ${prefix} (page ${page})`, 'Storage Blob Data Reader');
      const next = await this.run(call, () => pages.next(), signal);
      if (next.done) return blobs;
      for (const item of next.value.segment.blobItems)
        blobs.push({ name: item.name, ...(item.properties.contentLength !== undefined ? { size: item.properties.contentLength } : {}) });
      if (!next.value.continuationToken) return blobs;
    }
  }

  read(name: string, signal: AbortSignal): Promise<Buffer> {
    const call = this.call(`GET blob ${name}`, 'Storage Blob Data Reader');
    return this.run(call, (abortSignal) => this.container().getBlobClient(name).downloadToBuffer(0, undefined, { abortSignal }), signal);
  }

  create(name: string, bytes: Uint8Array, contentType: string, signal: AbortSignal): Promise<'created' | 'exists'> {
    const call = this.call(`PUT blob ${name}`, 'Storage Blob Data Contributor');
    return this.run(
      call,
      async (abortSignal) => {
        try {
          await this.container()
            .getBlockBlobClient(name)
            .uploadData(bytes, { abortSignal, conditions: { ifNoneMatch: '*' }, blobHTTPHeaders: { blobContentType: contentType } });
          return 'created' as const;
        } catch (error) {
          // 409 BlobAlreadyExists (or 412 when the condition is evaluated as a precondition): someone wrote it first.
          const e = error as { statusCode?: number; code?: string };
          if (e.statusCode === 409 && e.code === 'BlobAlreadyExists') return 'exists' as const;
          if (e.statusCode === 412) return 'exists' as const;
          throw error;
        }
      },
      signal,
    );
  }
}
