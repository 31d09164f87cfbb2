/**
 * The `<archive>.sig` file of a self-hosted archive (issue 14): what `backup` writes with `selfHosted.signingKey`, and
 * what the `archive-signature` check of `verify` judges with the public key (`verify --public-key`, archives.publicKey).
 *
 * The file is one JSON object on one line, then a newline:
 *
 *   {"format":"restorecheck-archive-signature-v1","archive":"<file name>","sha256":"<64 hex>","metadataSha256":"<64 hex>",
 *    "algorithm":"Ed25519","keyId":"<64 hex>","signature":"<base64>"}
 *
 *  - `archive`: the archive's file name (its base name): a signature cannot be moved to another archive's name.
 *  - `sha256`: the SHA-256 of the whole archive file, the hash its `.sha256` sidecar holds.
 *  - `metadataSha256`: the SHA-256 of the bytes of `<top folder>/metadata.json` inside it, the manifest that lists every
 *    member's size and SHA-256; so the signature covers every member through it.
 *  - `signature`: Ed25519 (evidence/signing.ts, purpose `archive`, so the signed bytes start `restorecheck-archive-v1\n`)
 *    over canonicalJson of every other field (format, archive, sha256, metadataSha256, algorithm, keyId), as the audit
 *    lines sign their record without its signature: the key id and the algorithm are signed too, not only carried.
 *
 * Why the archive hash AND the metadata hash: the sidecar alone is a hash anyone can regenerate after changing a byte
 * (the gap noted when verification was built). The check compares the signed values with what the one streaming pass
 * computed from the archive itself (its SHA-256, and the metadata.json bytes it read), never with the sidecar.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { SIGNATURE_ALGORITHM, type Signer, type Verifier, canonicalJson } from '../evidence/signing.js';
import { firstDuplicateKey } from './metadata.js';

export const ARCHIVE_SIGNATURE_FORMAT = 'restorecheck-archive-signature-v1';
export const SIGNATURE_SUFFIX = '.sig';
/** A .sig file is about 400 bytes; anything much larger is not one (and is not read into memory). */
export const MAX_SIGNATURE_BYTES = 4096;

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, { message: 'must be 64 lower-case hexadecimal digits' });

export const archiveSignatureSchema = z.strictObject({
  format: z.literal(ARCHIVE_SIGNATURE_FORMAT, { message: `must be "${ARCHIVE_SIGNATURE_FORMAT}"` }),
  archive: z.string().min(1).max(255),
  sha256: sha256Hex,
  metadataSha256: sha256Hex,
  algorithm: z.literal(SIGNATURE_ALGORITHM, { message: `must be "${SIGNATURE_ALGORITHM}"` }),
  keyId: sha256Hex,
  signature: z.string().regex(/^[A-Za-z0-9+/]{86}==$/, { message: 'must be an Ed25519 signature in base64 (88 characters)' }),
});

export type ArchiveSignature = z.output<typeof archiveSignatureSchema>;

export interface ArchiveSignatureInput {
  /** The archive's file name (base name). */
  fileName: string;
  /** SHA-256 (hex) of the whole archive file, as its sidecar holds it. */
  sha256: string;
  /** The bytes of metadata.json as written into the archive. */
  metadataBytes: Uint8Array;
}

