import { clockSkewMs, judgeTimestamp } from '../../clock-rule.js';
import type { FlexibleServerGateway } from '../../azure/types.js';
import { EvaluationError, describeError } from '../../errors.js';
import { daysBetween } from '../azure-property.js';
import { futureText } from '../future-text.js';
import { messages, text } from '../messages.js';
import { CONTROLS, defineCheck, postgresSlots } from '../types.js';
import type { Evidence } from '../../vocabulary.js';
import type { AzureConfig } from '../../config/schema.js';

/**
 * Why an old snapshot alone is not "backups stopped". Microsoft, "Backup and restore in Azure Database for PostgreSQL -
 * Flexible Server" (learn.microsoft.com/azure/postgresql/flexible-server/concepts-backup-restore, "Backup frequency"):
 *   "Snapshot backups are currently taken once daily. If none of the databases in the server receive any further
 *    modifications after the last snapshot backup is taken, snapshot backups are suspended until new modifications are
 *    made in any of the databases, point at which a new snapshot is immediately taken."
 * and ("Backup retention"): "All backups required to perform a PITR within the backup retention period are retained".
 * So on a quiet server the newest snapshot ages while the restore window (earliestRestoreDate → now) keeps reaching back
 * the retention period. When backups stop, the window is what Azure cannot keep up: it no longer reaches back (or Azure
 * has no earliest restore point at all).
 */
/** Why the restore window does or does not reach back, as plain JSON (a message parameter), rendered in each language below. */
type Why =
  | { kind: 'unread' }
  | { kind: 'noEarliest' }
  | { kind: 'badEarliest'; earliest: string }
  | { kind: 'short' | 'reaches'; windowDays: number; earliest: string; retentionDays: number; slackDays: number };

function whyEn(w: Why): string {
  switch (w.kind) {
    case 'unread':
      return 'its restore window could not be read';
    case 'noEarliest':
      return 'Azure gives no earliest restore point for it';
    case 'badEarliest':
      return `its earliest restore point ${w.earliest} is unreadable or in the future`;
    default: {
      const window = `its point-in-time restore window reaches back ${w.windowDays} days (earliestRestoreDate ${w.earliest})`;
      const retention = `its ${w.retentionDays}-day retention less ${w.slackDays} day(s) of slack`;
      return w.kind === 'short' ? `${window}, less than ${retention}` : `${window}: ${retention}`;
    }
  }
}

function whyFr(w: Why): string {
  switch (w.kind) {
    case 'unread':
      return 'sa fenêtre de restauration n’a pas pu être lue';
    case 'noEarliest':
      return 'Azure ne donne aucun point de restauration le plus ancien pour ce serveur';
    case 'badEarliest':
      return `son point de restauration le plus ancien ${w.earliest} est illisible ou dans le futur`;
    default: {
      const window = `sa fenêtre de restauration à un point dans le temps remonte à ${w.windowDays} jours (earliestRestoreDate ${w.earliest})`;
      const retention = `sa rétention de ${w.retentionDays} jours moins ${w.slackDays} jour(s) de marge`;
      return w.kind === 'short' ? `${window}, moins que ${retention}` : `${window}, soit au moins ${retention}`;
    }
  }
}

const t = messages('pgflex-recent-backup', {
  none: text<{ server: string; listed: number; max: number }>(
    (p) => `Flexible Server ${p.server} has no completed backup (${p.listed} listed); expected one younger than ${p.max} h.`,
    (p) => `Le Flexible Server ${p.server} n’a aucune sauvegarde terminée (${p.listed} listées) ; une sauvegarde de moins de ${p.max} h est attendue.`,
  ),
  future: futureText((p: { server: string }) => ({
    en: `The newest completed backup of Flexible Server ${p.server}`,
    fr: `La dernière sauvegarde terminée du Flexible Server ${p.server}`,
  })),
  stopped: text<{ server: string; ageHours: number; latest: string; max: number; why: Why }>(
    (p) =>
      `The newest completed backup of Flexible Server ${p.server} is ${p.ageHours} h old (${p.latest}), more than ${p.max} h, and ${whyEn(p.why)}: backups look stopped.`,
    (p) =>
      `La dernière sauvegarde terminée du Flexible Server ${p.server} date de ${p.ageHours} h (${p.latest}), plus de ${p.max} h, et ${whyFr(p.why)} : ` +
      'les sauvegardes semblent arrêtées.',
  ),
  quiet: text<{ server: string; ageHours: number; latest: string; max: number; why: Why }>(
    (p) =>
      `The newest completed backup of Flexible Server ${p.server} is ${p.ageHours} h old (${p.latest}), more than ${p.max} h, but ${whyEn(p.why)}: ` +
      'consistent with Azure suspending snapshots while nothing changes (a quiet database), not with stopped backups; a restore test confirms it.',
    (p) =>
      `La dernière sauvegarde terminée du Flexible Server ${p.server} date de ${p.ageHours} h (${p.latest}), plus de ${p.max} h, mais ${whyFr(p.why)} : ` +
      'cela correspond à la suspension des instantanés par Azure tant que rien ne change (une base peu active), non à des sauvegardes arrêtées ; un test de restauration le confirme.',
  ),
  fresh: text<{ server: string; ageHours: number; latest: string; max: number; listed: number }>(
    (p) => `The newest completed backup of Flexible Server ${p.server} is ${p.ageHours} h old (${p.latest}), within ${p.max} h; ${p.listed} backups listed.`,
    (p) =>
      `La dernière sauvegarde terminée du Flexible Server ${p.server} date de ${p.ageHours} h (${p.latest}), dans la limite de ${p.max} h ; ${p.listed} sauvegardes listées.`,
  ),
});

