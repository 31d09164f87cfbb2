/**
 * Ed25519 signatures for the evidence restorecheck leaves (issue 13): the JSON reports and the audit
 * log's lines today, the self-hosted archives (`selfHosted.signingKey`, `<file>.sig`) in issue 14.
 * One mechanism in one module, with a small API:
 *
 *  - `loadSigningKey(value)`: the private key from configuration (a PKCS#8 PEM file path, or the PEM
 *    itself, typically `${VAR}` from a CI secret) → a Signer; any problem is a ConfigError (exit 2)
 *    with the openssl commands that make a key. The key's bytes never reach a message.
 *  - `loadPublicKey(path)`: the public key `report verify --public-key` is given → a Verifier.
 *  - `sign`/`verify` take a purpose, which is prefixed to the signed bytes (domain separation: a
 *    signature made for an audit line can never be passed off as one of a report or an archive).
 *  - `canonicalJson`: the one serialisation that JSON objects are signed in (see below).
 *
 * Why Ed25519 and local keys: Node's crypto has it with no dependency, signatures are 64 bytes, and
 * there are no parameters to get wrong. Azure Key Vault has no Ed25519 keys (RSA and EC only), so
 * signing through the vault is left out.
 *
 * The key id is the SHA-256 (hex) of the public key's SPKI DER encoding, which anyone can recompute:
 * `openssl pkey -pubin -in report-signing.pub.pem -outform DER | sha256sum`.
 */
import { type KeyObject, createHash, createPrivateKey, createPublicKey, sign as cryptoSign, verify as cryptoVerify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError, UsageError } from '../errors.js';

export const SIGNATURE_ALGORITHM = 'Ed25519';

/** What a signature is for; the signed bytes are `restorecheck-<purpose>-v1\n` followed by the data. */
export type SignaturePurpose = 'report' | 'audit-line' | 'archive';

export const KEY_HINT =
  'make an Ed25519 key pair: `openssl genpkey -algorithm ed25519 -out report-signing.pem` and ' +
  '`openssl pkey -in report-signing.pem -pubout -out report-signing.pub.pem`; set report.signingKey to the private ' +
  "key's path (relative to the configuration file) or to ${VAR}, an environment variable holding the PEM; " +
  'give the public key to `report verify --public-key`';

export interface Signer {
  readonly algorithm: typeof SIGNATURE_ALGORITHM;
  /** SHA-256 (hex) of the public key's SPKI DER. */
  readonly keyId: string;
  /** The signature of `data` for `purpose`, base64. */
  sign(purpose: SignaturePurpose, data: string | Uint8Array): string;
  /** The public half in PEM (SPKI), for a run that checks its own signature (backup verifies the archive it signed). */
  readonly publicKeyPem?: string;
}

export interface Verifier {
  readonly keyId: string;
  /** True when `signature` (base64) is this key's signature of `data` for `purpose`. */
  verify(purpose: SignaturePurpose, data: string | Uint8Array, signature: string): boolean;
}

function message(purpose: SignaturePurpose, data: string | Uint8Array): Buffer {
  return Buffer.concat([Buffer.from(`restorecheck-${purpose}-v1\n`, 'utf8'), typeof data === 'string' ? Buffer.from(data, 'utf8') : data]);
}

export function keyIdOf(publicKey: KeyObject): string {
  return createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex');
}

/** True when a configuration value is the PEM itself rather than a path to it. */
export function isPem(value: string): boolean {
  return value.trimStart().startsWith('-----BEGIN');
}

function readKeyFile(path: string, what: (problem: string) => Error): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'file not found' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'permission denied' : String(code ?? 'unreadable');
    throw what(`cannot read ${path} (${why})`);
  }
}

/**
 * A PEM whose line breaks were lost on the way: Azure DevOps secret variables are one line, so a pasted key arrives with
 * its breaks turned into spaces (or removed). crypto refuses that, so the base64 body is re-wrapped at 64 characters
 * between its BEGIN and END lines. A well-formed PEM comes out the same; anything else is left for crypto to refuse.
 */
