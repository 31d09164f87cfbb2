import { clockSkewMs, judgeTimestamp } from '../../clock-rule.js';
import { failedStep } from '../../restore/judge.js';
import type { RestoreOutcome } from '../../restore/outcome.js';
import type { Evidence } from '../../vocabulary.js';
import { CONTROLS, defineCheck } from '../types.js';

/** The RPO as measured on the restored data, or why it could not be. */
type RpoReading = { measured: true; minutes: number; newestRowAt: string } | { measured: false; configured: boolean; reason: string };

/** Minutes for a small RPO; hours or days for one an auditor should not have to divide. */
const minutesText = (m: number) => (m < 120 ? `${m.toFixed(1)} min` : m < 2880 ? `${(m / 60).toFixed(1)} h` : `${(m / 1440).toFixed(1)} days`);

/**
 * The measured RPO: how far the newest row of restoreTest.freshnessQuery lies before the restore point (Azure: the point in
 * time requested; archive: metadata.json's timestamp). The restore point alone measures nothing (restorecheck chose it), so
 * every way of not knowing the newest row is "not measured", never a pass of the RPO.
 */
function readRpo(outcome: RestoreOutcome, restorePoint: string | null, skewMs: number): RpoReading {
  const freshness = outcome.restored?.freshness;
  if (!freshness) return { measured: false, configured: false, reason: 'no restoreTest.freshnessQuery is configured' };
  const notMeasured = (reason: string): RpoReading => ({ measured: false, configured: true, reason });
  const read = freshness.newestRowAt;
  if (!read.ok) return notMeasured(`the freshness query failed on the restored database: ${read.failure.message}`);
  if (read.value === null) return notMeasured('the freshness query returned no row (or NULL) on the restored database');
  const point = restorePoint === null ? Number.NaN : Date.parse(restorePoint);
  if (Number.isNaN(point)) return notMeasured('the restore point is not known');
  const judged = judgeTimestamp(new Date(read.value), new Date(point), skewMs);
  if (judged.kind === 'future') {
    // Rows newer than the restore point: not a small RPO but a clock or data anomaly (a local time stored without a time
    // zone, clocks that disagree, or a restore that did not stop at its point in time). Any number here would be false.
    return notMeasured(
      `the newest row (${read.value}) is ${minutesText(judged.aheadMs / 60_000)} after the restore point ${restorePoint}: a clock or data ` +
        'anomaly (a local time stored without a time zone is read as UTC; or the restore did not stop at its point in time)',
    );
  }
  return { measured: true, minutes: Math.round(judged.ageMs / 6_000) / 10, newestRowAt: read.value };
}

function rpoEvidence(rpo: RpoReading, outcome: RestoreOutcome): Evidence {
  const query = outcome.restored?.freshness?.query;
  return {
    rpoMeasured: rpo.measured,
    ...(outcome.limits.rpoMinutes !== undefined ? { rpoMinutes: outcome.limits.rpoMinutes } : {}),
    ...(query ? { freshnessQuery: query } : {}),
    ...(rpo.measured ? { measuredRpoMinutes: rpo.minutes, newestRowAt: rpo.newestRowAt } : { rpoNotMeasured: `The RPO was not measured: ${rpo.reason}.` }),
  };
}

