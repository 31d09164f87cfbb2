import { clockSkewMs, futureTimestampMessage, judgeTimestamp } from '../../clock-rule.js';
import type { Evidence } from '../../vocabulary.js';
import { futureTimestampFr } from '../future-text.js';
import { messages, text } from '../messages.js';
import { CONTROLS, defineCheck } from '../types.js';

const DAY_MS = 86_400_000;

/** The reports not on record, as plain JSON: the count, the last three with why, and the report directory. */
type Ignored = { count: number; shown: { name: string; hashDiffers: boolean }[]; dir: string };

function ignoredEn(i: Ignored): string {
  if (i.count === 0) return '';
  const shown = i.shown.map((s) => `${s.name} (${s.hashDiffers ? 'differs from what the audit log recorded' : 'not recorded in the audit log'})`).join(', ');
  return (
    ` Ignored ${i.count} restore-test report${i.count === 1 ? '' : 's'} not on record: ${shown}${i.count > 3 ? ', …' : ''};` +
    ` run \`restorecheck report verify ${i.dir}\`.`
  );
}

function ignoredFr(i: Ignored): string {
  if (i.count === 0) return '';
  const shown = i.shown
    .map((s) => `${s.name} (${s.hashDiffers ? 'diffère de ce que le journal d’audit a enregistré' : 'absent du journal d’audit'})`)
    .join(', ');
  return (
    ` ${i.count === 1 ? 'Un rapport' : `${i.count} rapports`} de restore-test hors registre ignoré${i.count === 1 ? '' : 's'} : ${shown}${i.count > 3 ? ', …' : ''} ;` +
    ` lancer \`restorecheck report verify ${i.dir}\`.`
  );
}

const t = messages('restore-test-freshness', {
  none: text<{ environment: string; dir: string; last: { name: string; outcome: string } | null; maxDays: number; ignored: Ignored }>(
    (p) =>
      `No successful restore test of environment ${p.environment} is on record in ${p.dir}` +
      `${p.last ? ` (the last one, ${p.last.name}, ended ${p.last.outcome})` : ''}; expected one younger than ${p.maxDays} days.${ignoredEn(p.ignored)}`,
    (p) =>
      `Aucun test de restauration réussi de l’environnement ${p.environment} n’est enregistré dans ${p.dir}` +
      `${p.last ? ` (le dernier, ${p.last.name}, a pour résultat ${p.last.outcome})` : ''} ; un test de moins de ${p.maxDays} jours est attendu.${ignoredFr(p.ignored)}`,
  ),
  future: text<{ report: string; at: string; aheadMs: number; ignored: Ignored }>(
    (p) => `${futureTimestampMessage(`The newest successful restore test (${p.report})`, new Date(p.at), p.aheadMs)}${ignoredEn(p.ignored)}`,
    (p) => `${futureTimestampFr(`Le dernier test de restauration réussi (${p.report})`, p.at, p.aheadMs)}${ignoredFr(p.ignored)}`,
  ),
  old: text<{ report: string; ageDays: number; maxDays: number; ignored: Ignored }>(
    (p) => `The newest successful restore test (${p.report}) is ${p.ageDays} days old; expected younger than ${p.maxDays} days.${ignoredEn(p.ignored)}`,
    (p) =>
      `Le dernier test de restauration réussi (${p.report}) date de ${p.ageDays} jours ; un test de moins de ${p.maxDays} jours est attendu.${ignoredFr(p.ignored)}`,
  ),
  fresh: text<{ report: string; ageDays: number; maxDays: number; ignored: Ignored }>(
    (p) => `The newest successful restore test on record (${p.report}) is ${p.ageDays} days old, within ${p.maxDays} days.${ignoredEn(p.ignored)}`,
    (p) =>
      `Le dernier test de restauration réussi enregistré (${p.report}) date de ${p.ageDays} jours, dans la limite de ${p.maxDays} jours.${ignoredFr(p.ignored)}`,
  ),
  noDir: text(
    () => 'no report.dir configured, so there is no record of restore tests to look at',
    () => 'aucun report.dir n’est configuré : il n’y a pas de registre des tests de restauration à consulter',
  ),
});

