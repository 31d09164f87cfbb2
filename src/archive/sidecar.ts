/**
 * The `.sha256` sidecar, parsed strictly (validated at the edge, like every input): exactly one
 * line `<64 hex digits><two spaces or space-asterisk><the archive's file name>\n`, as `sha256sum`
 * writes it, or `SHA256 (<name>) = <64 hex digits>\n` as `sha256sum --tag` (BSD format) writes it.
 * The name may carry a directory (`sha256sum "$DIR/x.tar.gz"`, `./x.tar.gz`): the sidecar sits next
 * to the archive, so only its base name identifies the file; another file's base name still fails.
 * A BOM, CRLF, a missing or extra line, another file name or a short hash is a failure,
 * not something to be lenient about: a sidecar that a script rewrote is a sidecar nobody checked.
 */
import { z } from 'zod';

export interface Sidecar {
  sha256: string;
  /** `text` for `<hash>  <name>`, `binary` for `<hash> *<name>` (sha256sum -b), `tag` for `SHA256 (<name>) = <hash>` (--tag). */
  mode: 'text' | 'binary' | 'tag';
}

/** A sidecar is a few dozen bytes: anything much larger is not one. */
export const MAX_SIDECAR_BYTES = 4096;

const LINE = /^([0-9a-fA-F]{64})( \*|  )(.+)$/;
/** BSD tag format; the name is greedy so a name holding `) = ` still ends at the last one. */
const TAG_LINE = /^SHA256 \((.+)\) = ([0-9a-fA-F]{64})$/;

/** The base name of a name written by sha256sum (POSIX separators only: a backslash is refused elsewhere). */
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
    const tag = TAG_LINE.exec(line);
    if (tag) {
      const [, tagName, tagHash] = tag as unknown as [string, string, string];
      if (baseName(tagName) !== fileName) return fail(`it names "${tagName}", not "${fileName}"`);
      return { sha256: tagHash.toLowerCase(), mode: 'tag' };
    }
    if (/^[A-Z0-9-]+ \(/.test(line)) return fail(`its line is in BSD tag format but not \`SHA256 (${fileName}) = <64 hex digits>\``);
    const m = LINE.exec(line);
    if (!m) {
      const hash = line.split(/\s/)[0] ?? '';
      if (!/^[0-9a-fA-F]+$/.test(hash) || hash.length !== 64) return fail(`its hash "${hash.slice(0, 80)}" is not 64 hexadecimal digits`);
      return fail('its line is not `<hash>  <file name>` (two spaces, or space and asterisk)');
    }
    const [, sha256, separator, name] = m as unknown as [string, string, string, string];
    if (baseName(name) !== fileName) return fail(`it names "${name}", not "${fileName}"`);
    return { sha256: sha256.toLowerCase(), mode: separator === ' *' ? 'binary' : 'text' };
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
