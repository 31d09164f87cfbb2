/**
 * `restorecheck restore-test` (Azure point-in-time restore) end to end, as a user runs it: the
 * built binary in a child process, the Resource Manager simulator over HTTPS with the real-restore
 * hooks (each restore is a new PostgreSQL cluster on 127.0.0.2 holding a pg_dumpall copy of the
 * source cluster), Azurite for the signed document, and the real SDK pollers.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BlobServiceClient } from '@azure/storage-blob';
import { realPointInTimeRestores, type RealRestoreHooks } from '../../src/simulator/point-in-time-restore.js';
import { startCluster, type PostgresCluster } from '../../src/simulator/postgres-cluster.js';
import { type RunningSimulator, startSimulator } from '../../src/simulator/resource-manager.js';
import { parseScenario, type ScenarioInput } from '../../src/simulator/scenario.js';
import { startAzurite, type Azurite } from '../helpers/azurite.js';
import { runCli, startCli, type CliResult, type RunningCli } from '../helpers/cli.js';
import { listening } from '../helpers/network.js';

const SUB = '00000000-0000-0000-0000-000000000000';
const RG = 'medicapp-rg';
const SOURCE = 'medicappdbprod';
const DOC = Buffer.from('%PDF-1.7 signed consent of patient 7');
const DOC_SHA = createHash('sha256').update(DOC).digest('hex');
const PATIENTS = 1234;

let sim: RunningSimulator;
let hooks: RealRestoreHooks;
let stealTags = false;
let tagsBeforeTheft: Record<string, string> | undefined;
let cluster: PostgresCluster;
let azurite: Azurite;
let dir: string;
let stopped = false;

interface Check {
  id: string;
  status: string;
  message: string;
  errorKind?: string;
  evidence: Record<string, unknown>;
}
interface Report {
  outcome: string;
  checks: Check[];
}

type ServerInput = NonNullable<ScenarioInput['servers']>[number];

function sourceServer(restore: NonNullable<ServerInput['restore']> = {}, change: Partial<ServerInput> = {}): ServerInput {
  return {
    resourceGroup: RG,
    name: SOURCE,
    location: 'francecentral',
    state: 'Ready',
    version: '16',
    backup: { backupRetentionDays: 35, geoRedundantBackup: 'Enabled', earliestRestoreDaysAgo: 35 },
    restore: { databaseUrl: cluster.url(), durationSeconds: 2, ...restore },
    ...change,
  };
}

/** Loads a scenario and empties the request log. */
function scenario(servers: ServerInput[], injections: NonNullable<ScenarioInput['injections']> = []): void {
  sim.load(parseScenario({ subscriptionId: SUB, lro: { pollRetryAfterSeconds: 0 }, servers, injections }));
  sim.requests.length = 0;
}

let configCount = 0;
async function config(restoreTest: Record<string, unknown> = {}, postgres: Record<string, unknown> = {}): Promise<{ path: string; ledger: string }> {
  const n = ++configCount;
  const path = join(dir, `config-${n}.json`);
  const ledgerDir = join(dir, `ledger-${n}`);
  await writeFile(
    path,
    JSON.stringify({
      environment: 'e2e',
      database: {
        url: '${DATABASE_URL}',
        coreTables: [{ name: 'patients', minRows: 1 }, { name: 'documents' }],
        signedDocument: { query: 'SELECT blob_name, sha256 FROM documents ORDER BY signed_at DESC LIMIT 1' },
      },
      azure: {
        subscriptionId: SUB,
        resourceManagerEndpoint: sim.endpoint,
        postgres: { resourceGroup: RG, server: SOURCE, ...postgres },
        storage: { resourceGroup: RG, account: 'medicappstorage', container: 'documents', connectionString: '${AZURE_STORAGE_CONNECTION_STRING}' },
      },
      restoreTest: { pollIntervalSeconds: 0.2, progressIntervalSeconds: 1, ledgerDir, ...restoreTest },
    }),
  );
  return { path, ledger: join(ledgerDir, 'ledger.jsonl') };
}

const env = (): NodeJS.ProcessEnv => ({ ...sim.env, DATABASE_URL: cluster.url(), AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString });

function parseReport(result: CliResult): Report {
  try {
    return JSON.parse(result.stdout) as Report;
  } catch {
    return assert.fail(`no JSON report (exit ${result.code}):\n${result.stdout}\n${result.stderr}`);
  }
}

