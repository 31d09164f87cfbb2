/**
 * The one clock rule (issue: nothing false). Any timestamp that comes from outside the process — a backup's
 * time from Azure, a report's finishedAt, an archive's name or metadata — and lies in the future beyond a small
 * skew is a clock or data anomaly: the check fails. It never counts as fresh. Imports nothing of ours, so every
 * layer can use it.
 */

/** How far in the future an outside timestamp may lie before it is an anomaly: clocks drift a little. */
export const DEFAULT_CLOCK_SKEW_MS = 5 * 60_000;

export type TimestampJudgement =
  | { kind: 'past'; ageMs: number }
  /** Within the skew: treated as "now" (age 0), never as a negative age. */
  | { kind: 'within-skew'; ageMs: 0; aheadMs: number }
  | { kind: 'future'; aheadMs: number };

/** Judges an outside timestamp against the local clock. */
export function judgeTimestamp(at: Date, now: Date, skewMs: number = DEFAULT_CLOCK_SKEW_MS): TimestampJudgement {
  const ageMs = now.getTime() - at.getTime();
  if (ageMs >= 0) return { kind: 'past', ageMs };
  const aheadMs = -ageMs;
  if (aheadMs <= skewMs) return { kind: 'within-skew', ageMs: 0, aheadMs };
  return { kind: 'future', aheadMs };
}

/** The sentence for a `fail` finding about a future timestamp: names the thing, how far ahead, and the two causes. */
export function futureTimestampMessage(what: string, at: Date, aheadMs: number): string {
  const hours = Math.round((aheadMs / 3_600_000) * 10) / 10;
  return (
    `${what} is dated ${at.toISOString()}, ${hours} hours after this machine's clock: a clock or data anomaly (check this machine's clock ` +
    `and the source's; a timestamp from the future never counts as fresh).`
  );
}

/** The skew configured as `limits.clockSkewSeconds`, in ms; the default when a config (a test's, say) has none. */
export function clockSkewMs(limits?: { clockSkewSeconds?: number }): number {
  return limits?.clockSkewSeconds === undefined ? DEFAULT_CLOCK_SKEW_MS : limits.clockSkewSeconds * 1000;
}
