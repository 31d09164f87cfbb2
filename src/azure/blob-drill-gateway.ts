/**
 * The drill container (azure.storage.drill) through the blob data plane (@azure/storage-blob): the five Blob REST
 * operations the recovery drill needs (restore/blob-recovery-drill.ts holds the procedure), mapped to plain types.
 * Sign-in: drill.connectionString, else Entra ID against drill.blobEndpoint, else azure.storage's own (connection
 * string, else Entra ID against its blobEndpoint or the account's public endpoint). Every call names the role it
 * needs, Storage Blob Data Contributor on the drill container, so that a 403 says what to grant and where.
 */
import { createHash } from 'node:crypto';
import type { TokenCredential } from '@azure/core-auth';
import { BlobServiceClient, type ContainerClient, type StoragePipelineOptions, newPipeline } from '@azure/storage-blob';
import type { AzureConfig } from '../config/schema.js';
import { EvaluationError } from '../errors.js';
import { TOOL_VERSION } from '../version.js';
import { withDeadline } from './azure-settings.js';
import { type AzureCall, toEvaluationError } from './error-mapping.js';
import type { DrillBlobs, DrillListedBlob, DrillRead } from './types.js';

type StorageConfig = NonNullable<AzureConfig['storage']>;

export interface DrillGatewayOptions {
  requestTimeoutMs: number;
  maxRetries: number;
  subscriptionId: string;
  credential: TokenCredential;
}

const ROLE = 'Storage Blob Data Contributor';
const MAX_CANARY_READ = 8 * 1024 * 1024;

/**
 * Delete Blob's `deletetype=permanent` (purges a soft-deleted version), which the SDK's BlobClient.delete does not
 * expose: a request policy of the SDK's documented custom-pipeline kind adds it, on a client used for that call only.
 */
const permanentDeletePolicy = {
  create: (next: { sendRequest(request: { url: string }): Promise<unknown> }) => ({
    sendRequest(request: { url: string; method?: string }) {
      if (request.method === 'DELETE') {
        const url = new URL(request.url);
        url.searchParams.set('deletetype', 'permanent');
        request.url = url.toString();
      }
      return next.sendRequest(request);
    },
  }),
};

export class AzureDrillBlobs implements DrillBlobs {
  readonly where: string;
  private readonly container: string;
  private client: ContainerClient | undefined;
  private purger: ContainerClient | undefined;

  constructor(
    private readonly storage: StorageConfig & { drill: NonNullable<StorageConfig['drill']> },
    private readonly options: DrillGatewayOptions,
  ) {
    this.container = storage.drill.container;
    this.where = `container ${this.container} of storage account ${storage.account}`;
  }

  private pipelineOptions(): StoragePipelineOptions {
    return {
      retryOptions: { maxTries: this.options.maxRetries + 1, tryTimeoutInMs: this.options.requestTimeoutMs, retryDelayInMs: 500, maxRetryDelayInMs: 10_000 },
      userAgentOptions: { userAgentPrefix: `restorecheck/${TOOL_VERSION}` },
    };
  }

  /** Which sign-in, in the order the configuration documents. */
  private signIn(): { connectionString: string; key: string } | { endpoint: string } {
    const drill = this.storage.drill;
    if (drill.connectionString) return { connectionString: drill.connectionString, key: 'azure.storage.drill.connectionString' };
    if (drill.blobEndpoint) return { endpoint: drill.blobEndpoint };
    if (this.storage.connectionString) return { connectionString: this.storage.connectionString, key: 'azure.storage.connectionString' };
    return { endpoint: this.storage.blobEndpoint ?? `https://${this.storage.account}.blob.core.windows.net` };
  }

  private service(extraPolicy?: typeof permanentDeletePolicy): BlobServiceClient {
    const how = this.signIn();
    if ('endpoint' in how) {
      if (!extraPolicy) return new BlobServiceClient(how.endpoint, this.options.credential, this.pipelineOptions());
      const pipeline = newPipeline(this.options.credential, this.pipelineOptions());
      pipeline.factories.push(extraPolicy as never);
      return new BlobServiceClient(how.endpoint, pipeline);
    }
    try {
      const client = BlobServiceClient.fromConnectionString(how.connectionString, this.pipelineOptions());
      if (!extraPolicy) return client;
      // The same account and credential, with the extra policy (a SAS or key client's own pipeline is not reachable).
      const credential = (client as unknown as { credential: never }).credential;
      const pipeline = newPipeline(credential, this.pipelineOptions());
      pipeline.factories.push(extraPolicy as never);
      return new BlobServiceClient(client.url, pipeline);
    } catch {
      // The SDK's message may quote the string it could not parse: it is not passed on.
      throw new EvaluationError(
        'config',
        `${how.key} is not a connection string restorecheck can use for storage account ${this.storage.account}`,
        'use a connection string with a SAS (sp=rwdl) on the drill container, or leave it out to sign in with Entra ID',
      );
    }
  }

  private containerClient(): ContainerClient {
    this.client ??= this.service().getContainerClient(this.container);
    return this.client;
  }

  private purgingClient(): ContainerClient {
    this.purger ??= this.service(permanentDeletePolicy).getContainerClient(this.container);
    return this.purger;
  }

