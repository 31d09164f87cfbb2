/**
 * When an archive was made, from its two outside timestamps: the file name (UTC by the contract) and
 * metadata.json's `timestamp` (ISO 8601 UTC, enforced). Scripts often stamp the name with `date +%Y%m%d_%H%M%S`,
 * which is the host's local time: a Paris host names a 03:00 UTC backup `…_040000` (winter) or `…_050000` (summer).
 * When the gap between the two is a real UTC offset (within a few minutes), the name is taken for local time, said
 * so, and the age comes from metadata.json's UTC timestamp. The clock rule (src/clock-rule.ts) then applies to
 * what is left.
 */
import { DEFAULT_CLOCK_SKEW_MS, judgeTimestamp } from '../clock-rule.js';
import type { ArchiveVerification } from './verify-archive.js';

/** UTC offsets in use, in minutes: every whole hour from −12 to +14, and the half- and quarter-hour zones. */
const ZONE_OFFSETS_MINUTES: readonly number[] = [
  ...Array.from({ length: 27 }, (_, i) => (i - 12) * 60),
  -570,
  -210,
  210,
  270,
  330,
  345,
  390,
  525,
  570,
  630,
  765,
  825,
].filter((offset) => offset !== 0);

/**
 * How far the gap may be from an offset: name and metadata are stamped by the same script moments apart. Kept
 * small so that a real disagreement (a renamed archive, a day off) is not explained away as a zone.
 */
const LOCAL_TIME_RESIDUAL_MINUTES = 10;

export interface ArchiveTime {
  /** The UTC moment the archive is dated, and where it comes from. */
  timestamp: Date;
  source: 'file name' | 'metadata.json';
  /** Set when the file name looks like local time: its offset from metadata.json's UTC timestamp, in minutes. */
  nameOffsetMinutes?: number;
}

/** `UTC+1`, `UTC-3:30`, `UTC+5:45`. */
export function formatOffset(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  const m = abs % 60;
  return `UTC${sign}${Math.floor(abs / 60)}${m ? `:${String(m).padStart(2, '0')}` : ''}`;
}

/** "the name looks like local time (UTC+1)…" for a finding's message. */
export function localTimeNote(offsetMinutes: number): string {
  return `the file name looks like local time (${formatOffset(offsetMinutes)}), not UTC as the archive format asks; metadata.json's UTC timestamp is used`;
}

/**
 * The offset (minutes) that explains the gap between a name and metadata.json, or undefined when they agree
 * within a few minutes or no zone explains the gap (`toleranceMinutes` caps how few).
 */
export function localTimeOffset(name: Date, metadata: Date, toleranceMinutes: number): number | undefined {
  const gapMinutes = (name.getTime() - metadata.getTime()) / 60_000;
  const residual = Math.min(LOCAL_TIME_RESIDUAL_MINUTES, toleranceMinutes);
  // Not `<= toleranceMinutes`: a Paris winter name is exactly 60 minutes off, which the default tolerance (60) would
  // accept as agreement, and the name would then date the archive an hour in the future.
  if (Math.abs(gapMinutes) <= residual) return undefined;
  let best: number | undefined;
  for (const offset of ZONE_OFFSETS_MINUTES) {
    if (Math.abs(gapMinutes - offset) <= residual && (best === undefined || Math.abs(gapMinutes - offset) < Math.abs(gapMinutes - best))) best = offset;
  }
  return best;
}

/**
 * The archive's date: the name's, unless it looks like local time or is absent; then metadata.json's. A local-time
 * explanation that would put the archive in the future is no explanation: the name and metadata then disagree.
 */
export function archiveTime(v: ArchiveVerification, toleranceMinutes: number, now: Date, skewMs: number = DEFAULT_CLOCK_SKEW_MS): ArchiveTime | undefined {
  const fromName = v.name?.timestamp;
  const fromMetadata = v.metadata.value ? new Date(v.metadata.value.timestamp) : undefined;
  if (fromName && fromMetadata && judgeTimestamp(fromMetadata, now, skewMs).kind !== 'future') {
    const offset = localTimeOffset(fromName, fromMetadata, toleranceMinutes);
    if (offset !== undefined) return { timestamp: fromMetadata, source: 'metadata.json', nameOffsetMinutes: offset };
  }
  if (fromName) return { timestamp: fromName, source: 'file name' };
  if (fromMetadata) return { timestamp: fromMetadata, source: 'metadata.json' };
  return undefined;
}
