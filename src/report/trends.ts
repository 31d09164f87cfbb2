/**
 * The series behind the HTML trend charts, taken from the evidence keys contract.md makes stable:
 * core row counts (`db-core-row-counts` → `counts`), newest-backup age (`pgflex-recent-backup` →
 * `ageHours`) and restore time (`restore-provision` → `restoreSeconds`). Pure: the CLI hands in the
 * earlier reports of the directory; nothing here reads files.
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
}

/** Enough for about a year of monthly runs or two months of daily ones, and a chart that stays readable. */
export const MAX_TREND_RUNS = 60;

/** A number, or a numeric string (row counts past 2^53 are strings in the report). */
function numeric(value: JsonValue | undefined): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value)) return Number(value);
  return undefined;
}

function evidenceOf(run: RunResult, checkId: string): Record<string, JsonValue> | undefined {
  return run.checks.find((c) => c.id === checkId)?.evidence;
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
  for (const run of runs) {
    const counts = evidenceOf(run, 'db-core-row-counts')?.counts;
    if (counts && typeof counts === 'object' && !Array.isArray(counts)) {
      for (const [table, raw] of Object.entries(counts)) {
        const value = numeric(raw);
        if (value !== undefined) tables.set(table, [...(tables.get(table) ?? []), point(run, value)]);
      }
    }
    const age = numeric(evidenceOf(run, 'pgflex-recent-backup')?.ageHours);
    if (age !== undefined) backupAge.push(point(run, age));
    const seconds = numeric(evidenceOf(run, 'restore-provision')?.restoreSeconds);
    if (seconds !== undefined) restoreTime.push(point(run, seconds));
  }
  const rowSeries = [...tables.keys()].sort().map((label) => ({ label, points: tables.get(label)! }));
  return [
    { id: 'core-row-counts', title: 'Core table row counts', unit: 'rows', series: rowSeries },
    { id: 'backup-age', title: 'Age of the newest backup', unit: 'hours', series: backupAge.length ? [{ label: 'newest backup age', points: backupAge }] : [] },
    { id: 'restore-time', title: 'Restore time', unit: 'seconds', series: restoreTime.length ? [{ label: 'restore time', points: restoreTime }] : [] },
  ];
}
