/**
 * The Blob service's HTTP conventions as the simulator's blob data plane answers them (Microsoft Learn, Blob REST:
 * "Status and error codes", "Blob Storage error codes"): the XML error body
 * `<Error><Code>…</Code><Message>…\nRequestId:…\nTime:…</Message></Error>` with `x-ms-error-code`, the headers on
 * every answer (x-ms-request-id, x-ms-version, Date, Server), RFC 1123 dates, and a bounded request body.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** The x-ms-version answered when the request names none (the newest the pinned @azure/storage-blob sends is echoed otherwise). */
const DEFAULT_SERVICE_VERSION = '2026-02-06';

/** Put Blob bodies above this are refused (413): the simulator keeps blobs in memory. */
export const MAX_BLOB_BYTES = 64 * 1024 * 1024;

/** An answer in the Blob service's error shape; thrown by a handler, written by the listener. */
export class BlobHttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const blobNotFound = () => new BlobHttpError(404, 'BlobNotFound', 'The specified blob does not exist.');
export const containerNotFound = () => new BlobHttpError(404, 'ContainerNotFound', 'The specified container does not exist.');

export const xmlEscape = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');

/** RFC 1123, as the Blob service writes Last-Modified, Date, Creation-Time and DeletedTime. */
export const httpDate = (date: Date) => date.toUTCString();

/** The headers every Blob service answer carries. */
export function commonHeaders(req: IncomingMessage, now: Date, requestId: string): Record<string, string> {
  const clientRequestId = req.headers['x-ms-client-request-id'];
  const version = req.headers['x-ms-version'];
  return {
    'x-ms-request-id': requestId,
    'x-ms-version': typeof version === 'string' && version ? version : DEFAULT_SERVICE_VERSION,
    date: httpDate(now),
    server: 'Windows-Azure-Blob/1.0 Microsoft-HTTPAPI/2.0',
    ...(typeof clientRequestId === 'string' ? { 'x-ms-client-request-id': clientRequestId } : {}),
  };
}

export function sendBlob(
  req: IncomingMessage,
  res: ServerResponse,
  now: Date,
  status: number,
  body: Buffer | string | undefined,
  headers: Record<string, string> = {},
) {
  const data = body === undefined ? Buffer.alloc(0) : typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  res.writeHead(status, { ...commonHeaders(req, now, randomUUID()), 'content-length': String(data.length), ...headers });
  // HEAD: the headers only (Content-Length is the blob's, set by the caller).
  res.end(req.method === 'HEAD' ? undefined : data);
}

/** The error answer: XML body (none for HEAD, as Azure), x-ms-error-code, and the request id repeated in the message. */
export function sendBlobError(req: IncomingMessage, res: ServerResponse, now: Date, error: BlobHttpError) {
  const requestId = randomUUID();
  // Azure's Time has seven fractional digits.
  const time = now.toISOString().replace(/\.(\d{3})Z$/, '.$10000Z');
  const xml =
    '<?xml version="1.0" encoding="utf-8"?><Error>' +
    `<Code>${xmlEscape(error.code)}</Code><Message>${xmlEscape(`${error.message}\nRequestId:${requestId}\nTime:${time}`)}</Message></Error>`;
  const data = Buffer.from(xml, 'utf8');
  res.writeHead(error.status, {
    ...commonHeaders(req, now, requestId),
    'x-ms-error-code': error.code,
    'content-type': 'application/xml',
    'content-length': String(req.method === 'HEAD' ? 0 : data.length),
    ...error.headers,
  });
  res.end(req.method === 'HEAD' ? undefined : data);
}

/** The request body, refused above MAX_BLOB_BYTES. */
export async function readBlobBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BLOB_BYTES) throw new BlobHttpError(413, 'RequestBodyTooLarge', 'The request body is too large and exceeds the maximum permissible limit.');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
