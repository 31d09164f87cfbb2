/**
 * What is expected of an archive of a given environment: required members, maximum age, retention.
 * Resolution, field by field: `archives.environments[env]` → the built-in default for that
 * environment (production keeps 30 days and always its newest 3) → `archives.defaults` → the
 * contract's defaults. Built-in per-environment defaults sit below explicit configuration but above
 * `defaults`, so that raising the general retention never shortens production's.
 */
import type { ArchivesConfig } from '../config/schema.js';

export interface ArchivePolicy {
  environment: string;
  maxAgeHours: number;
  retentionDays: number;
  keepNewest: number;
  requiredMembers: string[];
  optionalMembers: string[];
}

/** Member paths relative to the top folder, as the contract lists them. */
export const DEFAULT_REQUIRED_MEMBERS = ['metadata.json', 'postgres_full.sql.gz', 'redis_dump.rdb', 'mongodb/dump.archive.gz', 'minio/data.tar.gz'];
/** MariaDB is only part of some stacks. */
export const DEFAULT_OPTIONAL_MEMBERS = ['mariadb_full.sql.gz'];

const CONTRACT_DEFAULTS = { maxAgeHours: 26, retentionDays: 7, keepNewest: 0 };
const BUILT_IN_BY_ENVIRONMENT: Record<string, Partial<ArchivePolicy>> = {
  production: { retentionDays: 30, keepNewest: 3 },
  dev: { retentionDays: 7 },
  staging: { retentionDays: 7 },
};

export function policyFor(archives: ArchivesConfig, environment: string): ArchivePolicy {
  const own = archives.environments[environment] ?? {};
  const builtIn = Object.hasOwn(BUILT_IN_BY_ENVIRONMENT, environment) ? BUILT_IN_BY_ENVIRONMENT[environment]! : {};
  const general = archives.defaults;
  return {
    environment,
    maxAgeHours: own.maxAgeHours ?? builtIn.maxAgeHours ?? general.maxAgeHours ?? CONTRACT_DEFAULTS.maxAgeHours,
    retentionDays: own.retentionDays ?? builtIn.retentionDays ?? general.retentionDays ?? CONTRACT_DEFAULTS.retentionDays,
    keepNewest: own.keepNewest ?? builtIn.keepNewest ?? general.keepNewest ?? CONTRACT_DEFAULTS.keepNewest,
    requiredMembers: own.requiredMembers ?? general.requiredMembers ?? DEFAULT_REQUIRED_MEMBERS,
    optionalMembers: own.optionalMembers ?? general.optionalMembers ?? DEFAULT_OPTIONAL_MEMBERS,
  };
}
