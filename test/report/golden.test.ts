/**
 * Golden files: every format rendered from the fixed RunResult (and, for HTML, its fixed history) must
 * equal test/fixtures/golden/*. After an intended change, regenerate them with
 * `UPDATE_GOLDEN=1 npm test -- test/report/golden.test.ts` and review the diff.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { reporters } from '../../src/report/index.js';
import { checkReport, reportHistory } from '../helpers/report-fixtures.js';

const GOLDEN = join(import.meta.dirname, '../fixtures/golden');
const update = process.env.UPDATE_GOLDEN === '1';

function golden(name: string, actual: string): void {
  const path = join(GOLDEN, name);
  if (update) {
    mkdirSync(GOLDEN, { recursive: true });
    writeFileSync(path, actual);
    return;
  }
  assert.ok(existsSync(path), `${path} is missing: run UPDATE_GOLDEN=1 npm test -- test/report/golden.test.ts`);
  assert.equal(actual, readFileSync(path, 'utf8'), `${name} differs from its golden file (UPDATE_GOLDEN=1 to accept an intended change)`);
}

describe('golden files', () => {
  const chained = { ...checkReport(), previousReportSha256: 'a'.repeat(64) };
  for (const format of ['console', 'json', 'markdown', 'junit'] as const) {
    it(`${format} output is unchanged`, () => {
      const reporter = reporters[format]!;
      golden(`check-report.${reporter.extension}`, reporter.render(chained, { color: false }));
    });
  }

  it('html output (with trend history) is unchanged', () => {
    golden('check-report.html', reporters.html!.render(chained, { color: false, history: reportHistory() }));
  });

  it('console output with colour is unchanged', () => {
    golden('check-report.color.txt', reporters.console!.render(chained, { color: true }));
  });

  it('renders the same bytes twice (pure and deterministic)', () => {
    for (const reporter of Object.values(reporters)) {
      const options = { color: false, history: reportHistory() };
      assert.equal(reporter!.render(checkReport(), options), reporter!.render(checkReport(), options));
    }
  });
});
