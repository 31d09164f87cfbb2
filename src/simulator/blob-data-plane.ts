/**
 * The simulator's blob data plane: the Blob REST operations a restore drill needs and Azurite lacks (soft delete,
 * Undelete, versions), path-style as Azurite (`https://127.0.0.1:<port>/<account>/<container>/<blob>`), on its own
 * HTTPS listener (resource-manager.ts starts it with the same CA). What it answers (Microsoft Learn, Blob REST):
 * - Put Blob (BlockBlob only), Get Blob and Get Blob Properties (HEAD), with `versionid`;
 * - Delete Blob, of the base blob or a version, and `deletetype=permanent`;
 * - Undelete Blob (`comp=undelete`);
 * - List Blobs (`restype=container&comp=list`, `prefix`, `include=deleted,versions,deletedwithversions`), one page;
 * - Get Container Properties (`restype=container`), so that the SDK's `exists()` works.
 * Anything else: 400 InvalidUri / InvalidQueryParameterValue or 405 UnsupportedHttpVerb. The semantics are in
 * blob-store.ts. Sign-in: a bearer token this simulator's identity endpoint issued for https://storage.azure.com;
 * authorisation: the container's scenario `dataRole`. Every request is recorded (plane `blob`) and the scenario's
 * injections apply (path substring), as on Resource Manager.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BlobHttpError, containerNotFound, httpDate, readBlobBody, sendBlob, sendBlobError, xmlEscape } from './blob-http.js';
import type { BlobContent, ListedBlob } from './blob-store.js';
import { STORAGE_RESOURCE, storageTokenState } from './identity-endpoint.js';
import type { Injection, ScenarioStorageAccount } from './scenario.js';
import type { SimulatorState } from './simulator-state.js';
import type { RequestRecord } from './simulator-types.js';

/** The tenant named in the 401 challenge (the simulator has no tenant of its own). */
export const SIMULATOR_TENANT_ID = '00000000-0000-0000-0000-000000000000';

type Container = ScenarioStorageAccount['containers'][number];
type Action = 'read' | 'write' | 'delete' | 'permanentDelete';

/**
 * The data actions of the built-in roles, as far as these operations go: Storage Blob Data Reader reads; Contributor
 * also writes (Put, Undelete) and deletes (base blob and versions); only Owner has blobs/permanentDelete/action.
 */
const ROLE_ACTIONS: Record<Container['dataRole'], readonly Action[]> = {
  owner: ['read', 'write', 'delete', 'permanentDelete'],
  contributor: ['read', 'write', 'delete'],
  reader: ['read'],
  none: [],
};

function authorise(container: Container, action: Action): void {
  if (!ROLE_ACTIONS[container.dataRole].includes(action)) {
    throw new BlobHttpError(403, 'AuthorizationPermissionMismatch', 'This request is not authorized to perform this operation using this permission.');
  }
}

/** Azure's 401 challenge: where to get a token, and for which resource (the SDK's challenge policy reads both). */
const challenge = {
  'www-authenticate': `Bearer authorization_uri=https://login.microsoftonline.com/${SIMULATOR_TENANT_ID}/oauth2/authorize resource_id=${STORAGE_RESOURCE}`,
};

function signIn(state: SimulatorState, req: IncomingMessage, record: RequestRecord): void {
  const token = storageTokenState(state, req);
  record.token = token === 'valid' ? 'valid' : token === 'none' ? 'none' : 'invalid';
  const refuse = (code: string, message: string) => new BlobHttpError(401, code, message, challenge);
  if (token === 'none')
    throw refuse('NoAuthenticationInformation', 'Server failed to authenticate the request. Please refer to the information in the www-authenticate header.');
  if (token === 'wrong-audience') throw refuse('InvalidAuthenticationInfo', 'Audience validation failed. Audience did not match.');
  if (token === 'expired') throw refuse('InvalidAuthenticationInfo', 'Lifetime validation failed. The token is expired.');
  if (token === 'invalid')
    throw refuse('InvalidAuthenticationInfo', 'Server failed to authenticate the request. Please refer to the information in the www-authenticate header.');
}

