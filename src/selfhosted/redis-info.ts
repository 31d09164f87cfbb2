/** What Redis's INFO says, read the same way by the backup (redis.ts) and the restore test (throwaway-redis.ts). */

/** `field:value` lines of INFO. */
export function infoFields(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.split('\n')) {
    const at = line.indexOf(':');
    if (at > 0 && !line.startsWith('#')) fields.set(line.slice(0, at), line.slice(at + 1).trim());
  }
  return fields;
}

/** `keys=` of each `dbN:keys=…,expires=…` line of INFO keyspace, by db (`db0`). */
export function keyspaceByDb(info: string): Record<string, number> {
  const byDb: Record<string, number> = {};
  for (const match of info.matchAll(/^(db\d+):keys=(\d+)/gm)) byDb[match[1]!] = Number(match[2]);
  return byDb;
}

/** The sum of `keys=` over INFO keyspace's `dbN:keys=…,expires=…` lines. */
export function keyspaceKeys(info: string): number {
  return Object.values(keyspaceByDb(info)).reduce((sum, keys) => sum + keys, 0);
}
