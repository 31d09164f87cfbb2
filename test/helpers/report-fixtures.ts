/**
 * Fixed RunResults for the reporter tests: a monthly check with every status, the earlier reports
 * its trend charts are drawn from, and a report full of hostile text. Deterministic: golden files
 * are rendered from them.
 */
import type { CheckResult, FleetInfo, RunResult } from '../../src/run/result.js';
import { compareFindings, computeOutcome, summarise } from '../../src/run/result.js';
import type { FleetResource } from '../../src/vocabulary.js';

const ISO = { framework: 'ISO27001:2022', control: 'A.8.13' };
const HDS = { framework: 'HDS', control: 'Référentiel HDS v2 — sauvegarde et restauration des données de santé' };

function check(partial: Partial<CheckResult> & Pick<CheckResult, 'id' | 'status' | 'message'>): CheckResult {
  return {
    title: `${partial.id} is compliant`,
    severity: 'high',
    evidence: {},
    remediation: `Fix ${partial.id}.`,
    controls: [ISO],
    durationMs: 12,
    ...partial,
  };
}

function result(checks: CheckResult[], run: Partial<RunResult['run']> = {}): RunResult {
  const sorted = [...checks].sort((a, b) => (a.id < b.id ? -1 : 1));
  const failOn = run.failOn ?? 'low';
  return {
    schemaVersion: 1,
    tool: { name: 'restorecheck', version: '0.1.0' },
    run: {
      id: '00000000-0000-4000-8000-000000000001',
      command: 'check',
      environment: 'production',
      startedAt: '2026-11-21T03:00:00.000Z',
      finishedAt: '2026-11-21T03:00:04.321Z',
      durationMs: 4321,
      failOn,
      ...run,
    },
    checks: sorted,
    summary: summarise(sorted),
    outcome: computeOutcome(sorted, failOn),
  };
}

function coreCounts(patients: number, documents: number): CheckResult {
  return check({
    id: 'db-core-row-counts',
    status: 'pass',
    message: 'All 3 core tables exist and hold at least their minimum rows (patients: 1, public.documents: 1, appointments: 0).',
    evidence: { counts: { patients, 'public.documents': documents, appointments: String(9007199254740993n) } },
    controls: [ISO, HDS],
  });
}

function recentBackup(ageHours: number, status: 'pass' | 'fail' = 'pass'): CheckResult {
  return check({
    id: 'pgflex-recent-backup',
    status,
    severity: 'critical',
    message:
      status === 'pass'
        ? `The newest completed backup of medicappdbprod is ${ageHours} h old (maximum 26 h).`
        : `The newest completed backup of medicappdbprod is ${ageHours} h old, more than the maximum of 26 h.`,
    evidence: { latestBackupAt: '2026-11-20T00:30:00Z', ageHours, backupCount: 35 },
    remediation: 'Check the server backup schedule: `az postgres flexible-server backup list -g medicapp-rg -n medicappdbprod`.',
    controls: [ISO, HDS],
  });
}

/** The monthly check of 2026-11-21: one of each status, evidence for every trend. */
export function checkReport(): RunResult {
  return result([
    check({
      id: 'db-connectivity',
      status: 'pass',
      severity: 'critical',
      message: 'Connected to medicappdbprod in 38 ms over TLS (PostgreSQL 16.4).',
      evidence: { serverVersion: '16.4', tls: true, latencyMs: 38 },
    }),
    check({
      id: 'db-alembic-version',
      status: 'pass',
      message: 'Alembic revision 4b2d9c1e7f00 equals the expected head.',
      evidence: { current: '4b2d9c1e7f00', expected: '4b2d9c1e7f00' },
    }),
    coreCounts(10_512, 48_210),
    check({ id: 'signed-document', status: 'skipped', message: 'Not evaluated: no database.signedDocument query configured.' }),
    check({ id: 'pgflex-server-state', status: 'pass', message: 'Server medicappdbprod is Ready.', evidence: { state: 'Ready' } }),
    check({
      id: 'pgflex-backup-retention',
      status: 'pass',
      message: 'Backup retention of medicappdbprod is 35 days (minimum 30).',
      evidence: { backupRetentionDays: 35, minRetentionDays: 30 },
    }),
    check({
      id: 'pgflex-geo-redundant-backup',
      status: 'fail',
      severity: 'high',
      message: 'Geo-redundant backup of medicappdbprod is Disabled; it is required.',
      evidence: { geoRedundantBackup: 'Disabled' },
      remediation: 'Geo-redundant backup can only be chosen at server creation: restore to a new server with `--geo-redundant-backup Enabled`.',
      controls: [{ framework: 'ISO27001:2022', control: 'A.8.14' }, HDS],
    }),
    recentBackup(20.5),
    check({
      id: 'blob-soft-delete',
      status: 'error',
      message: 'Not evaluated: Azure answered 403 on medicappstorage/blobServices/default.',
      hint: 'the identity needs Reader on the resource group medicapp-rg',
      errorKind: 'permission',
      requestId: '5f1c2d3e-0000-4000-8000-00000000abcd',
    }),
    check({
      id: 'blob-versioning',
      status: 'warn',
      severity: 'medium',
      message: 'Blob versioning of medicappstorage is enabled, but no version is older than 1 day.',
      evidence: { enabled: true },
    }),
  ]);
}

