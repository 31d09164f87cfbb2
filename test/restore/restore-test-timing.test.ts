/**
 * When (issue 13): a restore-test report's run.startedAt is when the command began, before the restore it certifies was
 * requested, and run.durationMs covers the whole command, restore included. Before, both covered only the judging checks
 * run after the restore: a start after the restore request, and a duration of a few milliseconds. Also: the report says
 * who ran it (the CI variables) and on what (the server's resource id), never the database password.
 * The built binary against the simulator with the real-restore hooks, as the other restore tests.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseScenario } from '../../src/simulator/scenario.js';
import { runCli } from '../helpers/cli.js';
import { type RestoreWorld, startRestoreWorld } from '../helpers/restore-world.js';

const SUB = '00000000-0000-0000-0000-000000000000';
const RG = 'medicapp-rg';
const SOURCE = 'medicappdbprod';

let world: RestoreWorld;
let dir: string;

interface Report {
  run: { startedAt: string; finishedAt: string; durationMs: number };
  checks: Array<{ id: string; status: string; evidence: Record<string, unknown> }>;
  provenance?: { who: Record<string, unknown> & { ci?: Record<string, unknown> }; target: Record<string, unknown> };
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'restorecheck-restore-timing-'));
  world = await startRestoreWorld();
  await world.cluster.sql(`
    CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY);
    INSERT INTO alembic_version VALUES ('4b2d9c1e7f00');
    CREATE TABLE patients (id serial PRIMARY KEY, name text);
    INSERT INTO patients (name) SELECT 'patient ' || g FROM generate_series(1, 20) g;`);
});

after(async () => {
  await world?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('restore-test: when, who and on what', () => {
  it('run.startedAt ≤ the restore request ≤ run.finishedAt, and run.durationMs covers the restore', async () => {
    const { sim, cluster } = world;
    sim.load(
      parseScenario({
        subscriptionId: SUB,
        lro: { durationMs: 200, pollRetryAfterSeconds: 0 },
        servers: [
          {
            resourceGroup: RG,
            name: SOURCE,
            location: 'francecentral',
            state: 'Ready',
            version: '16',
            network: { publicNetworkAccess: 'Enabled' },
            backup: { backupRetentionDays: 35, geoRedundantBackup: 'Enabled', earliestRestoreDaysAgo: 35 },
            restore: { databaseUrl: cluster.url(), durationSeconds: 1 },
          },
        ],
      }),
    );
    const path = join(dir, 'config.json');
    await writeFile(
      path,
      JSON.stringify({
        environment: 'e2e',
        database: { url: '${DATABASE_URL}', coreTables: [{ name: 'patients', minRows: 1 }] },
        azure: { subscriptionId: SUB, resourceManagerEndpoint: sim.endpoint, postgres: { resourceGroup: RG, server: SOURCE } },
        restoreTest: { pollIntervalSeconds: 0.2, progressIntervalSeconds: 5, ledgerDir: join(dir, 'ledger') },
      }),
    );
    const r = await runCli(['restore-test', '--config', path, '--format', 'json'], {
      env: {
        ...sim.env,
        DATABASE_URL: cluster.url(),
        GITHUB_ACTIONS: 'true',
        GITHUB_ACTOR: 'octo-ops',
        GITHUB_REPOSITORY: 'medicapp/infra',
        GITHUB_RUN_ID: '77',
        GITHUB_SHA: 'f'.repeat(40),
      },
      timeoutMs: 120_000,
    });
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as Report;
    const provision = report.checks.find((c) => c.id === 'restore-provision');
    assert.equal(provision?.status, 'pass', JSON.stringify(provision));
    const requestedAt = Date.parse(String(provision!.evidence.requestedAt));
    const readyAt = Date.parse(String(provision!.evidence.readyAt));
    const restoreSeconds = Number(provision!.evidence.restoreSeconds);
    const started = Date.parse(report.run.startedAt);
    const finished = Date.parse(report.run.finishedAt);
    assert.ok(started <= requestedAt, `run.startedAt ${report.run.startedAt} is before the restore request ${provision!.evidence.requestedAt}`);
    assert.ok(requestedAt <= readyAt && readyAt <= finished, `the restore (${provision!.evidence.readyAt}) ends before the run ${report.run.finishedAt}`);
    // The restore's own timestamps, in order: requested, ready, deleted (restore-cleanup), all within the run.
    const deletedAt = Date.parse(String(report.checks.find((c) => c.id === 'restore-cleanup')?.evidence.deletedAt));
    assert.ok(readyAt <= deletedAt && deletedAt <= finished, `restore-cleanup deletedAt ${deletedAt} between ready and the run's end`);
    assert.ok(restoreSeconds >= 1, `restoreSeconds ${restoreSeconds}`);
    assert.ok(report.run.durationMs >= restoreSeconds * 1000, `run.durationMs ${report.run.durationMs} covers the ${restoreSeconds} s restore`);
    assert.ok(Math.abs(finished - started - report.run.durationMs) < 1000, 'durationMs agrees with startedAt/finishedAt');

    assert.equal(report.provenance?.who.ci?.actor, 'octo-ops');
    assert.equal(report.provenance?.who.ci?.runUrl, 'https://github.com/medicapp/infra/actions/runs/77');
    assert.equal(
      report.provenance?.target.postgresServerId,
      `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.DBforPostgreSQL/flexibleServers/${SOURCE}`,
    );
    const password = new URL(cluster.url()).password;
    if (password) assert.ok(!r.stdout.includes(password), 'no database password in the report');
  });
});