async function restoreTest(configPath: string, args: string[] = []): Promise<CliResult & { report: Report }> {
  const result = await runCli(['restore-test', '--config', configPath, '--format', 'json', ...args], { env: env(), timeoutMs: 120_000 });
  return { ...result, report: parseReport(result) };
}

const byId = (report: Report, id: string): Check => {
  const found = report.checks.find((c) => c.id === id);
  assert.ok(found, `${id} in the report`);
  return found;
};

function listRestoreServers(): string[] {
  // The simulator's own state: every server of the resource group whose name says it is a restore.
  const names: string[] = [];
  for (const minute of [-2, -1, 0, 1]) {
    const name = `${SOURCE}-restore-${stamp(new Date(Date.now() + minute * 60_000))}`;
    if (sim.server(RG, name)) names.push(name);
  }
  return names;
}

const stamp = (at: Date) => at.toISOString().replace(/[-:T]/g, '').slice(0, 12);
const puts = () => sim.requests.filter((r) => r.method === 'PUT');
const deletes = () => sim.requests.filter((r) => r.method === 'DELETE');

async function ledgerLines(path: string): Promise<Array<Record<string, unknown>>> {
  return (await readFile(path, 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** Waits until the CLI's PUT was accepted, then a little more (the restore is under way). */
async function untilRestoring(cli: RunningCli): Promise<void> {
  for (let i = 0; i < 300 && !puts().some((r) => r.status === 202); i++) await new Promise((resolve) => setTimeout(resolve, 100));
  assert.ok(
    puts().some((r) => r.status === 202),
    `the PUT was accepted:\n${cli.stderr()}`,
  );
  await new Promise((resolve) => setTimeout(resolve, 1500));
}

/** Waits (bounded) for the hooks' clusters to be gone: deletion finishes in the simulator a moment after the CLI exits only when it was killed. */
async function noCopiesRunning(): Promise<void> {
  for (let i = 0; i < 100 && hooks.running().length > 0; i++) await new Promise((resolve) => setTimeout(resolve, 100));
  assert.deepEqual(hooks.running(), []);
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'restorecheck-azure-restore-'));
  hooks = realPointInTimeRestores();
  const started = await Promise.allSettled([
    startCluster().then((c) => (cluster = c)),
    startAzurite().then((a) => (azurite = a)),
    startSimulator({
      scenario: parseScenario({}),
      hooks: {
        // The real copies, and, for one test, someone changing the new server's tags before the DELETE.
        pointInTimeRestore: async (request) => {
          const update = await hooks.pointInTimeRestore!(request);
          if (stealTags) tagsBeforeTheft = { ...request.target.tags };
          return stealTags ? { ...(update ?? {}), tags: { owner: 'someone-else' } } : update;
        },
        deleteServer: (server) => hooks.deleteServer!(server),
        // The source answers where its real PostgreSQL listens: restore-test probes it before the PUT.
        fullyQualifiedDomainName: (server) => hooks.fullyQualifiedDomainName(server),
        stop: () => hooks.stop!(),
      },
    }).then((s) => (sim = s)),
  ]);
  const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  await cluster.sql(`
    CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY);
    INSERT INTO alembic_version VALUES ('4b2d9c1e7f00');
    CREATE TABLE patients (id serial PRIMARY KEY, name text);
    INSERT INTO patients (name) SELECT 'patient ' || g FROM generate_series(1, ${PATIENTS}) g;
    CREATE TABLE documents (blob_name text, sha256 text, signed_at timestamptz);
    INSERT INTO documents VALUES ('consent-7.pdf', '${DOC_SHA}', now());`);
  const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient('documents');
  await container.create();
  await container.getBlockBlobClient('consent-7.pdf').upload(DOC, DOC.length);
});

