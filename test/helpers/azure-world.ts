/**
 * The in-memory Azure world of the pgflex-*, blob-* and storage-* unit tests (and the blob half of signed-document):
 * plain gateways answering from a `World` (healthy unless a test says otherwise), and `run()`, which runs ONE check
 * through the real runner and configuration schema. The real SDK path is exercised end to end in test/azure/ against
 * the simulator and Azurite.
 */
import assert from 'node:assert/strict';
import type {
  BlobProbe,
  BlobServiceSettings,
  FlexibleServer,
  FlexibleServerGateway,
  LifecycleRule,
  StorageAccountInfo,
  StorageGateway,
} from '../../src/azure/types.js';
import { checks } from '../../src/checks/index.js';
import { configSchema } from '../../src/config/schema.js';
import type { DatabaseGateway } from '../../src/db/types.js';
import { EvaluationError } from '../../src/errors.js';
import type { Gateways } from '../../src/run/gateways.js';
import { runChecks } from '../../src/run/runner.js';
import type { CheckResult } from '../../src/run/result.js';
import { fakeGateways } from './fake-gateways.js';

export const NOW = new Date('2026-11-21T03:00:00.000Z');
export const hoursAgo = (h: number) => new Date(NOW.getTime() - h * 3_600_000).toISOString();

export const HEALTHY_SERVER: FlexibleServer = {
  name: 'db',
  location: 'France Central',
  state: 'Ready',
  version: '16',
  backupRetentionDays: 35,
  geoRedundantBackup: 'Enabled',
  earliestRestoreDate: hoursAgo(35 * 24),
};
export const HEALTHY_BLOB: BlobServiceSettings = {
  isVersioningEnabled: true,
  deleteRetentionPolicy: { enabled: true, days: 14 },
  containerDeleteRetentionPolicy: { enabled: true, days: 7 },
};
export const HEALTHY_ACCOUNT: StorageAccountInfo = {
  location: 'francecentral',
  primaryLocation: 'francecentral',
  secondaryLocation: 'francesouth',
  skuName: 'Standard_GZRS',
};

/** What Azure (and the signed-document query) answers; each field left out answers as a healthy deployment would. */
export interface World {
  server?: FlexibleServer | EvaluationError;
  backups?: string[];
  blob?: BlobServiceSettings;
  /** ManagementPolicies_Get's rules; default none. */
  lifecycle?: LifecycleRule[];
  account?: StorageAccountInfo;
  probe?: BlobProbe;
  document?: { blobName: string; sha256?: string } | null;
}

function gateways(world: World): Gateways {
  const fail = (what: string) => {
    throw new Error(`unexpected call: ${what}`);
  };
  const postgres: FlexibleServerGateway = {
    getServer: async () => {
      const s = world.server ?? HEALTHY_SERVER;
      if (s instanceof EvaluationError) throw s;
      return s;
    },
    listBackups: async () => {
      const times = world.backups ?? [hoursAgo(50), hoursAgo(3), hoursAgo(27)];
      return { backups: times.map((t, i) => ({ name: `b${i}`, backupType: 'Full', completedTime: t })), pages: 2 };
    },
    listLongTermRetentionOperations: async () => [{ backupName: 'ltr', status: 'Succeeded', endTime: hoursAgo(100) }],
    findServer: async () => fail('findServer'),
    listServers: async () => fail('listServers'),
    restoreToNewServer: async () => fail('restoreToNewServer'),
    createFirewallRule: async () => fail('createFirewallRule'),
    deleteServer: async () => fail('deleteServer'),
  };
  const storage: StorageGateway = {
    getBlobServiceSettings: async () => world.blob ?? HEALTHY_BLOB,
    getAccount: async () => world.account ?? HEALTHY_ACCOUNT,
    probeBlob: async () => world.probe ?? fail('probeBlob'),
    getContainerImmutability: async () => fail('getContainerImmutability'),
    getLifecycleRules: async () => world.lifecycle ?? [],
  };
  const database = {
    querySignedDocument: async () => (world.document === undefined ? { blobName: 'doc.pdf', sha256: 'aa'.repeat(32) } : world.document),
  } as unknown as DatabaseGateway;
  return fakeGateways({ database: () => database, azurePostgres: () => postgres, azureStorage: () => storage });
}

const baseConfig = {
  environment: 'test',
  database: { url: 'postgres://u:p@localhost/db', signedDocument: { query: 'SELECT 1' } },
  azure: {
    subscriptionId: '00000000-0000-0000-0000-000000000000',
    postgres: { resourceGroup: 'rg', server: 'db' },
    storage: { resourceGroup: 'rg', account: 'acct', container: 'documents' },
  },
};

/** Runs the check `id` alone in `world`, at NOW, on the base configuration as `overrides` changes it. */
export async function run(
  id: string,
  world: World,
  overrides: (config: typeof baseConfig & Record<string, unknown>) => void = () => undefined,
): Promise<CheckResult> {
  const raw = structuredClone(baseConfig) as typeof baseConfig & Record<string, unknown>;
  overrides(raw);
  const config = configSchema.parse(raw);
  const result = await runChecks({ command: 'check', checks, config, gateways: gateways(world), only: [id], now: () => NOW });
  assert.equal(result.checks.length, 1);
  return result.checks[0]!;
}

/** Asserts the verdict of a check that could not tell: error, saying the value is unknown. */
export const unknown = (r: CheckResult) => {
  assert.equal(r.status, 'error', r.message);
  assert.match(r.message, /unknown/);
};
