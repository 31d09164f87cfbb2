/**
 * `report render` on a stored fleet report (issue 17): the built binary parses it with the report schema (resource on a
 * finding, the fleet section) and renders every text format as the reporters do, grouped by resource.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { reporters } from '../../src/report/index.js';
import { runCli } from '../helpers/cli.js';
import { fleetReport } from '../helpers/report-fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'restorecheck-fleet-render-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('report render of a fleet report', () => {
  it('renders every text format of the stored report, as the reporters render the report itself', async () => {
    const stored = join(dir, '20261121T030000Z-production-check.json');
    writeFileSync(stored, reporters.json.render(fleetReport(), { color: false }));
    for (const format of ['json', 'console', 'markdown', 'junit', 'html'] as const) {
      const run = await runCli(['report', 'render', stored, '--format', format]);
      assert.equal(run.code, 0, `${format}: ${run.stderr}`);
      if (format === 'json') assert.deepEqual(JSON.parse(run.stdout), JSON.parse(reporters.json.render(fleetReport(), { color: false })));
      else assert.equal(run.stdout, reporters[format].render(fleetReport(), { color: false, history: [] }), format);
    }
    const console = await runCli(['report', 'render', stored, '--format', 'console', '--lang', 'fr']);
    assert.match(console.stdout, /8 constats sur 3 ressources: /);
  });
});
