/**
 * `restorecheck report merge DIR...` through the built binary, on shard report directories written by the real report
 * writer (evidence/report-directory.ts writeChainedReport, what `check --out-dir` writes with), signed with a real key:
 * the merged report goes where a check's would (report.dir, the chain, the signature, every format, the report store on
 * Azurite), `report verify` passes on it, the exit code follows the merged outcome, and a tampered, missing or foreign
 * shard is refused with exit 2, naming the directory.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BlobServiceClient } from '@azure/storage-blob';
import { reportBaseName } from '../../src/cli/report-files.js';
import { writeChainedReport } from '../../src/evidence/report-directory.js';
import { sha256Hex } from '../../src/evidence/report-chain.js';
import { loadSigningKey } from '../../src/evidence/signing.js';
import type { RunResult } from '../../src/run/result.js';
import { type Azurite, startAzurite } from '../helpers/azurite.js';
import { runCli } from '../helpers/cli.js';
import { schemaErrors } from '../helpers/report-schema-validator.js';
import { type ShardSetOptions, shardReports } from '../helpers/shard-reports.js';

const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const PRIVATE_PEM = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const PUBLIC_PEM = publicKey.export({ type: 'spki', format: 'pem' }).toString();

let root: string;
let publicKeyFile: string;
let config: string;

before(() => {
  root = mkdtempSync(join(tmpdir(), 'restorecheck-merge-'));
  writeFileSync(join(root, 'signing.pem'), PRIVATE_PEM);
  publicKeyFile = join(root, 'signing.pub.pem');
  writeFileSync(publicKeyFile, PUBLIC_PEM);
  config = join(root, 'restorecheck.yaml');
  // What the merge job reads: where reports go (report.dir, formats) and the key that signs them.
  writeFileSync(
    config,
    ['environment: production', 'report:', '  dir: merged', '  formats: [json, markdown, html, junit]', '  signingKey: signing.pem', ''].join('\n'),
  );
});
after(() => rmSync(root, { recursive: true, force: true }));

let set = 0;
/**
 * The shard directories of one CI run, as the N jobs leave them: each its own chain. `earlier`: a report of an earlier
 * run in the same directory first (as a report store's pull leaves), which the merge must pass over for the newest.
 */
async function shardDirs(options: ShardSetOptions & { earlier?: boolean; change?: (shards: RunResult[]) => void } = {}): Promise<string[]> {
  const base = join(root, `run-${++set}`);
  const shards = shardReports(options);
  options.change?.(shards);
  const signer = loadSigningKey(PRIVATE_PEM);
  const dirs: string[] = [];
  for (const shard of shards) {
    const dir = join(base, `shard-${shard.fleet!.shard!.index}`);
    mkdirSync(dir, { recursive: true });
    if (options.earlier) {
      const old = structuredClone(shard);
      old.run = { ...old.run, id: `${old.run.id}-old`, startedAt: '2026-11-01T03:17:00.000Z', finishedAt: '2026-11-01T03:17:30.000Z', durationMs: 30_000 };
      delete old.fleet!.shard; // last month's merged report, say
      await writeChainedReport(dir, old, reportBaseName(old), (t) => t, { signer });
    }
    await writeChainedReport(dir, shard, reportBaseName(shard), (t) => t, { signer });
    dirs.push(dir);
  }
  return dirs;
}

const jsonReports = (dir: string) =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort();
const newestShardReport = (dir: string): { name: string; bytes: Buffer } => {
  const name = jsonReports(dir).at(-1)!;
  return { name, bytes: readFileSync(join(dir, name)) };
};

