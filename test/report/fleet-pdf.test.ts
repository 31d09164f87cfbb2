/**
 * The PDF of a fleet report (issue 17): the HTML printed by the machine's Chromium (cli/pdf-printer.ts, the code the CLI
 * uses), read back with pdftotext. The run-wide findings come first, then the resources in id order, each headed by its
 * name; the findings of the resources that failed or errored are printed in full, while a resource that passed prints as
 * its one summary line (its closed <details>). Needs /usr/bin/chromium and poppler-utils, as test/cli/report-browser.test.ts.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { printPdf } from '../../src/cli/pdf-printer.js';
import { reporters } from '../../src/report/index.js';
import { FLEET_RESOURCES, fleetReport } from '../helpers/report-fixtures.js';

const CHROMIUM = '/usr/bin/chromium';

describe('the PDF of a fleet report', () => {
  it('groups the findings under each resource, in id order, and counts findings', async () => {
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium (.ci/run installs it)`);
    const html = reporters.html.render(fleetReport(), { color: false });
    const pdf = await printPdf(html, { executablePath: CHROMIUM, footer: 'restorecheck report · production · check' });
    const dir = mkdtempSync(join(tmpdir(), 'restorecheck-fleet-pdf-'));
    try {
      const path = join(dir, 'fleet.pdf');
      writeFileSync(path, pdf);
      const run = spawnSync('pdftotext', ['-layout', path, '-'], { encoding: 'utf8' });
      assert.equal(run.status, 0, `pdftotext (poppler-utils): ${run.stderr ?? run.error}`);
      // Whitespace folded: pdftotext's layout spreads table cells with spaces and wraps long lines.
      const text = run.stdout.replace(/\s+/g, ' ');
      assert.match(text, /Summary: 8 findings on 3 resources/);
      assert.match(text, /Resources by kind and subscription/);
      assert.match(text, /b{20}/, 'the merged shard reports with their SHA-256');
      const details = text.slice(text.indexOf('Details and evidence'));
      const { pgA, pgB, st } = FLEET_RESOURCES;
      const at = (needle: string) => {
        const i = details.indexOf(needle);
        assert.ok(i >= 0, `${needle} is not in the details`);
        return i;
      };
      // Run-wide first, then by id: pg-prod-01 (subscription 1111…, Microsoft.DBforPostgreSQL), stprodbackups (Microsoft.Storage), pg-clinic-02 (9999…).
      const order = [at('Run-wide findings'), at(`FAIL ${pgA.name}`), at(`PASS ${st.name}`), at(`ERROR ${pgB.name}`)];
      assert.deepEqual(
        [...order].sort((a, b) => a - b),
        order,
      );
      const a = details.slice(order[1], order[2]);
      assert.match(a, /Backup retention of pg-prod-01 is 7 days, less than the minimum of 30\./);
      assert.match(a, /Server pg-prod-01 is Ready\./);
      const b = details.slice(order[3]);
      assert.match(b, /Azure answered 404 ResourceNotFound on pg-clinic-02/);
      // The passing account: its summary line and counts, not its findings.
      assert.match(details.slice(order[2], order[3]), /stprodbackups storage account · Subscription [0-9a-f-]+ · Resource group medicapp-rg · 2 pass/);
      assert.ok(!details.slice(order[2], order[3]).includes('Blob soft delete of stprodbackups'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
