/**
 * What an Azure restore test is allowed to create, decided before anything is created: the new
 * server's name (Azure's naming rules), its resource group (inside the allowed ones, never the
 * source itself), the point in time (inside the restore window), and the tags that mark it as
 * restorecheck's. Each refusal is an error with a hint; nothing here talks to Azure.
 */
import type { FlexibleServer } from '../azure/types.js';
import type { Config } from '../config/schema.js';
import { ConfigError, UsageError } from '../errors.js';

/** Tag names on every server a restore test creates. */
export const TAGS = {
  run: 'restorecheck-run',
  createdBy: 'restorecheck-created-by',
  expires: 'restorecheck-expires',
  source: 'restorecheck-source',
} as const;
export const CREATOR = 'restorecheck';

/** Azure Flexible Server names: 3–63 characters, lowercase letters, digits and hyphens, no hyphen at either end. */
const SERVER_NAME = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;

export interface RestoreTarget {
  resourceGroup: string;
  name: string;
  source: { resourceGroup: string; name: string };
}

/** `<prefix>-<YYYYMMDDHHmm>` (UTC). */
export function restoreServerName(prefix: string, at: Date): string {
  const stamp = at.toISOString().replace(/[-:T]/g, '').slice(0, 12);
  return `${prefix}-${stamp}`;
}

/** The prefix resolveTarget names new servers with (namePrefix, or `<server>-restore`); undefined when neither is configured. */
export function restoreNamePrefix(config: Config): string | undefined {
  const server = config.azure?.postgres?.server;
  return config.restoreTest.namePrefix ?? (server ? `${server.toLowerCase()}-restore` : undefined);
}

/** Whether a server's name is one `restoreServerName` gives with this prefix (case-insensitive, as Azure's names are). */
export function isRestoreServerName(prefix: string, name: string): boolean {
  const lower = name.toLowerCase();
  return lower.startsWith(`${prefix.toLowerCase()}-`) && /^\d{12}$/.test(lower.slice(prefix.length + 1));
}

/** The resource groups a restore may create servers in (and cleanup delete from), lower-cased for comparison. */
export function allowedResourceGroups(config: Config): string[] {
  const rt = config.restoreTest;
  const fallback = rt.targetResourceGroup ?? config.azure?.postgres?.resourceGroup;
  return (rt.allowedResourceGroups ?? (fallback ? [fallback] : [])).map((g) => g.toLowerCase());
}

/** The new server's name and resource group, or a refusal. */
export function resolveTarget(config: Config, at: Date): RestoreTarget {
  const pg = config.azure?.postgres;
  if (!pg)
    throw new UsageError('restore-test without --archive needs azure.postgres in the configuration', 'add the azure.postgres section, or pass --archive FILE');
  const rt = config.restoreTest;
  const resourceGroup = rt.targetResourceGroup ?? pg.resourceGroup;
  const name = restoreServerName(rt.namePrefix ?? `${pg.server.toLowerCase()}-restore`, at);
  if (!SERVER_NAME.test(name)) {
    throw new ConfigError(
      [
        `restoreTest.namePrefix: the new server's name ${name} breaks Azure's naming rules (3–63 characters: lowercase letters, digits and hyphens, not starting or ending with a hyphen)`,
      ],
      `set restoreTest.namePrefix to at most ${63 - 13} lowercase letters, digits and hyphens`,
    );
  }
  const allowed = allowedResourceGroups(config);
  if (!allowed.includes(resourceGroup.toLowerCase())) {
    throw new ConfigError(
      [`restoreTest.targetResourceGroup: ${resourceGroup} is not among restoreTest.allowedResourceGroups (${allowed.join(', ')})`],
      'a restore test creates servers only in an allowed resource group: fix one of the two keys',
    );
  }
  // Server names are unique across Azure (they are DNS names), whatever the resource group.
  if (name === pg.server.toLowerCase()) {
    throw new UsageError(`the new server's name ${name} is the source server's`, 'a restore test never writes over its source: change restoreTest.namePrefix');
  }
  return { resourceGroup, name, source: { resourceGroup: pg.resourceGroup, name: pg.server } };
}

/** Refuses a point in time outside [earliestRestoreDate, now]. */
export function checkPointInTime(pointInTime: Date, source: FlexibleServer, now: Date): void {
  if (pointInTime.getTime() > now.getTime()) {
    throw new UsageError(
      `--point-in-time ${pointInTime.toISOString()} is in the future`,
      'give a moment between the earliest restore date and now, or leave --point-in-time out (a minute ago)',
    );
  }
  const earliest = source.earliestRestoreDate ? new Date(source.earliestRestoreDate) : undefined;
  if (earliest && pointInTime.getTime() < earliest.getTime()) {
    throw new UsageError(
      `--point-in-time ${pointInTime.toISOString()} is before the earliest restore point of ${source.name ?? 'the source server'} (${earliest.toISOString()})`,
      'backups older than the retention period are gone: choose a later moment',
    );
  }
}

export function restoreTags(runId: string, target: RestoreTarget, expiresAt: Date): Record<string, string> {
  return {
    [TAGS.run]: runId,
    [TAGS.createdBy]: CREATOR,
    [TAGS.expires]: expiresAt.toISOString(),
    [TAGS.source]: `${target.source.resourceGroup}/${target.source.name}`,
  };
}

/** The run id a server's tags name, when they say restorecheck created it. */
export function taggedRunId(server: FlexibleServer): string | undefined {
  const tags = server.tags ?? {};
  return tags[TAGS.createdBy] === CREATOR && tags[TAGS.run] ? tags[TAGS.run] : undefined;
}

/** The source's connection URL with the host replaced by the restored server's: same credentials, database and sslmode. */
export function restoredDatabaseUrl(sourceUrl: string, fullyQualifiedDomainName: string): string {
  const url = new URL(sourceUrl);
  url.hostname = fullyQualifiedDomainName;
  // libpq's ?host= / ?hostaddr= would win over the URL's host and point back at production.
  url.searchParams.delete('host');
  url.searchParams.delete('hostaddr');
  return url.toString();
}