describe('report merge', () => {
  it('writes the merged report into report.dir, signed and chained, with every shard finding; report verify passes; exit 1 for a failing fleet', async () => {
    const dirs = await shardDirs({ earlier: true });
    const merged = join(root, 'merged');
    const run = await runCli(['report', 'merge', ...dirs, '--config', config, '--public-key', publicKeyFile], { cwd: root });
    assert.equal(run.code, 1, run.stderr); // one storage account fails blob-soft-delete
    assert.equal(run.stdout, '', 'every format goes to files');
    assert.match(run.stderr, /^report merge: 3 shard reports of check · production joined: 14 findings on 8 of 8 resources, outcome fail$/m);
    const files = readdirSync(merged).sort();
    assert.deepEqual(
      files.map((f) => f.replace(/^\d{8}T\d{6}Z-production-check\./, '')).sort(),
      ['audit.log.jsonl', 'html', 'json', 'md', 'xml'],
      'the file names of check: <UTC start>-<environment>-<command>.<ext>',
    );
    for (const f of files.filter((f) => f !== 'audit.log.jsonl')) assert.ok(run.stderr.includes(`report written: ${join(merged, f)}`), `stderr names ${f}`);

    const report = JSON.parse(readFileSync(join(merged, jsonReports(merged)[0]!), 'utf8')) as RunResult;
    assert.deepEqual(schemaErrors(report), []);
    assert.equal(report.previousReportSha256, null);
    assert.ok(report.signature && report.signedBy, 'signed with report.signingKey');
    assert.equal(report.outcome, 'fail');
    assert.equal(report.run.startedAt, '2026-12-01T03:17:01.000Z');
    // Every finding of every shard, as the shard wrote it.
    const shardFiles = dirs.map(newestShardReport);
    const shards = shardFiles.map((f) => JSON.parse(f.bytes.toString('utf8')) as RunResult);
    const findings = shards.flatMap((s) => s.checks);
    assert.equal(report.checks.length, findings.length);
    for (const finding of findings)
      assert.deepEqual(
        report.checks.find((c) => c.id === finding.id && c.resource === finding.resource),
        finding,
      );
    // mergedFrom links each shard's exact file.
    assert.deepEqual(
      report.fleet!.mergedFrom,
      shardFiles.map((f, i) => ({ shard: { index: i + 1, count: 3 }, runId: shards[i]!.run.id, file: f.name, sha256: sha256Hex(f.bytes) })),
    );

    const verify = await runCli(['report', 'verify', merged, '--public-key', publicKeyFile]);
    assert.equal(verify.code, 0, verify.stdout);
    assert.match(verify.stdout, /authenticity checked/);

    // A second merge (next month's, say) joins the same chain.
    const again = await runCli(['report', 'merge', ...(await shardDirs()), '--config', config], { cwd: root });
    assert.equal(again.code, 1, again.stderr);
    const names = jsonReports(merged);
    assert.equal(names.length, 2, 'a second report in the same directory');
    // Both started in the same second: the second got a millisecond name (it sorts before), and chains to the first.
    const bytes = names.map((n) => readFileSync(join(merged, n)));
    const previous = bytes.map((b) => (JSON.parse(b.toString('utf8')) as RunResult).previousReportSha256);
    assert.deepEqual([...previous].sort(), [null, sha256Hex(bytes[previous.indexOf(null) === 0 ? 0 : 1]!)].sort());
    assert.equal((await runCli(['report', 'verify', merged, '--public-key', publicKeyFile])).code, 0);
  });

  it('exit code follows the merged outcome: 0 pass, 2 incomplete; one format without --out-dir goes to stdout', async () => {
    const passing = await shardDirs({ failing: false });
    const pass = await runCli(['report', 'merge', ...passing, '--format', 'json']);
    assert.equal(pass.code, 0, pass.stderr);
    const report = JSON.parse(pass.stdout) as RunResult;
    assert.equal(report.outcome, 'pass');
    assert.equal(report.fleet!.mergedFrom!.length, 3);
    assert.equal('previousReportSha256' in report, false, 'not written into a chain');

    const erroring = await shardDirs({
      failing: false,
      change: (shards) => {
        const finding = shards[1]!.checks[0]!;
        finding.status = 'error';
        shards[1]!.summary = { ...shards[1]!.summary, pass: shards[1]!.summary.pass - 1, error: 1 };
        shards[1]!.outcome = 'incomplete';
      },
    });
    const out = join(root, 'incomplete');
    const incomplete = await runCli(['report', 'merge', ...erroring, '--out-dir', out, '--format', 'json']);
    assert.equal(incomplete.code, 2, incomplete.stderr);
    assert.equal((JSON.parse(readFileSync(join(out, jsonReports(out)[0]!), 'utf8')) as RunResult).outcome, 'incomplete');
    assert.doesNotMatch(incomplete.stderr, /^error:/m);
  });

  it('refuses a tampered shard report (exit 2, naming the directory), writing no merged report, and records the refusal', async () => {
    const dirs = await shardDirs();
    const { name, bytes } = newestShardReport(dirs[2]!);
    // The failing finding turned into a pass in shard 3: its hash no longer matches its audit line.
    writeFileSync(join(dirs[2]!, name), bytes.toString('utf8').replace('"status": "fail"', '"status": "pass"'));
    const out = join(root, 'tampered-out');
    const run = await runCli(['report', 'merge', ...dirs, '--out-dir', out, '--format', 'json']);
    assert.equal(run.code, 2, run.stderr);
    assert.ok(run.stderr.includes(`error: ${dirs[2]}: the report chain does not verify`), run.stderr);
    assert.match(run.stderr, /its shard report cannot be merged/);
    assert.match(run.stderr, /hint: run `restorecheck report verify .*shard-3` for the whole list/);
    assert.deepEqual(jsonReports(out), [], 'no merged report');
    const audit = readFileSync(join(out, 'audit.log.jsonl'), 'utf8').trim().split('\n');
    assert.equal(audit.length, 1);
    assert.deepEqual((({ action, command, outcome }) => ({ action, command, outcome }))(JSON.parse(audit[0]!) as Record<string, unknown>), {
      action: 'refused',
      command: 'report merge',
      outcome: 'refused',
    });
    assert.equal((await runCli(['report', 'verify', out])).code, 0, 'the refusal line keeps the directory verifiable');

    // A signature check: a shard written without the key is refused with --public-key.
    const fresh = await shardDirs();
    rmSync(fresh[1]!, { recursive: true });
    const shard2 = shardReports()[1]!;
    mkdirSync(fresh[1]!);
    await writeChainedReport(fresh[1]!, shard2, reportBaseName(shard2), (t) => t);
    const signed = await runCli(['report', 'merge', ...fresh, '--format', 'json', '--public-key', publicKeyFile]);
    assert.equal(signed.code, 2);
    assert.match(signed.stderr, /shard-2: the report chain does not verify .*is not signed/);
    assert.equal((await runCli(['report', 'merge', ...fresh, '--format', 'json'])).code, 1, 'without a key, integrity only: merged');
  });

  it('refuses a missing shard, a directory without a fleet report, a non-directory, and an output inside a shard', async () => {
    const dirs = await shardDirs();
    const missing = await runCli(['report', 'merge', dirs[0]!, dirs[2]!, '--format', 'json']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /^error: shard 2 of 3 is missing: the reports given are shards 1, 3$/m);
    assert.match(missing.stderr, /^hint: pass the report directory of every shard job/m);

    const empty = join(root, 'empty-shard');
    mkdirSync(empty);
    const none = await runCli(['report', 'merge', dirs[0]!, empty, '--format', 'json']);
    assert.equal(none.code, 2);
    assert.ok(none.stderr.includes(`error: ${empty} holds no report`), none.stderr);

    const plain = join(root, 'plain');
    mkdirSync(plain);
    const single = shardReports()[0]!;
    delete single.fleet;
    await writeChainedReport(plain, single, reportBaseName(single), (t) => t);
    const notFleet = await runCli(['report', 'merge', dirs[0]!, plain, '--format', 'json']);
    assert.equal(notFleet.code, 2);
    assert.ok(notFleet.stderr.includes(`error: ${plain} holds no fleet report (1 report, none with a fleet section)`), notFleet.stderr);

    const file = join(root, 'restorecheck.yaml');
    const notDir = await runCli(['report', 'merge', file, '--format', 'json']);
    assert.equal(notDir.code, 2);
    assert.ok(notDir.stderr.includes(`error: ${file} is not a directory`), notDir.stderr);

    const inside = await runCli(['report', 'merge', ...dirs, '--out-dir', dirs[1]!]);
    assert.equal(inside.code, 2);
    assert.match(inside.stderr, /one of the shard directories: it would join that shard's chain/);

    const other = join(root, 'staging.yaml');
    writeFileSync(other, 'environment: staging\n');
    const wrongConfig = await runCli(['report', 'merge', ...dirs, '--config', other, '--format', 'json']);
    assert.equal(wrongConfig.code, 2);
    assert.match(wrongConfig.stderr, /is the configuration of environment staging, the shard reports are of production/);
  });

  it('has its own help, and verify and render keep theirs', async () => {
    const help = await runCli(['report', 'merge', '--help']);
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /^restorecheck report merge <dir\.\.> \[--config FILE\] \[--out-dir DIR\] \[--format FMT\]\.\.\.\n\njoin the shard reports/);
    for (const option of ['--config', '--out-dir', '--format', '--public-key', '--lang']) assert.match(help.stdout, new RegExp(`${option}\\b`));
    const verify = await runCli(['report', 'verify', '--help']);
    const options = verify.stdout.slice(verify.stdout.indexOf('Options:'), verify.stdout.indexOf('Examples:'));
    for (const option of ['--config', '--out-dir', '--format']) assert.doesNotMatch(options, new RegExp(option));
    const twoDirs = await runCli(['report', 'verify', root, root]);
    assert.equal(twoDirs.code, 2);
    assert.match(twoDirs.stderr, /report verify takes one directory, not 2/);
    const twoFormats = await runCli(['report', 'render', join(root, 'x.json'), '--format', 'html', '--format', 'json']);
    assert.equal(twoFormats.code, 2);
    assert.match(twoFormats.stderr, /report render writes one format to stdout, not 2/);
    const outDir = await runCli(['report', 'verify', root, '--out-dir', root]);
    assert.equal(outDir.code, 2);
    assert.match(outDir.stderr, /report verify takes no --out-dir/);
  });
});

