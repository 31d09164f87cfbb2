/**
 * `report merge` (issue 17, fleet mode): the N shard reports of one sharded run (`check --shard K/N` in N CI jobs) joined
 * into the one report of the whole fleet, as a pure function (no I/O; cli/commands/report.ts reads and writes the files).
 *
 * Joining is only sound when the shards are the N parts of one run: the same command, environment and failOn, the same
 * shard count with every index once, the same fleet discovered, and each finding in exactly one shard (a resource
 * belongs to one shard, and only shard 1 runs the run-wide checks). Anything else is refused (UsageError, exit 2) rather
 * than merged into a report that would claim a fleet it does not cover. Every finding is kept as the shard wrote it;
 * what is recomputed (summary, outcome, the run's times) is recomputed from them.
 */
import { UsageError } from '../errors.js';
import type { FleetResource } from '../vocabulary.js';
import { type CheckResult, type FleetInfo, type RunResult, type RunWho, compareFindings, computeOutcome, summarise } from './result.js';

/** One shard report as read from its directory. */
export interface ShardReportInput {
  report: RunResult;
  /** The report's file name in its directory (recorded in mergedFrom: the link to that shard's chain). */
  file: string;
  /** SHA-256 (hex) of the report file's exact bytes. */
  sha256: string;
  /** How the refusals name this report (e.g. its path); default: `file`. */
  label?: string;
}

export interface MergeOptions {
  /** The merged run's id (a new one: the merge is a run of its own). */
  runId: string;
  /** Who ran the merge (the merging process's environment); the target is the shards'. */
  who: RunWho;
  /** The version of restorecheck that merged. */
  toolVersion: string;
}

/** At most this many ids are named in a refusal; the rest are counted. */
const NAMED_IDS = 3;

const MERGE_HINT = 'merge the reports of the N jobs of one CI run of `restorecheck check --shard K/N`, each once';

const labelOf = (input: ShardReportInput) => input.label ?? input.file;

/** `a, b, c (and 4 more)`. */
function someOf(items: readonly string[]): string {
  const named = items.slice(0, NAMED_IDS).join(', ');
  return items.length > NAMED_IDS ? `${named} (and ${items.length - NAMED_IDS} more)` : named;
}

/** Resource Manager compares ids without regard to case. */
const idKey = (id: string) => id.toLowerCase();

type Sharded = ShardReportInput & { fleet: FleetInfo & { shard: { index: number; count: number } } };

/** Every input is a shard report (has fleet.shard), or the first that is not is named. */
function requireShards(inputs: readonly ShardReportInput[]): Sharded[] {
  if (inputs.length === 0) throw new UsageError('no shard report to merge', `${MERGE_HINT}: restorecheck report merge DIR...`);
  return inputs.map((input) => {
    const fleet = input.report.fleet;
    if (!fleet) {
      throw new UsageError(
        `${labelOf(input)} is not a fleet report (it has no fleet section: its run had no azure.discover)`,
        `${MERGE_HINT}; the configuration needs azure.discover`,
      );
    }
    if (!fleet.shard) {
      const what = fleet.mergedFrom ? 'it is itself a merged report' : 'it was written by a run without --shard';
      throw new UsageError(`${labelOf(input)} is not a shard report (it has no fleet.shard: ${what})`, MERGE_HINT);
    }
    return { ...input, fleet: { ...fleet, shard: fleet.shard } };
  });
}

/** One count, and every index 1..count exactly once. Returns the shards in index order. */
function requireCompleteSet(shards: readonly Sharded[]): Sharded[] {
  const [first] = shards as [Sharded, ...Sharded[]];
  const count = first.fleet.shard.count;
  const other = shards.find((s) => s.fleet.shard.count !== count);
  if (other) {
    throw new UsageError(
      `the shard reports disagree on the number of shards: ${labelOf(first)} is shard ${first.fleet.shard.index}/${count}, ` +
        `${labelOf(other)} is shard ${other.fleet.shard.index}/${other.fleet.shard.count}`,
      `${MERGE_HINT} (every job of one run has the same N)`,
    );
  }
  const byIndex = new Map<number, Sharded>();
  for (const shard of shards) {
    const { index } = shard.fleet.shard;
    const seen = byIndex.get(index);
    if (seen) {
      throw new UsageError(
        `shard ${index}/${count} is given twice: ${labelOf(seen)} and ${labelOf(shard)}`,
        `${MERGE_HINT}: pass each shard's report directory once, all from the same CI run`,
      );
    }
    byIndex.set(index, shard);
  }
  const missing = Array.from({ length: count }, (_, i) => i + 1).filter((index) => !byIndex.has(index));
  if (missing.length > 0) {
    const given = [...byIndex.keys()].sort((a, b) => a - b);
    throw new UsageError(
      `shard${missing.length === 1 ? '' : 's'} ${missing.join(', ')} of ${count} ${missing.length === 1 ? 'is' : 'are'} missing: the reports given are shard${given.length === 1 ? '' : 's'} ${given.join(', ')}`,
      `pass the report directory of every shard job; a job that wrote no report failed before its check (its CI log says why): run it again, then merge`,
    );
  }
  return [...byIndex.entries()].sort(([a], [b]) => a - b).map(([, shard]) => shard);
}

