/**
 * When a component restored while the archive was verified (member-tap.ts) proves nothing: the restore ran in its
 * sandbox, but verification then found that what it loaded cannot be vouched for. One rule for every component:
 *
 *  - an archive-wide check of the gate failed (the file's checksum, its gzip/tar integrity, its signature, its
 *    metadata.json): nothing read from this file is known to be the backup that was written, so every member's restore
 *    is discarded;
 *  - the component's own member failed verification (its dump is truncated, corrupt or lacks its end marker; the
 *    archive broke inside it; it is there more than once, so that `tar -x` would give another copy than the one loaded).
 *
 * A problem in another member (a truncated MariaDB dump) discards that member's restore only.
 */
import type { ArchiveVerification } from '../archive/verify-archive.js';
import type { Status } from '../vocabulary.js';

/** The gate's checks whose failure concerns the whole file, not one member. */
export const ARCHIVE_WIDE_CHECKS: readonly string[] = ['archive-checksum', 'archive-integrity', 'archive-signature', 'archive-metadata'];

/** Why a restore is discarded: `fail` when the archive is proven bad, `error` when verification could not tell. */
export interface Discard {
  reason: string;
  status: 'fail' | 'error';
}

/**
 * undefined when the restore of `member` (a path relative to the archive's top folder, e.g. `postgres_full.sql.gz`)
 * stands; else why it is discarded. `gate` is the gate's check results (id, status, message).
 */
export function discardReason(
  gate: readonly { id: string; status: Status; message: string }[],
  verification: ArchiveVerification,
  member: string,
): Discard | undefined {
  const wide = gate.filter((c) => ARCHIVE_WIDE_CHECKS.includes(c.id) && (c.status === 'fail' || c.status === 'error'));
  const own: string[] = [];
  const dump = verification.dumps.find((d) => d.path === member);
  if (dump?.problem) own.push(`${member}: ${dump.problem}`);
  const entries = verification.entries.filter((e) => e.path === member);
  if (!dump?.problem && entries.some((e) => e.incomplete)) own.push(`${member}: the archive is damaged inside it`);
  if (entries.length > 1) own.push(`${member} is in the archive ${entries.length} times (tar -x would give the last copy, the restore read the first)`);
  if (wide.length === 0 && own.length === 0) return undefined;
  const reasons = [...wide.map((c) => `${c.id} ${c.status === 'fail' ? 'failed' : 'could not be evaluated'} (${c.message})`), ...own];
  return { reason: reasons.join('; '), status: own.length > 0 || wide.some((c) => c.status === 'fail') ? 'fail' : 'error' };
}
