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

type Frame = { kind: 'object'; path: string[]; keys: Set<string>; key?: string; expectKey: boolean } | { kind: 'array'; path: string[]; index: number };

/**
 * The first key that an object of `text` (valid JSON) holds twice, as a dotted path (`row_counts.patients`).
 * JSON.parse keeps the last of repeated keys silently, so `{"environment":"staging",…,"environment":"production"}`
 * would read as production while another reader sees staging: such a file is refused. Keys are compared decoded
 * (`"env\u0069ronment"` is `environment`).
 */
export function firstDuplicateKey(text: string): string | undefined {
  const stack: Frame[] = [];
  const childPath = (): string[] => {
    const top = stack[stack.length - 1];
    if (!top) return [];
    return [...top.path, top.kind === 'object' ? (top.key ?? '') : String(top.index)];
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '{') stack.push({ kind: 'object', path: childPath(), keys: new Set(), expectKey: true });
    else if (c === '[') stack.push({ kind: 'array', path: childPath(), index: 0 });
    else if (c === '}' || c === ']') stack.pop();
    else if (c === ',') {
      const top = stack[stack.length - 1];
      if (top?.kind === 'object') top.expectKey = true;
      else if (top?.kind === 'array') top.index++;
    } else if (c === '"') {
      let end = i + 1;
      while (end < text.length && text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      const top = stack[stack.length - 1];
      if (top?.kind === 'object' && top.expectKey) {
        const key = JSON.parse(text.slice(i, end + 1)) as string;
        if (top.keys.has(key)) return [...top.path, key].join('.');
        top.keys.add(key);
        top.key = key;
        top.expectKey = false;
      }
      i = end;
    }
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
  const duplicate = firstDuplicateKey(text);
  if (duplicate !== undefined) {
    return { ok: false, problem: `metadata.json holds the key "${duplicate}" more than once (a JSON reader keeps only one of them, so the file is ambiguous)` };
  }
  const parsed = archiveMetadataSchema.safeParse(raw);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issues = parsed.error.issues.map((issue) => `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`);
  return { ok: false, problem: `metadata.json is invalid: ${issues.join('; ')}` };
}
