/**
 * report.store against Azurite (a real blob service) and a real PostgreSQL (so that the HTML has a trend to draw):
 * two monthly CI runs on two fresh "runners" with empty report directories chain through the store; an unreachable store
 * stops the run (exit 2) before any report claims a new chain; nothing in the store is ever overwritten, and of two runs
 * that read the same store the second to store its audit line stops instead of forking the chain.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { BlobReportStore } from '../../src/azure/report-store-gateway.js';
import { storedReportsInput } from '../../src/cli/stored-reports-input.js';
import { withReportStore } from '../../src/cli/report-store-sync.js';
import { Output } from '../../src/cli/io.js';
import { configSchema } from '../../src/config/schema.js';
import { EvaluationError } from '../../src/errors.js';
import { appendAuditEvent } from '../../src/evidence/audit-log.js';
import { writeChainedReport } from '../../src/evidence/report-directory.js';
import { type ReportStoreTarget, pullReportStore, pushReportStore } from '../../src/evidence/report-store.js';
import { freePort, startCluster, type PostgresCluster } from '../../src/simulator/postgres-cluster.js';
import type { RunResult } from '../../src/run/result.js';
import { startAzurite, type Azurite } from '../helpers/azurite.js';
import { checkReport } from '../helpers/report-fixtures.js';
import { runCli } from '../helpers/cli.js';

const sha256 = (bytes: Uint8Array | string) => createHash('sha256').update(bytes).digest('hex');

let azurite: Azurite;
let cluster: PostgresCluster;
let work: string;
let records: ContainerClient;

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'restorecheck-report-store-'));
  const started = await Promise.allSettled([startAzurite().then((a) => (azurite = a)), startCluster().then((c) => (cluster = c))]);
  const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  await cluster.sql('CREATE TABLE appointments (id int); INSERT INTO appointments SELECT generate_series(1, 42);');
  records = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient('records');
  await records.create();
});

after(async () => {
  await Promise.allSettled([azurite?.stop(), cluster?.stop()]);
  if (work) await rm(work, { recursive: true, force: true });
});

async function blobNames(prefix: string): Promise<string[]> {
  const names: string[] = [];
  for await (const blob of records.listBlobsFlat({ prefix })) names.push(blob.name);
  return names.sort();
}

const blobText = async (name: string) => (await records.getBlobClient(name).downloadToBuffer()).toString('utf8');

let runner = 0;
/** A fresh runner: an empty report directory and a configuration of its own; the same store. */
async function freshRunner(environment = 'prod', store: Record<string, unknown> = {}): Promise<{ dir: string; config: string }> {
  const home = await mkdtemp(join(work, `runner-${++runner}-`));
  const config = join(home, 'restorecheck.json');
  await writeFile(
    config,
    JSON.stringify({
      environment,
      database: { url: '${DATABASE_URL}', coreTables: [{ name: 'appointments', minRows: 1 }] },
      report: {
        dir: 'reports',
        formats: ['json', 'html', 'markdown'],
        store: { account: azurite.account, container: 'records', connectionString: '${STORE_CONNECTION_STRING}', timeoutMs: 20_000, ...store },
      },
    }),
  );
  return { dir: join(home, 'reports'), config };
}

const env = (connectionString = azurite.connectionString) => ({ DATABASE_URL: cluster.url(), STORE_CONNECTION_STRING: connectionString });

async function check(config: string, connectionString?: string) {
  return runCli(['check', '--config', config], { env: env(connectionString), timeoutMs: 90_000 });
}

const jsonIn = async (dir: string) => (await readdir(dir)).filter((n) => n.endsWith('.json')).sort();