describe('report merge with report.store (Azurite)', () => {
  let azurite: Azurite;
  before(async () => {
    azurite = await startAzurite();
    await BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient('records').create();
  });
  after(async () => azurite?.stop());

  it('uploads the merged report and its audit line to the store, as a check would', async () => {
    const dirs = await shardDirs({ failing: false });
    const home = mkdtempSync(join(root, 'store-job-'));
    const storeConfig = join(home, 'restorecheck.yaml');
    writeFileSync(
      storeConfig,
      [
        'environment: production',
        'report:',
        '  dir: reports',
        '  formats: [json, markdown]',
        '  store:',
        `    account: ${azurite.account}`,
        '    container: records',
        '    connectionString: ${STORE_CONNECTION_STRING}',
        '    timeoutMs: 20000',
        '',
      ].join('\n'),
    );
    const run = await runCli(['report', 'merge', ...dirs, '--config', storeConfig], { cwd: home, env: { STORE_CONNECTION_STRING: azurite.connectionString } });
    assert.equal(run.code, 0, run.stderr);
    const local = join(home, 'reports');
    const [json] = jsonReports(local);
    assert.ok(json);
    const names: string[] = [];
    for await (const blob of BlobServiceClient.fromConnectionString(azurite.connectionString)
      .getContainerClient('records')
      .listBlobsFlat({ prefix: 'production/' }))
      names.push(blob.name);
    assert.deepEqual(names.sort(), ['production/audit/0000000001.jsonl', `production/${json}`, `production/${json.replace(/\.json$/, '.md')}`].sort());
    assert.equal((await runCli(['report', 'verify', local])).code, 0);
  });
});
