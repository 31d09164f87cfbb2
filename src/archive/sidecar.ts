/**
 * The `.sha256` sidecar, parsed strictly (validated at the edge, like every input): exactly one
 * line, as `sha256sum` writes it, either
 *   `<64 hex digits><two spaces or space-asterisk><name>\n`   (GNU; `*` is the binary-mode marker), or
 *   `SHA256 (<name>) = <64 hex digits>\n`                       (BSD, `sha256sum --tag`),
 * where `<name>` is the archive's file name, or a path to it (`sha256sum "$BACKUP_DIR/x.tar.gz"`, `./x.tar.gz`):
 * `sha256sum -c` accepts those, so only the base name must match. A BOM, CRLF, a missing or extra line,
 * another file's name or a short hash is a failure, not something to be lenient about: a sidecar that a
 * script rewrote is a sidecar nobody checked.
 */
import { z } from 'zod';

export interface Sidecar {
  sha256: string;
  /** `text` for `<hash>  <name>`, `binary` for `<hash> *<name>` (sha256sum -b), `bsd` for `SHA256 (<name>) = <hash>` (--tag). */
  mode: 'text' | 'binary' | 'bsd';
  /** The name as written, when it is a path to the archive rather than its bare file name. */
  writtenName?: string;
}

/** A sidecar is a few dozen bytes: anything much larger is not one. */
export const MAX_SIDECAR_BYTES = 4096;

const LINE = /^([0-9a-fA-F]{64})( \*| {2})(.+)$/;
const BSD_LINE = /^([A-Z0-9-]+) \((.+)\) = ([0-9a-fA-F]+)$/;

/** The last path segment: what `sha256sum -c` opens, relative to wherever the path points. */
function baseName(name: string): string {
  return name.slice(name.lastIndexOf('/') + 1);
}

/** Returns the schema for the sidecar of `fileName`; its issues are the reasons shown to auditors. */
export function sidecarSchema(fileName: string) {
  return z.string().transform((text, ctx): Sidecar => {
    const fail = (message: string): never => {
      ctx.addIssue({ code: 'custom', message });
      return z.NEVER;
    };
    if (text.startsWith('\uFEFF')) return fail('it starts with a byte order mark (BOM)');
    if (text.includes('\r')) return fail('it has a carriage return (CRLF line ending)');
    if (text.length === 0) return fail('it is empty');
    if (!text.endsWith('\n')) return fail('its line does not end with a newline');
    const lines = text.slice(0, -1).split('\n');
    if (lines.length !== 1) return fail(`it has ${lines.length} lines; expected exactly one`);
    const line = lines[0]!;
    if (line.startsWith('\\')) return fail('its file name is escaped (sha256sum escapes names holding a backslash or newline)');
    const bsd = BSD_LINE.exec(line);
    if (bsd) {
      const [, algorithm, name, hex] = bsd as unknown as [string, string, string, string];
      if (algorithm !== 'SHA256') return fail(`it is a BSD-style (--tag) line for ${algorithm}, not SHA256`);
      if (hex.length !== 64) return fail(`it is a BSD-style (--tag) line whose hash "${hex.slice(0, 80)}" is not 64 hexadecimal digits`);
      if (baseName(name) !== fileName) return fail(`it is a BSD-style (--tag) line naming "${name}", not "${fileName}"`);
      return { sha256: hex.toLowerCase(), mode: 'bsd', ...(name !== fileName ? { writtenName: name } : {}) };
    }
    const m = LINE.exec(line);
    if (!m) {
      const hash = line.split(/\s/)[0] ?? '';
      if (!/^[0-9a-fA-F]+$/.test(hash) || hash.length !== 64) return fail(`its hash "${hash.slice(0, 80)}" is not 64 hexadecimal digits`);
      return fail('its line is not `<hash>  <file name>` (two spaces, or space and asterisk)');
    }
    const [, sha256, separator, name] = m as unknown as [string, string, string, string];
    if (baseName(name) !== fileName) return fail(`it names "${name}", not "${fileName}"`);
    return { sha256: sha256.toLowerCase(), mode: separator === ' *' ? 'binary' : 'text', ...(name !== fileName ? { writtenName: name } : {}) };
  });
}

export type SidecarParse = { ok: true; sidecar: Sidecar } | { ok: false; problem: string };

/** Parses sidecar bytes for the archive `fileName`. Bytes that are not UTF-8 are a failure too. */
export function parseSidecar(bytes: Uint8Array, fileName: string): SidecarParse {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return { ok: false, problem: 'it is not UTF-8 text' };
  }
  const parsed = sidecarSchema(fileName).safeParse(text);
  if (parsed.success) return { ok: true, sidecar: parsed.data };
  return { ok: false, problem: parsed.error.issues[0]?.message ?? 'it is malformed' };
}
