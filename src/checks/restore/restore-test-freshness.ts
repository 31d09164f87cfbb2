import { clockSkewMs, futureTimestampMessage, judgeTimestamp } from '../../clock-rule.js';
import type { StoredReport } from '../../evidence/report-directory.js';
import { CONTROLS, defineCheck } from '../types.js';
import type { Evidence } from '../../vocabulary.js';

const DAY_MS = 86_400_000;

export const restoreTestFreshness = defineCheck({
  id: 'restore-test-freshness',
  title: 'A successful restore test is on record, younger than the allowed age',
  severity: 'high',
  description:
    'Looks in the report directory (report.dir) for the newest successful `restorecheck restore-test` report of this environment that the ' +
    'audit log records (same file name and SHA-256) and compares its age with restoreTest.maxRestoreTestAgeDays (default 35: a monthly test ' +
    'plus slack). A report finished in the future beyond limits.clockSkewSeconds fails as a clock or data anomaly.',
  risk: 'Backups drift (new tables, new extensions, grown volumes): a restore proven once a year says little about today. Periodic restore tests are what Microsoft and ISO 27001 A.8.13 ask for.',
  remediation: 'Run `restorecheck restore-test --config FILE --out-dir REPORT_DIR` (monthly, from the scheduled CI job) and fix whatever makes it fail.',
  controls: [CONTROLS.backup, CONTROLS.continuity, CONTROLS.hdsBackup],
  needs: [],
  uses: ['storedReports'],
  command: 'check',
  notApplicable: (config) => (config.report?.dir ? undefined : 'no report.dir configured, so there is no record of restore tests to look at'),
  async run(ctx) {
    const maxDays = ctx.config.restoreTest.maxRestoreTestAgeDays;
    const stored = await ctx.storedReports();
    const ours = stored.filter((s) => s.report.run.command === 'restore-test' && s.report.run.environment === ctx.config.environment);
    // Only a report the audit log records, with the same hash, is evidence: a file copied in (under any name) or edited
    // since proves nothing. The others are named, so that `report verify` can be run on them.
    const ignored = ours.filter((s) => s.audit !== 'recorded');
    const tests = ours.filter((s) => s.audit === 'recorded');
    const successful = tests.filter((s) => s.report.outcome === 'pass');
    const newest = successful.at(-1);
    const evidence: Evidence = {
      maxRestoreTestAgeDays: maxDays,
      restoreTestsOnRecord: tests.length,
      successfulOnRecord: successful.length,
      reportsNotOnRecord: ignored.length,
      ...(ignored.length > 0 ? { reportsIgnored: ignored.slice(-10).map((s) => ({ report: s.name, audit: s.audit })) } : {}),
    };
    const why = (s: StoredReport) => (s.audit === 'hash-differs' ? 'differs from what the audit log recorded' : 'not recorded in the audit log');
    const shown = ignored
      .slice(-3)
      .map((s) => `${s.name} (${why(s)})`)
      .join(', ');
    const ignoredNote =
      ignored.length === 0
        ? ''
        : ` Ignored ${ignored.length} restore-test report${ignored.length === 1 ? '' : 's'} not on record: ${shown}${ignored.length > 3 ? ', …' : ''};` +
          ` run \`restorecheck report verify ${ctx.config.report.dir}\`.`;
    if (!newest) {
      const last = tests.at(-1);
      return {
        status: 'fail',
        message:
          `No successful restore test of ` +
          `environment ${ctx.config.environment} is on record in ${ctx.config.report.dir}${last ? ` (the last one, ${last.name}, ended ${last.report.outcome})` : ''}; expected ` +
          `one younger than ${maxDays} days.${ignoredNote}`,
        evidence: { ...evidence, latestRestoreTestAt: null },
      };
    }
    const at = newest.report.run.finishedAt;
    const restoreSeconds = newest.report.checks.find((c) => c.id === 'restore-provision')?.evidence.restoreSeconds ?? null;
    const full: Evidence = { ...evidence, latestRestoreTestAt: at, report: newest.name, restoreSeconds };
    // The one clock rule: a report finished in the future is a clock or data anomaly, never a fresh test (no negative age).
    const judged = judgeTimestamp(new Date(at), ctx.now(), clockSkewMs(ctx.config.limits));
    if (judged.kind === 'future') {
      return {
        status: 'fail',
        message: `${futureTimestampMessage(`The newest successful restore test (${newest.name})`, new Date(at), judged.aheadMs)}${ignoredNote}`,
        evidence: { ...full, ageDays: null, aheadHours: Math.round((judged.aheadMs / 3_600_000) * 10) / 10 },
      };
    }
    const ageDays = Math.round((judged.ageMs / DAY_MS) * 10) / 10;
    Object.assign(full, { ageDays });
    if (ageDays > maxDays) {
      return {
        status: 'fail',
        message: `The newest successful restore test (${newest.name}) is ${ageDays} days old; expected younger than ${maxDays} days.${ignoredNote}`,
        evidence: full,
      };
    }
    // A newer report claiming success that is not on record does not change the verdict, but someone should look at it.
    const newerIgnored = ignored.some((s) => s.report.outcome === 'pass' && s.report.run.startedAt > newest.report.run.startedAt);
    return {
      status: newerIgnored ? 'warn' : 'pass',
      message: `The newest successful restore test on record (${newest.name}) is ${ageDays} days old, within ${maxDays} days.${ignoredNote}`,
      evidence: full,
    };
  },
});
