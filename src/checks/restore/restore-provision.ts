import { clockSkewMs, judgeTimestamp } from '../../clock-rule.js';
import { failedStep } from '../../restore/judge.js';
import type { RestoreOutcome } from '../../restore/outcome.js';
import type { Evidence, JsonValue } from '../../vocabulary.js';
import { asParam, fromParam, messages, text } from '../messages.js';
import { restoreTexts } from '../restore-texts.js';
import { CONTROLS, defineCheck, postgresSlots } from '../types.js';

/** Why the RPO could not be measured, as plain JSON (a message parameter), rendered in each language below. */
type NotMeasured =
  | { kind: 'noQuery' | 'noRow' | 'noPoint' }
  /** Fleet mode: the copy was not read on purpose; `why` is outcome.notRead.database (a catalog text as a parameter). */
  | { kind: 'notRead'; why: JsonValue }
  | { kind: 'queryFailed'; error: string }
  | { kind: 'future'; newestRowAt: string; aheadMinutes: number; restorePoint: string | null };

/** The RPO as measured on the restored data, or why it could not be. */
type RpoReading = { measured: true; minutes: number; newestRowAt: string } | { measured: false; configured: boolean; reason: NotMeasured };

/** Minutes for a small RPO; hours or days for one an auditor should not have to divide. */
const minutesText = (m: number) => (m < 120 ? `${m.toFixed(1)} min` : m < 2880 ? `${(m / 60).toFixed(1)} h` : `${(m / 1440).toFixed(1)} days`);
const minutesFr = (m: number) => (m < 120 ? `${m.toFixed(1)} min` : m < 2880 ? `${(m / 60).toFixed(1)} h` : `${(m / 1440).toFixed(1)} jours`);

function reasonEn(r: NotMeasured): string {
  switch (r.kind) {
    case 'noQuery':
      return 'no restoreTest.freshnessQuery is configured';
    case 'queryFailed':
      return `the freshness query failed on the restored database: ${r.error}`;
    case 'notRead':
      return `the restored database was not read (${fromParam(r.why, 'en').replace(/\.$/, '')})`;
    case 'noRow':
      return 'the freshness query returned no row (or NULL) on the restored database';
    case 'noPoint':
      return 'the restore point is not known';
    case 'future':
      return (
        `the newest row (${r.newestRowAt}) is ${minutesText(r.aheadMinutes)} after the restore point ${r.restorePoint}: a clock or data ` +
        'anomaly (a local time stored without a time zone is read as UTC; or the restore did not stop at its point in time)'
      );
  }
}

function reasonFr(r: NotMeasured): string {
  switch (r.kind) {
    case 'noQuery':
      return 'aucune requête restoreTest.freshnessQuery n’est configurée';
    case 'queryFailed':
      return `la requête de fraîcheur a échoué sur la base restaurée : ${r.error}`;
    case 'notRead':
      return `la base restaurée n’a pas été lue (${fromParam(r.why, 'fr').replace(/\.$/, '')})`;
    case 'noRow':
      return 'la requête de fraîcheur n’a renvoyé aucune ligne (ou NULL) sur la base restaurée';
    case 'noPoint':
      return 'le point de restauration n’est pas connu';
    case 'future':
      return (
        `la ligne la plus récente (${r.newestRowAt}) est ${minutesFr(r.aheadMinutes)} après le point de restauration ${r.restorePoint} : une anomalie ` +
        'd’horloge ou de données (une heure locale stockée sans fuseau horaire est lue comme UTC ; ou la restauration ne s’est pas arrêtée à son point dans le temps)'
      );
  }
}

type Restored = { target: string | null; seconds: number; restorePoint: string | null; rtoMinutes: number | null };
const took = (seconds: number) => (seconds < 120 ? `${seconds.toFixed(1)} s` : `${(seconds / 60).toFixed(1)} min`);
const restoredEn = (r: Restored) =>
  `Restored to ${r.target} in ${took(r.seconds)}${r.restorePoint ? ` (restore point ${r.restorePoint})` : ''}` +
  `${r.rtoMinutes !== null ? `, within the RTO of ${r.rtoMinutes} min` : ''}`;
const restoredFr = (r: Restored) =>
  `Restauré vers ${r.target} en ${took(r.seconds)}${r.restorePoint ? ` (point de restauration ${r.restorePoint})` : ''}` +
  `${r.rtoMinutes !== null ? `, dans la limite du RTO de ${r.rtoMinutes} min` : ''}`;