function sha256Of(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The bytes that are signed: every field but the signature, in canonical JSON. */
function signedContent(fields: Omit<ArchiveSignature, 'signature'>): string {
  return canonicalJson(fields);
}

/** The text of `<file>.sig`: one JSON object and a newline. */
export function signArchive(input: ArchiveSignatureInput, signer: Signer): string {
  const fields: Omit<ArchiveSignature, 'signature'> = {
    format: ARCHIVE_SIGNATURE_FORMAT,
    archive: input.fileName,
    sha256: input.sha256.toLowerCase(),
    metadataSha256: sha256Of(input.metadataBytes),
    algorithm: signer.algorithm,
    keyId: signer.keyId,
  };
  const record: ArchiveSignature = { ...fields, signature: signer.sign('archive', signedContent(fields)) };
  return `${JSON.stringify(record)}\n`;
}

export type SignatureParse = { ok: true; value: ArchiveSignature } | { ok: false; problem: string };

/**
 * Parses a .sig file strictly: UTF-8 without BOM, at most MAX_SIGNATURE_BYTES, one JSON object and a newline
 * (no CRLF, no second line), no key twice, no unknown key, the known format only. Like the sidecar, a file that a
 * script rewrote loosely is refused rather than read leniently.
 */
export function parseArchiveSignature(content: string | Uint8Array): SignatureParse {
  const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  if (bytes.length > MAX_SIGNATURE_BYTES) return { ok: false, problem: `it is larger than ${MAX_SIGNATURE_BYTES} bytes` };
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return { ok: false, problem: 'it is not UTF-8 text' };
  }
  if (text.length === 0) return { ok: false, problem: 'it is empty' };
  if (text.startsWith('\uFEFF')) return { ok: false, problem: 'it starts with a byte order mark (BOM)' };
  if (text.includes('\r')) return { ok: false, problem: 'it has a carriage return (CRLF line ending)' };
  if (!text.endsWith('\n')) return { ok: false, problem: 'its line does not end with a newline' };
  if (text.slice(0, -1).includes('\n')) return { ok: false, problem: 'it has more than one line' };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return { ok: false, problem: `it is not JSON (${error instanceof Error ? error.message : String(error)})` };
  }
  const duplicate = firstDuplicateKey(text);
  if (duplicate !== undefined) return { ok: false, problem: `it holds the key "${duplicate}" more than once` };
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return { ok: false, problem: 'it is not a JSON object' };
  const format = (raw as Record<string, unknown>).format;
  if (format !== ARCHIVE_SIGNATURE_FORMAT) {
    return { ok: false, problem: `its format is ${JSON.stringify(format ?? null)?.slice(0, 80)}, not "${ARCHIVE_SIGNATURE_FORMAT}"` };
  }
  const parsed = archiveSignatureSchema.safeParse(raw);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issues = parsed.error.issues.map((issue) => `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`);
  return { ok: false, problem: `it is invalid: ${issues.join('; ')}` };
}

export interface ActualArchive {
  fileName: string;
  /** SHA-256 of the archive file, computed while it was read (not the sidecar's). */
  actualSha256: string;
  /** SHA-256 of the metadata.json bytes read from inside the archive; undefined when it has none (or it could not be read). */
  metadataSha256: string | undefined;
}

/** A signed value that differs from the archive as read (`actual` undefined: no metadata.json was read from it). */
export interface SignedValueMismatch {
  field: 'archive' | 'sha256' | 'metadataSha256';
  signed: string;
  actual: string | undefined;
}

export type SignatureVerdict =
  | { state: 'missing' }
  | { state: 'invalid'; problem: string }
  | { state: 'wrong-key'; keyId: string; expectedKeyId: string }
  | { state: 'bad-signature'; keyId: string }
  | { state: 'mismatch'; keyId: string; mismatches: SignedValueMismatch[] }
  | { state: 'ok'; keyId: string; signature: ArchiveSignature };

/**
 * Judges a .sig file (null: there is none) against the archive as read and the public key. The order matters: the
 * signature is verified first, so that a `mismatch` is only ever reported for values this key really signed (a forged
 * file is `bad-signature`, whatever it claims).
 */
export function checkArchiveSignature(content: string | Uint8Array | null, actual: ActualArchive, verifier: Verifier): SignatureVerdict {
  if (content === null) return { state: 'missing' };
  const parsed = parseArchiveSignature(content);
  if (!parsed.ok) return { state: 'invalid', problem: parsed.problem };
  const { signature, ...fields } = parsed.value;
  if (fields.keyId !== verifier.keyId) return { state: 'wrong-key', keyId: fields.keyId, expectedKeyId: verifier.keyId };
  if (!verifier.verify('archive', signedContent(fields), signature)) return { state: 'bad-signature', keyId: fields.keyId };
  // Every difference, not only the first: a changed manifest also changes the archive's hash, and the manifest is the news.
  const mismatches: SignedValueMismatch[] = [];
  if (fields.archive !== actual.fileName) mismatches.push({ field: 'archive', signed: fields.archive, actual: actual.fileName });
  if (fields.metadataSha256 !== actual.metadataSha256)
    mismatches.push({ field: 'metadataSha256', signed: fields.metadataSha256, actual: actual.metadataSha256 });
  if (fields.sha256 !== actual.actualSha256.toLowerCase()) mismatches.push({ field: 'sha256', signed: fields.sha256, actual: actual.actualSha256 });
  const keyId = fields.keyId;
  if (mismatches.length > 0) return { state: 'mismatch', keyId, mismatches };
  return { state: 'ok', keyId, signature: parsed.value };
}
