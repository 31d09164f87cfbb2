/**
 * `report verify` against each kind of tampering, on directories written by the real CLI: four
 * `check` runs, then a copy of the directory per scenario, damaged on purpose.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sha256Hex } from '../../src/evidence/report-chain.js';
import { runCli } from '../helpers/cli.js';
import { makeWorkspace, runCheck, type Workspace } from '../helpers/report-workspace.js';

let ws: Workspace;
let names: string[];

const AUDIT = 'audit.log.jsonl';
const auditLines = (dir: string) => readFileSync(join(dir, AUDIT), 'utf8').trimEnd().split('\n');
const writeAudit = (dir: string, lines: string[]) => writeFileSync(join(dir, AUDIT), `${lines.join('\n')}\n`);

let scenario = 0;
/** A fresh copy of the pristine directory to damage. */
function copy(): string {
  const dir = join(ws.root, `tampered-${++scenario}`);
  cpSync(ws.reports, dir, { recursive: true });
  return dir;
}

async function verify(dir: string) {
  const result = await runCli(['report', 'verify', dir]);
  return { ...result, firstBroken: /^FAIL: first broken link: (.*)$/m.exec(result.stdout)?.[1] ?? '' };
}

before(async () => {
  ws = makeWorkspace();
  for (let i = 0; i < 4; i++) {
    const run = await runCheck(ws, ['json', 'markdown']);
    assert.equal(run.code, 2, run.stderr); // incomplete: the database port is closed
  }
  // In the order written, which the audit log records (two runs in one second get a millisecond name).
  names = auditLines(ws.reports).map((l) => (JSON.parse(l) as { report: { file: string } }).report.file);
  assert.deepEqual(
    [...names].sort(),
    readdirSync(ws.reports)
      .filter((n) => n.endsWith('.json'))
      .sort(),
  );
  assert.equal(names.length, 4);
});
after(() => ws.cleanup());

