/**
 * `restorecheck check` end to end, as a user runs it: the built binary in a child process, the
 * Resource Manager simulator over HTTPS (its CA trusted through NODE_EXTRA_CA_CERTS, managed
 * identity through IDENTITY_ENDPOINT/IDENTITY_HEADER and the unchanged DefaultAzureCredential),
 * Azurite for the blobs and a real PostgreSQL for the signed-document row.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AccountSASPermissions, BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { startCluster, freePort, type PostgresCluster } from '../../src/simulator/postgres-cluster.js';
import { type RunningSimulator, startSimulator } from '../../src/simulator/resource-manager.js';
import { loadScenarioFile, parseScenario, type ScenarioInput } from '../../src/simulator/scenario.js';
import { type CertificateAuthority, createCertificateAuthority } from '../../src/simulator/tls-authority.js';
import { startAzurite, type Azurite } from '../helpers/azurite.js';
import { runCli, type CliResult } from '../helpers/cli.js';

const EXAMPLES = join(import.meta.dirname, '../../examples/scenarios');
const SUB = '00000000-0000-0000-0000-000000000000';
const DOC = Buffer.from('%PDF-1.7 signed consent of patient 42');
const DOC_SHA = createHash('sha256').update(DOC).digest('hex');
const READER_PASSWORD = 'reader-Pw-2b91e4';

let authority: CertificateAuthority;
let sim: RunningSimulator;
let decoy: RunningSimulator;
let azurite: Azurite;
let cluster: PostgresCluster;
let dir: string;
let healthy: ScenarioInput;

interface Report {
  outcome: string;
  checks: Array<{ id: string; status: string; message: string; errorKind?: string; hint?: string; requestId?: string; evidence: Record<string, unknown> }>;
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'restorecheck-azure-e2e-'));
  authority = await createCertificateAuthority();
  healthy = (await loadScenarioFile(join(EXAMPLES, 'healthy.yaml'))) as ScenarioInput;
  // Started together; each is assigned as soon as it runs, so that after() stops it even if another failed.
  const started = await Promise.allSettled([
    startSimulator({ scenario: parseScenario(healthy), authority }).then((s) => (sim = s)),
    startSimulator({ scenario: parseScenario({}), authority }).then((s) => (decoy = s)),
    startAzurite().then((a) => (azurite = a)),
    startCluster().then((c) => (cluster = c)),
  ]);
  const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  await cluster.sql(`
    CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY);
    INSERT INTO alembic_version VALUES ('4b2d9c1e7f00');
    CREATE TABLE documents (blob_name text, sha256 text, signed_at timestamptz);
    INSERT INTO documents VALUES
      ('consent-42.pdf', '${DOC_SHA}', now()),
      ('missing.pdf', '${DOC_SHA}', now() - interval '1 day'),
      ('empty.pdf', NULL, now() - interval '2 days'),
      ('altered.pdf', '${DOC_SHA}', now() - interval '3 days');
    -- The checks read as a least-privilege role: db-connectivity warns on a superuser (issue 10).
    CREATE ROLE reader LOGIN PASSWORD '${READER_PASSWORD}';
    GRANT SELECT ON alembic_version, documents TO reader;`);
  const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient('documents');
  await container.create();
  await container.getBlockBlobClient('consent-42.pdf').upload(DOC, DOC.length);
  await container.getBlockBlobClient('empty.pdf').upload(Buffer.alloc(0), 0);
  const altered = Buffer.from('%PDF-1.7 signed consent of patient 43');
  await container.getBlockBlobClient('altered.pdf').upload(altered, altered.length);
});

after(async () => {
  await Promise.allSettled([sim?.stop(), decoy?.stop(), azurite?.stop(), cluster?.stop()]);
  await authority?.remove();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Reloads the simulator with the healthy scenario changed by `change`. */
function scenario(
  change: (
    s: ScenarioInput & { servers: NonNullable<ScenarioInput['servers']>; storageAccounts: NonNullable<ScenarioInput['storageAccounts']> },
  ) => void = () => undefined,
) {
  const s = structuredClone(healthy) as Parameters<typeof change>[0];
  change(s);
  sim.load(parseScenario(s));
  sim.requests.length = 0;
}