export function rewrapPem(value: string): string {
  const match = /^\s*(-----BEGIN [A-Z0-9 ]+-----)\s*([A-Za-z0-9+/=\s]*?)\s*(-----END [A-Z0-9 ]+-----)\s*$/.exec(value);
  if (!match) return value;
  const [, begin, body = '', end] = match;
  const base64 = body.replace(/\s+/g, '');
  return `${begin}\n${(base64.match(/.{1,64}/g) ?? []).join('\n')}\n${end}\n`;
}

/**
 * The signing key of `report.signingKey` (already resolved: an absolute path, or the PEM). Throws
 * ConfigError naming `key` when it cannot be read, is not a private key, or is not Ed25519.
 */
export function loadSigningKey(value: string, key = 'report.signingKey'): Signer {
  const problem = (text: string) => new ConfigError([`${key}: ${text}`], KEY_HINT);
  const source = isPem(value) ? 'the PEM given' : value;
  const pem = isPem(value) ? rewrapPem(value) : readKeyFile(value, problem);
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: pem, format: 'pem' });
  } catch {
    // Not crypto's message: it says nothing useful here, and nothing of the key may be printed.
    throw problem(`${source} is not an unencrypted private key in PEM (PKCS#8) form`);
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw problem(`${source} is a key of type ${privateKey.asymmetricKeyType ?? 'unknown'}; reports are signed with Ed25519`);
  }
  const publicKey = createPublicKey(privateKey);
  const keyId = keyIdOf(publicKey);
  return {
    algorithm: SIGNATURE_ALGORITHM,
    keyId,
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    sign: (purpose, data) => cryptoSign(null, message(purpose, data), privateKey).toString('base64'),
  };
}

/**
 * The public key `report verify --public-key FILE` (and `verify --public-key`) checks with. Throws UsageError (exit 2);
 * with `configKey` (archives.publicKey, a path from the configuration) a ConfigError naming that key, exit 2 too.
 */
export function loadPublicKey(path: string, configKey?: string): Verifier {
  const hint = `pass the Ed25519 public key in PEM form (${KEY_HINT.split('; ')[0]})`;
  const problem = (text: string) =>
    configKey === undefined ? new UsageError(`--public-key: ${text}`, hint) : new ConfigError([`${configKey}: ${text}`], hint);
  const pem = readKeyFile(path, problem).toString('utf8');
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)) {
    throw problem(`${path} is a private key: pass the public key (openssl pkey -in ${path} -pubout), and keep the private key where only the runs can read it`);
  }
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey({ key: pem, format: 'pem' });
  } catch {
    throw problem(`${path} is not a public key in PEM form`);
  }
  if (publicKey.asymmetricKeyType !== 'ed25519') throw problem(`${path} is a key of type ${publicKey.asymmetricKeyType ?? 'unknown'}, not Ed25519`);
  return {
    keyId: keyIdOf(publicKey),
    verify: (purpose, data, signature) => {
      const bytes = Buffer.from(signature, 'base64');
      // Ed25519 signatures are 64 bytes; anything else (or text that is not base64) is not a signature.
      if (bytes.length !== 64 || bytes.toString('base64') !== signature) return false;
      return cryptoVerify(null, message(purpose, data), publicKey, bytes);
    },
  };
}

/**
 * The canonical JSON that objects are signed in: object keys sorted (by UTF-16 code units, the
 * order of JavaScript's default sort), no whitespace, strings and numbers as JSON.stringify writes
 * them, keys whose value is undefined left out. Signer and verifier both build it from the parsed
 * object, so the file's own layout (indentation, escapes) does not matter; only its content does.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/**
 * `{ signer }` for the audit-log options of a command that has a configuration, `{}` without report.signingKey:
 * every line a configured command appends is signed, so that the audit head stays signed whichever command wrote last.
 */
export function auditSigning(signingKey: string | undefined): { signer?: Signer } {
  return signingKey === undefined ? {} : { signer: loadSigningKey(signingKey) };
}