async function restoreWindow(
  gateway: FlexibleServerGateway,
  postgres: NonNullable<AzureConfig['postgres']>,
  now: Date,
  skewMs: number,
): Promise<{ reaches: boolean; why: Why; evidence: Evidence }> {
  const { resourceGroup, server, minRetentionDays, restoreWindowSlackDays } = postgres;
  const found = await gateway.getServer(resourceGroup, server).catch((error: unknown) => describeError(error));
  // Unread, the window proves nothing: the old snapshot stands as the finding (fail), with the reason beside it.
  if (typeof found === 'string') return { reaches: false, why: { kind: 'unread' }, evidence: { restoreWindowUnavailable: found } };
  // The server's own retention, not minRetentionDays: the question here is whether backups continue, not whether the retention
  // is long enough (pgflex-backup-retention and pgflex-restore-window judge that).
  const retentionDays = found.backupRetentionDays ?? minRetentionDays;
  const requiredDays = retentionDays - restoreWindowSlackDays;
  const base = { earliestRestoreDate: found.earliestRestoreDate ?? null, backupRetentionDays: retentionDays, requiredWindowDays: requiredDays };
  if (!found.earliestRestoreDate) return { reaches: false, why: { kind: 'noEarliest' }, evidence: base };
  const earliest = new Date(found.earliestRestoreDate);
  const judged = Number.isNaN(earliest.getTime()) ? undefined : judgeTimestamp(earliest, now, skewMs);
  if (!judged || judged.kind === 'future') {
    return { reaches: false, why: { kind: 'badEarliest', earliest: found.earliestRestoreDate }, evidence: base };
  }
  const windowDays = judged.kind === 'past' ? daysBetween(earliest, now) : 0;
  const evidence = { ...base, restoreWindowDays: windowDays };
  const measured = { windowDays, earliest: found.earliestRestoreDate, retentionDays, slackDays: restoreWindowSlackDays };
  if (windowDays < requiredDays) return { reaches: false, why: { kind: 'short', ...measured }, evidence };
  return { reaches: true, why: { kind: 'reaches', ...measured }, evidence };
}