/** A scope as text, the same whatever the order of its subscriptions and tags: `subscriptions all, tag restorecheck=on`. */
function scopeText(scope: FleetInfo['scope']): string {
  const subscriptions =
    scope.subscriptions === 'all'
      ? 'all'
      : [...scope.subscriptions]
          .map((s) => s.toLowerCase())
          .sort()
          .join(' ');
  const tag = Object.entries(scope.tag)
    .map(([key, value]) => `${key}=${value}`)
    .sort()
    .join(' ');
  return `subscriptions ${subscriptions}, tag ${tag || '(none)'}`;
}

/** The same command, environment, failOn and fleet scope in every shard. */
function requireSameRun(shards: readonly Sharded[]): void {
  const [first] = shards as [Sharded, ...Sharded[]];
  const fields: Array<[string, (s: Sharded) => string]> = [
    ['command', (s) => s.report.run.command],
    ['environment', (s) => s.report.run.environment],
    ['failOn', (s) => s.report.run.failOn],
    ['azure.discover scope', (s) => scopeText(s.fleet.scope)],
  ];
  for (const [what, value] of fields) {
    const other = shards.find((s) => value(s) !== value(first));
    if (other) {
      throw new UsageError(
        `the shard reports differ in their ${what}: ${labelOf(first)} has ${value(first)}, ${labelOf(other)} has ${value(other)}`,
        `${MERGE_HINT} (one run: the same command, environment, --fail-on and configuration in every job)`,
      );
    }
  }
}

/** Every shard saw the same fleet (the same discovered ids). */
function requireSameFleet(shards: readonly Sharded[]): void {
  const [first] = shards as [Sharded, ...Sharded[]];
  const ids = (s: Sharded) => new Set(s.fleet.discovered.map((r) => idKey(r.id)));
  const reference = ids(first);
  const spelled = new Map<string, string>();
  for (const shard of shards) for (const resource of shard.fleet.discovered) spelled.set(idKey(resource.id), resource.id);
  for (const shard of shards.slice(1)) {
    const theirs = ids(shard);
    const onlyFirst = [...reference].filter((id) => !theirs.has(id)).map((id) => spelled.get(id)!);
    const onlyTheirs = [...theirs].filter((id) => !reference.has(id)).map((id) => spelled.get(id)!);
    if (onlyFirst.length === 0 && onlyTheirs.length === 0) continue;
    const parts = [
      ...(onlyFirst.length > 0 ? [`only ${labelOf(first)} has ${someOf(onlyFirst)}`] : []),
      ...(onlyTheirs.length > 0 ? [`only ${labelOf(shard)} has ${someOf(onlyTheirs)}`] : []),
    ];
    throw new UsageError(
      `the shards did not see the same fleet: ${labelOf(first)} discovered ${reference.size} resource${reference.size === 1 ? '' : 's'}, ` +
        `${labelOf(shard)} ${theirs.size}; ${parts.join('; ')}`,
      'the fleet changed between the shard jobs (a resource tagged, created or removed meanwhile), or the reports come from different runs: run every shard job again, together, then merge',
    );
  }
}

const DISCOVERY_FAILED = 'fleet/discoveryFailed';

/**
 * The findings each shard brings. A failed discovery is said by every shard (an error per resource check, no resource:
 * a shard must never pass when it could not see the fleet); the merge keeps shard 1's and drops the same finding of
 * the others. A shard whose discovery alone failed keeps its error, so the merged report cannot pass either.
 */