export const restoreProvision = defineCheck({
  id: 'restore-provision',
  title: 'The backup restores to a new server (or throwaway database) within the deadline, the RTO and the RPO',
  severity: 'critical',
  description:
    'Restores the backup to a new target: an Azure point-in-time restore to a new Flexible Server, or an archive dump into a throwaway ' +
    'PostgreSQL. Measures the restore time (request to ready) against rtoMinutes, and the RPO against rpoMinutes: the age of the newest ' +
    'row that restoreTest.freshnessQuery finds on the restored database, relative to the restore point (Azure: the point in time requested; ' +
    "archive: metadata.json's timestamp). Without the query the RPO is not measured: the evidence says so, and with rpoMinutes set the " +
    'check is warn, never a pass of the RPO. A query that fails or returns no row is the same (warn, with the reason).',
  risk:
    'A backup that has never been restored is a hope, not a backup: only a real restore proves the data can come back, how long it takes, ' +
    'and how much of the latest data it brings back.',
  remediation:
    'Find why the restore failed (the Azure activity log of the new server, or the psql errors in the evidence); for a slow restore, review ' +
    'the RTO or the server size; for a large RPO, look at when the newest restored row was written (WAL archiving, the backup job). ' +
    '`az postgres flexible-server restore --source-server SERVER --name NEW --restore-time ISO -g RG` reproduces the Azure path by hand.',
  controls: [CONTROLS.backup, CONTROLS.continuity, CONTROLS.hdsBackup],
  needs: [],
  uses: ['restore'],
  command: 'restore-test',
  async run(ctx) {
    const outcome = ctx.restore;
    const { provision, limits } = outcome;
    if (!provision.ok) return failedStep(provision.failure, `The restore to ${outcome.target ?? 'a new target'} did not complete`);
    const { restoreSeconds, restorePoint, details } = provision.value;
    const rpo = readRpo(outcome, restorePoint, clockSkewMs(ctx.config.limits));
    // details keeps lagMinutes (Azure: how far before the request the point in time was chosen) as evidence only: restorecheck
    // chose that point itself, so it says nothing about the data and is never judged as the RPO.
    const evidence = {
      restoreSeconds,
      restorePoint,
      target: outcome.target,
      method: outcome.method,
      ...(limits.rtoMinutes ? { rtoMinutes: limits.rtoMinutes } : {}),
      ...details,
      ...rpoEvidence(rpo, outcome),
    };
    const took = restoreSeconds < 120 ? `${restoreSeconds.toFixed(1)} s` : `${(restoreSeconds / 60).toFixed(1)} min`;
    if (limits.rtoMinutes !== undefined && restoreSeconds > limits.rtoMinutes * 60) {
      return { status: 'fail', message: `The restore to ${outcome.target} took ${took}, more than the RTO of ${limits.rtoMinutes} min.`, evidence };
    }
    if (rpo.measured && limits.rpoMinutes !== undefined && rpo.minutes > limits.rpoMinutes) {
      return {
        status: 'fail',
        message:
          `The newest row restored to ${outcome.target} (restoreTest.freshnessQuery) is from ${rpo.newestRowAt}, ${minutesText(rpo.minutes)} before ` +
          `the restore point ${restorePoint}: more than the RPO of ${limits.rpoMinutes} min.`,
        evidence,
      };
    }
    const point = restorePoint ? ` (restore point ${restorePoint})` : '';
    const withinRto = limits.rtoMinutes !== undefined ? `, within the RTO of ${limits.rtoMinutes} min` : '';
    const restored = `Restored to ${outcome.target} in ${took}${point}${withinRto}`;
    if (!rpo.measured) {
      // Asked for an RPO (rpoMinutes) or a measurement (freshnessQuery) and did not get one: warn. A pass would claim an RPO
      // nobody measured; a fail would call a backup bad that restored, for want of a query. Neither asked: the RTO verdict stands.
      if (limits.rpoMinutes !== undefined || rpo.configured) {
        const limit = limits.rpoMinutes !== undefined ? ` of ${limits.rpoMinutes} min` : '';
        const fix = rpo.configured ? '' : ' (set restoreTest.freshnessQuery, e.g. SELECT max(created_at) FROM appointments)';
        return { status: 'warn', message: `${restored}, but the RPO${limit} could not be measured: ${rpo.reason}${fix}.`, evidence };
      }
      return { status: 'pass', message: `${restored}; the RPO was not measured (no restoreTest.freshnessQuery).`, evidence };
    }
    const withinRpo = limits.rpoMinutes !== undefined ? `, within the RPO of ${limits.rpoMinutes} min` : ' (no restoreTest.rpoMinutes to judge it against)';
    return {
      status: 'pass',
      message: `${restored}; the newest restored row is ${minutesText(rpo.minutes)} older than the restore point${withinRpo}.`,
      evidence,
    };
  },
});