/** Earlier reports in the same directory, oldest first: four monthly checks and two restore tests. */
export function reportHistory(): RunResult[] {
  const months = ['2026-07-21', '2026-08-21', '2026-09-21', '2026-10-21'];
  const checks = months.map((day, i) =>
    result([coreCounts(9_800 + i * 180, 45_000 + i * 800), recentBackup([22, 19.5, 27.25, 21][i]!, i === 2 ? 'fail' : 'pass')], {
      id: `00000000-0000-4000-8000-0000000001${i}0`,
      startedAt: `${day}T03:00:00.000Z`,
      finishedAt: `${day}T03:00:05.000Z`,
      durationMs: 5000,
    }),
  );
  const restores = [
    ['2026-08-22', 1260],
    ['2026-10-22', 1105],
  ].map(([day, seconds], i) =>
    result(
      [
        check({
          id: 'restore-provision',
          status: 'pass',
          message: `Restored medicappdbprod to a new server in ${seconds} s.`,
          evidence: { restoreSeconds: seconds!, restorePoint: `${day}T02:00:00Z`, target: 'rc-restore-test' },
        }),
      ],
      {
        id: `00000000-0000-4000-8000-0000000002${i}0`,
        command: 'restore-test',
        startedAt: `${day}T04:00:00.000Z`,
        finishedAt: `${day}T04:25:00.000Z`,
        durationMs: 1_500_000,
      },
    ),
  );
  // Another environment's report in the same directory: never part of production's trends.
  const staging = result([coreCounts(5, 5)], {
    id: '00000000-0000-4000-8000-000000000300',
    environment: 'staging',
    startedAt: '2026-09-01T03:00:00.000Z',
    finishedAt: '2026-09-01T03:00:01.000Z',
  });
  return [...checks, ...restores, staging].sort((a, b) => (a.run.startedAt < b.run.startedAt ? -1 : 1));
}

/** Text that would do harm if obeyed: markup, script, Markdown syntax, table pipes, ANSI escapes, newlines, bidi overrides. */
export const HOSTILE =
  '<script>window.__pwned=1</script> `rm -rf /` a|b|c **bold** [link](javascript:alert(1)) \u001b[31mRED\u001b[0m\u0007 line1\nline2 \r\n<img ' +
  'src=x onerror=alert(2)> &amp; "quoted" \'single\' \u202eevil\u202c $x$ ~~del~~ # heading';

/** A report whose every free-text field is hostile (as a stored report or a hostile table name could be). */
export function hostileReport(): RunResult {
  const hostile = result(
    [
      check({
        id: 'db-core-row-counts',
        status: 'fail',
        title: `Title ${HOSTILE}`,
        message: `Message ${HOSTILE}`,
        evidence: { counts: { [`table ${HOSTILE}`]: 3 }, [`key ${HOSTILE}`]: `value ${HOSTILE}`, nested: { list: [HOSTILE, 1, null] } },
        remediation: `Remediation ${HOSTILE}`,
        controls: [{ framework: `Framework ${HOSTILE}`, control: `Control ${HOSTILE}` }],
      }),
      check({
        id: 'db-connectivity',
        status: 'error',
        message: `Error ${HOSTILE}`,
        hint: `Hint ${HOSTILE}`,
        errorKind: `kind ${HOSTILE}`,
        requestId: `req ${HOSTILE}`,
      }),
      check({ id: 'signed-document', status: 'skipped', message: `Skipped ${HOSTILE}` }),
      check({ id: 'pgflex-recent-backup', status: 'pass', message: `Pass ${HOSTILE}`, evidence: { ageHours: 3 } }),
    ],
    { environment: `env ${HOSTILE}`, command: `cmd ${HOSTILE}`, id: `id ${HOSTILE}` },
  );
  hostile.tool.version = `0.1.0 ${HOSTILE}`;
  return hostile;
}

export const FLEET_SUB_A = '11111111-2222-4333-8444-555555555555';
export const FLEET_SUB_B = '99999999-8888-4777-8666-555555555555';