export const pgflexRecentBackup = defineCheck({
  id: 'pgflex-recent-backup',
  title: 'The newest completed Flexible Server backup is recent',
  severity: 'critical',
  description:
    "Lists the server's automatic and on-demand backups (every page of backupsAutomaticAndOnDemand.listByServer) and compares the newest " +
    'completion time with azure.postgres.maxBackupAgeHours. Azure suspends the daily snapshot while no database changes (Microsoft, ' +
    '"Backup frequency"), so an older newest snapshot is judged with the restore window: when earliestRestoreDate still reaches back the ' +
    "server's backupRetentionDays less azure.postgres.restoreWindowSlackDays, the backups a point-in-time restore needs are kept and the " +
    'server is taken for quiet (warn, the reasoning in the evidence, never fail); when it does not (or Azure gives no earliest restore ' +
    'point), backups look stopped (fail). Long-term retention backups are listed as evidence when available.',
  risk: 'Backups that silently stopped leave a growing window of data that no restore can bring back.',
  remediation:
    "Look at the server's backups (`az postgres flexible-server backup list -g <resource-group> -n <server>`) and the Azure service health; take an on-demand " +
    'backup (`az postgres flexible-server backup create -g <resource-group> -n <server> --backup-name <backup-name>`) and open a support request if automatic backups stopped. ' +
    'For a quiet server (warn), a `restorecheck restore-test` with restoreTest.freshnessQuery proves the restore and measures its RPO.',
  fr: {
    title: 'La dernière sauvegarde terminée du Flexible Server est récente',
    description:
      'Liste les sauvegardes automatiques et à la demande du serveur (toutes les pages de backupsAutomaticAndOnDemand.listByServer) et compare la date de ' +
      'fin de la plus récente à azure.postgres.maxBackupAgeHours. Azure suspend l’instantané quotidien tant qu’aucune base ne change (Microsoft, ' +
      '« Backup frequency ») : une dernière sauvegarde plus ancienne est donc jugée avec la fenêtre de restauration. Si earliestRestoreDate remonte encore ' +
      'à backupRetentionDays moins azure.postgres.restoreWindowSlackDays, les sauvegardes nécessaires à une restauration à un point dans le temps sont ' +
      'conservées et le serveur est jugé peu actif (avertissement, raisonnement dans les preuves, jamais un échec) ; sinon (ou sans point de restauration ' +
      'le plus ancien), les sauvegardes semblent arrêtées (échec). Les sauvegardes à rétention longue sont ajoutées aux preuves quand elles sont disponibles.',
    risk: 'Des sauvegardes arrêtées sans bruit laissent une période croissante de données qu’aucune restauration ne pourra ramener.',
    remediation:
      'Examiner les sauvegardes du serveur (`az postgres flexible-server backup list -g <resource-group> -n <server>`) et l’état des services Azure ; lancer une ' +
      'sauvegarde à la demande (`az postgres flexible-server backup create -g <resource-group> -n <server> --backup-name <backup-name>`) et ouvrir une demande de ' +
      'support si les sauvegardes automatiques se sont arrêtées. Pour un serveur peu actif (avertissement), un `restorecheck restore-test` avec ' +
      'restoreTest.freshnessQuery prouve la restauration et mesure son RPO.',
  },
  slots: postgresSlots,
  // A.8.13: backups are being taken.
  controls: [CONTROLS.backup],
  needs: ['azurePostgres'],
  command: 'check',
  async run(ctx) {
    const { resourceGroup, server, maxBackupAgeHours } = ctx.config.azure.postgres;
    const gateway = ctx.gateways.azurePostgres();
    const { backups, pages } = await gateway.listBackups(resourceGroup, server);
    // Sorted by the instant, not the text: Azure may write offsets differently. An unreadable time is an error, never a
    // pass (NaN compares false with every limit).
    const completed = backups
      .map((b) => b.completedTime)
      .filter((t): t is string => Boolean(t))
      .map((text) => {
        const ms = Date.parse(text);
        if (Number.isNaN(ms)) {
          const message = `Resource Manager gave the unreadable completion time "${text}" for a backup of Flexible Server ${server}`;
          throw new EvaluationError('invalid-response', message, 'run the check again later; if it persists, report it with this message');
        }
        return { text, ms };
      })
      .sort((a, b) => a.ms - b.ms)
      .map((t) => t.text);
    const evidence: Evidence = { backupCount: backups.length, completedCount: completed.length, pages, maxBackupAgeHours };

    // Long-term retention is extra evidence, never the verdict: many servers have none, and its absence must not hide the answer above.
    try {
      const ltr = await gateway.listLongTermRetentionOperations(resourceGroup, server);
      const done = ltr.flatMap((op) => (op.status === 'Succeeded' && op.endTime ? [op.endTime] : [])).sort();
      evidence.longTermRetentionBackups = ltr.length;
      evidence.latestLongTermRetentionBackupAt = done.at(-1) ?? null;
    } catch (error) {
      evidence.longTermRetentionBackups = null;
      evidence.longTermRetentionUnavailable = error instanceof Error ? error.message : String(error);
    }

    const latest = completed.at(-1);
    if (!latest) {
      return {
        status: 'fail',
        message: t.none({ server, listed: backups.length, max: maxBackupAgeHours }),
        evidence: { ...evidence, latestBackupAt: null, ageHours: null },
      };
    }
    // The one clock rule: a backup from the future (this machine's clock behind Azure's, or bad data) is never fresh.
    const judged = judgeTimestamp(new Date(latest), ctx.now(), clockSkewMs(ctx.config.limits));
    if (judged.kind === 'future') {
      Object.assign(evidence, { latestBackupAt: latest, ageHours: null, aheadHours: Math.round((judged.aheadMs / 3_600_000) * 10) / 10 });
      const message = t.future({ server, at: new Date(latest).toISOString(), aheadMs: judged.aheadMs });
      return { status: 'fail', message, evidence };
    }
    const ageHours = Math.round((judged.ageMs / 3_600_000) * 10) / 10;
    Object.assign(evidence, { latestBackupAt: latest, ageHours });
    if (ageHours > maxBackupAgeHours) {
      const old = { server, ageHours, latest, max: maxBackupAgeHours };
      const window = await restoreWindow(gateway, ctx.config.azure.postgres, ctx.now(), clockSkewMs(ctx.config.limits));
      Object.assign(evidence, window.evidence, { quietDatabase: window.reaches });
      if (!window.reaches) {
        evidence.reasoning = `An old newest snapshot and a restore window that does not reach back: ${whyEn(window.why)}; backups look stopped.`;
        return { status: 'fail', message: t.stopped({ ...old, why: window.why }), evidence };
      }
      evidence.reasoning =
        'Azure suspends the daily snapshot while no database changes and keeps every backup a point-in-time restore within the retention ' +
        `needs; ${whyEn(window.why)}: consistent with a quiet database whose backups continue, not with stopped backups. Azure exposes nothing ` +
        'that tells the two apart for certain: a restore test (restore-test with restoreTest.freshnessQuery) does.';
      return { status: 'warn', message: t.quiet({ ...old, why: window.why }), evidence };
    }
    return { status: 'pass', message: t.fresh({ server, ageHours, latest, max: maxBackupAgeHours, listed: backups.length }), evidence };
  },
});
