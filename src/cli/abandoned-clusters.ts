/**
 * A restore-test killed with SIGKILL cannot remove its throwaway cluster: the server keeps running on
 * 127.0.0.1 with the restored patient data. Every restore-test (and `cleanup --local`) first stops and
 * removes such clusters (their owner process is gone), and records it: in report.dir's audit log when
 * one is configured, and always on stderr. Never fatal: a sweep that fails says so and the run goes on.
 */
import type { Config } from '../config/schema.js';
import { type AbandonedCluster, sweepAbandonedClusters } from '../restore/throwaway-cluster.js';
import { appendAuditEvent } from '../evidence/audit-log.js';
import { auditSigning } from '../evidence/signing.js';
import type { Output } from './io.js';

export async function removeAbandonedClusters(config: Config | undefined, environment: string, output: Output): Promise<AbandonedCluster[]> {
  let swept: AbandonedCluster[];
  try {
    swept = await sweepAbandonedClusters();
  } catch (error) {
    output.err(`restore-test: could not look for abandoned throwaway clusters: ${error instanceof Error ? error.message : String(error)}`);
    return [];
  }
  for (const c of swept) {
    const what = `an abandoned throwaway PostgreSQL in ${c.dir} (its restore-test, pid ${c.ownerPid}, is gone${c.postmasterPid ? `; its server, pid ${c.postmasterPid}, was still running` : ''})`;
    output.err(c.removed ? `restore-test: stopped and removed ${what}` : `restore-test: could not remove ${what}: ${c.problem ?? 'unknown reason'}`);
    const reportDir = config?.report?.dir;
    if (!reportDir) continue;
    try {
      await appendAuditEvent(
        reportDir,
        {
          action: 'cleanup',
          command: 'restore-test',
          environment,
          outcome: c.removed ? 'deleted' : 'failed',
          details: { abandonedCluster: c.dir, ownerPid: c.ownerPid, postmasterPid: c.postmasterPid, ...(c.problem ? { problem: c.problem } : {}) },
        },
        { redact: (text) => output.redactor.redact(text), ...auditSigning(config?.report?.signingKey) },
      );
    } catch (error) {
      output.err(`restore-test: could not record the removal in ${reportDir}/audit.log.jsonl: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return swept;
}
