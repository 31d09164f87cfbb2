/**
 * The series behind the HTML trend charts, taken from the evidence keys contract.md makes stable:
 * core row counts (`db-core-row-counts` → `counts`), newest-backup age (`pgflex-recent-backup` →
 * `ageHours`) and restore time (`restore-provision` → `restoreSeconds`). Pure: the CLI hands in the
 * earlier reports of the directory; nothing here reads files.
 * Fleet mode (issue 17), where a check has one finding per resource: a report's point is its worst resource (the
 * oldest newest-backup, the longest restore), so that one chart still answers "did the fleet stay within its limits";
 * the row counts come from the run-wide database check (the first finding that has them).
 */
import type { JsonValue } from '../vocabulary.js';
import type { RunResult } from '../run/result.js';

export interface TrendPoint {
  /** run.startedAt of the report the value comes from. */
  at: string;
  value: number;
  /** True for the report being rendered. */
  current: boolean;
}

export interface TrendSeries {
  label: string;
  points: TrendPoint[];
}

export interface Trend {
  id: 'core-row-counts' | 'backup-age' | 'restore-time';
  title: string;
  unit: string;
  series: TrendSeries[];
  /** Some plotted report had several findings of the check (fleet mode): each point is the worst of them. */
  worstOfFleet?: true;
}

/** Enough for about a year of monthly runs or two months of daily ones, and a chart that stays readable. */
export const MAX_TREND_RUNS = 60;

/** A number, or a numeric string (row counts past 2^53 are strings in the report). */
function numeric(value: JsonValue | undefined): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value)) return Number(value);
  return undefined;
}

/** The evidence of every finding of the trend checks, in one pass over a report's findings (an id repeats in fleet mode). */
function evidenceById(run: RunResult): Map<string, Record<string, JsonValue>[]> {
  const byId = new Map<string, Record<string, JsonValue>[]>();
  for (const c of run.checks) {
    if (c.id !== 'db-core-row-counts' && c.id !== 'pgflex-recent-backup' && c.id !== 'restore-provision') continue;
    const list = byId.get(c.id);
    if (list) list.push(c.evidence);
    else byId.set(c.id, [c.evidence]);
  }
  return byId;
}

/** The largest numeric value of `key` among the evidences (the worst resource), and how many had one. */
function worst(evidences: Record<string, JsonValue>[] | undefined, key: string): { value: number | undefined; count: number } {
  let value: number | undefined;
  let count = 0;
  for (const evidence of evidences ?? []) {
    const n = numeric(evidence[key]);
    if (n === undefined) continue;
    count++;
    if (value === undefined || n > value) value = n;
  }
  return { value, count };
}

/** The runs to plot: same environment as the current report, oldest first, each run once, the newest MAX_TREND_RUNS. */
export function trendRuns(current: RunResult, history: readonly RunResult[]): RunResult[] {
  const byId = new Map<string, RunResult>();
  for (const run of history) if (run.run.environment === current.run.environment && run.run.startedAt <= current.run.startedAt) byId.set(run.run.id, run);
  byId.set(current.run.id, current);
  return [...byId.values()]
    .sort((a, b) => (a.run.startedAt < b.run.startedAt ? -1 : a.run.startedAt > b.run.startedAt ? 1 : a.run.id < b.run.id ? -1 : 1))
    .slice(-MAX_TREND_RUNS);
}

export function trendsOf(current: RunResult, history: readonly RunResult[]): Trend[] {
  const runs = trendRuns(current, history);
  const point = (run: RunResult, value: number): TrendPoint => ({ at: run.run.startedAt, value, current: run.run.id === current.run.id });

  const tables = new Map<string, TrendPoint[]>();
  const backupAge: TrendPoint[] = [];
  const restoreTime: TrendPoint[] = [];
  let fleetAge = false;
  let fleetRestore = false;
  for (const run of runs) {
    const evidence = evidenceById(run);
    const counts = evidence.get('db-core-row-counts')?.find((e) => e.counts !== undefined)?.counts;
    if (counts && typeof counts === 'object' && !Array.isArray(counts)) {
      for (const [table, raw] of Object.entries(counts)) {
        const value = numeric(raw);
        if (value !== undefined) tables.set(table, [...(tables.get(table) ?? []), point(run, value)]);
      }
    }
    const age = worst(evidence.get('pgflex-recent-backup'), 'ageHours');
    if (age.value !== undefined) backupAge.push(point(run, age.value));
    fleetAge ||= age.count > 1;
    const seconds = worst(evidence.get('restore-provision'), 'restoreSeconds');
    if (seconds.value !== undefined) restoreTime.push(point(run, seconds.value));
    fleetRestore ||= seconds.count > 1;
  }
  const rowSeries = [...tables.keys()].sort().map((label) => ({ label, points: tables.get(label)! }));
  return [
    { id: 'core-row-counts', title: 'Core table row counts', unit: 'rows', series: rowSeries },
    {
      id: 'backup-age',
      title: 'Age of the newest backup',
      unit: 'hours',
      series: backupAge.length ? [{ label: 'newest backup age', points: backupAge }] : [],
      ...(fleetAge ? { worstOfFleet: true as const } : {}),
    },
    {
      id: 'restore-time',
      title: 'Restore time',
      unit: 'seconds',
      series: restoreTime.length ? [{ label: 'restore time', points: restoreTime }] : [],
      ...(fleetRestore ? { worstOfFleet: true as const } : {}),
    },
  ];
}
