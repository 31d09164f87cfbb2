/** The pure chain logic; the CLI tests (test/cli/report-chain.test.ts) tamper with real directories. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { auditLine, auditTail, chainHead } from '../../src/evidence/audit-log.js';
import { sha256Hex } from '../../src/evidence/report-chain.js';
import { verifyChain } from '../../src/evidence/verify-chain.js';
import { jsonReporter } from '../../src/report/json.js';
import { checkReport } from '../helpers/report-fixtures.js';

/** A directory of `n` chained reports and their audit log, built in memory. */
function directory(n: number): { reports: Array<{ name: string; bytes: Uint8Array }>; auditLog: string } {
  const reports: Array<{ name: string; bytes: Uint8Array }> = [];
  let log = '';
  for (let i = 0; i < n; i++) {
    const base = checkReport();
    const report = { ...base, run: { ...base.run, id: `run-${i}` }, previousReportSha256: chainHead(log || null, reports) };
    const name = `2026112${i}T030000Z-production-check.json`;
    const bytes = Buffer.from(jsonReporter.render(report, { color: false }));
    reports.push({ name, bytes });
    const tail = auditTail(log || null);
    log += `${auditLine(
      { command: 'check', environment: 'production', outcome: report.outcome, report: { file: name, sha256: sha256Hex(bytes) } },
      { ...tail, timestamp: `2026-11-2${i}T03:00:01.000Z`, user: 'auditor', host: 'ci' },
    )}\n`;
  }
  return { reports, auditLog: log };
}

describe('report chain (pure)', () => {
  it('links each report to the previous one and each audit line to the line before', () => {
    const dir = directory(3);
    const verdict = verifyChain(dir);
    assert.deepEqual(verdict.problems, []);
    assert.deepEqual(
      verdict.reports.map((r) => r.name),
      dir.reports.map((r) => r.name),
    );
    assert.equal(verdict.reportHeadSha256, sha256Hex(dir.reports[2]!.bytes));
    const lines = dir.auditLog
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { seq: number; previousLineSha256: string | null });
    assert.deepEqual(
      lines.map((l) => l.seq),
      [1, 2, 3],
    );
    assert.equal(lines[0]!.previousLineSha256, null);
    assert.equal(lines[2]!.previousLineSha256, sha256Hex(dir.auditLog.split('\n')[1]!));
  });

  it('starts a chain at null and continues from the newest report when there is no log', () => {
    assert.equal(chainHead(null, []), null);
    const dir = directory(2);
    assert.equal(chainHead(null, dir.reports), sha256Hex(dir.reports[1]!.bytes));
  });

  it('flags a torn last line and a log whose first lines were cut', () => {
    const dir = directory(2);
    assert.match(verifyChain({ ...dir, auditLog: `${dir.auditLog}{"seq":3` }).problems[0]!.message, /incomplete/);
    const cut = dir.auditLog.split('\n').slice(1).join('\n');
    const verdict = verifyChain({ ...dir, auditLog: cut });
    assert.ok(
      verdict.problems.some((p) => p.subject === 'audit.log.jsonl line 1' && /lines before it were removed/.test(p.message)),
      JSON.stringify(verdict.problems),
    );
  });

  it('reports a leftover temp file and an unrecorded report that is not JSON as torn writes, apart from tampering', () => {
    const dir = directory(2);
    const torn = { name: '20991231T000000Z-production-check.json', bytes: dir.reports[1]!.bytes.subarray(0, 200) };
    const verdict = verifyChain({ ...dir, reports: [...dir.reports, torn], tempFiles: ['.tmp-x.json-01ab'] });
    assert.deepEqual(verdict.problems, [], 'no tampering');
    assert.equal(verdict.ok, true);
    assert.deepEqual(verdict.tornWrites.map((p) => p.subject).sort(), ['.tmp-x.json-01ab', torn.name].sort());
    assert.ok(verdict.tornWrites.every((p) => /torn write \(an interrupted or disk-full write\), not tampering/.test(p.message)));
    assert.ok(!verdict.reports.some((r) => r.name === torn.name), 'kept out of the chain');
    // The same bytes under a name the audit log recorded: that is tampering.
    const recorded = verifyChain({ ...dir, reports: [dir.reports[0]!, { name: dir.reports[1]!.name, bytes: torn.bytes }] });
    assert.equal(recorded.ok, false);
    assert.deepEqual(recorded.tornWrites, []);
    assert.ok(
      recorded.problems.some((p) => /differs from what was written/.test(p.message)),
      JSON.stringify(recorded.problems),
    );
  });

  it('flags an edited outcome on the last audit line (which no later hash covers)', () => {
    const dir = directory(2);
    const lines = dir.auditLog.trimEnd().split('\n');
    lines[1] = lines[1]!.replace('"outcome":"fail"', '"outcome":"pass"');
    const verdict = verifyChain({ ...dir, auditLog: `${lines.join('\n')}\n` });
    assert.equal(verdict.ok, false);
    assert.match(verdict.problems[0]!.message, /the line was edited/);
  });
});