  private call(what: string): AzureCall {
    return {
      what: `${what} in ${this.where}`,
      plane: 'blob',
      role: `${ROLE} on container ${this.container}`,
      scope:
        `/subscriptions/${this.options.subscriptionId}/resourceGroups/${this.storage.resourceGroup}` +
        `/providers/Microsoft.Storage/storageAccounts/${this.storage.account}/blobServices/default/containers/${this.container}`,
      timeoutMs: this.options.requestTimeoutMs,
      ...(() => {
        const how = this.signIn();
        // Undelete and version deletes need more than the documents' read-only SAS: say which key and what it needs.
        return 'key' in how ? { sharedKey: true, connectionString: { key: how.key, sasPermissions: 'sp=rwdlx on the drill container' } } : {};
      })(),
    };
  }

  private run<T>(what: string, work: (signal: AbortSignal) => Promise<T>, outer: AbortSignal): Promise<T> {
    const call = this.call(what);
    return withDeadline(call.timeoutMs, work, (error) => (error instanceof EvaluationError ? error : toEvaluationError(error, call)), outer);
  }

  put(name: string, bytes: Uint8Array, signal: AbortSignal): Promise<{ versionId?: string }> {
    return this.run(
      `PUT blob ${name}`,
      async (abortSignal) => {
        const r = await this.containerClient().getBlockBlobClient(name).uploadData(bytes, { abortSignal });
        return r.versionId ? { versionId: r.versionId } : {};
      },
      signal,
    );
  }

  read(name: string, signal: AbortSignal, versionId?: string): Promise<DrillRead> {
    return this.run(
      `GET blob ${name}${versionId ? ` (version ${versionId})` : ''}`,
      async (abortSignal) => {
        const blob = this.containerClient().getBlobClient(name);
        let download;
        try {
          download = await (versionId ? blob.withVersion(versionId) : blob).download(0, undefined, { abortSignal, maxRetryRequests: this.options.maxRetries });
        } catch (error) {
          if ((error as { statusCode?: number }).statusCode === 404 && (error as { code?: string }).code === 'BlobNotFound') return { exists: false } as const;
          throw error;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        for await (const chunk of download.readableStreamBody ?? []) {
          const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
          size += bytes.length;
          // The drill's own canary is at most 4 MiB: anything far larger is not ours, and is not read into memory.
          if (size > MAX_CANARY_READ)
            throw new EvaluationError(
              'invalid-response',
              `${name} in ${this.where} is larger than ${MAX_CANARY_READ} bytes: not a canary of restorecheck`,
              'keep the drill container for the drill alone',
            );
          chunks.push(bytes);
        }
        const bytes = Buffer.concat(chunks);
        const sha256 = createHash('sha256').update(bytes).digest('hex');
        return { exists: true, sha256, size, bytes, ...(download.versionId ? { versionId: download.versionId } : {}) } as const;
      },
      signal,
    );
  }

  delete(name: string, signal: AbortSignal, options: { versionId?: string; permanent?: boolean } = {}): Promise<'deleted' | 'not-found'> {
    const what = `${options.permanent ? 'DELETE (permanent)' : 'DELETE'} blob ${name}${options.versionId ? ` (version ${options.versionId})` : ''}`;
    return this.run(
      what,
      async (abortSignal) => {
        const blob = (options.permanent ? this.purgingClient() : this.containerClient()).getBlobClient(name);
        try {
          // A version is deleted alone; the base blob with its snapshots (Azure refuses a blob that has some otherwise).
          if (options.versionId) await blob.withVersion(options.versionId).delete({ abortSignal });
          else await blob.delete({ abortSignal, deleteSnapshots: 'include' });
          return 'deleted' as const;
        } catch (error) {
          if ((error as { statusCode?: number }).statusCode === 404 && (error as { code?: string }).code === 'BlobNotFound') return 'not-found' as const;
          throw error;
        }
      },
      signal,
    );
  }

  list(prefix: string, signal: AbortSignal): Promise<DrillListedBlob[]> {
    return this.run(
      `LIST blobs under ${prefix} (deleted and versions included)`,
      async (abortSignal) => {
        const found: DrillListedBlob[] = [];
        // One canary has a handful of entries: one page, bounded by the call's deadline (the SDK follows a continuation).
        for await (const item of this.containerClient().listBlobsFlat({ prefix, includeDeleted: true, includeVersions: true, abortSignal })) {
          found.push({
            name: item.name,
            deleted: item.deleted === true,
            ...(item.versionId ? { versionId: item.versionId } : {}),
            ...(item.isCurrentVersion !== undefined ? { isCurrentVersion: item.isCurrentVersion } : {}),
            ...(item.properties.remainingRetentionDays !== undefined ? { remainingRetentionDays: item.properties.remainingRetentionDays } : {}),
          });
          if (found.length > 1000)
            throw new EvaluationError('invalid-response', `more than 1000 entries under ${prefix}`, 'the drill prefix holds only canaries: empty it');
        }
        return found;
      },
      signal,
    );
  }

  undelete(name: string, signal: AbortSignal): Promise<void> {
    return this.run(
      `UNDELETE blob ${name}`,
      async (abortSignal) => {
        await this.containerClient().getBlobClient(name).undelete({ abortSignal });
      },
      signal,
    );
  }
}
