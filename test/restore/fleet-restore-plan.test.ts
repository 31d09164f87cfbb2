/**
 * The fleet restore plan (issue 17): which stored report counts as a successful restore test of which server, the
 * order and cap of a run's picks, the UTC-date due rule, the shard's share, and the round robin over a year of monthly
 * runs (every server restored within everyDays, none twice within them).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { configSchema } from '../../src/config/schema.js';
import type { StoredReport } from '../../src/evidence/report-directory.js';
import { lastSuccessfulRestores, planFleetRestores } from '../../src/restore/fleet-restore-plan.js';
import { postgresServerId } from '../../src/run/fleet-config.js';
import { selectFleetRestores } from '../../src/run/fleet-restore-test.js';
import { type CheckResult, type RunResult, computeOutcome, summarise } from '../../src/run/result.js';
import type { Severity, Status } from '../../src/vocabulary.js';
import type { FleetResource } from '../../src/vocabulary.js';

const SUB = '00000000-0000-0000-0000-000000000000';
const DAY = 86_400_000;
const idOf = (name: string) => postgresServerId(SUB, 'rg', name);
const server = (name: string): FleetResource => ({
  id: idOf(name),
  kind: 'postgres',
  name,
  subscriptionId: SUB,
  resourceGroup: 'rg',
  location: 'francecentral',
  tags: { restorecheck: 'on' },
});

type Verdict = Partial<Record<string, Status>>;

function finding(id: string, status: Status, resource?: string, severity: Severity = 'high'): CheckResult {
  return {
    id,
    ...(resource ? { resource } : {}),
    title: id,
    status,
    severity,
    message: `${id} ${status}`,
    evidence: id === 'restore-provision' ? { method: 'azure-point-in-time' } : {},
    remediation: '',
    controls: [],
    durationMs: 1,
  };
}

/** The findings of one server's restore test: provision and cleanup passed unless `verdict` says otherwise. */
function serverFindings(verdict: Verdict, resource?: string): CheckResult[] {
  const all = { 'restore-provision': 'pass', 'restore-alembic-match': 'pass', 'restore-cleanup': 'pass', ...verdict } as Record<string, Status>;
  return Object.entries(all).map(([id, status]) => finding(id, status, resource));
}

function report(startedAt: string, checks: CheckResult[], extra: Partial<RunResult> = {}, run: Partial<RunResult['run']> = {}): RunResult {
  const failOn = run.failOn ?? 'low';
  return {
    schemaVersion: 1,
    tool: { name: 'restorecheck', version: '0.2.0' },
    run: { id: startedAt, command: 'restore-test', environment: 'prod', startedAt, finishedAt: startedAt, durationMs: 1, failOn, ...run },
    checks,
    summary: summarise(checks),
    outcome: computeOutcome(checks, failOn),
    ...extra,
  };
}

/** A fleet report: each named server's findings, with `resource`. */
function fleetReport(startedAt: string, servers: Record<string, Verdict>, run: Partial<RunResult['run']> = {}): RunResult {
  const checks = Object.entries(servers).flatMap(([name, verdict]) => serverFindings(verdict, idOf(name)));
  const fleet = { scope: { subscriptions: [SUB], tag: {} }, discovered: [], evaluated: Object.keys(servers).map(idOf) };
  return report(startedAt, checks, { fleet }, run);
}

/** A single-server report: findings without `resource`, the server in provenance.target. */
function singleReport(startedAt: string, name: string, verdict: Verdict = {}): RunResult {
  return report(startedAt, serverFindings(verdict), { provenance: { who: {}, target: { postgresServerId: idOf(name) } } });
}

const stored = (name: string, r: RunResult, audit: StoredReport['audit'] = 'recorded'): StoredReport => ({ name, report: r, audit });