function findingsOf(shards: readonly Sharded[]): Map<Sharded, CheckResult[]> {
  const first = shards[0];
  const firstFailed = new Set(first?.report.checks.filter((c) => c.resource === undefined && c.messageKey === DISCOVERY_FAILED).map((c) => c.id) ?? []);
  return new Map(
    shards.map((shard) => [
      shard,
      shard === first
        ? shard.report.checks
        : shard.report.checks.filter((c) => !(c.resource === undefined && c.messageKey === DISCOVERY_FAILED && firstFailed.has(c.id))),
    ]),
  );
}

/** Each (check id, resource) pair in one shard only. */
function requireDisjointFindings(shards: readonly Sharded[], kept: Map<Sharded, CheckResult[]>): void {
  const owner = new Map<string, Sharded>();
  for (const shard of shards) {
    for (const finding of kept.get(shard) ?? []) {
      const key = `${finding.id}\u0000${finding.resource === undefined ? '' : idKey(finding.resource)}`;
      const seen = owner.get(key);
      if (seen) {
        const what = finding.resource === undefined ? `the run-wide finding ${finding.id} (no resource)` : `the finding ${finding.id} of ${finding.resource}`;
        // A fleet whose discovery failed in every shard says so in each (an error per check, no resource): named apart.
        const discoveryFailed = finding.resource === undefined && finding.status === 'error' && seen !== shard;
        throw new UsageError(
          seen === shard ? `${what} is twice in ${labelOf(shard)}` : `${what} is in two shard reports, ${labelOf(seen)} and ${labelOf(shard)}`,
          discoveryFailed
            ? `it is an error in both (${finding.message}): if the fleet's discovery failed in every shard, fix what the shard reports name and run the shards again; otherwise these reports are not the shards of one run`
            : 'each resource belongs to one shard and only shard 1 runs the run-wide checks: these reports are not the shards of one run (or one was edited)',
        );
      }
      owner.set(key, shard);
    }
  }
}

/** The union of the shards' evaluated ids, each once (compared as Resource Manager does), sorted like the findings. */
function unionOfEvaluated(shards: readonly Sharded[]): string[] {
  const byKey = new Map<string, string>();
  for (const shard of shards) for (const id of shard.fleet.evaluated) if (!byKey.has(idKey(id))) byKey.set(idKey(id), id);
  return [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, id]) => id);
}

const earliest = (times: readonly string[]) => times.reduce((a, b) => (Date.parse(b) < Date.parse(a) ? b : a));
const latest = (times: readonly string[]) => times.reduce((a, b) => (Date.parse(b) > Date.parse(a) ? b : a));

/**
 * The merged report of a sharded run. Refuses (UsageError, with a hint) a set of reports that is not the N shards of
 * one run; see the module comment. The result has no chain fields (previousReportSha256, renderedFiles, signedBy,
 * signature): the writer adds them for the directory it goes to.
 */
export function mergeShards(inputs: readonly ShardReportInput[], options: MergeOptions): RunResult {
  const shards = requireCompleteSet(requireShards(inputs));
  requireSameRun(shards);
  requireSameFleet(shards);
  const kept = findingsOf(shards);
  requireDisjointFindings(shards, kept);

  const first = shards[0]!;
  const run = first.report.run;
  const startedAt = earliest(shards.map((s) => s.report.run.startedAt));
  const finishedAt = latest(shards.map((s) => s.report.run.finishedAt));
  const checks: CheckResult[] = shards.flatMap((s) => (kept.get(s) ?? []).map((finding) => structuredClone(finding))).sort(compareFindings);
  const discovered: FleetResource[] = first.fleet.discovered.map((resource) => structuredClone(resource));
  const fleet: FleetInfo = {
    scope: structuredClone(first.fleet.scope),
    discovered,
    evaluated: unionOfEvaluated(shards),
    mergedFrom: shards.map((s) => ({ shard: { ...s.fleet.shard }, runId: s.report.run.id, file: s.file, sha256: s.sha256 })),
  };
  const target = first.report.provenance?.target;
  return {
    schemaVersion: 1,
    tool: { name: 'restorecheck', version: options.toolVersion },
    run: {
      id: options.runId,
      command: run.command,
      environment: run.environment,
      startedAt,
      finishedAt,
      durationMs: Math.max(0, Date.parse(finishedAt) - Date.parse(startedAt)),
      failOn: run.failOn,
    },
    checks,
    summary: summarise(checks),
    outcome: computeOutcome(checks, run.failOn),
    provenance: { who: options.who, target: target ? structuredClone(target) : {} },
    fleet,
  };
}
