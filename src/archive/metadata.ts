/**
 * `metadata.json` inside an archive, validated at the edge (contract.md): at least `environment`
 * and `timestamp` (ISO 8601 UTC); usually git_commit, hostname, backup_name; optionally `members`
 * (path → sha256 and size), `row_counts` and `alembic_revision` (one revision, or a list of heads). Unknown keys are allowed.
 */
import { z } from 'zod';

/** ISO 8601 in UTC: `Z` or `+00:00`, seconds required, fraction optional. */
const isoUtc = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|\+00:?00)$/, { message: 'must be an ISO 8601 UTC timestamp such as 2026-11-21T03:00:00Z' })
  .refine((value) => !Number.isNaN(Date.parse(value)), { message: 'is not a real date' });

export const archiveMetadataSchema = z.looseObject({
  environment: z.string().min(1),
  timestamp: isoUtc,
  git_commit: z.string().optional(),
  hostname: z.string().optional(),
  backup_name: z.string().optional(),
  members: z
    .record(
      z.string().min(1),
      z.looseObject({
        sha256: z.string().regex(/^[0-9a-fA-F]{64}$/, { message: 'must be 64 hexadecimal digits' }),
        size: z.number().int().nonnegative(),
      }),
    )
    .optional(),
  row_counts: z.record(z.string(), z.number().int().nonnegative()).optional(),
  // Several Alembic heads (branches not yet merged) are recorded as a list, as alembic_version holds several rows.
  alembic_revision: z.union([z.string(), z.array(z.string())]).optional(),
});

export type ArchiveMetadata = z.output<typeof archiveMetadataSchema>;

/** A metadata file is a few kilobytes; reading a huge one into memory would break the constant-memory promise. */
export const MAX_METADATA_BYTES = 1024 * 1024;

export type MetadataParse = { ok: true; value: ArchiveMetadata } | { ok: false; problem: string };

/**
 * The first key written twice in one object of `text` (already known to be valid JSON), as a dotted
 * path, or undefined. Why: JSON.parse keeps the last of repeated keys silently, so
 * `{"environment":"staging", …, "environment":"production"}` would pass as production while
 * another reader (jq keeps the last too, but Python's object_pairs_hook, Go, a human) may see
 * staging: a metadata file that means two things is not evidence. Keys are compared after
 * unescaping (`"s\u0069ze"` is `size`).
 */
export function findDuplicateKey(text: string): string | undefined {
  // One frame per open object or array; for objects, the keys seen so far and whether a key comes next.
  const stack: { keys?: Set<string>; expectKey: boolean; path: string }[] = [];
  let lastKey = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    const top = stack[stack.length - 1];
    if (c === '"') {
      let end = i + 1;
      while (text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      const value = JSON.parse(text.slice(i, end + 1)) as string;
      if (top?.keys && top.expectKey) {
        const path = top.path ? `${top.path}.${value}` : value;
        if (top.keys.has(value)) return path;
        top.keys.add(value);
        top.expectKey = false;
        lastKey = path;
      }
      i = end;
    } else if (c === '{' || c === '[') {
      // The path of a value is its key's in an object, its parent's (plus []) in an array.
      const path = top?.keys ? lastKey : top ? `${top.path}[]` : '';
      stack.push(c === '{' ? { keys: new Set(), expectKey: true, path } : { expectKey: false, path });
    } else if (c === '}' || c === ']') stack.pop();
    else if (c === ',' && top?.keys) top.expectKey = true;
  }
  return undefined;
}

export function parseArchiveMetadata(bytes: Uint8Array): MetadataParse {
  let raw: unknown;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    raw = JSON.parse(text);
  } catch (error) {
    return { ok: false, problem: `metadata.json is not valid UTF-8 JSON (${error instanceof Error ? error.message : String(error)})` };
  }
  const duplicate = findDuplicateKey(text);
  if (duplicate !== undefined) {
    return { ok: false, problem: `metadata.json has the key "${duplicate}" more than once (readers disagree on which one counts); write each key once` };
  }
  const parsed = archiveMetadataSchema.safeParse(raw);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issues = parsed.error.issues.map((issue) => `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`);
  return { ok: false, problem: `metadata.json is invalid: ${issues.join('; ')}` };
}
