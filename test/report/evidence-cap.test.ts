/**
 * Issue 10, item 7: 100,000 tar entries made a 9.7 MB report. A check's evidence is capped
 * (`report.maxEvidenceBytes`, 64 KiB by default) where its finding becomes a check result, and the
 * report says so (`evidenceTruncated`, the original size).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Check, Finding } from '../../src/checks/types.js';
import { parseConfigText } from '../../src/config/load.js';
import { jsonReporter } from '../../src/report/json.js';
import { parseReport } from '../../src/report/report-schema.js';
import { runChecks } from '../../src/run/runner.js';
import { fakeGateways } from '../helpers/fake-gateways.js';

function fake(id: string, finding: Finding): Check {
  return {
    id,
    title: `${id} title`,
    severity: 'high',
    description: 'd',
    risk: 'r',
    remediation: 'fix it',
    fr: { title: `${id} titre`, description: 'd', risk: 'r', remediation: 'corriger' },
    controls: [],
    needs: [],
    command: 'check',
    run: async () => finding,
  };
}

const entries = Array.from({ length: 100_000 }, (_, i) => ({ path: `data/file-${i}.bin`, size: i }));
const bytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value));

async function run(configText: string) {
  const { config } = parseConfigText(configText, 'c.yaml', {});
  return runChecks({
    command: 'verify',
    config,
    gateways: fakeGateways(),
    checks: [
      fake('huge', { status: 'pass', message: '100,000 entries', evidence: { entryCount: 100_000, entries } }),
      fake('small', { status: 'pass', message: 'ok', evidence: { rows: 3 } }),
    ],
  });
}

describe('report evidence size limit', () => {
  it('caps a 100,000-entry evidence at 64 KiB by default and says so in the report', async () => {
    const result = await run('environment: test\n');
    const huge = result.checks.find((c) => c.id === 'huge')!;
    assert.equal(huge.evidenceTruncated, true);
    assert.equal(huge.evidenceOriginalBytes, bytes({ entryCount: 100_000, entries }));
    assert.ok(bytes(huge.evidence) <= 64 * 1024, `capped evidence is ${bytes(huge.evidence)} bytes`);
    assert.equal(huge.evidence.entryCount, 100_000, 'small values are kept whole');
    const kept = huge.evidence.entries as unknown[];
    assert.ok(Array.isArray(kept) && kept.length > 100 && kept.length < 100_000, `kept ${kept.length} entries`);
    assert.deepEqual(kept[0], entries[0], 'the first entries are kept as they were');
    assert.equal(huge.status, 'pass', 'the cap changes the evidence, never the status');

    const small = result.checks.find((c) => c.id === 'small')!;
    assert.equal(small.evidenceTruncated, undefined);
    assert.deepEqual(small.evidence, { rows: 3 });

    const json = jsonReporter.render(result, { color: false });
    // The cap counts compact JSON; the report is indented, so allow for that (it was 9.7 MB before).
    assert.ok(Buffer.byteLength(json) < 256 * 1024, `report is ${Buffer.byteLength(json)} bytes`);
    const parsed = parseReport(json);
    assert.ok(parsed.ok, JSON.stringify(parsed));
    assert.match(json, /"evidenceTruncated": true/);
  });

  it('takes report.maxEvidenceBytes from the configuration', async () => {
    const result = await run('environment: test\nreport:\n  maxEvidenceBytes: 2048\n');
    const huge = result.checks.find((c) => c.id === 'huge')!;
    assert.equal(huge.evidenceTruncated, true);
    assert.ok(bytes(huge.evidence) <= 2048, `capped evidence is ${bytes(huge.evidence)} bytes`);
  });

  it('refuses a maxEvidenceBytes that is not a positive integer', () => {
    assert.throws(() => parseConfigText('environment: test\nreport:\n  maxEvidenceBytes: 0\n', 'c.yaml', {}), /report\.maxEvidenceBytes: (?!unknown key)/);
  });
});
