/**
 * Fixed RunResults for the reporter tests: a monthly check with every status, the earlier reports
 * its trend charts are drawn from, and a report full of hostile text. Deterministic: golden files
 * are rendered from them.
 */
import type { CheckResult, RunResult } from '../../src/run/result.js';
import { computeOutcome, summarise } from '../../src/run/result.js';

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