const t = messages('restore-provision', {
  overRto: text<{ target: string | null; seconds: number; rtoMinutes: number }>(
    (p) => `The restore to ${p.target} took ${took(p.seconds)}, more than the RTO of ${p.rtoMinutes} min.`,
    (p) => `La restauration vers ${p.target} a pris ${took(p.seconds)}, plus que le RTO de ${p.rtoMinutes} min.`,
  ),
  overRpo: text<{ target: string | null; newestRowAt: string; minutes: number; restorePoint: string | null; rpoMinutes: number }>(
    (p) =>
      `The newest row restored to ${p.target} (restoreTest.freshnessQuery) is from ${p.newestRowAt}, ${minutesText(p.minutes)} before ` +
      `the restore point ${p.restorePoint}: more than the RPO of ${p.rpoMinutes} min.`,
    (p) =>
      `La ligne restaurée la plus récente de ${p.target} (restoreTest.freshnessQuery) date du ${p.newestRowAt}, ${minutesFr(p.minutes)} avant ` +
      `le point de restauration ${p.restorePoint} : plus que le RPO de ${p.rpoMinutes} min.`,
  ),
  rpoUnmeasured: text<{ restored: Restored; rpoMinutes: number | null; configured: boolean; reason: NotMeasured }>(
    (p) =>
      `${restoredEn(p.restored)}, but the RPO${p.rpoMinutes !== null ? ` of ${p.rpoMinutes} min` : ''} could not be measured: ${reasonEn(p.reason)}` +
      `${p.configured ? '' : ' (set restoreTest.freshnessQuery, e.g. SELECT max(created_at) FROM appointments)'}.`,
    (p) =>
      `${restoredFr(p.restored)}, mais le RPO${p.rpoMinutes !== null ? ` de ${p.rpoMinutes} min` : ''} n’a pas pu être mesuré : ${reasonFr(p.reason)}` +
      `${p.configured ? '' : ' (renseigner restoreTest.freshnessQuery, par exemple SELECT max(created_at) FROM appointments)'}.`,
  ),
  rpoNotAsked: text<{ restored: Restored }>(
    (p) => `${restoredEn(p.restored)}; the RPO was not measured (no restoreTest.freshnessQuery).`,
    (p) => `${restoredFr(p.restored)} ; le RPO n’a pas été mesuré (pas de restoreTest.freshnessQuery).`,
  ),
  pass: text<{ restored: Restored; minutes: number; rpoMinutes: number | null }>(
    (p) =>
      `${restoredEn(p.restored)}; the newest restored row is ${minutesText(p.minutes)} older than the restore point` +
      `${p.rpoMinutes !== null ? `, within the RPO of ${p.rpoMinutes} min` : ' (no restoreTest.rpoMinutes to judge it against)'}.`,
    (p) =>
      `${restoredFr(p.restored)} ; la ligne restaurée la plus récente est antérieure de ${minutesFr(p.minutes)} au point de restauration` +
      `${p.rpoMinutes !== null ? `, dans la limite du RPO de ${p.rpoMinutes} min` : ' (pas de restoreTest.rpoMinutes pour en juger)'}.`,
  ),
});

/**
 * The measured RPO: how far the newest row of restoreTest.freshnessQuery lies before the restore point (Azure: the point in
 * time requested; archive: metadata.json's timestamp). The restore point alone measures nothing (restorecheck chose it), so
 * every way of not knowing the newest row is "not measured", never a pass of the RPO.
 */
function readRpo(outcome: RestoreOutcome, restorePoint: string | null, skewMs: number, freshnessQuery: string | undefined): RpoReading {
  const notRead = outcome.notRead?.database;
  if (notRead && !outcome.restored) return { measured: false, configured: freshnessQuery !== undefined, reason: { kind: 'notRead', why: asParam(notRead) } };
  const freshness = outcome.restored?.freshness;
  if (!freshness) return { measured: false, configured: false, reason: { kind: 'noQuery' } };
  const notMeasured = (reason: NotMeasured): RpoReading => ({ measured: false, configured: true, reason });
  const read = freshness.newestRowAt;
  if (!read.ok) return notMeasured({ kind: 'queryFailed', error: read.failure.message });
  if (read.value === null) return notMeasured({ kind: 'noRow' });
  const point = restorePoint === null ? Number.NaN : Date.parse(restorePoint);
  if (Number.isNaN(point)) return notMeasured({ kind: 'noPoint' });
  const judged = judgeTimestamp(new Date(read.value), new Date(point), skewMs);
  if (judged.kind === 'future') {
    // Rows newer than the restore point: not a small RPO but a clock or data anomaly (a local time stored without a time
    // zone, clocks that disagree, or a restore that did not stop at its point in time). Any number here would be false.
    return notMeasured({ kind: 'future', newestRowAt: read.value, aheadMinutes: judged.aheadMs / 60_000, restorePoint });
  }
  return { measured: true, minutes: Math.round(judged.ageMs / 6_000) / 10, newestRowAt: read.value };
}

