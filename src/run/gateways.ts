/**
 * The doors of a run to the outside: the configured database, Azure Resource Manager for Flexible
 * Servers, and Azure Storage. Opened lazily (a run with `--only` touches only what it needs) and
 * closed once at the end. What a run already knows (the restore outcome, the archive verification,
 * the stored reports) is not a door: it reaches the checks as plain inputs (run/run-inputs.ts).
 * Tests pass their own implementation of `Gateways` to the runner.
 */
import type { AzureRun } from '../azure/azure-run.js';
import type { AzureSession } from '../azure/session.js';
import type { DrillBlobs, FlexibleServerGateway, ResourceGraphGateway, StorageGateway } from '../azure/types.js';
import type { AzureConfig, Config } from '../config/schema.js';
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

/** A fleet run's Azure traffic so far (SharedAzure.stats()). */
export interface SharedAzureStats {
  /** Resource Manager / Resource Graph requests in flight now, and the most at once, under the cap `max` (azure.maxParallelRequests). */
  inFlight: number;
  peak: number;
  max: number;
  /** Tokens asked of the identity (one per audience for the whole run, unless one expired). */
  tokensFetched: number;
}

/**
 * What every LiveGateways of one fleet run shares (issue 17): one credential (a token fetched once per audience for the
 * whole run) and one cap on the Resource Manager and Resource Graph requests in flight at once (azure.maxParallelRequests).
 * Made once per run with sharedAzure(config); each resource gets `new LiveGateways(resourceConfig(config, resource),
 * { azure: shared })`, bound to its own subscription. The Azure SDKs load at the first call, as LiveGateways' own do.
 */
export interface SharedAzure {
  /** Fleet discovery (azure.discover) on the run's credential and request cap. */
  resourceGraph(): ResourceGraphGateway;
  /** The counts so far; zeros (and the configured cap) before the first Azure call. */
  stats(): SharedAzureStats;
  /** A session for one resource's azure section (its subscription), on the shared credential and cap: what LiveGateways uses. */
  session(azure: AzureConfig): Promise<AzureSession>;
}

/** The shared Azure parts of a fleet run, from the run's configuration (its azure section: endpoint, deadlines, maxParallelRequests). */
export function sharedAzure(config: Config): SharedAzure {
  const azure = config.azure;
  if (!azure)
    throw new EvaluationError('config', 'fleet mode needs an azure section', 'add an azure section with subscriptionId and discover to the configuration');
  let loaded: AzureRun | undefined;
  // The Azure SDKs take a third of a second to load: loaded at the first call, once for the whole run.
  const run = once(async () => {
    const { AzureRun } = await import('../azure/azure-run.js');
    loaded = new AzureRun(azure);
    return loaded;
  });
  return {
    resourceGraph: () => resourceGraphOnFirstCall(once(async () => (await run()).resourceGraph())),
    stats: () => loaded?.stats() ?? { inFlight: 0, peak: 0, max: azure.maxParallelRequests, tokensFetched: 0 },
    session: async (resource) => (await run()).session(resource),
  };
}

export interface LiveGatewaysOptions {
  /** A fleet run's shared credential and request cap (sharedAzure); without it the gateways make their own, uncapped. */
  azure?: SharedAzure;
}

export class LiveGateways implements Gateways {
  private db: DatabaseGateway | undefined;
  private azure: Promise<AzureSession> | undefined;
  private postgresGateway: FlexibleServerGateway | undefined;
  private storageGateway: StorageGateway | undefined;
  private reportStoreGateway: StorageGateway | undefined;
  private drill: DrillBlobs | undefined;
  private graph: ResourceGraphGateway | undefined;
  private entraPassword: (() => Promise<string>) | undefined;

  constructor(
    private readonly config: Config,
    private readonly options: LiveGatewaysOptions = {},
  ) {}

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
    this.azure ??= this.options.azure ? this.options.azure.session(azure) : import('../azure/session.js').then(({ AzureSession }) => new AzureSession(azure));
    return this.azure;
  }

  resourceGraph(): ResourceGraphGateway {
    const azure = this.config.azure;
    if (!azure)
      throw new EvaluationError('config', 'no azure section is configured', 'add an azure section with subscriptionId and discover to the configuration');
    this.graph ??= this.options.azure
      ? this.options.azure.resourceGraph()
      : resourceGraphOnFirstCall(once(async () => (await this.azureSession(azure)).resourceGraph()));
    return this.graph;
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
  const graph = gateways.resourceGraph?.bind(gateways);
  return {
    database: () => db,
    azurePostgres: () => gateways.azurePostgres(),
    azureStorage: () => gateways.azureStorage(),
    drillBlobs: () => gateways.drillBlobs(),
    reportStore: () => gateways.reportStore(),
    ...(graph ? { resourceGraph: graph } : {}),
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

function resourceGraphOnFirstCall(load: () => Promise<ResourceGraphGateway>): ResourceGraphGateway {
  return { discover: async (...args) => (await load()).discover(...args) };
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
