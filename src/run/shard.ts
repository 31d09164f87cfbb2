/**
 * `--shard K/N` (issue 17): a stable 1/N of a fleet's resources, so that N CI jobs split it without talking to each
 * other. A resource's shard depends only on its id (lower case, as Resource Manager compares ids) and N: the same
 * resource lands in the same shard every month, and a resource added to the fleet moves no other.
 */
import { createHash } from 'node:crypto';
import { UsageError } from '../errors.js';

export interface Shard {
  /** 1-based. */
  index: number;
  count: number;
}

/** Parses `K/N` (1 ≤ K ≤ N ≤ 1000); anything else is a UsageError naming the expected form. */
export function parseShard(raw: string): Shard {
  const match = /^\s*(\d{1,4})\s*\/\s*(\d{1,4})\s*$/.exec(raw);
  const index = match ? Number(match[1]) : Number.NaN;
  const count = match ? Number(match[2]) : Number.NaN;
  if (!match || count < 1 || count > 1000 || index < 1 || index > count) {
    throw new UsageError(
      `--shard ${JSON.stringify(raw)}: expected K/N with 1 ≤ K ≤ N ≤ 1000`,
      'give this job’s place in the CI matrix, e.g. --shard 2/3 for the second of three jobs',
    );
  }
  return { index, count };
}

/** The shard (1-based) of a resource id among `count`: the first 32 bits of the SHA-256 of the lower-case id, modulo count. */
export function shardOf(resourceId: string, count: number): number {
  const digest = createHash('sha256').update(resourceId.toLowerCase()).digest();
  return (digest.readUInt32BE(0) % count) + 1;
}

/** Whether the resource is this shard's (always, without a shard). */
export function inShard(resourceId: string, shard: Shard | undefined): boolean {
  return shard === undefined || shardOf(resourceId, shard.count) === shard.index;
}