describe('report verify', () => {
  it('passes on the untouched directory and prints the head hashes', async () => {
    const result = await verify(ws.reports);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /4 reports, 4 audit lines/);
    assert.match(result.stdout, /PASS: the chain is intact/);
    const head = sha256Hex(readFileSync(join(ws.reports, names[3]!)));
    assert.ok(result.stdout.includes(`newest report sha256:    ${head}`), result.stdout);
  });

  it('records each report with the hash of the one before it', () => {
    const reports = names.map((n) => JSON.parse(readFileSync(join(ws.reports, n), 'utf8')) as { previousReportSha256: string | null });
    assert.equal(reports[0]!.previousReportSha256, null);
    for (let i = 1; i < 4; i++) assert.equal(reports[i]!.previousReportSha256, sha256Hex(readFileSync(join(ws.reports, names[i - 1]!))));
    const lines = auditLines(ws.reports).map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const line of lines) {
      assert.match(String(line.timestamp), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      assert.equal(line.command, 'check');
      assert.equal(line.environment, 'production');
      assert.equal(line.outcome, 'incomplete');
      assert.ok(String(line.user).length > 0 && String(line.host).length > 0);
    }
  });

  const cases: Array<[string, (dir: string) => void, RegExp]> = [
    [
      'an edited report',
      (dir) => {
        const path = join(dir, names[1]!);
        writeFileSync(path, readFileSync(path, 'utf8').replace('"outcome": "incomplete"', '"outcome": "pass"'));
      },
      new RegExp(`^${names0(1)} differs from what was written .*edited`),
    ],
    [
      'an edited newest report',
      (dir) => {
        const path = join(dir, names[3]!);
        writeFileSync(path, readFileSync(path, 'utf8').replace('connection refused', 'connection accepted'));
      },
      new RegExp(`^${names0(3)} differs from what was written`),
    ],
    ['a deleted report', (dir) => rmSync(join(dir, names[1]!)), new RegExp(`^${names0(1)} was recorded in audit line 2 but is missing`)],
    ['a deleted newest report', (dir) => rmSync(join(dir, names[3]!)), new RegExp(`^${names0(3)} was recorded in audit line 4 but is missing`)],
    [
      'an inserted report (linked into the middle)',
      (dir) => {
        const forged = JSON.parse(readFileSync(join(dir, names[2]!), 'utf8')) as { run: { id: string } };
        forged.run.id = 'forged';
        writeFileSync(join(dir, `${names[1]!.slice(0, 15)}.999Z-production-check.json`), JSON.stringify(forged, null, 2));
      },
      /\.999Z-production-check\.json (follows .* a report was inserted|is not recorded in the audit log)/,
    ],
    [
      'an inserted report (appended with a correct link)',
      (dir) => {
        const forged = JSON.parse(readFileSync(join(dir, names[3]!), 'utf8')) as { run: { id: string }; previousReportSha256: string };
        forged.run.id = 'forged';
        forged.previousReportSha256 = sha256Hex(readFileSync(join(dir, names[3]!)));
        writeFileSync(join(dir, '29991231T235959Z-production-check.json'), JSON.stringify(forged, null, 2));
      },
      /^29991231T235959Z-production-check\.json is not recorded in the audit log/,
    ],
    [
      'reordered reports (two files swapped)',
      (dir) => {
        renameSync(join(dir, names[1]!), join(dir, 'tmp'));
        renameSync(join(dir, names[2]!), join(dir, names[1]!));
        renameSync(join(dir, 'tmp'), join(dir, names[2]!));
      },
      new RegExp(`^${names0(1)} differs from what was written .*reordered`),
    ],
    [
      'an edited audit line',
      (dir) => {
        const lines = auditLines(dir);
        lines[1] = lines[1]!.replace(/"user":"[^"]*"/, '"user":"somebody-else"');
        writeAudit(dir, lines);
      },
      /^audit\.log\.jsonl line 3 does not link to line 2/,
    ],
    [
      'an edited outcome on the last audit line',
      (dir) => {
        const lines = auditLines(dir);
        lines[3] = lines[3]!.replace('"outcome":"incomplete"', '"outcome":"pass"');
        writeAudit(dir, lines);
      },
      /^audit\.log\.jsonl line 4 does not match .*the line was edited/,
    ],
    [
      'a removed audit line',
      (dir) =>
        writeAudit(
          dir,
          auditLines(dir).filter((_l, i) => i !== 1),
        ),
      new RegExp(`^${names0(1)} is not recorded in the audit log`),
    ],
    ['a removed last audit line', (dir) => writeAudit(dir, auditLines(dir).slice(0, 3)), new RegExp(`^${names0(3)} is not recorded in the audit log`)],
    [
      'reordered audit lines',
      (dir) => {
        const lines = auditLines(dir);
        writeAudit(dir, [lines[0]!, lines[2]!, lines[1]!, lines[3]!]);
      },
      /audit\.log\.jsonl line 2 does not link to line 1|is out of order/,
    ],
    ['a deleted audit log', (dir) => rmSync(join(dir, AUDIT)), /^audit\.log\.jsonl is missing/],
  ];
  for (const [what, damage, expected] of cases) {
    it(`fails (exit 1) on ${what}, naming the first broken link`, async () => {
      const dir = copy();
      damage(dir);
      const result = await verify(dir);
      assert.equal(result.code, 1, result.stdout + result.stderr);
      // Report names are known only once `before` ran: fill them into the pattern now.
      const pattern = new RegExp(expected.source.replace(/__NAME_(\d)__/g, (_m, i: string) => names[Number(i)]!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
      assert.match(result.firstBroken, pattern, result.stdout);
    });
  }

  it('exits 2 when there is nothing to verify', async () => {
    const empty = join(ws.root, 'empty');
    mkdirSync(empty);
    const none = await verify(empty);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /nothing to verify/);
    const missing = await verify(join(ws.root, 'does-not-exist'));
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /is not a directory/);
  });

  it('keeps the chain going after a verified directory gets a new report', async () => {
    const dir = copy();
    const run = await runCheck(ws, ['json'], { outDir: dir });
    assert.equal(run.code, 2);
    const result = await verify(dir);
    assert.equal(result.code, 0, result.stdout);
    assert.match(result.stdout, /5 reports, 5 audit lines/);
  });
});

/** The i-th report name as a regular expression (names are only known once `before` ran). */
function names0(i: number): string {
  return `__NAME_${i}__`;
}
