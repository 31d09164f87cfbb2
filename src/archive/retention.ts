/**
 * The retention policy over a backup directory (contract.md: dev and staging 7 days, production 30
 * days, the newest 3 production archives always kept; all configurable per environment).
 * `planRetention` is pure; `applyRetention` deletes exactly the expired archives, each with its
 * sidecar, and records each deletion for the audit log.
 */
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { ArchivesConfig } from '../config/schema.js';
import { describeError } from '../errors.js';
import { SIDECAR_SUFFIX } from './archive-name.js';
import type { ArchiveFile, DirectoryListing } from './archive-directory.js';
import { type ArchivePolicy, policyFor } from './archive-policy.js';

export interface RetentionDecision {
  archive: ArchiveFile;
  action: 'keep' | 'expire';
  ageDays: number;
  /** Why kept or expired, for people. */
  reason: string;
}

export interface RetentionPlan {
  now: Date;
  policies: Record<string, ArchivePolicy>;
  /** Newest first within each environment; environments sorted. */
  decisions: RetentionDecision[];
}

const DAY_MS = 86_400_000;

/** A safety backup (`restorecheck restore`'s, `<name>-safety_…`): kept this long whatever the policy, and never one of the "newest N". */
export const SAFETY_NAME_SUFFIX = '-safety';
export const DEFAULT_SAFETY_KEEP_DAYS = 30;

export function planRetention(listing: DirectoryListing, archives: ArchivesConfig, now: Date, options: { safetyKeepDays?: number } = {}): RetentionPlan {
  const safetyKeepDays = options.safetyKeepDays ?? DEFAULT_SAFETY_KEEP_DAYS;
  const policies: Record<string, ArchivePolicy> = {};
  const decisions: RetentionDecision[] = [];
  const environments = [...new Set(listing.archives.map((a) => a.name.environment))].sort();
  for (const environment of environments) {
    const policy = policyFor(archives, environment);
    policies[environment] = policy;
    // listing.archives is newest first already.
    const mine = listing.archives.filter((a) => a.name.environment === environment);
    // The newest-N protection counts regular backups only: a few restores must not push a real backup out of it.
    let rank = 0;
    for (const archive of mine) {
      const ageDays = Math.round(((now.getTime() - archive.name.timestamp.getTime()) / DAY_MS) * 100) / 100;
      if (archive.name.name.endsWith(SAFETY_NAME_SUFFIX)) {
        const kept = ageDays <= Math.max(safetyKeepDays, policy.retentionDays);
        decisions.push({
          archive,
          action: kept ? 'keep' : 'expire',
          ageDays,
          reason: kept
            ? `a safety backup taken before a restore, kept ${Math.max(safetyKeepDays, policy.retentionDays)} days`
            : `a safety backup older than ${Math.max(safetyKeepDays, policy.retentionDays)} days`,
        });
        continue;
      }
      const within = ageDays <= policy.retentionDays;
      const protectedNewest = rank < policy.keepNewest;
      const action = within || protectedNewest ? 'keep' : 'expire';
      const reason = within
        ? `within ${policy.retentionDays} days`
        : protectedNewest
          ? `older than ${policy.retentionDays} days, but one of the newest ${policy.keepNewest}`
          : `older than ${policy.retentionDays} days`;
      decisions.push({ archive, action, ageDays, reason });
      rank++;
    }
  }
  return { now, policies, decisions };
}

export interface RetentionDeletion {
  archive: string;
  sidecar?: string;
  signature?: string;
  environment: string;
  timestamp: string;
  ageDays: number;
  reason: string;
}

export interface RetentionApplied {
  deleted: RetentionDeletion[];
  failed: { archive: string; error: string }[];
}

/**
 * Deletes the expired archives of the plan (archive first, then its sidecar); never a kept one.
 * `record` is called after each deletion (the CLI appends it to the audit log); if recording fails,
 * no further archive is deleted: nothing is removed without a trace.
 */
export async function applyRetention(
  plan: RetentionPlan,
  record: (deletion: RetentionDeletion) => Promise<void> = async () => undefined,
): Promise<RetentionApplied> {
  const applied: RetentionApplied = { deleted: [], failed: [] };
  for (const decision of plan.decisions) {
    if (decision.action !== 'expire') continue;
    const { archive } = decision;
    try {
      await rm(archive.path);
    } catch (error) {
      applied.failed.push({ archive: archive.path, error: describeError(error) });
      continue;
    }
    const deletion: RetentionDeletion = {
      archive: archive.path,
      environment: archive.name.environment,
      timestamp: archive.name.timestamp.toISOString(),
      ageDays: decision.ageDays,
      reason: decision.reason,
    };
    if (archive.hasSidecar) {
      const sidecar = `${archive.path}${SIDECAR_SUFFIX}`;
      try {
        await rm(sidecar, { force: true });
        deletion.sidecar = sidecar;
      } catch (error) {
        applied.failed.push({ archive: sidecar, error: describeError(error) });
      }
    }
    // The signature of `backup` (selfHosted.signingKey) goes with its archive.
    const signature = `${archive.path}.sig`;
    if (existsSync(signature)) {
      try {
        await rm(signature, { force: true });
        deletion.signature = signature;
      } catch (error) {
        applied.failed.push({ archive: signature, error: describeError(error) });
      }
    }
    applied.deleted.push(deletion);
    await record(deletion);
  }
  return applied;
}