describe('a successful restore test of a server, from the stored reports', () => {
  it('counts a recorded single-server report of this environment by its provenance target, and the newest one', () => {
    const history = lastSuccessfulRestores(
      [
        stored('a1.json', singleReport('2026-01-01T03:00:00.000Z', 'db-a')),
        stored('a2.json', singleReport('2026-03-01T03:00:00.000Z', 'db-a')),
        stored('a0.json', singleReport('2025-12-01T03:00:00.000Z', 'db-a')),
      ],
      'prod',
    );
    assert.deepEqual([...history], [[idOf('db-a').toLowerCase(), { at: '2026-03-01T03:00:00.000Z', report: 'a2.json' }]]);
  });

  it('in a fleet report, judges each server by its own findings: one server failing does not count against another', () => {
    const history = lastSuccessfulRestores(
      [
        stored(
          'fleet.json',
          fleetReport('2026-02-01T03:00:00.000Z', {
            'db-a': {},
            'db-b': { 'restore-provision': 'fail' },
            'db-c': { 'restore-alembic-match': 'error' },
            'db-d': { 'restore-provision': 'warn', 'restore-alembic-match': 'skipped' },
            'db-e': { 'restore-cleanup': 'fail' },
          }),
        ),
      ],
      'prod',
    );
    // b did not restore; c was restored but not compared (error: test it again); e left its copy behind (a failure).
    assert.deepEqual(
      [...history.keys()].sort(),
      [idOf('db-a'), idOf('db-d')].map((id) => id.toLowerCase()),
    );
  });

  it('ignores what proves nothing: a report not on record, another environment or command, an archive restore, no restore-provision', () => {
    const at = '2026-02-01T03:00:00.000Z';
    const archive = singleReport(at, 'db-e');
    for (const c of archive.checks) if (c.id === 'restore-provision') c.evidence = { method: 'archive' };
    const check = singleReport(at, 'db-d');
    check.run.command = 'check';
    const noProvision = singleReport(at, 'db-f');
    noProvision.checks = noProvision.checks.filter((c) => c.id !== 'restore-provision');
    const staging = singleReport(at, 'db-c');
    staging.run.environment = 'staging';
    const history = lastSuccessfulRestores(
      [
        stored('copied.json', singleReport(at, 'db-a'), 'not-recorded'),
        stored('edited.json', singleReport(at, 'db-b'), 'hash-differs'),
        stored('staging.json', staging),
        stored('check.json', check),
        stored('archive.json', archive),
        stored('no-provision.json', noProvision),
      ],
      'prod',
    );
    assert.deepEqual([...history.keys()], []);
    // The same reports, recorded and of this environment and command: each counts.
    assert.equal(lastSuccessfulRestores([stored('ok.json', singleReport(at, 'db-a'))], 'prod').size, 1);
  });

  it('compares ids without regard to case, and lets a failure below the report’s failOn count as the report did', () => {
    const upper = fleetReport('2026-02-01T03:00:00.000Z', {}, { failOn: 'critical' });
    upper.checks = serverFindings({ 'restore-alembic-match': 'fail' }, idOf('DB-A').toUpperCase());
    const history = lastSuccessfulRestores([stored('upper.json', upper)], 'prod');
    assert.ok(history.has(idOf('db-a').toLowerCase()), 'a high failure under --fail-on critical did not fail that report');
  });
});

describe('one run’s plan', () => {
  const now = new Date('2026-06-01T03:00:00.000Z');
  const at = (daysAgo: number) => new Date(now.getTime() - daysAgo * DAY).toISOString();

  it('puts never-restored servers first (by id), then the oldest success, caps at maxServers and defers the rest', () => {
    const servers = ['db-e', 'db-b', 'db-d', 'db-a', 'db-c', 'db-f'].map(server);
    const history = new Map(
      Object.entries({ 'db-a': at(100), 'db-c': at(95), 'db-d': at(95), 'db-f': at(10) }).map(([name, when]) => [
        idOf(name).toLowerCase(),
        { at: when, report: `${name}.json` },
      ]),
    );
    const plan = planFleetRestores({ servers, history, now, everyDays: 90, maxServers: 3 });
    assert.deepEqual(
      plan.picked.map((p) => p.name),
      ['db-b', 'db-e', 'db-a'],
    );
    assert.deepEqual(
      plan.deferred.map((p) => p.name),
      ['db-c', 'db-d'],
      'the same age: by id',
    );
    assert.deepEqual(
      plan.notDue.map((p) => [p.name, p.lastSuccessAt, p.lastReport, p.dueOn]),
      [['db-f', at(10), 'db-f.json', '2026-08-20']],
    );
    assert.deepEqual(plan.picked[0], { id: idOf('db-b'), name: 'db-b', lastSuccessAt: null, lastReport: null, dueOn: null });
    assert.equal(plan.picked[2]?.dueOn, '2026-05-22', 'due since 10 days');
    assert.equal(plan.maxServers, 3);
    assert.equal(plan.plannedAt, now.toISOString());

    const uncapped = planFleetRestores({ servers, history, now, everyDays: 90, maxServers: undefined });
    assert.equal(uncapped.picked.length, 5);
    assert.deepEqual(uncapped.deferred, []);
    assert.equal(uncapped.maxServers, null);
  });

  it('is due on the UTC date everyDays after the last success, whatever the hour of either run', () => {
    const history = new Map([[idOf('db-a').toLowerCase(), { at: '2026-01-01T03:00:00.000Z', report: 'r.json' }]]);
    const plan = (iso: string) => planFleetRestores({ servers: [server('db-a')], history, now: new Date(iso), everyDays: 90, maxServers: undefined });
    assert.equal(plan('2026-04-01T02:50:00.000Z').picked.length, 1, 'ten minutes earlier in the day than 90 days before: due');
    assert.equal(plan('2026-04-01T00:00:00.000Z').picked.length, 1);
    const early = plan('2026-03-31T23:59:59.999Z');
    assert.equal(early.picked.length, 0);
    assert.equal(early.notDue[0]?.dueOn, '2026-04-01');
  });

  it('takes only this shard’s servers, and the shards split the fleet', () => {
    const config = configSchema.parse({
      environment: 'prod',
      azure: { subscriptionId: SUB, discover: { subscriptions: [SUB] } },
    });
    const discovered = Array.from({ length: 20 }, (_, i) => server(`db-${i}`));
    const select = (index: number) => selectFleetRestores({ config, discovered, shard: { index, count: 3 }, stored: [], now }).plan.picked.map((p) => p.name);
    const shares = [1, 2, 3].map(select);
    assert.deepEqual(shares.flat().sort(), discovered.map((s) => s.name).sort(), 'each server in exactly one shard');
    for (const share of shares) assert.ok(share.length > 0 && share.length < 20, `${share.length} of 20`);
    const all = selectFleetRestores({ config, discovered: [...discovered, { ...server('acct'), kind: 'storage' }], stored: [], now });
    assert.equal(all.servers.length, 20, 'storage accounts are not restored');
    assert.equal(all.fleet.length, 21, 'but they are part of the fleet');
  });
});