function pgId(subscription: string, group: string, name: string): string {
  return `/subscriptions/${subscription}/resourceGroups/${group}/providers/Microsoft.DBforPostgreSQL/flexibleServers/${name}`;
}
function storageId(subscription: string, group: string, name: string): string {
  return `/subscriptions/${subscription}/resourceGroups/${group}/providers/Microsoft.Storage/storageAccounts/${name}`;
}

function resource(kind: FleetResource['kind'], subscriptionId: string, resourceGroup: string, name: string, location = 'francecentral'): FleetResource {
  const id = kind === 'postgres' ? pgId(subscriptionId, resourceGroup, name) : storageId(subscriptionId, resourceGroup, name);
  return { id, kind, name, subscriptionId, resourceGroup, location, tags: { restorecheck: 'monthly' } };
}

/** A fleet report as `check` with azure.discover writes it: findings sorted by id then resource, the fleet section filled in. */
function fleetResult(checks: CheckResult[], fleet: FleetInfo, run: Partial<RunResult['run']> = {}): RunResult {
  const base = result([], { command: 'check', ...run });
  const sorted = [...checks].sort(compareFindings);
  return { ...base, checks: sorted, summary: summarise(sorted), outcome: computeOutcome(sorted, base.run.failOn), fleet };
}

/** The three resources of the fleet fixture: two Flexible Servers in two subscriptions, one storage account. */
export const FLEET_RESOURCES = {
  pgA: resource('postgres', FLEET_SUB_A, 'medicapp-rg', 'pg-prod-01'),
  /** Discovered by Resource Graph, then gone when its checks read it (404). */
  pgB: resource('postgres', FLEET_SUB_B, 'clinic-rg', 'pg-clinic-02', 'westeurope'),
  st: resource('storage', FLEET_SUB_A, 'medicapp-rg', 'stprodbackups'),
};

/**
 * The fleet of issue 17 in small: 3 resources of 2 kinds in 2 subscriptions, 2–3 checks each, one failure (pg-prod-01's
 * retention), one error (pg-clinic-02 vanished between discovery and its checks), a storage account that passes
 * everything, and one run-wide finding (the database, which names no resource). Merged from two shard reports.
 */
export function fleetReport(): RunResult {
  const { pgA, pgB, st } = FLEET_RESOURCES;
  const on = (r: FleetResource) => ({ resource: r.id });
  const checks = [
    check({ id: 'db-connectivity', status: 'pass', severity: 'critical', message: 'Connected to medicapp in 41 ms over TLS (PostgreSQL 16.4).' }),
    check({ id: 'pgflex-server-state', ...on(pgA), status: 'pass', message: 'Server pg-prod-01 is Ready.', evidence: { state: 'Ready' } }),
    check({
      id: 'pgflex-backup-retention',
      ...on(pgA),
      status: 'fail',
      message: 'Backup retention of pg-prod-01 is 7 days, less than the minimum of 30.',
      evidence: { backupRetentionDays: 7, minRetentionDays: 30 },
      remediation: 'Raise it: `az postgres flexible-server update -g medicapp-rg -n pg-prod-01 --backup-retention 35`.',
    }),
    recentBackup(20.5),
    check({
      id: 'pgflex-server-state',
      ...on(pgB),
      status: 'error',
      message: 'Not evaluated: Azure answered 404 ResourceNotFound on pg-clinic-02 (it was discovered, then deleted or moved).',
      hint: 'run again: the discovered list is read at the start of the run; a server deleted since is no longer in scope',
      errorKind: 'not-found',
      requestId: '7a1c2d3e-0000-4000-8000-00000000beef',
    }),
    check({ id: 'pgflex-backup-retention', ...on(pgB), status: 'skipped', message: 'Not evaluated: the server pg-clinic-02 was not found.' }),
    check({ id: 'blob-soft-delete', ...on(st), status: 'pass', message: 'Blob soft delete of stprodbackups keeps 14 days.', evidence: { days: 14 } }),
    check({
      id: 'blob-versioning',
      ...on(st),
      status: 'pass',
      severity: 'medium',
      message: 'Blob versioning of stprodbackups is enabled.',
      evidence: { enabled: true },
    }),
  ];
  // pgflex-recent-backup of pg-prod-01 (the helper names medicappdbprod; only the resource matters here).
  checks[3] = { ...checks[3]!, ...on(pgA), message: 'The newest completed backup of pg-prod-01 is 20.5 h old (maximum 26 h).' };
  return fleetResult(
    checks,
    {
      scope: { subscriptions: [FLEET_SUB_A, FLEET_SUB_B], tag: { restorecheck: 'monthly' } },
      discovered: [pgA, pgB, st].sort((a, b) => (a.id.toLowerCase() < b.id.toLowerCase() ? -1 : 1)),
      evaluated: [pgA.id, pgB.id, st.id].sort(),
      mergedFrom: [
        {
          shard: { index: 1, count: 2 },
          runId: '00000000-0000-4000-8000-00000000a001',
          file: '20261121T030000Z-production-check.json',
          sha256: 'b'.repeat(64),
        },
        {
          shard: { index: 2, count: 2 },
          runId: '00000000-0000-4000-8000-00000000a002',
          file: '20261121T030001Z-production-check.json',
          sha256: 'c'.repeat(64),
        },
      ],
    },
    { id: '00000000-0000-4000-8000-00000000f1ee', finishedAt: '2026-11-21T03:02:10.000Z', durationMs: 130_000 },
  );
}

