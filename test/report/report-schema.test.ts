import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseReport, reportJsonSchema } from '../../src/report/report-schema.js';
import { checkReport, hostileReport, reportHistory } from '../helpers/report-fixtures.js';
import { schemaErrors, shippedSchema } from '../helpers/report-schema-validator.js';

describe('report JSON Schema', () => {
  it('ships the schema generated from the zod model', () => {
    assert.deepEqual(shippedSchema(), JSON.parse(JSON.stringify(reportJsonSchema())));
  });

  it('accepts the fixture reports, the chained form and the hostile one', () => {
    for (const report of [
      checkReport(),
      ...reportHistory(),
      hostileReport(),
      { ...checkReport(), previousReportSha256: null },
      { ...checkReport(), previousReportSha256: 'f'.repeat(64) },
    ]) {
      assert.deepEqual(schemaErrors(JSON.parse(JSON.stringify(report))), [], report.run.id);
      assert.equal(parseReport(JSON.stringify(report)).ok, true);
    }
  });

  const broken: Array<[string, (r: Record<string, unknown> & ReturnType<typeof checkReport>) => unknown]> = [
    ['an unknown top-level key', (r) => ({ ...r, extra: 1 })],
    ['a missing outcome', ({ outcome: _outcome, ...rest }) => rest],
    ['an unknown status', (r) => ({ ...r, checks: [{ ...r.checks[0], status: 'ok' }] })],
    ['a local-time date', (r) => ({ ...r, run: { ...r.run, startedAt: '2026-11-21T03:00:00+01:00' } })],
    ['a previous hash that is not SHA-256', (r) => ({ ...r, previousReportSha256: 'abc' })],
    ['evidence that is not an object', (r) => ({ ...r, checks: [{ ...r.checks[0], evidence: [1, 2] }] })],
    ['another schema version', (r) => ({ ...r, schemaVersion: 2 })],
  ];
  for (const [what, mutate] of broken) {
    it(`rejects ${what}, in ajv and in zod alike`, () => {
      const document = JSON.parse(JSON.stringify(mutate(checkReport() as Parameters<typeof mutate>[0]))) as unknown;
      assert.notDeepEqual(schemaErrors(document), [], 'ajv accepted it');
      assert.equal(parseReport(JSON.stringify(document)).ok, false, 'zod accepted it');
    });
  }

  it('explains a non-report with the path of the problem', () => {
    const parsed = parseReport('{"schemaVersion":1}');
    assert.equal(parsed.ok, false);
    if (!parsed.ok)
      assert.ok(
        parsed.problems.some((p) => p.startsWith('tool:')),
        parsed.problems.join('\n'),
      );
    const notJson = parseReport('<html>');
    assert.equal(notJson.ok, false);
    if (!notJson.ok) assert.match(notJson.problems[0]!, /^not JSON/);
  });
});