// A.8.13 (backups are tested regularly) and A.5.30 (continuity rests on a restore proven recently).

export const restoreTestFreshness = defineCheck({
  id: 'restore-test-freshness',
  title: 'A successful restore test is on record, younger than the allowed age',
  severity: 'high',
  description:
    'Looks in the report directory (report.dir) for the newest successful `restorecheck restore-test` report of this environment that the ' +
    'audit log records (same file name and SHA-256) and compares its age with restoreTest.maxRestoreTestAgeDays (default 35: a monthly test ' +
    'plus slack). A report finished in the future beyond limits.clockSkewSeconds fails as a clock or data anomaly.',
  risk: 'Backups drift (new tables, new extensions, grown volumes): a restore proven once a year says little about today. Periodic restore tests are what Microsoft and ISO 27001 A.8.13 ask for.',
  remediation:
    'Run `restorecheck restore-test --config <config-file> --out-dir <report-dir>` (monthly, from the scheduled CI job) and fix whatever makes it fail.',
  fr: {
    title: 'Un test de restauration réussi, plus récent que l’âge autorisé, est enregistré',
    description:
      'Cherche dans le répertoire des rapports (report.dir) le dernier rapport `restorecheck restore-test` réussi de cet environnement que le journal d’audit ' +
      'enregistre (même nom de fichier et même SHA-256) et compare son âge à restoreTest.maxRestoreTestAgeDays (35 par défaut : un test mensuel plus une marge). ' +
      'Un rapport terminé dans le futur au-delà de limits.clockSkewSeconds échoue comme anomalie d’horloge ou de données.',
    risk:
      'Les sauvegardes dérivent (nouvelles tables, nouvelles extensions, volumes qui grossissent) : une restauration prouvée une fois par an dit peu de chose ' +
      'd’aujourd’hui. Des tests de restauration périodiques sont ce que demandent Microsoft et le contrôle A.8.13 d’ISO 27001.',
    remediation:
      'Lancer `restorecheck restore-test --config <config-file> --out-dir <report-dir>` (chaque mois, depuis la tâche CI planifiée) et corriger ce qui le fait échouer.',
  },
  slots: (config) => ({ 'report-dir': config.report?.dir }),
  controls: [CONTROLS.backup, CONTROLS.continuity],
  needs: [],
  uses: ['storedReports'],
  command: 'check',
  notApplicable: (config) => (config.report?.dir ? undefined : t.noDir({})),
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
    const ignoredText: Ignored = {
      count: ignored.length,
      shown: ignored.slice(-3).map((s) => ({ name: s.name, hashDiffers: s.audit === 'hash-differs' })),
      dir: ctx.config.report.dir,
    };
    if (!newest) {
      const last = tests.at(-1);
      return {
        status: 'fail',
        message: t.none({
          environment: ctx.config.environment,
          dir: ctx.config.report.dir,
          last: last ? { name: last.name, outcome: last.report.outcome } : null,
          maxDays,
          ignored: ignoredText,
        }),
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
        message: t.future({ report: newest.name, at: new Date(at).toISOString(), aheadMs: judged.aheadMs, ignored: ignoredText }),
        evidence: { ...full, ageDays: null, aheadHours: Math.round((judged.aheadMs / 3_600_000) * 10) / 10 },
      };
    }
    const ageDays = Math.round((judged.ageMs / DAY_MS) * 10) / 10;
    Object.assign(full, { ageDays });
    if (ageDays > maxDays) {
      return {
        status: 'fail',
        message: t.old({ report: newest.name, ageDays, maxDays, ignored: ignoredText }),
        evidence: full,
      };
    }
    // A newer report claiming success that is not on record does not change the verdict, but someone should look at it.
    const newerIgnored = ignored.some((s) => s.report.outcome === 'pass' && s.report.run.startedAt > newest.report.run.startedAt);
    return {
      status: newerIgnored ? 'warn' : 'pass',
      message: t.fresh({ report: newest.name, ageDays, maxDays, ignored: ignoredText }),
      evidence: full,
    };
  },
});