/**
 * A fleet at the scale of issue 17: `count` resources (half Flexible Servers, half storage accounts, over 4 subscriptions)
 * × `checksPerResource` checks, every finding naming its resource (no run-wide one): 400 × 6 = 2,400 findings by default.
 * Every 50th resource fails one check and every 80th errors on one, so that details are shown for a few.
 */
export function largeFleetReport(count = 400, checksPerResource = 6): RunResult {
  const subscriptions = ['a', 'b', 'c', 'd'].map((c) => `${c.repeat(8)}-0000-4000-8000-000000000000`);
  const resources = Array.from({ length: count }, (_, i) =>
    resource(i % 2 === 0 ? 'postgres' : 'storage', subscriptions[i % 4]!, `rg-${i % 10}`, `${i % 2 === 0 ? 'pg' : 'st'}${String(i).padStart(4, '0')}`),
  );
  const checks: CheckResult[] = [];
  for (const [i, r] of resources.entries()) {
    for (let k = 0; k < checksPerResource; k++) {
      const id = `${r.kind === 'postgres' ? 'pgflex' : 'blob'}-fleet-check-${k}`;
      const status = i % 50 === 0 && k === 1 ? 'fail' : i % 80 === 0 && k === 2 ? 'error' : 'pass';
      checks.push(
        check({
          id,
          resource: r.id,
          status,
          message: `${id} of ${r.name}: ${status === 'pass' ? 'compliant' : status === 'fail' ? 'not compliant' : 'not evaluated'}.`,
          evidence: { observed: k * 10, expected: 10 },
          ...(status === 'error' ? { hint: 'grant Reader on the resource group', errorKind: 'permission' } : {}),
        }),
      );
    }
  }
  const sorted = [...resources].sort((a, b) => (a.id.toLowerCase() < b.id.toLowerCase() ? -1 : 1));
  return fleetResult(checks, {
    scope: { subscriptions: 'all', tag: { restorecheck: 'monthly' } },
    discovered: sorted,
    evaluated: sorted.map((r) => r.id),
  });
}

/** The fleet fixture with hostile text in every name a resource can carry: its id (no `/` inside a segment), name, group, tags, shard file. */
export function hostileFleetReport(): RunResult {
  const segment = HOSTILE.replaceAll('/', '∕');
  const bad: FleetResource = {
    id: pgId(FLEET_SUB_A, `rg ${segment}`, `pg ${segment}`),
    kind: 'postgres',
    name: `name ${HOSTILE}`,
    subscriptionId: FLEET_SUB_A,
    resourceGroup: `rg ${HOSTILE}`,
    location: `loc ${HOSTILE}`,
    tags: { [`tag ${HOSTILE}`]: `value ${HOSTILE}` },
  };
  // Not in the discovered list: its name, group and subscription come from the id.
  const undiscovered = storageId(FLEET_SUB_B, `rg2 ${segment}`, `st ${segment}`);
  const report = fleetResult(
    [
      check({ id: 'pgflex-server-state', resource: bad.id, status: 'fail', message: `Fail ${HOSTILE}`, evidence: { [`key ${HOSTILE}`]: HOSTILE } }),
      check({ id: 'pgflex-backup-retention', resource: bad.id, status: 'pass', message: `Pass ${HOSTILE}` }),
      check({ id: 'blob-soft-delete', resource: undiscovered, status: 'error', message: `Error ${HOSTILE}`, hint: `Hint ${HOSTILE}` }),
      check({ id: 'db-connectivity', status: 'pass', message: `Run-wide ${HOSTILE}` }),
    ],
    {
      scope: { subscriptions: [FLEET_SUB_A, `sub ${HOSTILE}`], tag: { [`tag ${HOSTILE}`]: `value ${HOSTILE}` } },
      discovered: [bad],
      shard: { index: 1, count: 3 },
      evaluated: [bad.id, undiscovered],
      mergedFrom: [{ shard: { index: 1, count: 3 }, runId: `run ${HOSTILE}`, file: `file ${HOSTILE}`, sha256: 'd'.repeat(64) }],
    },
    { environment: `env ${HOSTILE}` },
  );
  return report;
}
