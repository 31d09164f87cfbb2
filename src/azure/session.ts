/**
 * One run's door to Azure: the credential is created once, on first use, and shared by every
 * gateway (so a token is fetched once per audience). Only src/azure/ imports @azure/*.
 */
import type { AzureConfig } from '../config/schema.js';
import { azureSettings, createCredential, type AzureSettings } from './azure-settings.js';
import { ArmFlexibleServerGateway } from './flexible-server-gateway.js';
import { postgresTokenProvider } from './postgres-token.js';
import { AzureDrillBlobs } from './blob-drill-gateway.js';
import { AzureStorageGateway } from './storage-gateway.js';
import type { DrillBlobs, FlexibleServerGateway, StorageGateway } from './types.js';

export class AzureSession {
  private settings: AzureSettings | undefined;
  private postgres: FlexibleServerGateway | undefined;
  private storage: StorageGateway | undefined;
  private reportStore: StorageGateway | undefined;

  constructor(private readonly config: AzureConfig) {}

  /**
   * The token is fetched inside a request, under the request's deadline: its own deadline is shorter, so that a hung
   * identity endpoint is named as such rather than as "no answer from Resource Manager".
   */
  private shared(): AzureSettings {
    this.settings ??= azureSettings(this.config, createCredential(Math.max(1_000, Math.floor(this.config.requestTimeoutMs * 0.75))));
    return this.settings;
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
