/**
 * The doors of a run to the outside: the configured database, Azure Resource Manager for Flexible
 * Servers, and Azure Storage. Opened lazily (a run with `--only` touches only what it needs) and
 * closed once at the end. What a run already knows (the restore outcome, the archive verification,
 * the stored reports) is not a door: it reaches the checks as plain inputs (run/run-inputs.ts).
 * Tests pass their own implementation of `Gateways` to the runner.
 */
import type { AzureSession } from '../azure/session.js';
import type { DrillBlobs, FlexibleServerGateway, ResourceGraphGateway, StorageGateway } from '../azure/types.js';
import type { Config } from '../config/schema.js';
import { openDatabase } from '../db/postgres.js';
import type { DatabaseGateway, DatabaseOptions } from '../db/types.js';
import { EvaluationError } from '../errors.js';

export interface Gateways {
  /** The configured database (`database.url`). Throws EvaluationError when it is not configured. */
  database(): DatabaseGateway;
  /** Flexible Servers through Resource Manager (`azure`). Throws EvaluationError when not configured. */
  azurePostgres(): FlexibleServerGateway;
  /** Storage account settings (Resource Manager) and blob probe (data plane) (`azure.storage`). */
  azureStorage(): StorageGateway;
  /** The drill container of blob-recovery-drill (`azure.storage.drill`), through the blob data plane. */
  drillBlobs(): DrillBlobs;
  /** Azure Resource Graph (fleet discovery, azure.discover), with the run's credential. Absent in test fakes that discover nothing. */
  resourceGraph?(): ResourceGraphGateway;
  /** The report store's account through Resource Manager (`report.store`, with azure.subscriptionId): its container's immutability. */
  reportStore(): StorageGateway;
  /**
   * How `database()` signs in, for another server read with the same credentials (restore-test's restored copy):
   * with database.auth: entra, the token provider; otherwise nothing (the URL's password). Absent in test fakes.
   */
  databaseSignIn?(): Pick<DatabaseOptions, 'password'>;
  close(): Promise<void>;
}

export class LiveGateways implements Gateways {
  private db: DatabaseGateway | undefined;
  private azure: Promise<AzureSession> | undefined;
  private postgresGateway: FlexibleServerGateway | undefined;
  private storageGateway: StorageGateway | undefined;
  private reportStoreGateway: StorageGateway | undefined;
  private drill: DrillBlobs | undefined;
  private entraPassword: (() => Promise<string>) | undefined;

  constructor(private readonly config: Config) {}

  database(): DatabaseGateway {
    if (!this.db) {
      const cfg = this.config.database;
      if (!cfg) throw new EvaluationError('config', 'no database is configured', 'add a database section with url to the configuration');
      this.db = openDatabase(cfg.url, { statementTimeoutMs: cfg.statementTimeoutMs, connectTimeoutMs: cfg.connectTimeoutMs, ...this.databaseSignIn() });
    }
    return this.db;
  }

  databaseSignIn(): Pick<DatabaseOptions, 'password'> {
    const cfg = this.config.database;
    if (cfg?.auth !== 'entra') return {};
    if (!this.entraPassword) {
      const azure = this.config.azure;
      // Loaded at the first connection, so that a password run never loads the Azure SDKs. With an azure section the token
      // comes from the run's one credential; without one, from a credential of its own bounded by the connect timeout.
      const provider = once(async () =>
        azure
          ? (await this.azureSession(azure)).postgresPassword()
          : (await import('../azure/postgres-token.js')).standalonePostgresTokenProvider(cfg.connectTimeoutMs),
      );
      this.entraPassword = async () => (await provider())();
    }
    return { password: this.entraPassword };
  }

  private azureSession(azure: NonNullable<Config['azure']>): Promise<AzureSession> {
    // The Azure SDKs take a third of a second to load: only a run that talks to Azure pays for them.
    this.azure ??= import('../azure/session.js').then(({ AzureSession }) => new AzureSession(azure));
    return this.azure;
  }

  azurePostgres(): FlexibleServerGateway {
    const azure = this.config.azure;
    if (!azure) throw new EvaluationError('config', 'no azure section is configured', 'add an azure section with subscriptionId to the configuration');
    this.postgresGateway ??= flexibleServersOnFirstCall(once(async () => (await this.azureSession(azure)).flexibleServers()));
    return this.postgresGateway;
  }