/** An injected fault, in the Blob service's error shape (azureError, a Resource Manager body, gives only its code here). */
async function answerInjection(state: SimulatorState, injection: Injection, req: IncomingMessage, res: ServerResponse) {
  if (injection.delayMs) await state.delay(injection.delayMs);
  if (injection.reset) return req.socket.destroy();
  const headers: Record<string, string> = injection.retryAfter !== undefined ? { 'retry-after': String(injection.retryAfter) } : {};
  if (injection.body !== undefined) return sendBlob(req, res, state.now(), injection.status, injection.body, { 'content-type': 'application/xml', ...headers });
  const code = injection.code ?? injection.azureError ?? 'InjectedFault';
  return sendBlobError(
    req,
    res,
    state.now(),
    new BlobHttpError(injection.status, code, injection.message ?? `Injected by the scenario for ${injection.path}.`, headers),
  );
}

/** The properties headers of Get Blob and Get Blob Properties. */
function blobHeaders(blob: BlobContent, versionId?: string, isCurrentVersion?: boolean): Record<string, string> {
  return {
    'content-type': blob.contentType,
    'content-length': String(blob.content.length),
    'content-md5': blob.contentMd5.toString('base64'),
    etag: blob.etag,
    'last-modified': httpDate(blob.lastModified),
    'accept-ranges': 'bytes',
    'x-ms-blob-type': 'BlockBlob',
    'x-ms-creation-time': httpDate(blob.created),
    'x-ms-lease-state': 'available',
    'x-ms-lease-status': 'unlocked',
    'x-ms-server-encrypted': 'true',
    'x-ms-access-tier': 'Hot',
    'x-ms-access-tier-inferred': 'true',
    ...(versionId ? { 'x-ms-version-id': versionId } : {}),
    // Sent by Azure for an account with versioning (the base blob is the current version).
    ...(isCurrentVersion !== undefined ? { 'x-ms-is-current-version': String(isCurrentVersion) } : {}),
  };
}

