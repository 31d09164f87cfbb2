import { CONTROLS, type Check } from '../types.js';

const DAY_MS = 86_400_000;

export const restoreTestFreshness: Check = {
  id: 'restore-test-freshness',
  title: 'A successful restore test is on record, younger than the allowed age',
  severity: 'high',
  description:
    'Looks in the report directory (report.dir) for the newest successful `restorecheck restore-test` report of this environment and compares its age with restoreTest.maxRestoreTestAgeDays (default 35: a monthly test plus slack).',
  risk: 'Backups drift (new tables, new extensions, grown volumes): a restore proven once a year says little about today. Periodic restore tests are what Microsoft and ISO 27001 A.8.13 ask for.',
  remediation: 'Run `restorecheck restore-test --config FILE --out-dir REPORT_DIR` (monthly, from the scheduled CI job) and fix whatever makes it fail.',
  controls: [CONTROLS.backup, CONTROLS.continuity, CONTROLS.hdsBackup],
  needs: [],
  command: 'check',
  notApplicable: (config) => (config.report?.dir ? undefined : 'no report.dir configured, so there is no record of restore tests to look at'),
  async run(ctx) {
    const maxDays = ctx.config.restoreTest.maxRestoreTestAgeDays;
    const stored = await ctx.gateways.storedReports();
    const tests = stored.filter((s) => s.report.run.command === 'restore-test' && s.report.run.environment === ctx.config.environment);
    const successful = tests.filter((s) => s.report.outcome === 'pass');
    const newest = successful.at(-1);
    const evidence = { maxRestoreTestAgeDays: maxDays, restoreTestsOnRecord: tests.length, successfulOnRecord: successful.length };
    if (!newest) {
      const last = tests.at(-1);
      return {
        status: 'fail',
        message: `No successful restore test of environment ${ctx.config.environment} is on record in ${ctx.config.report!.dir}${last ? ` (the last one, ${last.name}, ended ${last.report.outcome})` : ''}; expected one younger than ${maxDays} days.`,
        evidence: { ...evidence, latestRestoreTestAt: null },
      };
    }
    const at = newest.report.run.finishedAt;
    const ageDays = Math.round(((ctx.now().getTime() - Date.parse(at)) / DAY_MS) * 10) / 10;
    const full = { ...evidence, latestRestoreTestAt: at, ageDays, report: newest.name, restoreSeconds: newest.report.checks.find((c) => c.id === 'restore-provision')?.evidence.restoreSeconds ?? null };
    if (ageDays > maxDays) {
      return { status: 'fail', message: `The newest successful restore test (${newest.name}) is ${ageDays} days old; expected younger than ${maxDays} days.`, evidence: full };
    }
    return { status: 'pass', message: `The newest successful restore test (${newest.name}) is ${ageDays} days old, within ${maxDays} days.`, evidence: full };
  },
};
