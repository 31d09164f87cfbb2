/**
 * The gateways a run uses, opened lazily (a run with `--only` touches only what it needs) and
 * closed once at the end. Tests pass their own implementation of `Gateways` to the runner.
 */
import { isAbsolute, resolve } from 'node:path';
import { type ArchiveVerification, type VerifyOptions, verifyArchive } from '../archive/verify-archive.js';
import type { Config } from '../config/schema.js';
import { EvaluationError } from '../errors.js';
import { openDatabase } from '../db/postgres.js';
import type { DatabaseGateway } from '../db/types.js';
import { readStoredReports, type StoredReport } from '../evidence/report-directory.js';
import type { RestoreOutcome } from '../restore/outcome.js';
import type { AzureSession } from '../azure/session.js';
import type { FlexibleServerGateway, StorageGateway } from '../azure/types.js';

export interface Gateways {
  /** The configured database (`database.url`). Throws EvaluationError when it is not configured. */
  database(): DatabaseGateway;
  /** Flexible Servers through Resource Manager (`azure`). Throws EvaluationError when not configured. */
  azurePostgres(): FlexibleServerGateway;
  /** Storage account settings (Resource Manager) and blob probe (data plane) (`azure.storage`). */
  azureStorage(): StorageGateway;
  /** What this run's restore test found (restore-test only; the restore-* checks judge it). */
  restore(): Promise<RestoreOutcome>;
  /** The valid reports stored in `report.dir`, oldest first, each with its standing in the audit log (recorded, with the same hash, or not). */
  storedReports(): Promise<StoredReport[]>;
  /**
   * The archive a `verify` run is about: the one streaming pass over it, run once and shared by
   * every archive-* check. Absent when the run has no archive (the checks are then skipped).
   */
  archive?: () => Promise<ArchiveVerification>;
  close(): Promise<void>;
}

/** The archive given to `verify`, and how to read it. */
export interface ArchiveSource {
  path: string;
  options: VerifyOptions;
}

export class LiveGateways implements Gateways {
  private db: DatabaseGateway | undefined;
  readonly archive?: () => Promise<ArchiveVerification>;
  private azure: Promise<AzureSession> | undefined;
  private postgresGateway: FlexibleServerGateway | undefined;
  private storageGatewayProxy: StorageGateway | undefined;

  constructor(
    private readonly config: Config,
    /** Relative paths in the configuration are resolved from here. */
    private readonly configDir: string = process.cwd(),
    source?: { archive?: ArchiveSource },
  ) {
    const archive = source?.archive;
    if (archive) {
      let pass: Promise<ArchiveVerification> | undefined;
      this.archive = () => (pass ??= verifyArchive(archive.path, archive.options));
    }
  }

  database(): DatabaseGateway {
    if (!this.db) {
      const cfg = this.config.database;
      if (!cfg) throw new EvaluationError('config', 'no database is configured', 'add a database section with url to the configuration');
      this.db = openDatabase(cfg.url, { statementTimeoutMs: cfg.statementTimeoutMs, connectTimeoutMs: cfg.connectTimeoutMs });
    }
    return this.db;
  }

  private azureSession(): Promise<AzureSession> {
    const cfg = this.config.azure!;
    // The Azure SDKs take a third of a second to load: only a run that talks to Azure pays for them.
    this.azure ??= import('../azure/session.js').then(({ AzureSession }) => new AzureSession(cfg));
    return this.azure;
  }

  azurePostgres(): FlexibleServerGateway {
    if (!this.config.azure) throw new EvaluationError('config', 'no azure section is configured', 'add an azure section with subscriptionId to the configuration');
    this.postgresGateway ??= loadedOnFirstCall(async () => (await this.azureSession()).flexibleServers());
    return this.postgresGateway;
  }

  azureStorage(): StorageGateway {
    if (!this.config.azure) throw new EvaluationError('config', 'no azure section is configured', 'add an azure section with subscriptionId to the configuration');
    const storage = this.config.azure.storage;
    if (!storage) throw new EvaluationError('config', 'no azure.storage section is configured', 'add azure.storage (resourceGroup, account, container) to the configuration');
    this.storageGatewayProxy ??= loadedOnFirstCall(async () => (await this.azureSession()).storageGateway(storage));
    return this.storageGatewayProxy;
  }

  private restoreOutcome: RestoreOutcome | undefined;

  /** restore-test hands the orchestration's outcome over here, for the restore-* checks to judge. */
  useRestoreOutcome(outcome: RestoreOutcome): void {
    this.restoreOutcome = outcome;
  }

  restore(): Promise<RestoreOutcome> {
    if (this.restoreOutcome) return Promise.resolve(this.restoreOutcome);
    return Promise.reject(new EvaluationError('internal', 'this run made no restore test', 'restore-* checks run only under `restorecheck restore-test`'));
  }

  /** The same gateways, but `database()` is another database (a restored copy). */
  withDatabase(db: DatabaseGateway): Gateways {
    return { ...bindAll(this), database: () => db };
  }

  async storedReports(): Promise<StoredReport[]> {
    const dir = this.config.report?.dir;
    if (!dir) throw new EvaluationError('config', 'no report.dir is configured', 'set report.dir to the directory where restore-test reports are written');
    try {
      return await readStoredReports(isAbsolute(dir) ? dir : resolve(this.configDir, dir));
    } catch (error) {
      throw new EvaluationError('not-found', `cannot read the report directory ${dir}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, 'check that report.dir exists and is readable');
    }
  }

  async close(): Promise<void> {
    await this.db?.close();
  }
}

/** The gateway methods bound to their object, so they can be spread into another Gateways. */
function bindAll(gateways: LiveGateways): Gateways {
  return {
    database: () => gateways.database(),
    azurePostgres: () => gateways.azurePostgres(),
    azureStorage: () => gateways.azureStorage(),
    restore: () => gateways.restore(),
    storedReports: () => gateways.storedReports(),
    close: () => gateways.close(),
  };
}

/**
 * A gateway whose implementation is loaded when one of its (async) methods is first called.
 * `then` is left undefined so that the proxy is never mistaken for a promise.
 */
function loadedOnFirstCall<T extends object>(load: () => Promise<T>): T {
  let loaded: Promise<T> | undefined;
  return new Proxy({} as T, {
    get: (_target, method) => {
      if (method === 'then') return undefined;
      return async (...args: unknown[]) => {
        loaded ??= load();
        const gateway = await loaded;
        const fn = gateway[method as keyof T];
        if (typeof fn !== 'function') throw new TypeError(`gateway has no method ${String(method)}`);
        return (fn as (...a: unknown[]) => unknown).apply(gateway, args);
      };
    },
  });
}
