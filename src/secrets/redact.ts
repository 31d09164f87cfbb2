/**
 * Secrets never leave the process (architecture rule 7). Two layers:
 *  1. known values: every secret the configuration carries (the database password, a storage
 *     connection string's key or SAS, any `${VAR}` whose name looks secret) is registered and
 *     replaced verbatim wherever it appears;
 *  2. shapes: URL user-info passwords, `AccountKey=`, `SharedAccessSignature=`, `sig=`, `password=`
 *     bearer tokens and JWTs (Entra access tokens) are masked even when the value was never registered (an error message
 *     from a library may echo something we did not see coming).
 * main.ts passes every byte it writes (stdout, stderr, report files) through `redact`.
 */

export const MASK = '***';

const SHAPES: Array<[RegExp, string]> = [
  // scheme://user:password@host → scheme://user:***@host
  [/([a-z][a-z0-9+.-]*:\/\/[^\s:/@]*:)([^\s@/]+)(@)/gi, `$1${MASK}$3`],
  [/(AccountKey=)([^;\s"']+)/gi, `$1${MASK}`],
  [/(SharedAccessSignature=)([^;\s"']+)/gi, `$1${MASK}`],
  [/([?&;]sig=)([^&;\s"']+)/gi, `$1${MASK}`],
  [/(\bpassword=)([^&;\s"']+)/gi, `$1${MASK}`],
  [/(\bBearer\s+)([A-Za-z0-9\-._~+/]+=*)/g, `$1${MASK}`],
  [/(client_secret=)([^&\s"']+)/gi, `$1${MASK}`],
  // A JWT (an Entra access token, e.g. database.auth: entra's PostgreSQL password): header and claims are base64url JSON, "eyJ".
  [/\beyJ[A-Za-z0-9_-]{6,}\.eyJ[A-Za-z0-9_-]{6,}\.[A-Za-z0-9_-]*/g, MASK],
];

const SECRET_NAME = /(PASSWORD|PASSWD|SECRET|TOKEN|KEY|CONNECTION_STRING|CONNSTR|SAS|CREDENTIAL)/i;

/** True when an environment variable's name says it holds a secret. */
export function looksSecretName(name: string): boolean {
  return SECRET_NAME.test(name);
}

export class Redactor {
  private readonly secrets = new Set<string>();

  /** Registers a secret value. Very short values are ignored: masking "a" everywhere helps nobody. */
  add(value: string | undefined | null): void {
    if (!value || value.length < 4) return;
    this.secrets.add(value);
    // Percent-encoded form, as it appears inside a URL.
    const encoded = encodeURIComponent(value);
    if (encoded !== value) this.secrets.add(encoded);
  }

  /** Registers the secrets inside a connection string or URL. */
  addFromConnectionString(value: string | undefined): void {
    if (!value) return;
    for (const m of value.matchAll(/(?:AccountKey|SharedAccessSignature|sig|password)=([^;&\s]+)/gi)) this.add(m[1]);
    try {
      const url = new URL(value);
      if (url.password) {
        this.add(decodeURIComponent(url.password));
        this.add(url.password);
      }
      const sig = url.searchParams.get('sig');
      if (sig) this.add(sig);
    } catch {
      // not a URL: the key=value pass above covered it
    }
  }

  redact(text: string): string {
    let out = text;
    // Longest first, so that a secret containing another is masked whole.
    for (const secret of [...this.secrets].sort((a, b) => b.length - a.length)) {
      out = out.split(secret).join(MASK);
    }
    for (const [pattern, replacement] of SHAPES) out = out.replace(pattern, replacement);
    return out;
  }
}

/** A URL with its password masked, for display. Never throws. */
export function maskUrl(value: string): string {
  try {
    const url = new URL(value);
    if (url.password) url.password = MASK;
    for (const key of [...url.searchParams.keys()]) {
      if (/^(password|sig|sslpassword)$/i.test(key)) url.searchParams.set(key, MASK);
    }
    return url.toString().replace(/%2A%2A%2A/g, MASK);
  } catch {
    return new Redactor().redact(value);
  }
}

/** Registers the environment's well-known Azure secrets (a client secret must never be echoed). */
export function registerEnvironmentSecrets(redactor: Redactor, env: NodeJS.ProcessEnv): void {
  for (const [name, value] of Object.entries(env)) {
    if (
      value &&
      /^(AZURE_CLIENT_SECRET|AZURE_CLIENT_CERTIFICATE_PASSWORD|IDENTITY_HEADER|AZURE_STORAGE_KEY|AZURE_STORAGE_CONNECTION_STRING|PGPASSWORD)$/.test(name)
    ) {
      redactor.add(value);
      redactor.addFromConnectionString(value);
    }
  }
}
