/**
 * metadata.json as a manifest (the backup_manifest idea of pg_basebackup), in the format `verify` and
 * `restore-test --archive` already read (archive/metadata.ts): the required keys, `members` with every member's size and
 * SHA-256, `row_counts` and `alembic_revision` (PostgreSQL: what restore-test compares), plus what this round adds:
 * `format`, `created_by`, `tools`, `components` (per component: backed up or why not, and what it holds: MariaDB table
 * counts, the Redis key count, the MinIO object count and bytes). The fields are documented in docs/contract.md.
 */
import type { ComponentName } from '../selfhosted/component.js';
import type { JsonValue } from '../vocabulary.js';
import type { ComponentOutcome } from './outcome.js';

export const MANIFEST_FORMAT = 'restorecheck-backup-v1';

export interface ManifestInput {
  environment: string;
  /** The run's start, whole seconds (the file name's timestamp). */
  timestamp: Date;
  hostname: string;
  backupName: string;
  gitCommit: string | null;
  toolVersion: string;
  components: readonly ComponentOutcome[];
  rowCounts: Record<string, number>;
  alembicRevision?: string | string[];
}

/** The bytes of metadata.json: keys in a fixed order, two-space indented, one trailing newline. */
export function manifestBytes(input: ManifestInput): Uint8Array {
  const members: Record<string, { sha256: string; size: number }> = {};
  const tools: Record<string, string> = {};
  const components: Partial<Record<ComponentName, JsonValue>> = {};
  for (const c of input.components) {
    for (const m of c.members) members[m.path] = { sha256: m.sha256, size: m.size };
    if (c.status === 'done' && c.tool) tools[c.tool.name] = c.tool.version;
    components[c.name] =
      c.status === 'done'
        ? { backed_up: true, members: c.members.map((m) => m.path), ...(c.source ? { source: c.source } : {}), ...c.facts }
        : { backed_up: false, reason: c.status === 'not-configured' ? `selfHosted.sources.${c.name} is not configured` : (c.failure?.message ?? c.status) };
  }
  const document: Record<string, JsonValue> = {
    format: MANIFEST_FORMAT,
    environment: input.environment,
    timestamp: input.timestamp.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    hostname: input.hostname,
    backup_name: input.backupName,
    ...(input.gitCommit ? { git_commit: input.gitCommit } : {}),
    created_by: `restorecheck ${input.toolVersion}`,
    tools,
    ...(input.alembicRevision !== undefined ? { alembic_revision: input.alembicRevision } : {}),
    row_counts: input.rowCounts,
    components: components as Record<string, JsonValue>,
    members,
  };
  return new TextEncoder().encode(`${JSON.stringify(document, null, 2)}\n`);
}
