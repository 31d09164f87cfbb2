/**
 * A restore-test killed with SIGKILL cannot remove its throwaway servers: a PostgreSQL, MariaDB, Redis or mongod keeps
 * running with the restored patient data (or an extracted MinIO folder stays on disk). Every restore-test (and
 * `cleanup --local`) first stops and removes those whose owner process is gone, and records it: in report.dir's audit log
 * when one is configured, and always on stderr. Never fatal: a sweep that fails says so and the run goes on.
 */
import type { Config } from '../config/schema.js';
import { appendAuditEvent } from '../evidence/audit-log.js';
import { auditSigning } from '../evidence/signing.js';
import { sweepAbandonedClusters } from '../restore/throwaway-cluster.js';
import type { AbandonedDirectory } from '../restore/throwaway-directory.js';
import { sweepAbandonedMinio } from '../selfhosted/minio-restore.js';
import { sweepAbandonedMariadb } from '../selfhosted/throwaway-mariadb.js';
import { sweepAbandonedMongo } from '../selfhosted/throwaway-mongod.js';
import { sweepAbandonedRedis } from '../selfhosted/throwaway-redis.js';
import type { Output } from './io.js';

export interface AbandonedThrowaway {
  /** What it was, for the message: `PostgreSQL`, `Redis`, … */
  kind: string;
  dir: string;
  ownerPid: number;
  /** The server processes that were still running from it. */
  serverPids: number[];
  removed: boolean;
  problem?: string;
}

const fromDirectory = (kind: string) => (d: AbandonedDirectory) => ({
  kind,
  dir: d.dir,
  ownerPid: d.ownerPid,
  serverPids: d.killedPids,
  removed: d.removed,
  ...(d.problem ? { problem: d.problem } : {}),
});

/** Each kind of throwaway target and its sweep (in TMPDIR). */
const SWEEPS: readonly { kind: string; sweep: () => Promise<AbandonedThrowaway[]> }[] = [
  {
    kind: 'PostgreSQL',
    sweep: async () =>
      (await sweepAbandonedClusters()).map((c) => ({
        kind: 'PostgreSQL',
        dir: c.dir,
        ownerPid: c.ownerPid,
        serverPids: c.postmasterPid ? [c.postmasterPid] : [],
        removed: c.removed,
        ...(c.problem ? { problem: c.problem } : {}),
      })),
  },
  {
    kind: 'MariaDB',
    sweep: async () => (await sweepAbandonedMariadb()).map((d) => fromDirectory('MariaDB')({ ...d, killedPids: d.killed })),
  },
  { kind: 'Redis', sweep: async () => (await sweepAbandonedRedis()).map(fromDirectory('Redis')) },
  { kind: 'MongoDB', sweep: async () => (await sweepAbandonedMongo()).map(fromDirectory('MongoDB')) },
  { kind: 'MinIO files', sweep: async () => (await sweepAbandonedMinio()).map(fromDirectory('MinIO files')) },
];

export async function removeAbandonedThrowaways(config: Config | undefined, environment: string, output: Output): Promise<AbandonedThrowaway[]> {
  const swept: AbandonedThrowaway[] = [];
  for (const { kind, sweep } of SWEEPS) {
    try {
      swept.push(...(await sweep()));
    } catch (error) {
      output.err(`restore-test: could not look for abandoned throwaway ${kind} targets: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  for (const c of swept) {
    const what =
      `an abandoned throwaway ${c.kind} in ${c.dir} (its restore-test, pid ${c.ownerPid}, is gone` +
      `${c.serverPids.length ? `; its server, pid ${c.serverPids.join(', ')}, was still running` : ''})`;
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
          details: {
            abandoned: c.kind,
            // `abandonedCluster` and `postmasterPid` kept for PostgreSQL: the names audit readers already know (contract.md).
            ...(c.kind === 'PostgreSQL'
              ? { abandonedCluster: c.dir, postmasterPid: c.serverPids[0] ?? null }
              : { abandonedDir: c.dir, serverPids: c.serverPids }),
            ownerPid: c.ownerPid,
            ...(c.problem ? { problem: c.problem } : {}),
          },
        },
        { redact: (text) => output.redactor.redact(text), ...auditSigning(config?.report?.signingKey) },
      );
    } catch (error) {
      output.err(`restore-test: could not record the removal in ${reportDir}/audit.log.jsonl: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return swept;
}
