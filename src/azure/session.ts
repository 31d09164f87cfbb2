/**
 * One run's door to Azure: the credential is created once, on first use, and shared by every
 * gateway (so a token is fetched once per audience). Only src/azure/ imports @azure/*.
 *
 * A fleet run (azure-run.ts) makes one session per resource, each bound to that resource's subscription, all on the
 * run's one credential and request cap.
 */
import type { AzureConfig } from '../config/schema.js';
import { azureSettings, createCredential, type AzureSettings } from './azure-settings.js';
import { ArmFlexibleServerGateway } from './flexible-server-gateway.js';
import { postgresTokenProvider } from './postgres-token.js';
import { AzureDrillBlobs } from './blob-drill-gateway.js';
import { ArmResourceGraphGateway } from './resource-graph-gateway.js';
import type { RequestLimiter } from './request-limiter.js';
import { AzureStorageGateway } from './storage-gateway.js';
import type { DrillBlobs, FlexibleServerGateway, ResourceGraphGateway, StorageGateway } from './types.js';
import type { TokenCredential } from '@azure/core-auth';

/**
 * The token is fetched inside a request, under the request's deadline: its own deadline is shorter, so that a hung
 * identity endpoint is named as such rather than as "no answer from Resource Manager".
 */
export const tokenTimeoutMs = (config: AzureConfig) => Math.max(1_000, Math.floor(config.requestTimeoutMs * 0.75));

/** What the sessions of a fleet run share instead of making their own: the credential, and the cap on requests in flight. */
export interface SharedAzureParts {
  credential: TokenCredential;
  limiter: RequestLimiter;
}

export class AzureSession {
  private settings: AzureSettings | undefined;
  private postgres: FlexibleServerGateway | undefined;
  private storage: StorageGateway | undefined;
  private reportStore: StorageGateway | undefined;
  private graph: ResourceGraphGateway | undefined;

  constructor(
    private readonly config: AzureConfig,
    private readonly parts?: SharedAzureParts,
  ) {}

  private shared(): AzureSettings {
    this.settings ??= this.parts
      ? azureSettings(this.config, this.parts.credential, this.parts.limiter)
      : azureSettings(this.config, createCredential(tokenTimeoutMs(this.config)));
    return this.settings;
  }

  /** Azure Resource Graph (fleet discovery) with this session's credential (and request cap, in a fleet run). */
  resourceGraph(): ResourceGraphGateway {
    this.graph ??= new ArmResourceGraphGateway(this.shared());
    return this.graph;
  }

  flexibleServers(): FlexibleServerGateway {
    this.postgres ??= new ArmFlexibleServerGateway(this.shared());
    return this.postgres;
  }

  /** database.auth: entra: PostgreSQL tokens from the credential the Azure calls use (one identity, one sign-in). */
  postgresPassword(): () => Promise<string> {
    return postgresTokenProvider(this.shared().credential);
  }

  /** Undefined configuration is the caller's problem: the runner skips storage checks without azure.storage. */
  storageGateway(storage: NonNullable<AzureConfig['storage']>): StorageGateway {
    this.storage ??= new AzureStorageGateway(this.shared(), storage);
    return this.storage;
  }

  /** The drill container (azure.storage.drill), signed in with the run's one credential unless a connection string says otherwise. */
  drillBlobs(storage: NonNullable<AzureConfig['storage']> & { drill: NonNullable<NonNullable<AzureConfig['storage']>['drill']> }): DrillBlobs {
    const settings = this.shared();
    return new AzureDrillBlobs(storage, {
      requestTimeoutMs: settings.requestTimeoutMs,
      maxRetries: settings.maxRetries,
      subscriptionId: settings.subscriptionId,
      credential: settings.credential,
    });
  }

  /** Resource Manager reads of the report store's account (report.store), which need not be azure.storage's. */
  reportStoreGateway(store: { resourceGroup: string; account: string }): StorageGateway {
    this.reportStore ??= new AzureStorageGateway(this.shared(), { ...store, minSoftDeleteDays: 7, requireVersioning: true });
    return this.reportStore;
  }
}