  azureStorage(): StorageGateway {
    const azure = this.config.azure;
    if (!azure) throw new EvaluationError('config', 'no azure section is configured', 'add an azure section with subscriptionId to the configuration');
    const storage = azure.storage;
    if (!storage)
      throw new EvaluationError(
        'config',
        'no azure.storage section is configured',
        'add azure.storage (resourceGroup, account, container) to the configuration',
      );
    this.storageGateway ??= storageOnFirstCall(once(async () => (await this.azureSession(azure)).storageGateway(storage)));
    return this.storageGateway;
  }

  drillBlobs(): DrillBlobs {
    const azure = this.config.azure;
    const storage = azure?.storage;
    const drill = storage?.drill;
    if (!azure || !storage || !drill)
      throw new EvaluationError('config', 'no azure.storage.drill section is configured', 'add azure.storage.drill (container) to the configuration');
    this.drill ??= drillOnFirstCall(
      `container ${drill.container} of storage account ${storage.account}`,
      once(async () => (await this.azureSession(azure)).drillBlobs({ ...storage, drill })),
    );
    return this.drill;
  }

  reportStore(): StorageGateway {
    const azure = this.config.azure;
    const store = this.config.report?.store;
    const resourceGroup = store?.resourceGroup ?? azure?.storage?.resourceGroup;
    if (!azure || !store || !resourceGroup)
      throw new EvaluationError(
        'config',
        'the report store is not fully configured for Resource Manager',
        'set report.store (account, container, resourceGroup) and azure.subscriptionId',
      );
    this.reportStoreGateway ??= storageOnFirstCall(
      once(async () => (await this.azureSession(azure)).reportStoreGateway({ resourceGroup, account: store.account })),
    );
    return this.reportStoreGateway;
  }

  async close(): Promise<void> {
    await this.db?.close();
  }
}

/** The same gateways, but `database()` is another database (a restored copy). */
export function withDatabase(gateways: Gateways, db: DatabaseGateway): Gateways {
  return {
    database: () => db,
    azurePostgres: () => gateways.azurePostgres(),
    azureStorage: () => gateways.azureStorage(),
    drillBlobs: () => gateways.drillBlobs(),
    reportStore: () => gateways.reportStore(),
    databaseSignIn: () => gateways.databaseSignIn?.() ?? {},
    close: () => gateways.close(),
  };
}

/** Runs `load` once, at the first call; every call gets the same promise. */
export function once<T>(load: () => Promise<T>): () => Promise<T> {
  let loaded: Promise<T> | undefined;
  return () => (loaded ??= load());
}

// The two Azure gateways, each built (and its SDK loaded) at the first call of one of its methods. Written out
// method by method rather than with a Proxy: the compiler then checks every delegation.
function flexibleServersOnFirstCall(load: () => Promise<FlexibleServerGateway>): FlexibleServerGateway {
  return {
    getServer: async (...args) => (await load()).getServer(...args),
    listBackups: async (...args) => (await load()).listBackups(...args),
    listLongTermRetentionOperations: async (...args) => (await load()).listLongTermRetentionOperations(...args),
    findServer: async (...args) => (await load()).findServer(...args),
    listServers: async (...args) => (await load()).listServers(...args),
    restoreToNewServer: async (...args) => (await load()).restoreToNewServer(...args),
    createFirewallRule: async (...args) => (await load()).createFirewallRule(...args),
    deleteServer: async (...args) => (await load()).deleteServer(...args),
  };
}

function storageOnFirstCall(load: () => Promise<StorageGateway>): StorageGateway {
  return {
    getBlobServiceSettings: async (...args) => (await load()).getBlobServiceSettings(...args),
    getAccount: async (...args) => (await load()).getAccount(...args),
    probeBlob: async (...args) => (await load()).probeBlob(...args),
    getContainerImmutability: async (...args) => (await load()).getContainerImmutability(...args),
    getLifecycleRules: async (...args) => (await load()).getLifecycleRules(...args),
  };
}

function drillOnFirstCall(where: string, load: () => Promise<DrillBlobs>): DrillBlobs {
  return {
    where,
    put: async (...args) => (await load()).put(...args),
    read: async (...args) => (await load()).read(...args),
    delete: async (...args) => (await load()).delete(...args),
    list: async (...args) => (await load()).list(...args),
    undelete: async (...args) => (await load()).undelete(...args),
  };
}