after(async () => {
  if (!stopped) await sim?.stop();
  await Promise.allSettled([azurite?.stop(), cluster?.stop()]);
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('restorecheck restore-test (Azure point-in-time restore) against the simulator', () => {
  it('restores to a new server, reads and compares it, then deletes it (exit 0), keeping the password out of every output', async () => {
    scenario([sourceServer({ durationSeconds: 2 })]);
    const { path, ledger } = await config();
    const outDir = join(dir, 'reports-e2e');
    const started = performance.now();
    const result = await runCli(['restore-test', '--config', path, '--format', 'json', '--format', 'console', '--out-dir', outDir], {
      env: env(),
      timeoutMs: 120_000,
    });
    const wallMs = Math.round(performance.now() - started);
    const jsonFile = (await readdir(outDir)).find((f) => f.endsWith('-restore-test.json'));
    assert.ok(jsonFile, `a JSON report:\n${result.stdout}\n${result.stderr}`);
    const report = JSON.parse(await readFile(join(outDir, jsonFile), 'utf8')) as Report;
    assert.equal(
      result.code,
      0,
      `${result.stderr}\n${JSON.stringify(
        report.checks.filter((c) => c.status !== 'pass'),
        null,
        1,
      )}`,
    );

    const provision = byId(report, 'restore-provision');
    assert.equal(provision.status, 'pass');
    assert.match(String(provision.evidence.target), new RegExp(`^${RG}/${SOURCE}-restore-\\d{12}$`));
    const restoreSeconds = provision.evidence.restoreSeconds as number;
    assert.ok(restoreSeconds >= 2 && restoreSeconds < 60, `restoreSeconds ${restoreSeconds}`);
    const restorePoint = Date.parse(String(provision.evidence.restorePoint));
    assert.ok(Math.abs(Date.now() - 60_000 - restorePoint) < wallMs + 5000, 'restore point: a minute before the request');
    assert.ok((provision.evidence.lagMinutes as number) >= 0.99 && (provision.evidence.lagMinutes as number) <= 1.01);
    assert.equal(provision.evidence.fullyQualifiedDomainName, '127.0.0.2');
    assert.match(String(provision.evidence.serverVersion), /^\d+/);

    const counts = byId(report, 'restore-row-counts-match');
    assert.equal(counts.status, 'pass');
    assert.deepEqual(counts.evidence.source, { patients: PATIENTS, documents: 1 });
    assert.deepEqual(counts.evidence.restored, { patients: PATIENTS, documents: 1 });
    assert.equal(byId(report, 'restore-alembic-match').status, 'pass');
    const signed = byId(report, 'restore-signed-document');
    assert.equal(signed.status, 'pass', signed.message);
    const cleanup = byId(report, 'restore-cleanup');
    assert.equal(cleanup.status, 'pass');
    assert.match(String((cleanup.evidence.removed as string[])[0]), new RegExp(`Flexible Server ${RG}/${SOURCE}-restore-`));

    // The new server is gone, and its PostgreSQL copy with it.
    assert.deepEqual(listRestoreServers(), []);
    await noCopiesRunning();
    const copy = hooks.started().at(-1)!;
    assert.equal(copy.host, '127.0.0.2');
    assert.equal(copy.port, cluster.port, 'same port as the source');
    assert.ok(!existsSync(copy.dir), "the copy's cluster directory is removed");
    assert.equal(await listening(copy.host, copy.port), false);
    // PUT, polls and DELETE all carried the simulator's token; progress lines came on stderr.
    assert.equal(puts().length, 1);
    assert.deepEqual(
      deletes().map((r) => r.status),
      [202],
    );
    assert.ok(sim.requests.filter((r) => r.path !== '/msi/token').every((r) => r.token === 'valid'));
    assert.match(result.stderr, /waiting for Azure to restore .*: \d+ s elapsed/);
    const lines = await ledgerLines(ledger);
    assert.deepEqual(
      lines.map((l) => l.event),
      ['requested', 'deleted'],
    );
    assert.equal(lines[0]!.server, String(provision.evidence.target).split('/')[1]);

    // The source's password never leaves the process: not in stdout, stderr, reports or the ledger.
    const outputs = [result.stdout, result.stderr, await readFile(ledger, 'utf8')];
    for (const file of await readdir(outDir)) outputs.push(await readFile(join(outDir, file), 'utf8'));
    const all = outputs.join('\n');
    assert.match(all, /restore-row-counts-match/);
    for (const secret of [cluster.password, azurite.accountKey, sim.identityHeader]) assert.ok(!all.includes(secret), 'a secret leaked');
    process.stderr.write(`# Azure PITR e2e: simulated restore ≥ 2 s; measured request → Ready ${restoreSeconds} s; whole restore-test ${wallMs} ms\n`);
  });

  it('a restore Azure reports as Failed fails restore-provision (exit 1), and nothing is left', async () => {
    scenario([sourceServer({ durationSeconds: 1, outcome: 'Failed' })]);
    const { code, report, stderr } = await restoreTest((await config()).path);
    assert.equal(code, 1, stderr);
    const provision = byId(report, 'restore-provision');
    assert.equal(provision.status, 'fail');
    assert.match(provision.message, /as Failed after [\d.]+ s \(RestoreFailed\)/);
    assert.equal(byId(report, 'restore-cleanup').status, 'pass');
    assert.equal(byId(report, 'restore-row-counts-match').status, 'error');
    assert.deepEqual(listRestoreServers(), []);
    await noCopiesRunning();
  });

  it('a stolen copy (its tags changed before the DELETE) is left alone, and restore-cleanup fails naming it', async () => {
    scenario([sourceServer({ durationSeconds: 1 })]);
    const { path } = await config();
    stealTags = true;
    let result: CliResult & { report: Report };
    try {
      result = await restoreTest(path);
    } finally {
      stealTags = false;
    }
    const [left] = listRestoreServers();
    assert.ok(left, 'the server is still there');
    try {
      assert.equal(result.code, 1, result.stderr);
      const cleanup = byId(result.report, 'restore-cleanup');
      assert.equal(cleanup.status, 'fail', cleanup.message);
      assert.match(cleanup.message, new RegExp(`${left}.*tags no longer carry this run's id`));
      assert.match(cleanup.message, new RegExp(`az postgres flexible-server delete -g ${RG} -n ${left} --yes`));
    } finally {
      // Give the server back its restorecheck tags so that the ledger-driven cleanup removes it for the next tests.
      sim.server(RG, left)!.tags = tagsBeforeTheft;
      await runCli(['restore-test', 'cleanup', '--config', path], { env: env(), timeoutMs: 60_000 });
      assert.deepEqual(listRestoreServers(), []);
      await noCopiesRunning();
    }
  });

  it('a restore stuck past --timeout is an error (exit 2), and the new server is still deleted', async () => {
    scenario([sourceServer({ durationSeconds: 600 })]);
    const started = performance.now();
    const { code, report, stderr } = await restoreTest((await config()).path, ['--timeout', '6s']);
    assert.ok(performance.now() - started < 45_000, 'did not wait for the restore');
    assert.equal(code, 2, stderr);
    const provision = byId(report, 'restore-provision');
    assert.equal(provision.status, 'error');
    assert.equal(provision.errorKind, 'timeout');
    assert.match(provision.message, /did not complete within the deadline/);
    assert.equal(byId(report, 'restore-cleanup').status, 'pass', byId(report, 'restore-cleanup').message);
    assert.deepEqual(
      deletes().map((r) => r.status),
      [202],
    );
    assert.deepEqual(listRestoreServers(), []);
    await noCopiesRunning();
  });

  it('a DELETE refused by a lock (409 ScopeLocked) is not retried: restore-cleanup fails naming the lock', async () => {
    const lockedScope = `/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/${RG}`;
    scenario(
      [sourceServer({ durationSeconds: 0 })],
      [
        {
          path: `/flexibleServers/${SOURCE}-restore-`,
          method: 'DELETE',
          status: 409,
          code: 'ScopeLocked',
          message:
            `The scope '${lockedScope}/providers/Microsoft.DBforPostgreSQL/flexibleServers/x' cannot perform delete operation because ` +
            `following scope(s) are locked: '${lockedScope}'. Please remove the lock and try again.`,
        },
      ],
    );
    const { path } = await config();
    const { report } = await restoreTest(path);
    const [left] = listRestoreServers();
    try {
      const cleanup = byId(report, 'restore-cleanup');
      assert.equal(cleanup.status, 'fail', cleanup.message);
      assert.match(cleanup.message, /ScopeLocked: a lock on \/subscriptions\/[^ ]+\/resourceGroups\/[^ ]+ forbids it/, cleanup.message);
      assert.equal(deletes().length, 1, 'not retried');
    } finally {
      sim.clearInjections();
      if (left) await runCli(['restore-test', 'cleanup', '--config', path], { env: env(), timeoutMs: 60_000 });
      assert.deepEqual(listRestoreServers(), []);
      await noCopiesRunning();
    }
  });

  it('retries a DELETE answered 409 (another operation in progress) until Azure accepts it', async () => {
    scenario(
      [sourceServer({ durationSeconds: 0 })],
      [
        {
          path: `/flexibleServers/${SOURCE}-restore-`,
          method: 'DELETE',
          status: 409,
          code: 'ServerIsBusy',
          message: 'Another operation is in progress on the server.',
          times: 3,
        },
      ],
    );
    const { code, report, stderr } = await restoreTest((await config()).path);
    assert.equal(code, 0, `${stderr}\n${JSON.stringify(report.checks.filter((c) => c.status !== 'pass'))}`);
    assert.deepEqual(
      deletes().map((r) => r.status),
      [409, 409, 409, 202],
    );
    assert.deepEqual(listRestoreServers(), []);
  });

  it('after a SIGKILL mid-restore, `restore-test cleanup` deletes the leftover through the ledger, and leaves foreign servers alone', async () => {
    const foreign = `${SOURCE}-restore-199001010000`;
    // Tagged by a run this ledger does not know, not expired yet: kept on its tags (see azure-restore-cleanup.test.ts for expired ones).
    const taggedNoLedger = `${SOURCE}-restore-199001010001`;
    scenario([
      sourceServer({ durationSeconds: 600 }),
      { resourceGroup: RG, name: foreign, location: 'francecentral', state: 'Ready' },
      {
        resourceGroup: RG,
        name: taggedNoLedger,
        location: 'francecentral',
        state: 'Ready',
        tags: { 'restorecheck-run': 'elsewhere', 'restorecheck-created-by': 'restorecheck', 'restorecheck-expires': '2999-01-01T00:00:00.000Z' },
      },
    ]);
    const { path, ledger } = await config();
    const cli = startCli(['restore-test', '--config', path, '--format', 'json'], { env: env(), timeoutMs: 120_000 });
    await untilRestoring(cli);
    cli.child.kill('SIGKILL');
    assert.equal((await cli.result).signal, 'SIGKILL');
    const [leftover] = listRestoreServers();
    assert.ok(leftover, 'the killed run left its server');
    assert.equal(sim.server(RG, leftover)!.tags?.['restorecheck-created-by'], 'restorecheck');
    assert.deepEqual(
      (await ledgerLines(ledger)).map((l) => l.event),
      ['requested'],
    );

    sim.requests.length = 0;
    const cleanup = await runCli(['restore-test', 'cleanup', '--config', path], { env: env(), timeoutMs: 60_000 });
    assert.equal(cleanup.code, 0, cleanup.stderr);
    assert.match(cleanup.stdout, new RegExp(`^deleted ${leftover} \\(ledger entry\\)$`, 'm'));
    assert.match(cleanup.stdout, new RegExp(`^kept ${taggedNoLedger} \\(tags only\\)$`, 'm'));
    assert.match(cleanup.stdout, /1 deleted, 1 kept/);
    assert.match(cleanup.stderr, new RegExp(`${taggedNoLedger} kept: tags only: run elsewhere, its expiry .* has not passed`));
    assert.equal(sim.server(RG, leftover), undefined);
    assert.ok(sim.server(RG, foreign), 'a server without our tags stays');
    assert.ok(sim.server(RG, taggedNoLedger), 'a server without our ledger entry stays');
    assert.deepEqual(
      deletes().map((r) => r.path.split('/').pop()),
      [leftover],
    );
    assert.deepEqual(
      (await ledgerLines(ledger)).map((l) => l.event),
      ['requested', 'deleted'],
    );
    await noCopiesRunning();
  });

  it('on SIGINT mid-restore, stops waiting, deletes the new server and still reports (exit 2)', async () => {
    scenario([sourceServer({ durationSeconds: 600 })]);
    const cli = startCli(['restore-test', '--config', (await config()).path, '--format', 'json'], { env: env(), timeoutMs: 120_000 });
    await untilRestoring(cli);
    cli.child.kill('SIGINT');
    const result = await cli.result;
    assert.equal(result.code, 2, result.stderr);
    const report = parseReport(result);
    const provision = byId(report, 'restore-provision');
    assert.equal(provision.status, 'error');
    assert.match(provision.message, /interrupted \(interrupted by SIGINT\)/);
    assert.equal(byId(report, 'restore-cleanup').status, 'pass');
    assert.deepEqual(listRestoreServers(), []);
    await noCopiesRunning();
  });

  it('--keep keeps the server (restore-cleanup warn); cleanup keeps it until its expiry tag passes', async () => {
    scenario([sourceServer({ durationSeconds: 0 })]);
    const { path } = await config();
    const { code, report, stderr } = await restoreTest(path, ['--keep']);
    assert.equal(code, 0, stderr);
    assert.equal(byId(report, 'restore-cleanup').status, 'warn');
    const [kept] = listRestoreServers();
    assert.ok(kept);
    assert.equal(hooks.running().length, 1);

    const early = await runCli(['restore-test', 'cleanup', '--config', path], { env: env() });
    assert.equal(early.code, 0, early.stderr);
    assert.match(early.stdout, new RegExp(`^kept ${kept} \\(ledger entry\\)$`, 'm'));
    assert.ok(sim.server(RG, kept));

    sim.server(RG, kept)!.tags!['restorecheck-expires'] = new Date(Date.now() - 1000).toISOString();
    const late = await runCli(['restore-test', 'cleanup', '--config', path], { env: env() });
    assert.equal(late.code, 0, late.stderr);
    assert.match(late.stdout, new RegExp(`^deleted ${kept} \\(ledger entry\\)$`, 'm'));
    assert.equal(sim.server(RG, kept), undefined);
    await noCopiesRunning();
  });

  describe('refuses before any PUT (exit 2)', () => {
    const refused = async (configPath: string, args: string[], expected: RegExp) => {
      const result = await runCli(['restore-test', '--config', configPath, '--format', 'json', ...args], { env: env() });
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, expected);
      assert.deepEqual(puts(), [], 'no PUT reached the simulator');
      assert.equal(result.stdout, '');
    };

    it('when the target name is taken', async () => {
      const now = new Date();
      const taken = [0, 1].map((m) => ({
        resourceGroup: RG,
        name: `${SOURCE}-restore-${stamp(new Date(now.getTime() + m * 60_000))}`,
        location: 'francecentral',
      }));
      scenario([sourceServer(), ...taken]);
      await refused((await config()).path, [], /already taken in resource group medicapp-rg/);
      assert.equal(deletes().length, 0, 'and nothing is deleted');
    });

    it('when the target would be the source itself', async () => {
      // The name carries the minute: stay clear of a minute boundary.
      if (new Date().getUTCSeconds() > 50) await new Promise((resolve) => setTimeout(resolve, (61 - new Date().getUTCSeconds()) * 1000));
      const name = `prod-${stamp(new Date())}`;
      scenario([sourceServer({}, { name })]);
      await refused((await config({ namePrefix: 'prod' }, { server: name })).path, [], /is the source server's/);
    });

    it('when the resource group is not allowed', async () => {
      scenario([sourceServer()]);
      await refused(
        (await config({ targetResourceGroup: 'restore-rg', allowedResourceGroups: ['other-rg'] })).path,
        [],
        /restoreTest\.targetResourceGroup: restore-rg is not among restoreTest\.allowedResourceGroups/,
      );
    });

    it("when the name would break Azure's naming rules", async () => {
      scenario([sourceServer()]);
      await refused((await config({ namePrefix: 'a'.repeat(55) })).path, [], /breaks Azure's naming rules/);
    });

    it('when the point in time is outside [earliestRestoreDate, now]', async () => {
      scenario([sourceServer()]);
      const { path } = await config();
      await refused(path, ['--point-in-time', new Date(Date.now() - 40 * 86_400_000).toISOString()], /before the earliest restore point/);
      await refused(path, ['--point-in-time', new Date(Date.now() + 3_600_000).toISOString()], /is in the future/);
    });
  });

  it('leaves nothing behind: every copy stopped, its directory removed, its address free', async () => {
    stopped = true;
    await sim.stop();
    assert.deepEqual(hooks.running(), []);
    assert.ok(hooks.started().length >= 5, `${hooks.started().length} copies were made`);
    for (const copy of hooks.started()) {
      assert.ok(!existsSync(copy.dir), `${copy.dir} removed`);
      assert.equal(await listening(copy.host, copy.port), false, `${copy.host}:${copy.port} free`);
    }
  });
});
