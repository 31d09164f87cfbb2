/**
 * The Azure checks' verdicts, with plain in-memory gateways: every pass, fail and error ("unknown")
 * branch of each check, thresholds taken from the configuration. The real SDK path is exercised
 * end to end in test/azure/ against the simulator and Azurite.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BlobProbe, BlobServiceSettings, FlexibleServer, FlexibleServerGateway, StorageAccountInfo, StorageGateway } from '../../src/azure/types.js';
import { checks } from '../../src/checks/index.js';
import { configSchema } from '../../src/config/schema.js';
import type { DatabaseGateway } from '../../src/db/types.js';
import { EvaluationError } from '../../src/errors.js';
import type { Gateways } from '../../src/run/gateways.js';
import { runChecks } from '../../src/run/runner.js';
import type { CheckResult } from '../../src/run/result.js';
import { fakeGateways } from '../helpers/fake-gateways.js';

const NOW = new Date('2026-11-21T03:00:00.000Z');
const hoursAgo = (h: number) => new Date(NOW.getTime() - h * 3_600_000).toISOString();

const HEALTHY_SERVER: FlexibleServer = {
  name: 'db',
  location: 'France Central',
  state: 'Ready',
  version: '16',
  backupRetentionDays: 35,
  geoRedundantBackup: 'Enabled',
  earliestRestoreDate: hoursAgo(35 * 24),
};
const HEALTHY_BLOB: BlobServiceSettings = {
  isVersioningEnabled: true,
  deleteRetentionPolicy: { enabled: true, days: 14 },
  containerDeleteRetentionPolicy: { enabled: true, days: 7 },
};
const HEALTHY_ACCOUNT: StorageAccountInfo = { location: 'francecentral', primaryLocation: 'francecentral', secondaryLocation: 'francesouth', skuName: 'Standard_GZRS' };

interface World {
  server?: FlexibleServer | EvaluationError;
  backups?: string[];
  blob?: BlobServiceSettings;
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
    deleteServer: async () => fail('deleteServer'),
  };
  const storage: StorageGateway = {
    getBlobServiceSettings: async () => world.blob ?? HEALTHY_BLOB,
    getAccount: async () => world.account ?? HEALTHY_ACCOUNT,
    probeBlob: async () => world.probe ?? fail('probeBlob'),
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

async function run(id: string, world: World, overrides: (config: typeof baseConfig & Record<string, unknown>) => void = () => undefined): Promise<CheckResult> {
  const raw = structuredClone(baseConfig) as typeof baseConfig & Record<string, unknown>;
  overrides(raw);
  const config = configSchema.parse(raw);
  const result = await runChecks({ command: 'check', checks, config, gateways: gateways(world), only: [id], now: () => NOW });
  assert.equal(result.checks.length, 1);
  return result.checks[0]!;
}

const unknown = (r: CheckResult) => {
  assert.equal(r.status, 'error', r.message);
  assert.match(r.message, /unknown/);
};

describe('pgflex-server-state', () => {
  it('passes when Ready', async () => assert.equal((await run('pgflex-server-state', {})).status, 'pass'));
  it('fails when Stopped', async () => {
    const r = await run('pgflex-server-state', { server: { ...HEALTHY_SERVER, state: 'Stopped' } });
    assert.equal(r.status, 'fail');
    assert.match(r.message, /Stopped; expected Ready/);
  });
  it('fails when the server does not exist', async () => {
    const r = await run('pgflex-server-state', { server: new EvaluationError('not-found', 'gone', 'hint') });
    assert.equal(r.status, 'fail');
    assert.equal(r.evidence.exists, false);
  });
  it('is an error when the state is not returned', async () => unknown(await run('pgflex-server-state', { server: { ...HEALTHY_SERVER, state: undefined } })));
  it('is an error, with the request id, when Azure refuses', async () => {
    const r = await run('pgflex-server-state', { server: new EvaluationError('permission', '403 on GET', 'needs Reader', { requestId: 'req-1' }) });
    assert.equal(r.status, 'error');
    assert.equal(r.requestId, 'req-1');
    assert.equal(r.errorKind, 'permission');
  });
});

describe('pgflex-backup-retention', () => {
  it('passes at or above the configured minimum', async () => {
    const r = await run('pgflex-backup-retention', {});
    assert.equal(r.status, 'pass');
    assert.deepEqual(r.evidence, { backupRetentionDays: 35, minRetentionDays: 30 });
  });
  it('fails below it, and the minimum comes from the configuration', async () => {
    assert.equal((await run('pgflex-backup-retention', { server: { ...HEALTHY_SERVER, backupRetentionDays: 14 } })).status, 'fail');
    const relaxed = await run('pgflex-backup-retention', { server: { ...HEALTHY_SERVER, backupRetentionDays: 14 } }, (c) => Object.assign(c.azure.postgres, { minRetentionDays: 14 }));
    assert.equal(relaxed.status, 'pass');
  });
  it('is an error when not returned', async () => unknown(await run('pgflex-backup-retention', { server: { ...HEALTHY_SERVER, backupRetentionDays: undefined } })));
});

describe('pgflex-geo-redundant-backup', () => {
  it('passes when Enabled', async () => assert.equal((await run('pgflex-geo-redundant-backup', {})).status, 'pass'));
  it('fails when Disabled, saying it is chosen at creation', async () => {
    const r = await run('pgflex-geo-redundant-backup', { server: { ...HEALTHY_SERVER, geoRedundantBackup: 'Disabled' } });
    assert.equal(r.status, 'fail');
    assert.match(r.remediation, /only be chosen when a server is created/);
  });
  it('is skipped when not required', async () => {
    const r = await run('pgflex-geo-redundant-backup', { server: { ...HEALTHY_SERVER, geoRedundantBackup: 'Disabled' } }, (c) => Object.assign(c.azure.postgres, { requireGeoRedundantBackup: false }));
    assert.equal(r.status, 'skipped');
  });
  it('is an error when not returned or unrecognised', async () => {
    unknown(await run('pgflex-geo-redundant-backup', { server: { ...HEALTHY_SERVER, geoRedundantBackup: undefined } }));
    assert.equal((await run('pgflex-geo-redundant-backup', { server: { ...HEALTHY_SERVER, geoRedundantBackup: 'Maybe' } })).status, 'error');
  });
});

describe('pgflex-recent-backup', () => {
  it('passes with the newest completed backup, whatever the order', async () => {
    const r = await run('pgflex-recent-backup', {});
    assert.equal(r.status, 'pass');
    assert.equal(r.evidence.latestBackupAt, hoursAgo(3));
    assert.equal(r.evidence.ageHours, 3);
    assert.equal(r.evidence.backupCount, 3);
    assert.equal(r.evidence.longTermRetentionBackups, 1);
  });
  it('fails when the newest is older than maxBackupAgeHours (from the configuration)', async () => {
    assert.equal((await run('pgflex-recent-backup', { backups: [hoursAgo(30), hoursAgo(40)] })).status, 'fail');
    const relaxed = await run('pgflex-recent-backup', { backups: [hoursAgo(30)] }, (c) => Object.assign(c.azure.postgres, { maxBackupAgeHours: 48 }));
    assert.equal(relaxed.status, 'pass');
  });
  it('fails a backup from the future (this clock 3 days behind Azure): a clock or data anomaly, never fresh', async () => {
    const r = await run('pgflex-recent-backup', { backups: [hoursAgo(30), hoursAgo(-69)] });
    assert.equal(r.status, 'fail', r.message);
    assert.match(r.message, /clock or data anomaly/);
    assert.doesNotMatch(r.message, / -\d/); // never a negative age
    assert.equal(r.evidence.ageHours, null);
    assert.equal(r.evidence.aheadHours, 69);
  });
  it('counts a backup a little ahead (within limits.clockSkewSeconds) as just made, and honours a larger skew', async () => {
    const slightly = await run('pgflex-recent-backup', { backups: [hoursAgo(-0.05)] });
    assert.equal(slightly.status, 'pass', slightly.message);
    assert.equal(slightly.evidence.ageHours, 0);
    assert.equal((await run('pgflex-recent-backup', { backups: [hoursAgo(-0.5)] })).status, 'fail');
    const relaxed = await run('pgflex-recent-backup', { backups: [hoursAgo(-0.5)] }, (c) => Object.assign(c, { limits: { clockSkewSeconds: 3600 } }));
    assert.equal(relaxed.status, 'pass', relaxed.message);
  });
  it('is an error, not a pass, when a completion time cannot be read', async () => {
    const r = await run('pgflex-recent-backup', { backups: ['yesterday'] });
    assert.equal(r.status, 'error', r.message);
    assert.match(r.message, /yesterday/);
  });
  it('fails when no backup is complete', async () => {
    const r = await run('pgflex-recent-backup', { backups: [] });
    assert.equal(r.status, 'fail');
    assert.equal(r.evidence.backupCount, 0);
  });
});

describe('pgflex-restore-window', () => {
  it('passes when the window reaches back the retention less the slack', async () => {
    assert.equal((await run('pgflex-restore-window', { server: { ...HEALTHY_SERVER, earliestRestoreDate: hoursAgo(29 * 24 + 1) } })).status, 'pass');
  });
  it('fails when it does not', async () => {
    const r = await run('pgflex-restore-window', { server: { ...HEALTHY_SERVER, earliestRestoreDate: hoursAgo(10 * 24) } });
    assert.equal(r.status, 'fail');
    assert.equal(r.evidence.requiredDays, 29);
  });
  it('fails an earliest restore point in the future as a clock or data anomaly', async () => {
    const r = await run('pgflex-restore-window', { server: { ...HEALTHY_SERVER, earliestRestoreDate: hoursAgo(-72) } });
    assert.equal(r.status, 'fail');
    assert.match(r.message, /clock or data anomaly/);
  });
  it('is an error when not returned', async () => unknown(await run('pgflex-restore-window', { server: { ...HEALTHY_SERVER, earliestRestoreDate: undefined } })));
});

describe('pgflex-data-residency', () => {
  it('passes in the EEA with an EEA pair (display names normalised)', async () => {
    const r = await run('pgflex-data-residency', {});
    assert.equal(r.status, 'pass');
    assert.equal(r.evidence.backupRegion, 'francesouth');
  });
  it('fails outside the allowed regions, server or backup pair', async () => {
    assert.equal((await run('pgflex-data-residency', { server: { ...HEALTHY_SERVER, location: 'eastus' } })).status, 'fail');
    const pairOutside = await run('pgflex-data-residency', { server: { ...HEALTHY_SERVER, location: 'switzerlandnorth' } }, (c) => Object.assign(c.azure, { allowedRegions: ['switzerlandnorth'] }));
    assert.equal(pairOutside.status, 'fail');
    assert.match(pairOutside.message, /geo-redundant backups in switzerlandwest/);
  });
  it('ignores the pair when geo-redundancy is off', async () => {
    const r = await run('pgflex-data-residency', { server: { ...HEALTHY_SERVER, location: 'italynorth', geoRedundantBackup: 'Disabled' } });
    assert.equal(r.status, 'pass');
  });
  it('is an error when the pair is unknown, unless configured', async () => {
    const server = { ...HEALTHY_SERVER, location: 'polandcentral' };
    unknown(await run('pgflex-data-residency', { server }));
    const configured = await run('pgflex-data-residency', { server }, (c) => Object.assign(c.azure.postgres, { pairedRegion: 'germanywestcentral' }));
    assert.equal(configured.status, 'pass');
  });
});

describe('blob-soft-delete', () => {
  it('passes with enough days', async () => assert.deepEqual((await run('blob-soft-delete', {})).evidence, { enabled: true, days: 14, minSoftDeleteDays: 7 }));
  it('fails when disabled or too short', async () => {
    assert.equal((await run('blob-soft-delete', { blob: { ...HEALTHY_BLOB, deleteRetentionPolicy: { enabled: false } } })).status, 'fail');
    assert.equal((await run('blob-soft-delete', { blob: { ...HEALTHY_BLOB, deleteRetentionPolicy: { enabled: true, days: 3 } } })).status, 'fail');
  });
  it('is an error when not returned', async () => {
    unknown(await run('blob-soft-delete', { blob: { ...HEALTHY_BLOB, deleteRetentionPolicy: undefined } }));
    unknown(await run('blob-soft-delete', { blob: { ...HEALTHY_BLOB, deleteRetentionPolicy: { enabled: true } } }));
  });
});

describe('blob-container-soft-delete', () => {
  it('passes when enabled', async () => assert.equal((await run('blob-container-soft-delete', {})).status, 'pass'));
  it('fails when disabled', async () => assert.equal((await run('blob-container-soft-delete', { blob: { ...HEALTHY_BLOB, containerDeleteRetentionPolicy: { enabled: false } } })).status, 'fail'));
  it('is an error when not returned', async () => unknown(await run('blob-container-soft-delete', { blob: { ...HEALTHY_BLOB, containerDeleteRetentionPolicy: undefined } })));
});

describe('blob-versioning', () => {
  it('passes when enabled', async () => assert.deepEqual((await run('blob-versioning', {})).evidence, { enabled: true }));
  it('fails when disabled', async () => assert.equal((await run('blob-versioning', { blob: { ...HEALTHY_BLOB, isVersioningEnabled: false } })).status, 'fail'));
  it('is skipped when not required', async () => {
    const r = await run('blob-versioning', { blob: { ...HEALTHY_BLOB, isVersioningEnabled: false } }, (c) => Object.assign(c.azure.storage, { requireVersioning: false }));
    assert.equal(r.status, 'skipped');
  });
  it('is an error when not returned', async () => unknown(await run('blob-versioning', { blob: { ...HEALTHY_BLOB, isVersioningEnabled: undefined } })));
});

describe('storage-data-residency', () => {
  it('passes with both locations allowed', async () => assert.equal((await run('storage-data-residency', {})).status, 'pass'));
  it('passes for a locally redundant account without a secondary', async () => {
    assert.equal((await run('storage-data-residency', { account: { primaryLocation: 'westeurope', skuName: 'Standard_ZRS' } })).status, 'pass');
  });
  it('fails when a location is outside', async () => {
    const r = await run('storage-data-residency', { account: { ...HEALTHY_ACCOUNT, secondaryLocation: 'ukwest' } });
    assert.equal(r.status, 'fail');
    assert.match(r.message, /secondary location ukwest/);
  });
  it('is an error when a geo-replicated account has no secondary, or nothing is returned', async () => {
    unknown(await run('storage-data-residency', { account: { primaryLocation: 'francecentral', skuName: 'Standard_RAGRS' } }));
    unknown(await run('storage-data-residency', { account: {} }));
  });
});

describe('signed-document (blob half)', () => {
  const sha = 'aa'.repeat(32);
  const probe = (p: Partial<Extract<BlobProbe, { exists: true }>>): BlobProbe => ({ exists: true, container: 'documents', blobName: 'doc.pdf', size: 10, sha256: sha, lastModified: hoursAgo(5), ...p });
  it('passes when the blob exists, is non-empty and matches', async () => {
    const r = await run('signed-document', { probe: probe({}) });
    assert.equal(r.status, 'pass');
    assert.equal(r.evidence.size, 10);
    assert.equal(r.evidence.lastModified, hoursAgo(5));
    assert.equal(r.evidence.sha256Match, true);
  });
  it('passes without a stored hash, saying so', async () => {
    const r = await run('signed-document', { probe: probe({}), document: { blobName: 'doc.pdf' } });
    assert.equal(r.status, 'pass');
    assert.match(r.message, /stores no SHA-256/);
  });
  it('fails when missing, empty or altered', async () => {
    assert.equal((await run('signed-document', { probe: { exists: false, container: 'documents', blobName: 'doc.pdf', reason: 'blob-not-found' } })).status, 'fail');
    assert.equal((await run('signed-document', { probe: probe({ size: 0 }) })).status, 'fail');
    const altered = await run('signed-document', { probe: probe({ sha256: 'bb'.repeat(32) }) });
    assert.equal(altered.status, 'fail');
    assert.equal(altered.evidence.sha256Match, false);
  });
  it('keeps the warning when azure.storage is not configured', async () => {
    const r = await run('signed-document', {}, (c) => {
      delete (c as { azure?: unknown }).azure;
    });
    assert.equal(r.status, 'warn');
    assert.match(r.message, /not probed/);
  });
});
