/**
 * The gateways a run uses, opened lazily (a run with `--only` touches only what it needs) and
 * closed once at the end. Tests pass their own implementation of `Gateways` to the runner.
 */
import type { Config } from '../config/schema.js';
import { EvaluationError } from '../errors.js';
import { openDatabase } from '../db/postgres.js';
import type { DatabaseGateway } from '../db/types.js';
import { AzureSession } from '../azure/session.js';
import type { FlexibleServerGateway, StorageGateway } from '../azure/types.js';

export interface Gateways {
  /** The configured database (`database.url`). Throws EvaluationError when it is not configured. */
  database(): DatabaseGateway;
  /** Flexible Servers through Resource Manager (`azure`). Throws EvaluationError when not configured. */
  azurePostgres(): FlexibleServerGateway;
  /** Storage account settings (Resource Manager) and blob probe (data plane) (`azure.storage`). */
  azureStorage(): StorageGateway;
  close(): Promise<void>;
}

export class LiveGateways implements Gateways {
  private db: DatabaseGateway | undefined;
  private azure: AzureSession | undefined;

  constructor(private readonly config: Config) {}

  database(): DatabaseGateway {
    if (!this.db) {
      const cfg = this.config.database;
      if (!cfg) throw new EvaluationError('config', 'no database is configured', 'add a database section with url to the configuration');
      this.db = openDatabase(cfg.url, { statementTimeoutMs: cfg.statementTimeoutMs, connectTimeoutMs: cfg.connectTimeoutMs });
    }
    return this.db;
  }

  private azureSession(): AzureSession {
    const cfg = this.config.azure;
    if (!cfg) throw new EvaluationError('config', 'no azure section is configured', 'add an azure section with subscriptionId to the configuration');
    this.azure ??= new AzureSession(cfg);
    return this.azure;
  }

  azurePostgres(): FlexibleServerGateway {
    return this.azureSession().flexibleServers();
  }

  azureStorage(): StorageGateway {
    const storage = this.config.azure?.storage;
    if (!storage) throw new EvaluationError('config', 'no azure.storage section is configured', 'add azure.storage (resourceGroup, account, container) to the configuration');
    return this.azureSession().storageGateway(storage);
  }

  async close(): Promise<void> {
    await this.db?.close();
  }
}
