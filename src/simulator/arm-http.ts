/**
 * Resource Manager's HTTP conventions as the simulator answers them: the error an ArmHttpError
 * becomes (`{ "error": { "code", "message" } }` with its status), the request-id headers on every
 * answer, the api-version check per provider, and a bounded JSON request body.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** The api-versions the simulator answers, per provider (the SDKs pinned by restorecheck send 2025-08-01). */
export const API_VERSIONS = {
  postgres: ['2025-08-01', '2025-06-01-preview', '2024-08-01'],
  storage: ['2025-08-01', '2025-06-01', '2025-01-01', '2024-01-01'],
  /** Resource Graph's Resources operation (resourcegraph.json, stable/2022-10-01); restorecheck sends 2022-10-01. */
  resourceGraph: ['2022-10-01'],
} as const;

/** An answer in ARM's error shape; thrown by a handler, written by the listener. */
export class ArmHttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
    /** `error.details` (Resource Graph's answers carry the specific code there, under a generic one). */
    readonly details?: ReadonlyArray<Record<string, unknown>>,
  ) {
    super(message);
  }

  /** The body: `{ error: { code, message[, details] } }`. */
  body(): { error: Record<string, unknown> } {
    return { error: { code: this.code, message: this.message, ...(this.details ? { details: this.details } : {}) } };
  }
}

export const methodNotAllowed = (method: string | undefined) => new ArmHttpError(405, 'MethodNotAllowed', `The method ${method} is not allowed here.`);

/** Writes a JSON answer (a string body as is, undefined as empty) with ARM's request-id headers. */
export function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  const text = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'x-ms-request-id': randomUUID(),
    'x-ms-correlation-request-id': randomUUID(),
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

export function requireApiVersion(url: URL, provider: keyof typeof API_VERSIONS): string {
  const version = url.searchParams.get('api-version');
  if (!version) throw new ArmHttpError(400, 'MissingApiVersionParameter', 'The api-version query parameter (?api-version=) is required for all requests.');
  if (!(API_VERSIONS[provider] as readonly string[]).includes(version)) {
    const supported = API_VERSIONS[provider].join(',');
    throw new ArmHttpError(400, 'InvalidApiVersionParameter', `The api-version '${version}' is invalid. The supported versions are '${supported}'.`);
  }
  return version;
}

/** The request body as JSON (empty: `{}`), refused above 1 MiB. */
export async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 1_048_576) throw new ArmHttpError(413, 'RequestEntityTooLarge', 'The request body is too large.');
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
  } catch {
    throw new ArmHttpError(400, 'InvalidRequestContent', 'The request content was invalid and could not be deserialized.');
  }
}
