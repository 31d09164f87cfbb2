/**
 * restore-database-health at unit level: its verdict on outcomes built here (the probe itself runs against a real
 * PostgreSQL in test/restore-in-place/restore-seed-procedure.test.ts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { restoreDatabaseHealth } from '../../../src/checks/in-place/restore-database-health.js';
import { parseConfigText } from '../../../src/config/load.js';
import type { DatabaseHealth } from '../../../src/restore/database-health.js';
import type { InPlaceOutcome } from '../../../src/restore/in-place-outcome.js';
import type { CheckResult } from '../../../src/run/result.js';
import { runChecks } from '../../../src/run/runner.js';
import { fakeGateways } from '../../helpers/fake-gateways.js';

const { config } = parseConfigText('environment: production\n', 'c.yaml', {});

function probed(change: Partial<DatabaseHealth> = {}): DatabaseHealth {
  return {
    target: '127.0.0.1:5432/medicapp',
    ok: true,
    serverVersion: '15.18',
    alembic: { expected: ['4b2d9c1e7f00'], actual: ['4b2d9c1e7f00'] },
    counts: { patients: { recorded: '300', now: '300' }, test_table: { recorded: '120', now: '121' } },
    problems: [],
    notCompared: [],
    seconds: 0.2,
    ...change,
  };
}

function outcome(change: (o: InPlaceOutcome) => void = () => undefined): InPlaceOutcome {
  const o: InPlaceOutcome = {
    environment: 'production',
    archive: { path: '/b/a.tar.gz', fileName: 'a.tar.gz', sha256: 'a'.repeat(64), sizeBytes: 1, environment: 'production', timestamp: null },
    reason: 'test',
    confirmation: 'flag',
    safetyBackup: { state: 'skipped', why: '--no-safety-backup' },
    components: { postgres: { members: ['postgres_full.sql.gz'], state: 'restored', target: 'db', seconds: 1, steps: [] } },
    steps: [],
    interrupted: false,
    health: { database: probed() },
    totalSeconds: 10,
    rtoMinutes: 5,
  };
  change(o);
  return o;
}

async function judge(o: InPlaceOutcome): Promise<CheckResult> {
  const result = await runChecks({ command: 'restore', checks: [restoreDatabaseHealth], config, gateways: fakeGateways(), inputs: { inPlace: o } });
  return result.checks[0]!;
}

describe('restore-database-health', () => {
  it('passes when it answers at the archive revision with at least the recorded rows (the application may have written)', async () => {
    const r = await judge(outcome());
    assert.equal(r.status, 'pass', r.message);
    assert.match(r.message, /127\.0\.0\.1:5432\/medicapp answers after the restore, at Alembic 4b2d9c1e7f00, its 2 core table\(s\)/);
    assert.deepEqual((r.evidence as { counts: unknown }).counts, { patients: { recorded: '300', now: '300' }, test_table: { recorded: '120', now: '121' } });
  });

  it('fails on what the probe found wrong, naming it', async () => {
    const r = await judge(
      outcome((o) => {
        o.health.database = probed({
          ok: false,
          problems: ['Alembic is at 9f00aa, the archive at 4b2d9c1e7f00', 'table patients has 12 rows, the archive 300'],
        });
      }),
    );
    assert.equal(r.status, 'fail');
    assert.match(r.message, /Alembic is at 9f00aa, the archive at 4b2d9c1e7f00; table patients has 12 rows, the archive 300/);
  });

  it('warns when the metadata records nothing to compare with', async () => {
    const r = await judge(
      outcome((o) => {
        o.health.database = probed({ alembic: undefined, notCompared: ['the Alembic revision (the metadata records none)'] });
      }),
    );
    assert.equal(r.status, 'warn');
    assert.match(r.message, /nothing to compare with for: the Alembic revision/);
  });

  it('is an error when PostgreSQL was to be restored and was not, or the probe never ran', async () => {
    const failed = await judge(
      outcome((o) => {
        o.components.postgres = { members: ['postgres_full.sql.gz'], state: 'not-restored', steps: [], reason: 'interrupted' };
        delete o.health.database;
      }),
    );
    assert.equal(failed.status, 'error');
    assert.match(failed.message, /was to be restored but is not-restored/);
    const interrupted = await judge(
      outcome((o) => {
        o.interrupted = true;
        delete o.health.database;
      }),
    );
    assert.equal(interrupted.status, 'error');
    assert.match(interrupted.message, /did not reach the database health check \(interrupted\)/);
  });

  it('is skipped without PostgreSQL, and when its URL is only the container’s, saying what to set', async () => {
    const none = await judge(
      outcome((o) => {
        o.components = {};
      }),
    );
    assert.equal(none.status, 'skipped');
    const behindExec = await judge(
      outcome((o) => {
        delete o.health.database;
        o.health.databaseNotProbed = 'its URL is the container’s (selfHosted.sources.postgres.exec): set database.url';
      }),
    );
    assert.equal(behindExec.status, 'skipped');
    assert.match(behindExec.message, /set database\.url/);
  });
});
