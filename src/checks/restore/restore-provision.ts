import { failedStep } from '../../restore/judge.js';
import { CONTROLS, defineCheck } from '../types.js';

export const restoreProvision = defineCheck({
  id: 'restore-provision',
  title: 'The backup restores to a new server (or throwaway database) within the deadline and the RTO',
  severity: 'critical',
  description:
    'Restores the backup to a new target: an Azure point-in-time restore to a new Flexible Server, or an archive dump into a throwaway ' +
    'PostgreSQL. Measures the restore time (request to ready) against rtoMinutes and the restore point lag against rpoMinutes.',
  risk: 'A backup that has never been restored is a hope, not a backup: only a real restore proves the data can come back, and how long it takes.',
  remediation:
    'Find why the restore failed (the Azure activity log of the new server, or the psql errors in the evidence); for a slow restore, review ' +
    'the RTO or the server size. `az postgres flexible-server restore --source-server SERVER --name NEW --restore-time ISO -g RG` reproduces the Azure path by hand.',
  controls: [CONTROLS.backup, CONTROLS.continuity, CONTROLS.hdsBackup],
  needs: [],
  uses: ['restore'],
  command: 'restore-test',
  async run(ctx) {
    const outcome = ctx.restore;
    const { provision, limits } = outcome;
    if (!provision.ok) return failedStep(provision.failure, `The restore to ${outcome.target ?? 'a new target'} did not complete`);
    const { restoreSeconds, restorePoint, details } = provision.value;
    const evidence = {
      restoreSeconds,
      restorePoint,
      target: outcome.target,
      method: outcome.method,
      ...(limits.rtoMinutes ? { rtoMinutes: limits.rtoMinutes } : {}),
      ...details,
    };
    const took = restoreSeconds < 120 ? `${restoreSeconds.toFixed(1)} s` : `${(restoreSeconds / 60).toFixed(1)} min`;
    if (limits.rtoMinutes !== undefined && restoreSeconds > limits.rtoMinutes * 60) {
      return { status: 'fail', message: `The restore to ${outcome.target} took ${took}, more than the RTO of ${limits.rtoMinutes} min.`, evidence };
    }
    const lag = typeof details.lagMinutes === 'number' ? details.lagMinutes : undefined;
    if (limits.rpoMinutes !== undefined && lag !== undefined && lag > limits.rpoMinutes) {
      return {
        status: 'fail',
        message: `The restore point ${restorePoint} is ${lag.toFixed(1)} min behind the request, more than the RPO of ${limits.rpoMinutes} min.`,
        evidence,
      };
    }
    const point = restorePoint ? ` (restore point ${restorePoint})` : '';
    const withinRto = limits.rtoMinutes !== undefined ? `, within the RTO of ${limits.rtoMinutes} min` : '';
    return {
      status: 'pass',
      message: `Restored to ${outcome.target} in ${took}${point}${withinRto}.`,
      evidence,
    };
  },
});