describe('report.store (Azurite)', () => {
  const first = { sha: '', name: '' };

  it('two runners with empty directories: the second report chains to the first, the store holds both, the trend has two points', async () => {
    const one = await freshRunner();
    const r1 = await check(one.config);
    assert.ok(r1.code === 0 || r1.code === 1, r1.stderr); // the checks' outcome; 2 would be the store
    assert.match(r1.stderr, /report store: read 0 audit lines and 0 reports .* from container records of storage account medicappstorage, prefix prod\//);
    assert.match(r1.stderr, /report store: uploaded 4 files to container records/);
    const [json1] = await jsonIn(one.dir);
    assert.ok(json1);
    const bytes1 = await readFile(join(one.dir, json1));
    first.sha = sha256(bytes1);
    first.name = json1;
    assert.equal((JSON.parse(bytes1.toString()) as { previousReportSha256: string | null }).previousReportSha256, null);

    const two = await freshRunner();
    const r2 = await check(two.config);
    assert.ok(r2.code === 0 || r2.code === 1, r2.stderr);
    assert.match(r2.stderr, /report store: read 1 audit line and 1 report \(1 new here\)/);
    const names2 = await jsonIn(two.dir);
    assert.deepEqual(names2.length, 2, 'the first report was pulled in');
    const json2 = names2.find((n) => n !== json1)!;
    const report2 = JSON.parse(await readFile(join(two.dir, json2), 'utf8')) as { previousReportSha256: string };
    assert.equal(report2.previousReportSha256, first.sha, 'the second report chains to the first');

    // The store: both reports with every rendered file, and two linked audit lines.
    const stored = await blobNames('prod/');
    for (const name of [json1, json2]) {
      const base = name.replace(/\.json$/, '');
      for (const ext of ['json', 'html', 'md']) assert.ok(stored.includes(`prod/${base}.${ext}`), `prod/${base}.${ext} in the store`);
    }
    assert.deepEqual(
      stored.filter((n) => n.startsWith('prod/audit/')),
      ['prod/audit/0000000001.jsonl', 'prod/audit/0000000002.jsonl'],
    );
    const line1 = await blobText('prod/audit/0000000001.jsonl');
    const line2 = JSON.parse(await blobText('prod/audit/0000000002.jsonl')) as {
      seq: number;
      previousLineSha256: string;
      report: { file: string; sha256: string };
    };
    assert.equal(line2.seq, 2);
    assert.equal(line2.previousLineSha256, sha256(line1.replace(/\n$/, '')), 'line 2 links to line 1');
    assert.equal(line2.report.file, json2);
    assert.equal(line2.report.sha256, sha256(await readFile(join(two.dir, json2))));
    assert.equal(await blobText(`prod/${json1}`), bytes1.toString(), 'the stored JSON is the bytes written');

    // The HTML trend of the second run draws both runs.
    const html = await readFile(join(two.dir, json2.replace(/\.json$/, '.html')), 'utf8');
    assert.match(html, /across 2 reports of prod in the report directory/);

    // The second runner's directory verifies as one intact chain of two.
    const verify = await runCli(['report', 'verify', two.dir], { timeoutMs: 30_000 });
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);

    // No secret in any output.
    for (const out of [r1.stdout, r1.stderr, r2.stdout, r2.stderr]) assert.ok(!out.includes(azurite.accountKey), 'the account key is never printed');
  });

  it('restore-test-freshness reads the store: the stored reports are the store’s', async () => {
    const { dir, config } = await freshRunner();
    const parsed = configSchema.parse({ ...(JSON.parse(await readFile(config, 'utf8')) as object), database: undefined });
    const cfg = { ...parsed, report: { ...parsed.report!, dir, store: { ...parsed.report!.store!, connectionString: azurite.connectionString } } };
    const output = new Output({ stdout: process.stdout, stderr: { write: () => true } as unknown as NodeJS.WritableStream, env: {} });
    const request = withReportStore({ formats: ['json'], outDir: dir }, cfg, output);
    const stored = await storedReportsInput(cfg, request.store).storedReports!();
    assert.equal(stored.length, 2);
    assert.ok(stored.every((s) => s.audit === 'recorded'));
    assert.equal(stored[0]!.name, first.name);
  });

  it('a --shard run reads the store but writes nothing to it: report merge stores the fleet’s report', async () => {
    const { dir, config } = await freshRunner();
    const parsed = configSchema.parse({ ...(JSON.parse(await readFile(config, 'utf8')) as object), database: undefined });
    const cfg = { ...parsed, report: { ...parsed.report!, dir, store: { ...parsed.report!.store!, connectionString: azurite.connectionString } } };
    const said: string[] = [];
    const stderr = { write: (chunk: unknown) => said.push(String(chunk)) > 0 } as unknown as NodeJS.WritableStream;
    const output = new Output({ stdout: process.stdout, stderr, env: {} });
    const request = withReportStore({ formats: ['json'], outDir: dir }, cfg, output, { push: false });
    const pulled = await request.store!.ensurePulled();
    assert.ok(pulled, 'the store was read (the history restore-test-freshness and the plan need)');
    const before = await blobNames('prod/');
    assert.ok(before.length > 0);
    await writeFile(join(dir, 'shard-report.json'), '{}');
    await request.store!.push(['shard-report.json']);
    assert.deepEqual(await blobNames('prod/'), before, 'nothing was written to the store');
    assert.match(said.join(''), /this shard's report stays in .*report merge/);
  });

  it('another environment in the same container has a chain of its own (the prefix)', async () => {
    const { dir, config } = await freshRunner('staging');
    const r = await check(config);
    assert.ok(r.code === 0 || r.code === 1, r.stderr);
    assert.match(r.stderr, /read 0 audit lines and 0 reports .* prefix staging\//);
    const [json] = await jsonIn(dir);
    assert.equal((JSON.parse(await readFile(join(dir, json!), 'utf8')) as { previousReportSha256: null }).previousReportSha256, null);
    assert.deepEqual((await blobNames('staging/audit/')).length, 1);
  });

  it('a store that cannot be reached: exit 2 with a clear error, and no report that starts a new chain', async () => {
    const { dir, config } = await freshRunner();
    const port = await freePort();
    const dead = `DefaultEndpointsProtocol=http;AccountName=${azurite.account};AccountKey=${azurite.accountKey};BlobEndpoint=http://127.0.0.1:${port}/${azurite.account};`;
    const r = await check(config, dead);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /error: .*container records of storage account medicappstorage/);
    assert.match(r.stderr, /error: report store: LIST blobs under prod\/ .*cannot reach Blob Storage/);
    assert.match(r.stderr, /hint: .*check report\.store .*no report was written, so no chain was restarted/);
    assert.ok(!r.stderr.includes(azurite.accountKey), 'the key is not printed');
    const files = await readdir(dir).catch(() => [] as string[]);
    assert.deepEqual(
      files.filter((n) => n.endsWith('.json') || n.endsWith('.html')),
      [],
      'no report was written',
    );
  });

  it('an existing blob is never overwritten', async () => {
    const blobs = new BlobReportStore(
      { account: azurite.account, container: 'records', connectionString: azurite.connectionString, maxReports: 10, maxPages: 2, timeoutMs: 10_000 },
      { requestTimeoutMs: 10_000, maxRetries: 0 },
    );
    const signal = AbortSignal.timeout(10_000);
    assert.equal(await blobs.create('worm/one.txt', Buffer.from('first'), 'text/plain', signal), 'created');
    assert.equal(await blobs.create('worm/one.txt', Buffer.from('second'), 'text/plain', signal), 'exists');
    assert.equal(await blobText('worm/one.txt'), 'first');
    // And the stored first report is still the bytes it was.
    assert.equal(sha256(await records.getBlobClient(`prod/${first.name}`).downloadToBuffer()), first.sha);
  });

  it('two runs at once: the second to store its audit line stops with a conflict, the store keeps one chain', async () => {
    const blobs = new BlobReportStore(
      { account: azurite.account, container: 'records', connectionString: azurite.connectionString, maxReports: 10, maxPages: 2, timeoutMs: 10_000 },
      { requestTimeoutMs: 10_000, maxRetries: 0 },
    );
    const lines: string[] = [];
    const target: ReportStoreTarget = { blobs, prefix: 'race/', maxReports: 100, timeoutMs: 20_000, log: (l) => lines.push(l) };
    const seed = await mkdtemp(join(work, 'race-seed-'));
    const template = checkReport();
    const result = (id: string, startedAt: string): RunResult => ({
      ...template,
      run: { ...template.run, id, environment: 'race', startedAt, finishedAt: startedAt },
    });
    const seeded = await pullReportStore(target, seed);
    const r0 = await writeChainedReport(seed, result('a', '2026-11-01T03:00:00.000Z'), '20261101T030000Z-race-check', (t) => t);
    await pushReportStore(target, seed, seeded, [r0.jsonPath]);

    const [x, y] = [await mkdtemp(join(work, 'race-x-')), await mkdtemp(join(work, 'race-y-'))];
    const [px, py] = [await pullReportStore(target, x), await pullReportStore(target, y)];
    const rx = await writeChainedReport(x, result('x', '2026-12-01T03:00:00.000Z'), '20261201T030000Z-race-check', (t) => t);
    const ry = await writeChainedReport(y, result('y', '2026-12-01T03:00:01.000Z'), '20261201T030001Z-race-check', (t) => t);
    await pushReportStore(target, x, px, [rx.jsonPath]);
    await assert.rejects(pushReportStore(target, y, py, [ry.jsonPath]), (error: unknown) => {
      assert.ok(error instanceof EvaluationError);
      assert.equal(error.kind, 'conflict');
      assert.match(error.message, /another run stored audit line 2 .* first/);
      return true;
    });
    assert.deepEqual(await blobNames('race/audit/'), ['race/audit/0000000001.jsonl', 'race/audit/0000000002.jsonl']);
    assert.match(await blobText('race/audit/0000000002.jsonl'), /20261201T030000Z-race-check\.json/, 'line 2 is the first writer’s');
    assert.ok(!(await blobNames('race/')).includes('race/20261201T030001Z-race-check.json'), 'the loser’s report is not in the store');
    // A third runner continues from the winner.
    const z = await mkdtemp(join(work, 'race-z-'));
    await pullReportStore(target, z);
    const rz = await writeChainedReport(z, result('z', '2027-01-01T03:00:00.000Z'), '20270101T030000Z-race-check', (t) => t);
    assert.equal(rz.result.previousReportSha256, rx.sha256);
  });

  it('a cleanup line recorded in the fresh directory before the run is moved after the store’s lines and stored', async () => {
    const blobs = new BlobReportStore(
      { account: azurite.account, container: 'records', connectionString: azurite.connectionString, maxReports: 10, maxPages: 2, timeoutMs: 10_000 },
      { requestTimeoutMs: 10_000, maxRetries: 0 },
    );
    const target: ReportStoreTarget = { blobs, prefix: 'race/', maxReports: 100, timeoutMs: 20_000, log: () => undefined };
    const dir = await mkdtemp(join(work, 'cleanup-first-'));
    // As `restore-test cleanup` does on a fresh runner: seq 1, no previous line.
    await appendAuditEvent(dir, {
      action: 'cleanup',
      command: 'restore-test',
      environment: 'race',
      outcome: 'deleted',
      details: { server: 'rg/db-restore-202612010300' },
    });
    const pulled = await pullReportStore(target, dir);
    assert.equal(pulled.auditLines, 2);
    const template = checkReport();
    const written = await writeChainedReport(
      dir,
      { ...template, run: { ...template.run, id: 'c', environment: 'race', startedAt: '2027-02-01T03:00:00.000Z' } },
      '20270201T030000Z-race-check',
      (t) => t,
    );
    await pushReportStore(target, dir, pulled, [written.jsonPath]);
    const audit = await blobNames('race/audit/');
    assert.deepEqual(audit, ['race/audit/0000000001.jsonl', 'race/audit/0000000002.jsonl', 'race/audit/0000000003.jsonl', 'race/audit/0000000004.jsonl']);
    const moved = JSON.parse(await blobText('race/audit/0000000003.jsonl')) as { seq: number; action: string; previousLineSha256: string };
    assert.equal(moved.action, 'cleanup');
    assert.equal(moved.seq, 3);
    assert.equal(moved.previousLineSha256, sha256((await blobText('race/audit/0000000002.jsonl')).replace(/\n$/, '')));
    // The directory verifies as one chain: the reports it pulled, and the log with the moved line.
    const verify = await runCli(['report', 'verify', dir], { timeoutMs: 30_000 });
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
  });

  it('a directory with a report chain of its own is not merged into the store’s', async () => {
    const blobs = new BlobReportStore(
      { account: azurite.account, container: 'records', connectionString: azurite.connectionString, maxReports: 10, maxPages: 2, timeoutMs: 10_000 },
      { requestTimeoutMs: 10_000, maxRetries: 0 },
    );
    const target: ReportStoreTarget = { blobs, prefix: 'race/', maxReports: 100, timeoutMs: 20_000, log: () => undefined };
    const dir = await mkdtemp(join(work, 'own-chain-'));
    await writeChainedReport(dir, checkReport(), '20261121T030000Z-production-check', (t) => t);
    await assert.rejects(pullReportStore(target, dir), /the audit log in .* and the one in the report store .* differ/);
  });

  it('an audit line naming a path instead of a report file stops the pull, and nothing is written outside the directory', async () => {
    const blobs = new BlobReportStore(
      { account: azurite.account, container: 'records', connectionString: azurite.connectionString, maxReports: 10, maxPages: 2, timeoutMs: 10_000 },
      { requestTimeoutMs: 10_000, maxRetries: 0 },
    );
    const target: ReportStoreTarget = { blobs, prefix: 'escape/', maxReports: 100, timeoutMs: 20_000, log: () => undefined };
    const file = '../20261101T030000Z-escape-check.json';
    const line = `${JSON.stringify({ seq: 1, timestamp: '2026-11-01T03:00:00.000Z', action: 'report', command: 'check', environment: 'escape', outcome: 'pass', report: { file, sha256: sha256('{}') }, user: 'u', host: 'h', previousLineSha256: null })}\n`;
    await records.getBlockBlobClient('escape/audit/0000000001.jsonl').upload(line, line.length);
    await records.getBlockBlobClient(`escape/${file}`).upload('{}', 2);
    const parent = await mkdtemp(join(work, 'escape-'));
    const dir = join(parent, 'reports');
    await assert.rejects(pullReportStore(target, dir), /names "\.\.\/20261101T030000Z-escape-check\.json", which is not a report file name/);
    assert.deepEqual(await readdir(parent), ['reports']);
  });

  it('a connection string that cannot be parsed: exit 2 naming the key, without quoting it', async () => {
    const { config } = await freshRunner();
    const r = await check(config, 'AccountKey=not-a-connection-string-7f3a9c');
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /report\.store\.connectionString is not a connection string/);
    assert.ok(!r.stderr.includes('not-a-connection-string-7f3a9c'));
  });

  it('a stored report that differs from its audit line stops the pull', async () => {
    const blobs = new BlobReportStore(
      { account: azurite.account, container: 'records', connectionString: azurite.connectionString, maxReports: 10, maxPages: 2, timeoutMs: 10_000 },
      { requestTimeoutMs: 10_000, maxRetries: 0 },
    );
    const target: ReportStoreTarget = { blobs, prefix: 'forged/', maxReports: 100, timeoutMs: 20_000, log: () => undefined };
    const line = `${JSON.stringify({ seq: 1, timestamp: '2026-11-01T03:00:00.000Z', action: 'report', command: 'check', environment: 'forged', outcome: 'pass', report: { file: '20261101T030000Z-forged-check.json', sha256: 'a'.repeat(64) }, user: 'u', host: 'h', previousLineSha256: null })}\n`;
    await records.getBlockBlobClient('forged/audit/0000000001.jsonl').upload(line, line.length);
    await records.getBlockBlobClient('forged/20261101T030000Z-forged-check.json').upload('{}', 2);
    const dir = await mkdtemp(join(work, 'forged-'));
    await assert.rejects(pullReportStore(target, dir), /differs from what its audit line recorded/);
    assert.deepEqual(await jsonIn(dir), []);
  });
});
