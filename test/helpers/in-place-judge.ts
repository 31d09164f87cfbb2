/**
 * The checks of `restorecheck restore` judging an in-place outcome, at unit level (the orchestration that produces
 * outcomes runs against real servers in test/restore-in-place/): `restoredOutcome()` is a restore that went well, which
 * a test damages where it needs; `judgeInPlace()` runs every restore check on it through the real runner.
 */
import { checksFor } from '../../src/checks/index.js';
import { parseConfigText } from '../../src/config/load.js';
import type { InPlaceComponentResult, InPlaceOutcome } from '../../src/restore/in-place-outcome.js';
import type { CheckResult } from '../../src/run/result.js';
import { runChecks } from '../../src/run/runner.js';
import { fakeGateways } from './fake-gateways.js';

const BASE = 'environment: production\nselfHosted:\n  name: medicapp\n  backupDir: /var/backups/medicapp\n';

export function restored(members: string[], change: Partial<InPlaceComponentResult> = {}): InPlaceComponentResult {
  return {
    members,
    state: 'restored',
    target: 'the target',
    seconds: 3.2,
    steps: ['loaded'],
    comparison: { restored: { rows: 10 }, matched: ['rows'], differences: [], notCompared: [] },
    ...change,
  };
}

/** A restore that went well, fresh on each call. */
export function restoredOutcome(): InPlaceOutcome {
  return {
    environment: 'production',
    archive: {
      path: '/var/backups/medicapp/medicapp_production_20261201_030000.tar.gz',
      fileName: 'medicapp_production_20261201_030000.tar.gz',
      sha256: 'a'.repeat(64),
      sizeBytes: 1_000_000,
      environment: 'production',
      timestamp: '2026-12-01T03:00:00Z',
    },
    reason: 'deploy 4242 failed',
    confirmation: 'flag',
    safetyBackup: {
      state: 'taken',
      path: '/var/backups/medicapp/medicapp-safety_production_20261203_101500.tar.gz',
      fileName: 'medicapp-safety_production_20261203_101500.tar.gz',
      sha256: 'b'.repeat(64),
      sizeBytes: 2_500_000,
      seconds: 4.1,
      keepDays: 30,
    },
    components: {
      postgres: restored(['postgres_full.sql.gz'], {
        target: 'database medicapp on db:5432',
        comparison: { restored: {}, matched: ['alembic_revision', 'row_counts patients'], differences: [], notCompared: [] },
      }),
      mariadb: restored(['mariadb_full.sql.gz']),
      redis: restored(['redis_dump.rdb']),
      mongodb: { members: ['mongodb/dump.archive.gz'], state: 'not-configured', steps: [] },
      minio: { members: ['minio/data.tar.gz'], state: 'not-in-archive', steps: [] },
    },
    steps: [
      { name: 'verify', seconds: 2, ok: true },
      { name: 'postgres', seconds: 3.2, ok: true },
    ],
    interrupted: false,
    health: {},
    totalSeconds: 42,
    rtoMinutes: 5,
    undoCommand: 'restorecheck restore --config c.yaml --environment production /var/backups/medicapp/medicapp-safety_production_20261203_101500.tar.gz',
  };
}

/** Every restore check's verdict on `outcome`, by check id; `extra` is appended to the selfHosted section. */
export async function judgeInPlace(outcome: InPlaceOutcome, extra = ''): Promise<Record<string, CheckResult>> {
  const { config } = parseConfigText(BASE + extra, 'c.yaml', {});
  const result = await runChecks({ command: 'restore', checks: checksFor('restore'), config, gateways: fakeGateways(), inputs: { inPlace: outcome } });
  return Object.fromEntries(result.checks.map((c) => [c.id, c]));
}