/** One `<Blob>` of EnumerationResults, with the element names of the Blob REST "List Blobs" page (what the SDK's deserializer maps). */
function blobXml(item: ListedBlob): string {
  const b = item.blob;
  const el = (name: string, value: string | number | boolean) => `<${name}>${xmlEscape(String(value))}</${name}>`;
  const properties = [
    el('Creation-Time', httpDate(b.created)),
    el('Last-Modified', httpDate(b.lastModified)),
    // Unquoted in a listing, as Azure writes it.
    el('Etag', b.etag.replace(/"/g, '')),
    el('Content-Length', b.content.length),
    el('Content-Type', b.contentType),
    el('Content-MD5', b.contentMd5.toString('base64')),
    el('BlobType', 'BlockBlob'),
    el('AccessTier', 'Hot'),
    el('AccessTierInferred', true),
    el('LeaseStatus', 'unlocked'),
    el('LeaseState', 'available'),
    el('ServerEncrypted', true),
    ...(item.deletedAt ? [el('DeletedTime', httpDate(item.deletedAt)), el('RemainingRetentionDays', item.remainingRetentionDays ?? 0)] : []),
  ].join('');
  return (
    `<Blob>${el('Name', item.name)}${el('Deleted', item.deleted)}` +
    (item.versionId ? el('VersionId', item.versionId) : '') +
    (item.isCurrentVersion ? el('IsCurrentVersion', true) : '') +
    `<Properties>${properties}</Properties>` +
    (item.hasVersionsOnly ? el('HasVersionsOnly', true) : '') +
    '</Blob>'
  );
}

function listBlobs(state: SimulatorState, req: IncomingMessage, res: ServerResponse, url: URL, account: ScenarioStorageAccount, container: Container) {
  const include = new Set(
    (url.searchParams.get('include') ?? '')
      .split(',')
      .map((s) => s.trim().toLowerCase())
      .filter(Boolean),
  );
  const prefix = url.searchParams.get('prefix') ?? '';
  const items = state.blobs.list(account, container.name, {
    prefix,
    deleted: include.has('deleted'),
    versions: include.has('versions'),
    deletedWithVersions: include.has('deletedwithversions'),
  });
  const maxResults = url.searchParams.get('maxresults');
  const xml =
    '<?xml version="1.0" encoding="utf-8"?>' +
    `<EnumerationResults ServiceEndpoint="${xmlEscape(`${state.blobOrigin}/${account.name}/`)}" ContainerName="${xmlEscape(container.name)}">` +
    (prefix ? `<Prefix>${xmlEscape(prefix)}</Prefix>` : '') +
    (maxResults ? `<MaxResults>${xmlEscape(maxResults)}</MaxResults>` : '') +
    `<Blobs>${items.map(blobXml).join('')}</Blobs>` +
    // One page: the whole container (a restore drill's containers are small); no continuation marker.
    '<NextMarker /></EnumerationResults>';
  return sendBlob(req, res, state.now(), 200, xml, { 'content-type': 'application/xml' });
}

async function putBlob(state: SimulatorState, req: IncomingMessage, res: ServerResponse, account: ScenarioStorageAccount, container: Container, name: string) {
  const type = req.headers['x-ms-blob-type'];
  if (!type) throw new BlobHttpError(400, 'MissingRequiredHeader', "An HTTP header that's mandatory for this request is not specified.");
  // Page and append blobs exist in Azure; this simulator keeps block blobs only.
  if (type !== 'BlockBlob') throw new BlobHttpError(400, 'InvalidHeaderValue', 'The value for one of the HTTP headers is not in the correct format.');
  const body = await readBlobBody(req);
  const sent = req.headers['content-md5'];
  const computed = createHash('md5').update(body).digest();
  if (typeof sent === 'string' && sent !== computed.toString('base64')) {
    throw new BlobHttpError(400, 'Md5Mismatch', 'The MD5 value specified in the request did not match with the MD5 value calculated by the server.');
  }
  const property = req.headers['x-ms-blob-content-md5'];
  const contentType = req.headers['x-ms-blob-content-type'];
  const { blob, versionId } = state.blobs.put(
    account,
    container.name,
    name,
    body,
    typeof contentType === 'string' && contentType ? contentType : 'application/octet-stream',
    typeof property === 'string' ? Buffer.from(property, 'base64') : undefined,
  );
  return sendBlob(req, res, state.now(), 201, undefined, {
    etag: blob.etag,
    'last-modified': httpDate(blob.lastModified),
    // Put Blob answers the MD5 of the content it received.
    'content-md5': computed.toString('base64'),
    'x-ms-request-server-encrypted': 'true',
    ...(versionId ? { 'x-ms-version-id': versionId } : {}),
  });
}

function blobOperation(
  state: SimulatorState,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  account: ScenarioStorageAccount,
  container: Container,
  name: string,
) {
  const comp = url.searchParams.get('comp');
  const versionId = url.searchParams.get('versionid') ?? undefined;
  const now = state.now();
  if (comp === 'undelete') {
    if (req.method !== 'PUT') throw new BlobHttpError(405, 'UnsupportedHttpVerb', "The resource doesn't support specified Http Verb.");
    authorise(container, 'write');
    state.blobs.undelete(account, container.name, name);
    return sendBlob(req, res, now, 200, undefined);
  }
  if (comp !== null)
    throw new BlobHttpError(400, 'InvalidQueryParameterValue', 'Value for one of the query parameters specified in the request URI is invalid.');
  if (req.method === 'GET' || req.method === 'HEAD') {
    authorise(container, 'read');
    const found = state.blobs.get(account, container.name, name, versionId);
    return sendBlob(req, res, now, 200, found.blob.content, blobHeaders(found.blob, found.versionId, found.isCurrentVersion));
  }
  if (req.method === 'PUT') {
    authorise(container, 'write');
    return putBlob(state, req, res, account, container, name);
  }
  if (req.method === 'DELETE') {
    const deleteType = url.searchParams.get('deletetype');
    if (deleteType !== null && deleteType !== 'permanent') {
      throw new BlobHttpError(400, 'InvalidQueryParameterValue', 'Value for one of the query parameters specified in the request URI is invalid.');
    }
    authorise(container, deleteType === 'permanent' ? 'permanentDelete' : 'delete');
    const { permanent } = state.blobs.delete(account, container.name, name, versionId, deleteType === 'permanent');
    return sendBlob(req, res, now, 202, undefined, { 'x-ms-delete-type-permanent': String(permanent) });
  }
  throw new BlobHttpError(405, 'UnsupportedHttpVerb', "The resource doesn't support specified Http Verb.");
}

function containerOperation(state: SimulatorState, req: IncomingMessage, res: ServerResponse, url: URL, account: ScenarioStorageAccount, container: Container) {
  if (url.searchParams.get('restype') !== 'container')
    throw new BlobHttpError(400, 'InvalidUri', 'The requested URI does not represent any resource on the server.');
  const comp = url.searchParams.get('comp');
  if (req.method !== 'GET' && req.method !== 'HEAD') throw new BlobHttpError(405, 'UnsupportedHttpVerb', "The resource doesn't support specified Http Verb.");
  authorise(container, 'read');
  if (comp === 'list') return listBlobs(state, req, res, url, account, container);
  if (comp !== null)
    throw new BlobHttpError(400, 'InvalidQueryParameterValue', 'Value for one of the query parameters specified in the request URI is invalid.');
  return sendBlob(req, res, state.now(), 200, undefined, {
    etag: '"0x8D592D74CC20EBA"',
    'last-modified': httpDate(new Date(state.now().getTime() - 400 * 86_400_000)),
    'x-ms-lease-status': 'unlocked',
    'x-ms-lease-state': 'available',
    'x-ms-has-immutability-policy': String(container.immutabilityPolicy !== undefined),
    'x-ms-has-legal-hold': 'false',
    'x-ms-default-encryption-scope': '$account-encryption-key',
    'x-ms-deny-encryption-scope-override': 'false',
  });
}

/** The account, container and blob a path names (each segment percent-decoded; a blob name may contain "/"). */
function target(state: SimulatorState, pathname: string) {
  const [accountName = '', containerName = '', ...rest] = pathname
    .split('/')
    .slice(1)
    .map((s) => decodeURIComponent(s));
  // Storage account names are globally unique and lower case, so the name alone finds the scenario's account. An
  // unknown one has no DNS name in Azure; path-style, the simulator answers the generic ResourceNotFound.
  const account = [...state.accounts.values()].find((a) => a.name.toLowerCase() === accountName.toLowerCase());
  if (!account) throw new BlobHttpError(404, 'ResourceNotFound', 'The specified resource does not exist.');
  if (!containerName) throw new BlobHttpError(400, 'InvalidUri', 'The requested URI does not represent any resource on the server.');
  // The containers that exist are the scenario's (the same list BlobContainers_Get serves).
  const container = account.containers.find((c) => c.name.toLowerCase() === containerName.toLowerCase());
  if (!container) throw containerNotFound();
  return { account, container, blob: rest.join('/') };
}

/** One blob request: recorded, signed in, then an injected fault or the operation's answer. */
export async function handleBlobRequest(state: SimulatorState, req: IncomingMessage, res: ServerResponse) {
  const url = new URL(req.url ?? '/', state.blobOrigin);
  const record: RequestRecord = { method: req.method ?? 'GET', path: url.pathname, query: url.search, token: 'none', status: 0, plane: 'blob' };
  state.requests.push(record);
  res.on('finish', () => (record.status = res.statusCode));
  try {
    signIn(state, req, record);
    const injection = state.takeInjection(req.method, url.pathname);
    if (injection) return await answerInjection(state, injection, req, res);
    const { account, container, blob } = target(state, url.pathname);
    if (!blob) return containerOperation(state, req, res, url, account, container);
    return await blobOperation(state, req, res, url, account, container, blob);
  } catch (error) {
    if (res.headersSent) return res.destroy();
    if (error instanceof BlobHttpError) return sendBlobError(req, res, state.now(), error);
    return sendBlobError(
      req,
      res,
      state.now(),
      new BlobHttpError(500, 'InternalError', `The server encountered an internal error: ${(error as Error).message}`),
    );
  }
}
