import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { checksFor } from '../../../src/checks/index.js';
import { parseConfigText } from '../../../src/config/load.js';
import { writeChainedReport } from '../../../src/evidence/report-directory.js';
import { reportBaseName } from '../../../src/cli/report-files.js';
import { jsonReporter } from '../../../src/report/json.js';
import type { RestoreOutcome } from '../../../src/restore/outcome.js';
import { storedReportsInput } from '../../../src/cli/stored-reports-input.js';
import { LiveGateways } from '../../../src/run/gateways.js';
import { runChecks } from '../../../src/run/runner.js';
import { fakeGateways } from '../../helpers/fake-gateways.js';

const NOW = new Date('2026-11-21T03:00:00.000Z');
const daysAgo = (d: number) => new Date(NOW.getTime() - d * 86_400_000);

/**
 * A restore-test report made by the real engine at a given time, stored under its contract name: through the real
 * report writer (chained and recorded in the audit log), or (`forged`) just written into the directory.
 */
async function storeRestoreTest(dir: string, at: Date, ok: boolean, environment = 'production', how: 'recorded' | 'forged' = 'recorded'): Promise<string> {
  const { config } = parseConfigText(`environment: ${environment}\n`, 'c.yaml', {});
  const outcome: RestoreOutcome = {
    method: 'archive',
    target: 't',
    provision: ok
      ? { ok: true, value: { restoreSeconds: 12, restorePoint: null, details: {} } }
      : { ok: false, failure: { kind: 'restore-failed', message: 'psql failed', hint: 'h' } },
    source: { label: 'metadata', alembic: { ok: true as const, value: 'a' } },
    limits: { rowCountTolerancePercent: 0 },
    cleanup: { status: 'deleted', removed: ['x'], leftover: [] },
    ...(ok ? { restored: { alembic: { ok: true as const, value: 'a' }, counts: { ok: true as const, value: {} } } } : {}),
  };
  const result = await runChecks({
    command: 'restore-test',
    checks: checksFor('restore-test'),
    config,
    now: () => at,
    gateways: fakeGateways(),
    inputs: { restore: outcome },
  });
  if (how === 'recorded') return `${(await writeChainedReport(dir, result, reportBaseName(result), (text) => text)).base}.json`;
  const name = `${reportBaseName(result)}.json`;
  await writeFile(join(dir, name), jsonReporter.render(result, { color: false }));
  return name;
}

async function freshness(dir: string | undefined) {
  const { config } = parseConfigText(`environment: production\n${dir ? `report:\n  dir: ${dir}\n` : ''}`, join(tmpdir(), 'c.yaml'), {});
  const gateways = new LiveGateways(config);
  const result = await runChecks({
    command: 'check',
    checks: checksFor('check'),
    config,
    gateways,
    inputs: storedReportsInput(config),
    only: ['restore-test-freshness'],
    now: () => NOW,
  });
  return result.checks[0]!;
}

describe('restore-test-freshness', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'restorecheck-fresh-'));
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  it('is skipped without a report directory', async () => {
    assert.equal((await freshness(undefined)).status, 'skipped');
  });

  it('fails with no restore test on record, and with only failed ones', async () => {
    const none = await freshness(dir);
    assert.equal(none.status, 'fail');
    assert.match(none.message, /No successful restore test of environment production/);
    const failed = await storeRestoreTest(dir, daysAgo(2), false);
    const onlyFailed = await freshness(dir);
    assert.equal(onlyFailed.status, 'fail');
    assert.match(onlyFailed.message, new RegExp(`the last one, ${failed.replace('.', '\\.')}, ended fail`));
  });

  it('fails when the newest successful test is too old, passes when it is recent', async () => {
    await storeRestoreTest(dir, daysAgo(40), true);
    await storeRestoreTest(dir, daysAgo(1), true, 'staging'); // another environment does not count
    const old = await freshness(dir);
    assert.equal(old.status, 'fail');
    assert.equal(old.evidence.ageDays, 40);
    const recent = await storeRestoreTest(dir, daysAgo(3), true);
    const fresh = await freshness(dir);
    assert.equal(fresh.status, 'pass', fresh.message);
    assert.equal(fresh.evidence.report, recent);
    assert.equal(fresh.evidence.restoreSeconds, 12);
  });

  describe('reads only the reports the audit log records (the one clock rule)', () => {
    const dirs: string[] = [];
    const freshDir = async () => {
      const d = await mkdtemp(join(tmpdir(), 'restorecheck-fresh-'));
      dirs.push(d);
      return d;
    };
    after(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

    it('ignores a good report copied into the directory under a future name (not in the audit log)', async () => {
      const d = await freshDir();
      await storeRestoreTest(d, daysAgo(40), true);
      const forged = await storeRestoreTest(d, daysAgo(-181), true, 'production', 'forged');
      const r = await freshness(d);
      assert.notEqual(r.status, 'pass', r.message);
      assert.equal(r.status, 'fail', r.message);
      assert.equal(r.evidence.ageDays, 40);
      assert.equal(r.evidence.reportsNotOnRecord, 1);
      assert.match(r.message, new RegExp(`${forged.replace('.', '\\.')}.*not recorded in the audit log`));
      assert.doesNotMatch(r.message, / -\d/); // never a negative age
    });

    it('ignores a recorded report edited since (its hash differs from the audit line), and warns about it', async () => {
      const d = await freshDir();
      await storeRestoreTest(d, daysAgo(3), true);
      const edited = await storeRestoreTest(d, daysAgo(2), true);
      const text = await readFile(join(d, edited), 'utf8');
      await writeFile(join(d, edited), text.replace(/"finishedAt": "[^"]+"/, `"finishedAt": "${daysAgo(1).toISOString()}"`));
      const r = await freshness(d);
      // The genuine one still proves a recent test, but a newer report that cannot be trusted is worth a look.
      assert.equal(r.status, 'warn', r.message);
      assert.equal(r.evidence.ageDays, 3);
      assert.equal(r.evidence.reportsNotOnRecord, 1);
      assert.match(r.message, /report verify/);
    });

    it('fails a recorded report whose finishedAt lies in the future beyond the skew: a clock or data anomaly', async () => {
      const d = await freshDir();
      await storeRestoreTest(d, daysAgo(-10), true);
      const r = await freshness(d);
      assert.equal(r.status, 'fail', r.message);
      assert.match(r.message, /clock or data anomaly/);
      assert.equal(r.evidence.ageDays, null);
    });

    it('passes a genuine recent report, and counts one a minute ahead (within the skew) as age 0', async () => {
      const d = await freshDir();
      await storeRestoreTest(d, daysAgo(-60_000 / 86_400_000), true);
      const r = await freshness(d);
      assert.equal(r.status, 'pass', r.message);
      assert.equal(r.evidence.ageDays, 0);
      assert.equal(r.evidence.reportsNotOnRecord, 0);
    });
  });
});
