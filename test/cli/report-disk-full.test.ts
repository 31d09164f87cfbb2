/**
 * Issue 10, item 6: a full report disk must leave the old state or the new one (never a torn
 * report that reads as tampering forever after), `report verify` must tell a torn write from
 * tampering, and a refused run must still leave its audit line.
 * The full disk is a real 64 KiB tmpfs (mounting needs root; without it the test is skipped).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, readdirSync, statfsSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { CANARY_PASSWORD, makeWorkspace, runCheck, type Workspace } from '../helpers/report-workspace.js';

const AUDIT = 'audit.log.jsonl';
const auditRecords = (dir: string) =>
  readFileSync(join(dir, AUDIT), 'utf8')
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

let ws: Workspace;
before(() => {
  ws = makeWorkspace();
});
after(() => ws.cleanup());

function tryMount(dir: string, size: string): string | undefined {
  mkdirSync(dir, { recursive: true });
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'pipe' });
    return undefined;
  } catch (error) {
    return `cannot mount a tmpfs here (${String((error as { stderr?: Buffer }).stderr ?? error).trim()}): the full-disk test needs root`;
  }
}

describe('a full report disk', () => {
  const mountPoint = () => join(ws.root, 'small-disk');
  let skip: string | undefined;
  before(() => {
    skip = process.getuid?.() === 0 ? tryMount(mountPoint(), '64k') : 'not root: cannot mount the small tmpfs the full-disk test needs';
  });
  after(() => {
    if (!skip) execFileSync('umount', [mountPoint()]);
  });

  it('refuses with "disk full in DIR", leaves no partial file, and the chain stays intact', async (t) => {
    if (skip) return t.skip(skip);
    const dir = join(mountPoint(), 'reports');
    const first = await runCheck(ws, ['json'], { outDir: dir });
    assert.equal(first.code, 2, first.stderr); // incomplete: the database port is closed
    const before = readdirSync(dir).sort();
    const reportSize = readFileSync(join(dir, before.find((n) => n.endsWith('.json'))!)).length;
    // Leave less room than one report needs (tmpfs counts whole 4 KiB pages).
    const { bavail, bsize } = statfsSync(mountPoint());
    const keep = Math.max(bsize, Math.floor(reportSize / 2 / bsize) * bsize);
    assert.ok(reportSize > keep, `a report (${reportSize} bytes) must not fit in ${keep}`);
    writeFileSync(join(mountPoint(), 'filler'), Buffer.alloc(bavail * bsize - keep));
    const auditBefore = readFileSync(join(dir, AUDIT), 'utf8');

    const full = await runCheck(ws, ['json', 'markdown'], { outDir: dir });
    assert.equal(full.code, 2, full.stdout + full.stderr);
    assert.match(full.stderr, new RegExp(`disk full in ${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    assert.doesNotMatch(full.stderr, /\n\s+at /, 'no stack trace');
    assert.deepEqual(readdirSync(dir).sort(), before, 'no partial report, no temp file, no lock left');
    // The old audit log, whole; the refusal's own line may follow when it still fits (a few hundred bytes, in the log's
    // last page), and then it must be a whole, linked `refused` line (report verify below checks the link).
    const auditAfter = readFileSync(join(dir, AUDIT), 'utf8');
    assert.ok(auditAfter.startsWith(auditBefore), 'the audit log keeps the old one, whole');
    const added = auditAfter.slice(auditBefore.length).split('\n').filter(Boolean);
    assert.ok(added.length <= 1, `at most the refusal's line was added: ${added.length}`);
    if (added[0]) assert.equal((JSON.parse(added[0]) as { action?: string }).action, 'refused');

    const verify = await runCli(['report', 'verify', dir]);
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
    assert.match(verify.stdout, /PASS: the chain is intact/);
  });
});

describe('report verify: torn write or tampering', () => {
  let pristine: string;
  let newest: string;
  before(async () => {
    pristine = join(ws.root, 'pristine');
    for (let i = 0; i < 2; i++) assert.equal((await runCheck(ws, ['json'], { outDir: pristine })).code, 2);
    newest = String((auditRecords(pristine).at(-1)!.report as { file: string }).file);
  });
  let n = 0;
  const copy = () => {
    const dir = join(ws.root, `torn-${++n}`);
    cpSync(pristine, dir, { recursive: true });
    return dir;
  };

  it('calls a leftover temp file a torn write, not tampering', async () => {
    const dir = copy();
    writeFileSync(join(dir, `.tmp-20991231T000000Z-production-check.json-1234`), '{"schemaVersion": 1, "tool"');
    const result = await runCli(['report', 'verify', dir]);
    assert.equal(result.code, 2, result.stdout + result.stderr);
    assert.match(
      result.stdout,
      /TORN WRITE: .*\.tmp-20991231T000000Z-production-check\.json-1234 .*torn write \(an interrupted or disk-full write\), not tampering: remove /,
    );
    assert.doesNotMatch(result.stdout, /^FAIL/m);
  });

  it('calls an unrecorded truncated report a torn write', async () => {
    const dir = copy();
    const name = '20991231T000000Z-production-check.json';
    writeFileSync(join(dir, name), readFileSync(join(dir, newest)).subarray(0, 4096));
    const result = await runCli(['report', 'verify', dir]);
    assert.equal(result.code, 2, result.stdout + result.stderr);
    assert.match(
      result.stdout,
      new RegExp(`${name.replace(/\./g, '\\.')} .*torn write \\(an interrupted or disk-full write\\), not tampering: remove ${dir}/${name}`),
    );
    assert.doesNotMatch(result.stdout, /^FAIL/m);
  });

  it('still calls a recorded report that was truncated tampering', async () => {
    const dir = copy();
    truncateSync(join(dir, newest), 100);
    const result = await runCli(['report', 'verify', dir]);
    assert.equal(result.code, 1, result.stdout + result.stderr);
    assert.match(result.stdout, /^FAIL: first broken link: /m);
    assert.match(result.stdout, new RegExp(`${newest.replace(/\./g, '\\.')} differs from what was written`));
    assert.doesNotMatch(result.stdout, /torn write/);
  });
});

describe('a refused run', () => {
  it('leaves an audit line with the (redacted) error, and the chain stays intact', async () => {
    const dir = join(ws.root, 'refused');
    assert.equal((await runCheck(ws, ['json'], { outDir: dir })).code, 2);
    const refused = await runCli(['check', '--config', ws.config, '--out-dir', dir, '--only', 'no-such-check'], { cwd: ws.root });
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /unknown check id "no-such-check"/);
    const last = auditRecords(dir).at(-1)!;
    assert.equal(last.action, 'refused');
    assert.equal(last.command, 'check');
    assert.equal(last.environment, 'production');
    assert.equal(last.report, null);
    assert.match(JSON.stringify(last.details), /unknown check id/);
    const verify = await runCli(['report', 'verify', dir]);
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
  });

  it('records a configuration error when the configuration names report.dir', async () => {
    const config = join(ws.root, 'broken.yaml');
    writeFileSync(
      config,
      `environment: staging\nreport:\n  dir: broken-reports\ndatabase:\n  url: postgres://u:${CANARY_PASSWORD}@127.0.0.1:1/x\n  colour: blue\n`,
    );
    const refused = await runCli(['check', '--config', config], { cwd: ws.root });
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /colour/);
    const dir = join(ws.root, 'broken-reports');
    const records = auditRecords(dir);
    assert.equal(records.length, 1);
    assert.equal(records[0]!.action, 'refused');
    assert.equal(records[0]!.environment, 'staging');
    assert.match(JSON.stringify(records[0]!.details), /colour/);
    assert.ok(!readFileSync(join(dir, AUDIT), 'utf8').includes(CANARY_PASSWORD), 'no secret in the audit log');
    const verify = await runCli(['report', 'verify', dir]);
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
  });
});
