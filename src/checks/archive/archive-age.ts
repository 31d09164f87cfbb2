import { archiveSubject } from '../../archive/archive-subject.js';
import { archiveTime, localTimeNote } from '../../archive/archive-time.js';
import { clockSkewMs, futureTimestampMessage, judgeTimestamp } from '../../clock-rule.js';
import { EvaluationError } from '../../errors.js';
import { localTimeNoteFr } from '../archive-texts.js';
import { futureTimestampFr } from '../future-text.js';
import { messages, text } from '../messages.js';
import { CONTROLS, defineCheck } from '../types.js';

type Future = { file: string; source: string; at: string; aheadMs: number };
const SOURCE_FR: Record<string, string> = { 'file name': 'nom du fichier' };
const noteEn = (offset: number | null) => (offset !== null ? `; ${localTimeNote(offset)}` : '');
const noteFr = (offset: number | null) => (offset !== null ? ` ; ${localTimeNoteFr(offset)}` : '');

const t = messages('archive-age', {
  future: text<{ future: Future[]; offset: number | null }>(
    (p) =>
      `${p.future.map((f) => futureTimestampMessage(`${f.file} (${f.source})`, new Date(f.at), f.aheadMs)).join(' ')}` +
      `${p.offset !== null ? ` Note: ${localTimeNote(p.offset)}.` : ''}`,
    (p) =>
      `${p.future.map((f) => futureTimestampFr(`${f.file} (${SOURCE_FR[f.source] ?? f.source})`, f.at, f.aheadMs)).join(' ')}` +
      `${p.offset !== null ? ` Remarque : ${localTimeNoteFr(p.offset)}.` : ''}`,
  ),
  old: text<{ file: string; ageHours: number; max: number; environment: string; offset: number | null }>(
    (p) => `${p.file} is ${p.ageHours} hours old; expected at most ${p.max} hours for ${p.environment}${noteEn(p.offset)}.`,
    (p) => `${p.file} date de ${p.ageHours} heures ; au plus ${p.max} heures attendues pour ${p.environment}${noteFr(p.offset)}.`,
  ),
  fresh: text<{ file: string; ageHours: number; max: number; environment: string; offset: number | null }>(
    (p) => `${p.file} is ${p.ageHours} hours old, within ${p.max} hours for ${p.environment}${noteEn(p.offset)}.`,
    (p) => `${p.file} date de ${p.ageHours} heures, dans la limite de ${p.max} heures pour ${p.environment}${noteFr(p.offset)}.`,
  ),
});

// A.8.13: backups are still being taken.

export const archiveAge = defineCheck({
  id: 'archive-age',
  title: 'The archive is younger than the maximum age',
  severity: 'high',
  description:
    'Computes the archive’s age from the UTC timestamp in its file name (metadata.json’s when the name has none, or when the name is evidently ' +
    'local time) and compares it with maxAgeHours of its environment (archives.environments, archives.defaults, or --max-age-hours; default ' +
    '26). A timestamp in the future beyond a small clock skew is a clock or data anomaly.',
  risk: 'An old newest archive means backups stopped: the data written since would be lost in a disaster.',
  remediation: 'Check that the backup job still runs (cron/systemd timer, its logs, free disk space) and that archives land in the backup directory.',
  fr: {
    title: 'L’archive est plus récente que l’âge maximal',
    description:
      'Calcule l’âge de l’archive à partir de l’horodatage UTC de son nom de fichier (celui de metadata.json quand le nom n’en a pas, ou quand le nom est ' +
      'manifestement en heure locale) et le compare au maxAgeHours de son environnement (archives.environments, archives.defaults ou --max-age-hours ; 26 par ' +
      'défaut). Un horodatage dans le futur au-delà d’un léger décalage d’horloge est une anomalie d’horloge ou de données.',
    risk: 'Une dernière archive ancienne signifie que les sauvegardes se sont arrêtées : les données écrites depuis seraient perdues en cas de sinistre.',
    remediation:
      'Vérifier que la tâche de sauvegarde tourne toujours (cron/timer systemd, ses journaux, l’espace disque libre) et que les archives arrivent dans le répertoire de sauvegarde.',
  },
  controls: [CONTROLS.backup],
  needs: ['archive'],
  command: 'verify',
  async run(ctx) {
    const { verification: v, policy, environment } = await archiveSubject(ctx.archive, ctx.config);
    const toleranceMinutes = ctx.config.archives?.metadataToleranceMinutes ?? 60;
    const now = ctx.now();
    const skewMs = clockSkewMs(ctx.config.limits);
    const time = archiveTime(v, toleranceMinutes, now, skewMs);
    if (!time) {
      throw new EvaluationError(
        'invalid-response',
        `${v.fileName} carries no timestamp (neither a conventional file name nor a readable metadata.json)`,
        'name archives <name>_<env>_<YYYYMMDD>_<HHMMSS>.tar.gz (UTC)',
      );
    }
    // The one clock rule, for every outside timestamp the archive carries: the one used for the age, the name's
    // when it was not explained as local time, and metadata.json's.
    const outside: { place: { file: string; source: string }; at: Date }[] = [{ place: { file: v.fileName, source: time.source }, at: time.timestamp }];
    if (v.name && time.nameOffsetMinutes === undefined && time.source !== 'file name')
      outside.push({ place: { file: v.fileName, source: 'file name' }, at: v.name.timestamp });
    if (v.metadata.value && time.source !== 'metadata.json')
      outside.push({ place: { file: v.fileName, source: 'metadata.json' }, at: new Date(v.metadata.value.timestamp) });
    const judged = judgeTimestamp(time.timestamp, now, skewMs);
    const ageMs = judged.kind === 'past' ? judged.ageMs : 0;
    const ageHours = Math.round((ageMs / 3_600_000) * 100) / 100;
    const offset = time.nameOffsetMinutes ?? null;
    const evidence = {
      archive: v.fileName,
      environment,
      timestamp: time.timestamp.toISOString(),
      source: time.source,
      ageHours,
      maxAgeHours: policy.maxAgeHours,
      clockSkewSeconds: skewMs / 1000,
      ...(time.nameOffsetMinutes !== undefined ? { nameLooksLikeLocalTime: true, nameOffsetMinutes: time.nameOffsetMinutes } : {}),
    };
    const future = outside.map((o) => ({ ...o, judged: judgeTimestamp(o.at, now, skewMs) })).filter((o) => o.judged.kind === 'future');
    if (future.length > 0) {
      const items = future.map((o) => ({ ...o.place, at: o.at.toISOString(), aheadMs: o.judged.kind === 'future' ? o.judged.aheadMs : 0 }));
      return {
        status: 'fail',
        message: t.future({ future: items, offset }),
        evidence: { ...evidence, futureTimestamps: future.map((o) => o.at.toISOString()) },
      };
    }
    if (ageHours > policy.maxAgeHours) {
      return { status: 'fail', message: t.old({ file: v.fileName, ageHours, max: policy.maxAgeHours, environment, offset }), evidence };
    }
    return { status: 'pass', message: t.fresh({ file: v.fileName, ageHours, max: policy.maxAgeHours, environment, offset }), evidence };
  },
});
