/**
 * What the archive-* checks share: the verification of the run's archive, the environment it
 * belongs to, and that environment's policy. Thresholds come from the configuration (and the
 * `verify` flags the CLI folds into it), never from the checks.
 */
import type { Config } from '../config/schema.js';
import { EvaluationError } from '../errors.js';
import { type ArchivePolicy, policyFor } from './archive-policy.js';
import type { ArchiveVerification } from './verify-archive.js';

export interface ArchiveSubject {
  verification: ArchiveVerification;
  /** From the file name; the configuration's environment when the name does not follow the convention. */
  environment: string;
  policy: ArchivePolicy;
}

export async function archiveSubject(archive: (() => Promise<ArchiveVerification>) | undefined, config: Config): Promise<ArchiveSubject> {
  if (!archive) throw new EvaluationError('config', 'no archive to verify', 'run `restorecheck verify ARCHIVE.tar.gz`, or give --dir / archives.dir');
  const verification = await archive();
  const environment = verification.name?.environment ?? config.environment;
  // The schema (zod) that fills in the defaults is loaded only by a run without an archives section (the commands give one),
  // so that the check registry, and with it `list-checks`, starts without zod.
  const archives = config.archives ?? (await import('../config/schema.js')).archivesConfigOrDefault(undefined);
  return { verification, environment, policy: policyFor(archives, environment) };
}

/** " (…the list may be incomplete)" when the archive could not be read to its end. */
export function incompleteNote(verification: ArchiveVerification): string {
  return verification.container.problem ? ' (the archive could not be read to its end, so this is what was seen before the damage)' : '';
}

export function listed(items: string[], max = 6): string {
  const shown = items.slice(0, max).join(', ');
  return items.length > max ? `${shown} and ${items.length - max} more` : shown;
}

/** How many names an evidence list holds at most; the count beside it says how many there were. */
export const EVIDENCE_LIST_MAX = 50;

/** `{ [key]: first EVIDENCE_LIST_MAX items, [key + 'Count']: how many }`: evidence stays small whatever the archive holds. */
export function boundedList<K extends string>(key: K, items: string[]): Record<K, string[]> & Record<`${K}Count`, number> {
  return { [key]: items.slice(0, EVIDENCE_LIST_MAX), [`${key}Count`]: items.length } as Record<K, string[]> & Record<`${K}Count`, number>;
}