let configCount = 0;
async function config(
  options: { azure?: Record<string, unknown>; storage?: Record<string, unknown>; query?: string; database?: boolean } = {},
): Promise<string> {
  const path = join(dir, `config-${++configCount}.json`);
  const cfg: Record<string, unknown> = {
    environment: 'e2e',
    azure: {
      subscriptionId: SUB,
      resourceManagerEndpoint: sim.endpoint,
      postgres: { resourceGroup: 'medicapp-rg', server: 'medicappdbprod' },
      storage: {
        resourceGroup: 'medicapp-rg',
        account: 'medicappstorage',
        container: 'documents',
        connectionString: '${AZURE_STORAGE_CONNECTION_STRING}',
        ...options.storage,
      },
      ...options.azure,
    },
  };
  if (options.database !== false) {
    cfg.database = {
      url: '${DATABASE_URL}',
      alembic: { expectedHead: '4b2d9c1e7f00' },
      coreTables: [{ name: 'documents', minRows: 1 }],
      signedDocument: { query: options.query ?? 'SELECT blob_name, sha256 FROM documents ORDER BY signed_at DESC LIMIT 1' },
    };
  }
  await writeFile(path, JSON.stringify(cfg, null, 2));
  return path;
}

function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...sim.env,
    DATABASE_URL: cluster.url({ user: 'reader', password: READER_PASSWORD }),
    AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString,
    ...extra,
  };
}

async function check(configPath: string, args: string[] = [], extraEnv: Record<string, string> = {}): Promise<CliResult & { report: Report }> {
  const result = await runCli(['check', '--config', configPath, '--format', 'json', ...args], { env: env(extraEnv), timeoutMs: 90_000 });
  let report: Report;
  try {
    report = JSON.parse(result.stdout) as Report;
  } catch {
    assert.fail(`no JSON report (exit ${result.code}):\n${result.stdout}\n${result.stderr}`);
  }
  return { ...result, report };
}

const byId = (report: Report, id: string) => {
  const found = report.checks.find((c) => c.id === id);
  assert.ok(found, `${id} in the report`);
  return found;
};

const AZURE_CHECKS = [
  'pgflex-server-state',
  'pgflex-backup-retention',
  'pgflex-geo-redundant-backup',
  'pgflex-recent-backup',
  'pgflex-restore-window',
  'pgflex-data-residency',
  'blob-soft-delete',
  'blob-container-soft-delete',
  'blob-versioning',
  'storage-data-residency',
];

