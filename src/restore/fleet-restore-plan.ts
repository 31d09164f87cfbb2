/**
 * Which servers of a fleet one `restore-test` run restores (azure.discover, issue 17): each server at least once every
 * restoreTest.everyDays days, never all of them every month. Pure: the stored reports, the servers and the moment in,
 * the plan out; nothing here talks to Azure or reads a file.
 *
 * The rule, on UTC calendar dates (a monthly job that starts at 03:00 one month and 02:50 the next must not push a server
 * a whole month back): a server is due when it has no successful restore test on record, or when today's date is at
 * least the date of its last one plus everyDays. Due servers go first when they never had one (by id), then by the
 * oldest success (ties by id), and the first restoreTest.maxServers of them are picked; the others are deferred, and
 * being older they are first in line next run. So with N servers, runs every 30 days, everyDays 90 and maxServers
 * ⌈N/3⌉, the fleet turns round in three runs: every server is restored every 90 days, and none twice within them.
 */
import type { StoredReport } from '../evidence/report-directory.js';
import { type CheckResult, type FleetRestorePlan, type PlannedRestore, computeOutcome } from '../run/result.js';
import type { FleetResource } from '../vocabulary.js';

const DAY_MS = 86_400_000;

/** A server's newest successful restore test on record. */
export interface RestoreSuccess {
  /** When that run began (ISO 8601 UTC): every server of one fleet run gets the same date, however long the run took. */
  at: string;
  /** The report's file name. */
  report: string;
}

/** Whether one server's findings in one report make a successful Azure restore test of it (see lastSuccessfulRestores). */
function successful(findings: readonly CheckResult[], failOn: StoredReport['report']['run']['failOn']): boolean {
  const provision = findings.find((c) => c.id === 'restore-provision');
  if (!provision || (provision.status !== 'pass' && provision.status !== 'warn')) return false;
  if (provision.evidence.method !== 'azure-point-in-time') return false;
  return computeOutcome([...findings], failOn) === 'pass';
}

/**
 * The newest successful restore test of each server, by lower-case ARM id. "A successful restore test of server X" is,
 * in a stored report:
 *  - a `restore-test` report of this environment that the audit log records with the same hash (as for
 *    restore-test-freshness: a report copied in or edited since proves nothing);
 *  - whose findings about X include `restore-provision` passed (or warned: restored, RPO not measured) for an Azure
 *    point-in-time restore (an archive restore test proves nothing about a Flexible Server's backups);
 *  - and none of whose findings about X fails at or above the report's failOn or is `error`: the same rule as a
 *    report's outcome, applied to X alone, so that one server's failed restore in a fleet report does not count against
 *    the others, and a server whose copy was restored but not compared (error) is tested again.
 * The findings about X: in a fleet report (`fleet` set), those whose `resource` is X (case-insensitive, as Resource
 * Manager compares ids); in a single-server report, all of them, X being provenance.target.postgresServerId.
 * Its date is the report's run.startedAt.
 */
export function lastSuccessfulRestores(stored: readonly StoredReport[], environment: string): Map<string, RestoreSuccess> {
  const last = new Map<string, RestoreSuccess>();
  for (const { name, report, audit } of stored) {
    if (audit !== 'recorded' || report.run.command !== 'restore-test' || report.run.environment !== environment) continue;
    const byServer = new Map<string, CheckResult[]>();
    const single = report.provenance?.target.postgresServerId;
    for (const finding of report.checks) {
      const server = report.fleet ? finding.resource : single;
      if (!server) continue;
      const key = server.toLowerCase();
      byServer.set(key, [...(byServer.get(key) ?? []), finding]);
    }
    for (const [key, findings] of byServer) {
      if (!successful(findings, report.run.failOn)) continue;
      const known = last.get(key);
      if (!known || known.at < report.run.startedAt) last.set(key, { at: report.run.startedAt, report: name });
    }
  }
  return last;
}

export interface PlanInput {
  /** This run's servers (its shard's share of the fleet's Flexible Servers). */
  servers: readonly Pick<FleetResource, 'id' | 'name'>[];
  /** lastSuccessfulRestores of the stored reports. */
  history: ReadonlyMap<string, RestoreSuccess>;
  now: Date;
  everyDays: number;
  /** A server's own period (azure.discover.overrides' restoreTest.everyDays); default `everyDays`. */
  everyDaysOf?: (server: Pick<FleetResource, 'id' | 'name'>) => number;
  /** At most this many picked; undefined: every due server. */
  maxServers: number | undefined;
}

const utcDay = (at: Date | string) => Math.floor(new Date(at).getTime() / DAY_MS);
const dateOf = (day: number) => new Date(day * DAY_MS).toISOString().slice(0, 10);
const byId = (a: PlannedRestore, b: PlannedRestore) => {
  const x = a.id.toLowerCase();
  const y = b.id.toLowerCase();
  return x < y ? -1 : x > y ? 1 : 0;
};

/** The plan of one run: picked, deferred and not-due servers, each with its record (the report's fleet.restorePlan). */
export function planFleetRestores(input: PlanInput): FleetRestorePlan {
  const today = utcDay(input.now);
  const never: PlannedRestore[] = [];
  const due: PlannedRestore[] = [];
  const notDue: PlannedRestore[] = [];
  for (const server of input.servers) {
    const success = input.history.get(server.id.toLowerCase());
    if (!success) {
      never.push({ id: server.id, name: server.name, lastSuccessAt: null, lastReport: null, dueOn: null });
      continue;
    }
    const every = input.everyDaysOf?.(server) ?? input.everyDays;
    const dueDay = utcDay(success.at) + every;
    const planned: PlannedRestore = {
      id: server.id,
      name: server.name,
      lastSuccessAt: success.at,
      lastReport: success.report,
      dueOn: dateOf(dueDay),
      ...(every !== input.everyDays ? { everyDays: every } : {}),
    };
    (today >= dueDay ? due : notDue).push(planned);
  }
  never.sort(byId);
  due.sort((a, b) => (a.lastSuccessAt! < b.lastSuccessAt! ? -1 : a.lastSuccessAt! > b.lastSuccessAt! ? 1 : byId(a, b)));
  notDue.sort((a, b) => (a.dueOn! < b.dueOn! ? -1 : a.dueOn! > b.dueOn! ? 1 : byId(a, b)));
  const ordered = [...never, ...due];
  const cap = input.maxServers ?? ordered.length;
  return {
    everyDays: input.everyDays,
    maxServers: input.maxServers ?? null,
    plannedAt: input.now.toISOString(),
    picked: ordered.slice(0, cap),
    deferred: ordered.slice(cap),
    notDue,
  };
}
