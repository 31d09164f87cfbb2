import { archiveSubject } from '../../archive/archive-subject.js';
import { archiveTime, localTimeNote } from '../../archive/archive-time.js';
import { clockSkewMs, futureTimestampMessage, judgeTimestamp } from '../../clock-rule.js';
import { EvaluationError } from '../../errors.js';
import { CONTROLS, defineCheck } from '../types.js';

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
  controls: [CONTROLS.backup, CONTROLS.hdsBackup],
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
    const outside: { what: string; at: Date }[] = [{ what: `${v.fileName} (${time.source})`, at: time.timestamp }];
    if (v.name && time.nameOffsetMinutes === undefined && time.source !== 'file name')
      outside.push({ what: `${v.fileName} (file name)`, at: v.name.timestamp });
    if (v.metadata.value && time.source !== 'metadata.json') outside.push({ what: `${v.fileName} (metadata.json)`, at: new Date(v.metadata.value.timestamp) });
    const judged = judgeTimestamp(time.timestamp, now, skewMs);
    const ageMs = judged.kind === 'past' ? judged.ageMs : 0;
    const ageHours = Math.round((ageMs / 3_600_000) * 100) / 100;
    const note = time.nameOffsetMinutes !== undefined ? `; ${localTimeNote(time.nameOffsetMinutes)}` : '';
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
      const messages = future.map((o) => futureTimestampMessage(o.what, o.at, o.judged.kind === 'future' ? o.judged.aheadMs : 0));
      return {
        status: 'fail',
        message: `${messages.join(' ')}${note ? ` Note: ${note.slice(2)}.` : ''}`,
        evidence: { ...evidence, futureTimestamps: future.map((o) => o.at.toISOString()) },
      };
    }
    if (ageHours > policy.maxAgeHours) {
      return {
        status: 'fail',
        message: `${v.fileName} is ${ageHours} hours old; expected at most ${policy.maxAgeHours} hours for ${environment}${note}.`,
        evidence,
      };
    }
    return { status: 'pass', message: `${v.fileName} is ${ageHours} hours old, within ${policy.maxAgeHours} hours for ${environment}${note}.`, evidence };
  },
});