describe('restorecheck check against the simulator and Azurite', () => {
  it('passes a healthy setup (exit 0), reading every page of backups', async () => {
    scenario();
    const started = performance.now();
    const { code, report, stderr } = await check(await config());
    const wallMs = Math.round(performance.now() - started);
    assert.equal(
      code,
      0,
      `${stderr}\n${JSON.stringify(
        report.checks.filter((c) => c.status !== 'pass'),
        null,
        1,
      )}`,
    );
    for (const id of [...AZURE_CHECKS, 'signed-document', 'db-connectivity']) assert.equal(byId(report, id).status, 'pass', id);
    const recent = byId(report, 'pgflex-recent-backup');
    // 35 backups, 10 per page, oldest first: the newest (3 h old) is on the fourth and last page.
    assert.equal(recent.evidence.backupCount, 35);
    assert.equal(recent.evidence.pages, 4);
    assert.equal(recent.evidence.ageHours, 3);
    const doc = byId(report, 'signed-document');
    assert.equal(doc.evidence.size, DOC.length);
    assert.equal(doc.evidence.blobSha256, DOC_SHA);
    assert.match(String(doc.evidence.lastModified), /^\d{4}-\d\d-\d\dT/);
    // Every Resource Manager call carried a token the simulator issued; only GETs (check is read-only).
    const arm = sim.requests.filter((r) => r.path !== '/msi/token');
    assert.ok(arm.length >= 8, `${arm.length} ARM requests`);
    assert.ok(
      arm.every((r) => r.token === 'valid' && r.method === 'GET'),
      JSON.stringify(arm),
    );
    assert.equal(arm.filter((r) => /flexibleServers\/medicappdbprod$/.test(r.path)).length, 1, 'the server is read once per run');
    process.stderr.write(`# wall time of a full check against the simulator + Azurite + PostgreSQL: ${wallMs} ms\n`);
  });

  it('fails each broken setting (exit 1), from the unhealthy example scenario', async () => {
    sim.load(await loadScenarioFile(join(EXAMPLES, 'unhealthy.yaml')));
    const { code, report } = await check(await config({ database: false }));
    assert.equal(code, 1);
    for (const id of AZURE_CHECKS) assert.equal(byId(report, id).status, 'fail', `${id}: ${byId(report, id).message}`);
  });

  for (const [id, change] of [
    ['pgflex-server-state', (s) => (s.servers[0]!.state = 'Disabled')],
    ['pgflex-backup-retention', (s) => (s.servers[0]!.backup!.backupRetentionDays = 7)],
    ['pgflex-geo-redundant-backup', (s) => (s.servers[0]!.backup!.geoRedundantBackup = 'Disabled')],
    ['pgflex-restore-window', (s) => (s.servers[0]!.backup!.earliestRestoreDaysAgo = 20)],
    ['pgflex-data-residency', (s) => (s.servers[0]!.location = 'uksouth')],
    ['blob-soft-delete', (s) => (s.storageAccounts[0]!.blobService!.deleteRetentionPolicy = { enabled: false })],
    ['blob-container-soft-delete', (s) => (s.storageAccounts[0]!.blobService!.containerDeleteRetentionPolicy = { enabled: false })],
    ['blob-versioning', (s) => (s.storageAccounts[0]!.blobService!.isVersioningEnabled = false)],
    ['storage-data-residency', (s) => (s.storageAccounts[0]!.secondaryLocation = 'switzerlandnorth')],
  ] as Array<[string, Parameters<typeof scenario>[0]]>) {
    it(`exits 1 when only ${id} is broken`, async () => {
      scenario(change);
      const { code, report } = await check(await config({ database: false }));
      assert.equal(code, 1);
      const failed = report.checks.filter((c) => c.status === 'fail').map((c) => c.id);
      // Moving the server to uksouth also moves its backup pair: residency is the only failure either way.
      assert.deepEqual(failed, [id]);
    });
  }

  // Issue 12: pgflex-recent-backup used to be in the loop above with only newestHoursAgo = 30, on a server whose restore window
  // reaches back its full retention. Azure suspends snapshots while nothing changes: that server is quiet, not broken.
  it('an old snapshot on a quiet server (restore window intact) is warn, exit 0; with a window that does not reach back, fail', async () => {
    scenario((s) => (s.servers[0]!.backupSeries!.newestHoursAgo = 30));
    const quiet = await check(await config({ database: false }));
    assert.equal(quiet.code, 0, quiet.stdout);
    const recent = byId(quiet.report, 'pgflex-recent-backup');
    assert.equal(recent.status, 'warn', recent.message);
    assert.match(recent.message, /consistent with Azure suspending snapshots while nothing changes/);
    scenario((s) => {
      s.servers[0]!.backupSeries!.newestHoursAgo = 30;
      s.servers[0]!.backup!.earliestRestoreDaysAgo = 3;
    });
    const stopped = await check(await config({ database: false }));
    assert.equal(stopped.code, 1);
    assert.match(byId(stopped.report, 'pgflex-recent-backup').message, /backups look stopped/);
    assert.deepEqual(
      stopped.report.checks.filter((c) => c.status === 'fail').map((c) => c.id),
      ['pgflex-recent-backup', 'pgflex-restore-window'],
    );
  });

  // Issue 12: the blob settings have a documented default (off), so their absence is a `fail`, "never configured";
  // this test asserted `error` for them before. The settings without one stay unknown errors.
  const BLOB_SETTINGS = ['blob-soft-delete', 'blob-container-soft-delete', 'blob-versioning'];
  const unsetEverywhere: Parameters<typeof scenario>[0] = (s) => {
    delete s.servers[0]!.state;
    delete s.servers[0]!.backup;
    s.storageAccounts[0]!.blobService = {};
    delete s.storageAccounts[0]!.secondaryLocation;
  };

  it('judges absent blob settings by their default (fail, never configured) and reports the others as unknown errors', async () => {
    scenario(unsetEverywhere);
    const { code, report } = await check(await config({ database: false }));
    assert.equal(code, 1, 'a failed check makes it 1, errors or not (contract.md, exit codes)');
    for (const id of AZURE_CHECKS.filter((i) => i !== 'pgflex-recent-backup' && !BLOB_SETTINGS.includes(i))) {
      const c = byId(report, id);
      assert.equal(c.status, 'error', `${id}: ${c.message}`);
      assert.match(c.message, /unknown/, id);
    }
    for (const id of BLOB_SETTINGS) {
      const c = byId(report, id);
      assert.equal(c.status, 'fail', `${id}: ${c.message}`);
      assert.equal(c.evidence.neverConfigured, true, id);
      assert.match(c.message, /never configured/, id);
    }
    assert.equal(byId(report, 'pgflex-recent-backup').status, 'pass');
  });

  it('a fresh storage account (no isVersioningEnabled, no containerDeleteRetentionPolicy in the answer) fails: exit 1, not 2', async () => {
    // What Resource Manager answers for an account nobody configured: blob soft delete off, the other two left out.
    scenario((s) => (s.storageAccounts[0]!.blobService = { deleteRetentionPolicy: { enabled: false } }));
    const { code, report } = await check(await config({ database: false }));
    const notPassed = report.checks.filter((c) => c.status === 'fail' || c.status === 'error');
    assert.equal(code, 1, JSON.stringify(notPassed));
    assert.deepEqual(
      notPassed.map((c) => `${c.id}: ${c.status}`),
      BLOB_SETTINGS.toSorted().map((id) => `${id}: fail`),
    );
    for (const id of ['blob-container-soft-delete', 'blob-versioning']) {
      assert.deepEqual(byId(report, id).evidence.neverConfigured, true, id);
      assert.match(byId(report, id).message, /never configured on storage account medicappstorage/, id);
    }
    assert.equal(byId(report, 'blob-soft-delete').evidence.neverConfigured, undefined, 'configured: off');
  });

  it('a null on the wire is the same as absent: the same verdicts, field for field', async () => {
    const withNulls =
      (change: Parameters<typeof scenario>[0]): Parameters<typeof scenario>[0] =>
      (s) => {
        change?.(s);
        s.servers[0]!.nullForUnset = true;
        s.storageAccounts[0]!.nullForUnset = true;
      };
    // Times in messages move between runs (the backups are dated relative to now).
    const verdicts = (report: Report) =>
      AZURE_CHECKS.map((id) => `${id}: ${byId(report, id).status}: ${byId(report, id).message.replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, 'TIME')}`);
    // Healthy: only the server's tags and the blob change feed are unset, so null.
    scenario(withNulls(() => undefined));
    const healthyNulls = await check(await config({ database: false }));
    assert.equal(healthyNulls.code, 0, verdicts(healthyNulls.report).join('\n'));
    const noEarliestRestore: Parameters<typeof scenario>[0] = (s) => delete s.servers[0]!.backup!.earliestRestoreDaysAgo;
    for (const change of [unsetEverywhere, noEarliestRestore]) {
      scenario(change);
      const absent = await check(await config({ database: false }));
      scenario(withNulls(change));
      const nulls = await check(await config({ database: false }));
      assert.ok(sim.requests.some((r) => r.path.endsWith('/blobServices/default') && r.status === 200));
      assert.deepEqual(verdicts(nulls.report), verdicts(absent.report));
      assert.equal(nulls.code, absent.code);
    }
  });

  it('a 403 on one path errors that check only, naming the role; the others still run', async () => {
    scenario((s) => {
      s.injections = [
        {
          path: '/backups',
          status: 403,
          code: 'AuthorizationFailed',
          message: "The client does not have authorization to perform action 'Microsoft.DBforPostgreSQL/flexibleServers/backups/read'.",
        },
      ];
    });
    const { code, report } = await check(await config({ database: false }));
    assert.equal(code, 2);
    const recent = byId(report, 'pgflex-recent-backup');
    assert.equal(recent.status, 'error');
    assert.equal(recent.errorKind, 'permission');
    assert.match(recent.message, /Reader on resource group medicapp-rg/);
    assert.match(recent.hint ?? '', /az role assignment create .*--role "Reader" --scope \/subscriptions\/0{8}-.*\/resourceGroups\/medicapp-rg/);
    assert.match(recent.requestId ?? '', /^[0-9a-f-]{36}$/);
    for (const id of AZURE_CHECKS.filter((i) => i !== 'pgflex-recent-backup')) assert.equal(byId(report, id).status, 'pass', id);
  });

  it('a 401 is an authentication error, distinct from a missing role', async () => {
    scenario((s) => {
      s.injections = [
        {
          path: '/storageAccounts/medicappstorage',
          status: 401,
          code: 'InvalidAuthenticationTokenTenant',
          message: 'The access token is from the wrong issuer.',
        },
      ];
    });
    const { code, report } = await check(await config({ database: false }));
    assert.equal(code, 2);
    for (const id of ['blob-soft-delete', 'storage-data-residency']) {
      const c = byId(report, id);
      assert.equal(c.errorKind, 'auth', id);
      assert.match(c.message, /answered 401 InvalidAuthenticationTokenTenant/);
      assert.match(c.hint ?? '', /tenant/);
    }
    assert.equal(byId(report, 'pgflex-server-state').status, 'pass');
  });

  it('waits out a 429 within the cap, then succeeds', async () => {
    scenario((s) => {
      s.injections = [{ path: '/blobServices/default', status: 429, code: 'TooManyRequests', retryAfter: 1, times: 1 }];
    });
    const { code, report } = await check(await config({ database: false }));
    assert.equal(code, 0, JSON.stringify(report.checks.filter((c) => c.status !== 'pass')));
    const calls = sim.requests.filter((r) => r.path.endsWith('/blobServices/default'));
    assert.deepEqual(
      calls.map((r) => r.status),
      [429, 200],
    );
  });

  it('ends the call at once when Retry-After exceeds the cap', async () => {
    scenario((s) => {
      s.injections = [{ path: '/blobServices/default', status: 429, code: 'TooManyRequests', retryAfter: 86_400 }];
    });
    const started = performance.now();
    const { code, report } = await check(await config({ database: false, azure: { maxRetryAfterSeconds: 5 } }));
    assert.ok(performance.now() - started < 15_000, 'did not wait for the Retry-After');
    assert.equal(code, 2);
    for (const id of ['blob-soft-delete', 'blob-container-soft-delete', 'blob-versioning']) {
      const c = byId(report, id);
      assert.equal(c.errorKind, 'throttled', id);
      assert.match(c.message, /86400 s .*maxRetryAfterSeconds \(5 s\)/);
    }
  });

  it('malformed JSON from Resource Manager is an error, not a verdict', async () => {
    scenario((s) => {
      s.injections = [{ path: '/blobServices/default', status: 200, body: '{"properties": {"isVersioningEnabled": tru' }];
    });
    const { code, report } = await check(await config({ database: false }));
    assert.equal(code, 2);
    assert.equal(byId(report, 'blob-versioning').status, 'error');
    assert.equal(byId(report, 'blob-versioning').errorKind, 'invalid-response');
    assert.equal(byId(report, 'storage-data-residency').status, 'pass');
  });

  it('a wrongly typed field is an error too', async () => {
    scenario((s) => {
      s.injections = [
        {
          path: '/flexibleServers/medicappdbprod',
          method: 'GET',
          status: 200,
          body: JSON.stringify({ name: 'medicappdbprod', location: 'francecentral', properties: { state: 'Ready', backup: { backupRetentionDays: 'many' } } }),
          times: 1,
        },
      ];
    });
    const { report } = await check(await config({ database: false }), ['--only', 'pgflex-backup-retention']);
    assert.equal(byId(report, 'pgflex-backup-retention').status, 'error');
  });

  it('refuses a nextLink to another host: the token is never sent there', async () => {
    scenario((s) => {
      s.nextLinkOrigin = decoy.endpoint;
    });
    decoy.requests.length = 0;
    const { code, report } = await check(await config({ database: false }));
    assert.equal(code, 2);
    const recent = byId(report, 'pgflex-recent-backup');
    assert.equal(recent.errorKind, 'refused');
    assert.match(recent.message, new RegExp(`pointed to ${decoy.endpoint.replace(/[.]/g, '\\.')}`));
    assert.equal(decoy.requests.length, 0, 'the other host received nothing');
  });

  it('an unreachable endpoint is an error within the deadline', async () => {
    scenario();
    const closed = await freePort();
    const started = performance.now();
    const { code, report } = await check(
      await config({ database: false, azure: { resourceManagerEndpoint: `https://127.0.0.1:${closed}`, requestTimeoutMs: 20_000 } }),
    );
    assert.ok(performance.now() - started < 25_000);
    assert.equal(code, 2);
    for (const id of AZURE_CHECKS) assert.equal(byId(report, id).errorKind, 'unreachable', `${id}: ${byId(report, id).message}`);
  });

  it('a slow endpoint is cut at azure.requestTimeoutMs', async () => {
    scenario((s) => {
      s.injections = [{ path: '/storageAccounts/medicappstorage', status: 200, body: '{}', delayMs: 10_000 }];
    });
    const started = performance.now();
    const { code, report } = await check(await config({ database: false, azure: { requestTimeoutMs: 1000 } }), ['--only', 'storage-data-residency']);
    assert.ok(performance.now() - started < 9000, 'returned before the answer came');
    assert.equal(code, 2);
    assert.equal(byId(report, 'storage-data-residency').errorKind, 'timeout');
  });

  it('the run deadline is named as such, not as a request timeout', async () => {
    scenario((s) => {
      s.injections = [{ path: '/storageAccounts/medicappstorage', status: 200, body: '{}', delayMs: 30_000 }];
    });
    const path = await config({ database: false, azure: { requestTimeoutMs: 25_000 } });
    const cfg = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
    cfg.limits = { runTimeoutMs: 3_000 };
    await writeFile(path, JSON.stringify(cfg));
    const { code, report } = await check(path, ['--only', 'storage-data-residency']);
    assert.equal(code, 2);
    const c = byId(report, 'storage-data-residency');
    assert.equal(c.errorKind, 'timeout');
    assert.match(c.message, /run deadline of 3 s \(limits\.runTimeoutMs\) was reached/, c.message);
    assert.doesNotMatch(c.message, /within 25 s/);
  });

  it('a reset connection is named as a reset, on Resource Manager and during sign-in', async () => {
    scenario((s) => {
      s.injections = [{ path: '/storageAccounts/medicappstorage', status: 200, reset: true }];
    });
    let { report } = await check(await config({ database: false }), ['--only', 'storage-data-residency']);
    let c = byId(report, 'storage-data-residency');
    assert.equal(c.errorKind, 'reset', c.message);
    assert.match(c.message, /connection was reset by Resource Manager/, c.message);
    scenario((s) => {
      s.injections = [{ path: '/msi/token', status: 200, reset: true }];
    });
    // The identity client retries a reset with back-off for about 20 s before it gives up: a token deadline well beyond
    // that (derived from requestTimeoutMs), so that a loaded machine cannot turn the reset into a timeout.
    ({ report } = await check(await config({ database: false, azure: { requestTimeoutMs: 90_000 } }), ['--only', 'storage-data-residency']));
    c = byId(report, 'storage-data-residency');
    assert.doesNotMatch(c.message, /timeout|timed out|within \d+ s/i, c.message);
    assert.equal(c.errorKind, 'reset', c.message);
    assert.match(c.message, /connection was reset by the managed-identity endpoint/, c.message);
  });

  it('a ScopeLocked conflict names the lock and the fix', async () => {
    const locked = `/subscriptions/${SUB}/resourceGroups/medicapp-rg`;
    scenario((s) => {
      s.injections = [
        {
          path: '/storageAccounts/medicappstorage',
          status: 409,
          code: 'ScopeLocked',
          message:
            `The scope '${locked}/providers/Microsoft.Storage/storageAccounts/medicappstorage' cannot perform write operation because ` +
            `following scope(s) are locked: '${locked}'. Please remove the lock and try again.`,
        },
      ];
    });
    const { report } = await check(await config({ database: false }), ['--only', 'storage-data-residency']);
    const c = byId(report, 'storage-data-residency');
    assert.equal(c.errorKind, 'conflict', c.message);
    assert.match(c.message, new RegExp(`lock on ${locked.replace(/[.]/g, '\\.')} forbids it`), c.message);
    assert.match(c.hint ?? '', /az lock (list|delete)/, c.hint);
  });

  it('pages answered promptly beyond azure.maxPages end with "more than N pages", not a timeout', async () => {
    scenario((s) => {
      s.paging = { backupsPageSize: 1 };
      s.servers[0]!.backupSeries = { count: 50, intervalHours: 1, newestHoursAgo: 1 };
    });
    const { code, report } = await check(await config({ database: false, azure: { maxPages: 10 } }), ['--only', 'pgflex-recent-backup']);
    assert.equal(code, 2);
    const c = byId(report, 'pgflex-recent-backup');
    assert.equal(c.errorKind, 'invalid-response', c.message);
    assert.match(c.message, /more than 10 pages \(azure\.maxPages\)/, c.message);
    assert.ok(sim.requests.filter((r) => r.path.endsWith('/backups')).length <= 11, 'stopped reading at the cap');
  });

  it('without a working credential every Azure check is an auth error with a hint', async () => {
    scenario();
    const { code, report } = await check(await config({ database: false }), [], { IDENTITY_HEADER: 'not-the-header', PATH: join(process.execPath, '..') });
    assert.equal(code, 2);
    for (const id of AZURE_CHECKS) {
      const c = byId(report, id);
      assert.equal(c.errorKind, 'auth', `${id}: ${c.message}`);
      assert.match(c.hint ?? '', /az login|azure\/login/);
    }
  });

  for (const [name, blob, expected] of [
    ['missing', 'missing.pdf', /blob is missing/],
    ['empty', 'empty.pdf', /is empty \(0 bytes\)/],
    ['altered', 'altered.pdf', /has SHA-256 [0-9a-f]{64}; the database records/],
  ] as const) {
    it(`signed-document fails when the blob is ${name}`, async () => {
      scenario();
      const { code, report } = await check(await config({ query: `SELECT blob_name, sha256 FROM documents WHERE blob_name = '${blob}'` }), [
        '--only',
        'signed-document',
      ]);
      assert.equal(code, 1);
      const doc = byId(report, 'signed-document');
      assert.equal(doc.status, 'fail');
      assert.match(doc.message, expected);
    });
  }

  it('keeps canary secrets (account key, SAS signature, client secret) out of every output', async () => {
    scenario((s) => {
      s.injections = [{ path: '/backups', status: 403, code: 'AuthorizationFailed' }];
    });
    const clientSecret = `canary-${randomBytes(12).toString('hex')}`;
    // A SAS that may list but not read: the blob probe fails, and its error passes through the redactor.
    const sasUrl = new BlobServiceClient(azurite.blobEndpoint, new StorageSharedKeyCredential(azurite.account, azurite.accountKey)).generateAccountSasUrl(
      new Date(Date.now() + 3_600_000),
      AccountSASPermissions.parse('l'),
      'sco',
    );
    const sas = new URL(sasUrl).search.slice(1);
    const sig = new URLSearchParams(sas).get('sig')!;
    const outDir = join(dir, 'canary-reports');
    const outputs: string[] = [];
    for (const connectionString of [azurite.connectionString, `BlobEndpoint=${azurite.blobEndpoint};SharedAccessSignature=${sas}`]) {
      const result = await runCli(['check', '--config', await config(), '--out-dir', outDir, '--format', 'json', '--format', 'console', '--verbose'], {
        env: env({ AZURE_STORAGE_CONNECTION_STRING: connectionString, AZURE_CLIENT_SECRET: clientSecret, RESTORECHECK_DEBUG: '1' }),
        timeoutMs: 90_000,
      });
      outputs.push(result.stdout, result.stderr);
      assert.notEqual(result.code, null);
      await new Promise((resolve) => setTimeout(resolve, 1100)); // report names are per second
    }
    for (const file of await readdir(outDir)) outputs.push(await readFile(join(outDir, file), 'utf8'));
    const all = outputs.join('\n');
    assert.match(all, /signed-document/, 'the outputs are there');
    assert.match(all, /SAS .*does not allow reading|sp=r/, 'the SAS run reached the blob probe error');
    for (const [what, secret] of [
      ['account key', azurite.accountKey],
      ['SAS signature', sig],
      ['SAS signature (URL-encoded)', encodeURIComponent(sig)],
      ['client secret', clientSecret],
      ['identity header', sim.identityHeader],
    ] as const) {
      assert.ok(!all.includes(secret), `${what} leaked`);
    }
  });
});