describe('a server’s own period (azure.discover.overrides[].restoreTest.everyDays)', () => {
  it('makes that server due by its own period, the others by the fleet’s, and the plan says so', () => {
    const config = configSchema.parse({
      environment: 'prod',
      azure: {
        subscriptionId: SUB,
        discover: { subscriptions: [SUB], overrides: [{ name: 'critical-*', restoreTest: { everyDays: 7, targetResourceGroup: 'rg-restores' } }] },
      },
      restoreTest: { everyDays: 30 },
    });
    const now = new Date('2026-06-11T03:00:00.000Z');
    // Both last restored ten days ago: the critical one (every 7 days) is due, the other (every 30) is not.
    const history = [stored('last.json', fleetReport('2026-06-01T03:00:00.000Z', { 'critical-db': {}, 'plain-db': {} }))];
    const { plan } = selectFleetRestores({ config, discovered: [server('critical-db'), server('plain-db')], stored: history, now });
    assert.deepEqual(
      plan.picked.map((p) => [p.name, p.everyDays, p.dueOn]),
      [['critical-db', 7, '2026-06-08']],
    );
    assert.deepEqual(
      plan.notDue.map((p) => [p.name, p.everyDays, p.dueOn]),
      [['plain-db', undefined, '2026-07-01']],
    );
    assert.equal(plan.everyDays, 30);
  });
});

describe('the round robin over a year of monthly runs', () => {
  for (const count of [7, 9, 10, 12, 31]) {
    it(`${count} servers, everyDays 90, maxServers ⌈${count}/3⌉: every server within 90 days, none twice within them`, () => {
      const servers = Array.from({ length: count }, (_, i) => server(`db-${String(i).padStart(2, '0')}`));
      const cap = Math.ceil(count / 3);
      const start = Date.parse('2026-01-05T03:00:00.000Z');
      const reports: StoredReport[] = [];
      const restoredOn = new Map<string, number[]>(servers.map((s) => [s.name, []]));
      for (let run = 0; run < 13; run++) {
        // Monthly, 30 days apart, the job starting anywhere between 01:00 and 05:00 (CI queues vary).
        const startedAt = new Date(start + run * 30 * DAY + (((run * 37) % 5) - 2) * 3_600_000);
        const plan = planFleetRestores({ servers, history: lastSuccessfulRestores(reports, 'prod'), now: startedAt, everyDays: 90, maxServers: cap });
        assert.ok(plan.picked.length <= cap, `run ${run}: ${plan.picked.length} picked, cap ${cap}`);
        for (const p of plan.picked) restoredOn.get(p.name)?.push(Math.floor(startedAt.getTime() / DAY));
        const verdicts = Object.fromEntries(plan.picked.map((p) => [p.name, {}]));
        reports.push(stored(`run-${run}.json`, fleetReport(startedAt.toISOString(), verdicts)));
      }
      const firstDay = Math.floor(start / DAY);
      for (const [name, days] of restoredOn) {
        assert.ok(days.length >= 4, `${name} restored ${days.length} times in a year`);
        assert.ok(days[0]! - firstDay < 90, `${name} first restored on day ${days[0]! - firstDay}`);
        for (let i = 1; i < days.length; i++) {
          const gap = days[i]! - days[i - 1]!;
          assert.ok(gap >= 90, `${name} restored twice within 90 days (${gap} days apart)`);
          assert.ok(gap <= 90, `${name} waited ${gap} days`);
        }
      }
    });
  }

  it('a server whose restore failed stays due and goes first next run', () => {
    const servers = ['db-a', 'db-b', 'db-c'].map(server);
    const now = new Date('2026-06-01T03:00:00.000Z');
    const reports = [
      stored('r1.json', fleetReport('2026-02-01T03:00:00.000Z', { 'db-a': {}, 'db-b': {}, 'db-c': {} })),
      stored('r2.json', fleetReport('2026-05-01T03:00:00.000Z', { 'db-a': { 'restore-provision': 'fail' }, 'db-b': {} })),
    ];
    const plan = planFleetRestores({ servers, history: lastSuccessfulRestores(reports, 'prod'), now, everyDays: 90, maxServers: 1 });
    assert.deepEqual(
      plan.picked.map((p) => [p.name, p.lastSuccessAt]),
      [['db-a', '2026-02-01T03:00:00.000Z']],
    );
    assert.deepEqual(
      plan.deferred.map((p) => p.name),
      ['db-c'],
    );
    assert.deepEqual(
      plan.notDue.map((p) => p.name),
      ['db-b'],
    );
  });
});