function rpoEvidence(rpo: RpoReading, outcome: RestoreOutcome): Evidence {
  const query = outcome.restored?.freshness?.query;
  return {
    rpoMeasured: rpo.measured,
    ...(outcome.limits.rpoMinutes !== undefined ? { rpoMinutes: outcome.limits.rpoMinutes } : {}),
    ...(query ? { freshnessQuery: query } : {}),
    ...(rpo.measured
      ? { measuredRpoMinutes: rpo.minutes, newestRowAt: rpo.newestRowAt }
      : { rpoNotMeasured: `The RPO was not measured: ${reasonEn(rpo.reason)}.` }),
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
    '`az postgres flexible-server restore -g <resource-group> -n <new-server> --source-server <server> --restore-time <iso-time>` reproduces the Azure path by hand.',
  fr: {
    title: 'La sauvegarde se restaure sur un nouveau serveur (ou une base jetable) dans le délai imparti, le RTO et le RPO',
    description:
      'Restaure la sauvegarde sur une nouvelle cible : une restauration Azure à un point dans le temps vers un nouveau Flexible Server, ou le chargement des ' +
      'exports d’une archive dans un PostgreSQL jetable. Mesure la durée de restauration (de la demande à la disponibilité) par rapport à rtoMinutes, et le RPO ' +
      'par rapport à rpoMinutes : l’âge de la ligne la plus récente que restoreTest.freshnessQuery trouve dans la base restaurée, par rapport au point de ' +
      'restauration (Azure : le point dans le temps demandé ; archive : l’horodatage de metadata.json). Sans cette requête, le RPO n’est pas mesuré : les ' +
      'preuves l’indiquent et, avec rpoMinutes renseigné, le contrôle est en avertissement, jamais une réussite du RPO. Une requête en échec ou sans ligne ' +
      'donne le même résultat (avertissement, avec la raison).',
    risk:
      'Une sauvegarde jamais restaurée est un espoir, pas une sauvegarde : seule une vraie restauration prouve que les données peuvent revenir, en combien de ' +
      'temps, et quelle part des données les plus récentes elle ramène.',
    remediation:
      'Chercher pourquoi la restauration a échoué (le journal d’activité Azure du nouveau serveur, ou les erreurs psql dans les preuves) ; pour une restauration ' +
      'lente, revoir le RTO ou la taille du serveur ; pour un RPO élevé, regarder quand la ligne restaurée la plus récente a été écrite (archivage des WAL, tâche ' +
      'de sauvegarde). `az postgres flexible-server restore -g <resource-group> -n <new-server> --source-server <server> --restore-time <iso-time>` reproduit ' +
      'le chemin Azure à la main.',
  },
  slots: postgresSlots,
  // A.8.13 (backups are tested by restoring them) and A.5.30 (the RTO and RPO the continuity plan promises).
  controls: [CONTROLS.backup, CONTROLS.continuity],
  needs: [],
  uses: ['restore'],
  command: 'restore-test',
  async run(ctx) {
    const outcome = ctx.restore;
    const { provision, limits } = outcome;
    if (!provision.ok) return failedStep(provision.failure, restoreTexts.restoreIncomplete({ target: outcome.target }));
    const { restoreSeconds, restorePoint, details } = provision.value;
    const rpo = readRpo(outcome, restorePoint, clockSkewMs(ctx.config.limits), ctx.config.restoreTest.freshnessQuery);
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
    const target = outcome.target;
    if (limits.rtoMinutes !== undefined && restoreSeconds > limits.rtoMinutes * 60) {
      return { status: 'fail', message: t.overRto({ target, seconds: restoreSeconds, rtoMinutes: limits.rtoMinutes }), evidence };
    }
    if (rpo.measured && limits.rpoMinutes !== undefined && rpo.minutes > limits.rpoMinutes) {
      return {
        status: 'fail',
        message: t.overRpo({ target, newestRowAt: rpo.newestRowAt, minutes: rpo.minutes, restorePoint, rpoMinutes: limits.rpoMinutes }),
        evidence,
      };
    }
    const restored: Restored = { target, seconds: restoreSeconds, restorePoint, rtoMinutes: limits.rtoMinutes ?? null };
    const rpoMinutes = limits.rpoMinutes ?? null;
    if (!rpo.measured) {
      // Asked for an RPO (rpoMinutes) or a measurement (freshnessQuery) and did not get one: warn. A pass would claim an RPO
      // nobody measured; a fail would call a backup bad that restored, for want of a query. Neither asked: the RTO verdict stands.
      if (limits.rpoMinutes !== undefined || rpo.configured) {
        return { status: 'warn', message: t.rpoUnmeasured({ restored, rpoMinutes, configured: rpo.configured, reason: rpo.reason }), evidence };
      }
      return { status: 'pass', message: t.rpoNotAsked({ restored }), evidence };
    }
    return { status: 'pass', message: t.pass({ restored, minutes: rpo.minutes, rpoMinutes }), evidence };
  },
});
