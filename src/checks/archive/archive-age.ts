import { archiveSubject } from '../../archive/archive-subject.js';
import { EvaluationError } from '../../errors.js';
import { CONTROLS, type Check } from '../types.js';

/** A timestamp this far in the future is a wrong clock or a forged name, not a fresh backup. */
const FUTURE_SLACK_MS = 5 * 60_000;

export const archiveAge: Check = {
  id: 'archive-age',
  title: 'The archive is younger than the maximum age',
  severity: 'high',
  description:
    'Computes the archive’s age from the UTC timestamp in its file name (metadata.json’s when the name has none) and compares it with maxAgeHours of its environment (archives.environments, archives.defaults, or --max-age-hours; default 26).',
  risk: 'An old newest archive means backups stopped: the data written since would be lost in a disaster.',
  remediation: 'Check that the backup job still runs (cron/systemd timer, its logs, free disk space) and that archives land in the backup directory.',
  controls: [CONTROLS.backup, CONTROLS.hdsBackup],
  needs: ['archive'],
  command: 'verify',
  async run(ctx) {
    const { verification: v, policy, environment } = await archiveSubject(ctx.gateways.archive, ctx.config);
    const fromName = v.name?.timestamp;
    const fromMetadata = v.metadata.value ? new Date(v.metadata.value.timestamp) : undefined;
    const timestamp = fromName ?? fromMetadata;
    if (!timestamp) {
      throw new EvaluationError('invalid-response', `${v.fileName} carries no timestamp (neither a conventional file name nor a readable metadata.json)`, 'name archives <name>_<env>_<YYYYMMDD>_<HHMMSS>.tar.gz (UTC)');
    }
    const ageMs = ctx.now().getTime() - timestamp.getTime();
    const ageHours = Math.round((ageMs / 3_600_000) * 100) / 100;
    const evidence = { archive: v.fileName, environment, timestamp: timestamp.toISOString(), source: fromName ? 'file name' : 'metadata.json', ageHours, maxAgeHours: policy.maxAgeHours };
    if (ageMs < -FUTURE_SLACK_MS) {
      return { status: 'fail', message: `${v.fileName} is dated ${timestamp.toISOString()}, ${-ageHours} hours in the future; expected a past timestamp (check the backup host's clock).`, evidence };
    }
    if (ageHours > policy.maxAgeHours) {
      return { status: 'fail', message: `${v.fileName} is ${ageHours} hours old; expected at most ${policy.maxAgeHours} hours for ${environment}.`, evidence };
    }
    return { status: 'pass', message: `${v.fileName} is ${Math.max(0, ageHours)} hours old, within ${policy.maxAgeHours} hours for ${environment}.`, evidence };
  },
};
