/**
 * The shard reports of one sharded fleet run (`check --shard K/3`), built as the fleet runner writes them: every shard
 * records the whole fleet it discovered, evaluates the resources whose id hash falls in its shard (src/run/shard.ts, the
 * real function), has one finding per check and resource, and only shard 1 carries the run-wide checks (no resource).
 * One storage account fails blob-soft-delete, so the merged outcome is `fail` unless `failing: false`.
 */
import type { CheckResult, RunResult } from '../../src/run/result.js';
import { compareFindings, computeOutcome, summarise } from '../../src/run/result.js';
import { shardOf } from '../../src/run/shard.js';
import type { FleetResource } from '../../src/vocabulary.js';

export const FLEET_SUBSCRIPTION = '1b2c3d4e-0000-4000-8000-000000000001';

function resource(kind: FleetResource['kind'], name: string): FleetResource {
  const provider = kind === 'postgres' ? 'Microsoft.DBforPostgreSQL/flexibleServers' : 'Microsoft.Storage/storageAccounts';
  return {
    id: `/subscriptions/${FLEET_SUBSCRIPTION}/resourceGroups/fleet-rg/providers/${provider}/${name}`,
    kind,
    name,
    subscriptionId: FLEET_SUBSCRIPTION,
    resourceGroup: 'fleet-rg',
    location: 'francecentral',
    tags: { restorecheck: 'on' },
  };
}

/** Four servers and four storage accounts, sorted by id (as fleet.discovered is). */
export function fleetResources(): FleetResource[] {
  const servers = ['clinic-a-db', 'clinic-b-db', 'clinic-c-db', 'clinic-d-db'].map((n) => resource('postgres', n));
  const accounts = ['clinicastore', 'clinicbstore', 'cliniccstore', 'clinicdstore'].map((n) => resource('storage', n));
  return [...servers, ...accounts].sort((a, b) => (a.id.toLowerCase() < b.id.toLowerCase() ? -1 : 1));
}

function finding(id: string, status: CheckResult['status'], message: string, extra: Partial<CheckResult> = {}): CheckResult {
  return {
    id,
    title: `${id} is compliant`,
    status,
    severity: 'high',
    message,
    evidence: {},
    remediation: `Fix ${id}.`,
    controls: [{ framework: 'ISO27001:2022', control: 'A.8.13' }],
    durationMs: 7,
    ...extra,
  };
}

function findingsFor(r: FleetResource, failing: boolean): CheckResult[] {
  if (r.kind === 'postgres') {
    return [
      finding('pgflex-backup-retention', 'pass', `Backup retention of ${r.name} is 35 days (minimum 30).`, {
        resource: r.id,
        evidence: { backupRetentionDays: 35, minRetentionDays: 30 },
      }),
      finding('pgflex-server-state', 'pass', `Server ${r.name} is Ready.`, { resource: r.id, evidence: { state: 'Ready' } }),
    ];
  }
  const short = failing && r.name === 'clinicbstore';
  return [
    finding('blob-soft-delete', short ? 'fail' : 'pass', `Blob soft delete of ${r.name} keeps ${short ? 2 : 14} days (minimum 7).`, {
      resource: r.id,
      evidence: { enabled: true, days: short ? 2 : 14 },
    }),
  ];
}

export interface ShardSetOptions {
  count?: number;
  failing?: boolean;
  environment?: string;
  command?: string;
}

/**
 * The `count` shard reports of one run, in shard order. Times: shard K started at 03:17:0K and finished K+10 seconds
 * later, so the merged run spans 03:17:01 → 03:17:(count+count+10).
 */
export function shardReports(options: ShardSetOptions = {}): RunResult[] {
  const count = options.count ?? 3;
  const discovered = fleetResources();
  const shards: RunResult[] = [];
  for (let index = 1; index <= count; index++) {
    const mine = discovered.filter((r) => shardOf(r.id, count) === index);
    const checks = mine.flatMap((r) => findingsFor(r, options.failing ?? true));
    if (index === 1) {
      checks.push(
        finding('db-connectivity', 'pass', 'Connected to the database in 12 ms over TLS.', { severity: 'critical', evidence: { tls: true, latencyMs: 12 } }),
        finding('restore-test-freshness', 'warn', 'The newest successful restore test is 20 days old (maximum 35).', { severity: 'medium' }),
      );
    }
    checks.sort(compareFindings);
    const started = new Date(Date.UTC(2026, 11, 1, 3, 17, index));
    const finished = new Date(started.getTime() + (10 + index) * 1000);
    shards.push({
      schemaVersion: 1,
      tool: { name: 'restorecheck', version: '0.2.0' },
      run: {
        id: `00000000-0000-4000-8000-00000000000${index}`,
        command: options.command ?? 'check',
        environment: options.environment ?? 'production',
        startedAt: started.toISOString(),
        finishedAt: finished.toISOString(),
        durationMs: finished.getTime() - started.getTime(),
        failOn: 'low',
      },
      checks,
      summary: summarise(checks),
      outcome: computeOutcome(checks, 'low'),
      provenance: {
        who: { osUser: 'runner', host: `shard-${index}-host`, ci: { provider: 'github-actions', runUrl: 'https://github.com/o/r/actions/runs/9' } },
        target: { subscriptionId: FLEET_SUBSCRIPTION },
      },
      fleet: {
        scope: { subscriptions: [FLEET_SUBSCRIPTION], tag: { restorecheck: 'on' } },
        discovered: structuredClone(discovered),
        shard: { index, count },
        evaluated: mine.map((r) => r.id),
      },
    });
  }
  for (const shard of shards) {
    if (shard.fleet!.evaluated.length === 0) throw new Error(`shard-reports helper: shard ${shard.fleet!.shard!.index} got no resource; add resources`);
  }
  return shards;
}
