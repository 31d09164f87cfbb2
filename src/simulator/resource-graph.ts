/**
 * Azure Resource Graph's Resources operation, as the official contract has it (azure-rest-api-specs,
 * specification/resourcegraph/resource-manager/Microsoft.ResourceGraph/stable/2022-10-01/resourcegraph.json and its
 * examples ResourcesBasicQuery.json, ResourcesFirstPageQuery.json, ResourcesNextPageQuery.json):
 * `POST /providers/Microsoft.ResourceGraph/resources?api-version=2022-10-01` with `{ subscriptions, managementGroups,
 * query, options: { $top, $skip, $skipToken, resultFormat } }`, answered `{ totalRecords, count, resultTruncated,
 * $skipToken, data, facets }` with `data` an objectArray.
 *
 * The query language is a strict subset of KQL: exactly what restorecheck's gateway sends (a type filter with `in~`,
 * tag equality with `=~`, a lower-cased copy of the tags with `extend`, `project`, `order by`). Anything else is
 * refused with Resource Graph's own 400 (InvalidQuery, then ParserFailure naming the token), so that the simulator can
 * never answer a query it did not understand as if it had. What the rows hold is what Resource Graph's index holds:
 * vanished resources included (its index lags behind Resource Manager), subscriptions the identity holds no role on left
 * out, `type` in lower case as in the examples, and `resourceGroup` in lower case too (Resource Graph may normalise it),
 * so that a client takes names from the id, whose case is the resource's own.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { ArmHttpError, methodNotAllowed, readBody, requireApiVersion, send } from './arm-http.js';
import { accountId, serverId } from './rest-bodies.js';
import type { SimulatorState } from './simulator-state.js';

/** The Resources operation's path, as the route table matches it (case-insensitively, as Resource Manager does). */
export const RESOURCE_GRAPH_PATH = /^\/providers\/Microsoft\.ResourceGraph\/resources$/i;

/** Resource Graph's error: a generic code and a support line on top, the specific codes in `details` (see errorBody's sources). */
function graphError(status: number, code: string, details: Array<Record<string, unknown>>, headers: Record<string, string> = {}): ArmHttpError {
  // The top-level message is always this support line (azure-powershell issue 13762, azure-cli-extensions issue 3325,
  // azure-sdk-for-java issue 29924 show it for InvalidQuery, RateLimiting and AccessDenied).
  const message = `Please provide below info when asking for support: timestamp = ${new Date().toISOString()}, correlationId = ${randomUUID()}.`;
  return new ArmHttpError(status, code, message, headers, details);
}

const INVALID_QUERY = {
  code: 'InvalidQuery',
  message: 'Query is invalid. Please refer to the documentation for the Azure Resource Graph service and fix the error before retrying.',
};

/** Resource Graph's throttling answer (azure-cli-extensions issue 3325) with its quota headers (Microsoft Learn, "Guidance for throttled requests"). */
export function resourceGraphThrottled(retryAfterSeconds: number): ArmHttpError {
  const resetsAfter = new Date(Math.max(0, Math.round(retryAfterSeconds)) * 1000).toISOString().slice(11, 19);
  return graphError(
    429,
    'RateLimiting',
    [
      {
        code: 'RateLimiting',
        message:
          'Client application has been throttled and should not attempt to repeat the request until an amount of time has elapsed. Please see https://aka.ms/resourcegraph-throttling for help.',
      },
    ],
    { 'x-ms-user-quota-remaining': '0', 'x-ms-user-quota-resets-after': resetsAfter },
  );
}

// ---- The KQL subset ----

type Token = { kind: 'ident' | 'string' | 'punct'; text: string; value: string; at: number };

/** KQL string literals: '…' and "…" with backslash escapes, @'…' and @"…" verbatim (the quote doubled inside). */
function readString(query: string, start: number): { value: string; end: number } | undefined {
  const verbatim = query[start] === '@';
  const quote = query[verbatim ? start + 1 : start];
  if (quote !== "'" && quote !== '"') return undefined;
  let value = '';
  for (let i = verbatim ? start + 2 : start + 1; i < query.length; i++) {
    const c = query[i]!;
    if (c === '\n' || c === '\r') return undefined;
    if (verbatim && c === quote && query[i + 1] === quote) {
      value += quote;
      i++;
    } else if (c === quote) {
      return { value, end: i + 1 };
    } else if (!verbatim && c === '\\') {
      const next = query[++i];
      const escapes: Record<string, string> = { n: '\n', t: '\t', '\\': '\\', "'": "'", '"': '"' };
      if (next === undefined || !(next in escapes)) return undefined;
      value += escapes[next];
    } else {
      value += c;
    }
  }
  return undefined;
}

function tokenize(query: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < query.length) {
    const c = query[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === "'" || c === '"' || (c === '@' && (query[i + 1] === "'" || query[i + 1] === '"'))) {
      const read = readString(query, i);
      if (!read) throw parserFailure(query, i, query.slice(i, i + 20), 'an unterminated or malformed string literal');
      tokens.push({ kind: 'string', text: query.slice(i, read.end), value: read.value, at: i });
      i = read.end;
      continue;
    }
    const ident = /^[A-Za-z_][A-Za-z0-9_]*/.exec(query.slice(i));
    if (ident) {
      tokens.push({ kind: 'ident', text: ident[0], value: ident[0], at: i });
      i += ident[0].length;
      continue;
    }
    const punct = ['=~', '==', '|', '(', ')', ',', '[', ']', '=', '~'].find((p) => query.startsWith(p, i));
    if (!punct) throw parserFailure(query, i, c, 'a character outside the subset');
    tokens.push({ kind: 'punct', text: punct, value: punct, at: i });
    i += punct.length;
  }
  return tokens;
}

/** Resource Graph's 400 for a query it cannot parse: InvalidQuery, then ParserFailure with the position (azure-powershell issue 13762). */
function parserFailure(query: string, at: number, token: string, expected: string): ArmHttpError {
  const before = query.slice(0, at).split('\n');
  return graphError(400, 'BadRequest', [
    INVALID_QUERY,
    {
      code: 'ParserFailure',
      message: 'ParserFailure',
      line: before.length,
      characterPositionInLine: before[before.length - 1]!.length,
      token,
      // Not Azure's: what the simulator would have accepted here (it implements the subset restorecheck sends).
      simulatorExpected: expected,
    },
  ]);
}

/** A row of the index: the columns Resource Graph has for every resource (those the subset can name). */
type Row = Record<string, unknown>;
const COLUMNS = ['id', 'name', 'type', 'kind', 'location', 'resourceGroup', 'subscriptionId', 'tags', 'sku'] as const;

type Stage =
  | { op: 'typeIn'; types: string[] }
  | { op: 'extendLowerTags'; column: string }
  | { op: 'tagEquals'; column: string; key: string; value: string }
  | { op: 'project'; columns: string[] }
  | { op: 'order'; column: string; descending: boolean };

/** Parses the query into stages, or throws Resource Graph's 400. */
export function parseQuery(query: string): Stage[] {
  const tokens = tokenize(query);
  let i = 0;
  const peek = () => tokens[i];
  const fail = (expected: string): never => {
    const t = tokens[i];
    throw parserFailure(query, t?.at ?? query.length, t?.text ?? '<EOF>', expected);
  };
  const take = (kind: Token['kind'], text?: string, expected = text ? `'${text}'` : kind): Token => {
    const t = tokens[i];
    // KQL keywords and function names are case-sensitive; so is this parser.
    if (!t || t.kind !== kind || (text !== undefined && t.text !== text)) return fail(expected);
    i++;
    return t;
  };
  const columns = new Set<string>(COLUMNS);
  const extended = new Set<string>();
  const column = (expected: string): string => {
    const name = take('ident', undefined, expected).value;
    if (!columns.has(name)) {
      i--;
      fail(`a column that exists here (${[...columns].join(', ')})`);
    }
    return name;
  };
  const table = take('ident', undefined, "the table 'Resources'");
  if (table.value !== 'Resources' && table.value !== 'resources') {
    i--;
    fail("the table 'Resources'");
  }
  const stages: Stage[] = [];
  while (i < tokens.length) {
    take('punct', '|');
    const verb = take('ident', undefined, "'where', 'extend', 'project' or 'order'").value;
    if (verb === 'where') {
      const subject = column('a column');
      if (subject === 'type') {
        take('ident', 'in', "'in~'");
        take('punct', '~', "'in~'");
        take('punct', '(');
        const types = [take('string').value];
        while (peek()?.text === ',') {
          i++;
          types.push(take('string').value);
        }
        take('punct', ')');
        stages.push({ op: 'typeIn', types });
      } else {
        if (subject !== 'tags' && !extended.has(subject)) {
          i--;
          fail("'type in~ (…)' or a tag lookup on tags or an extended copy of them");
        }
        take('punct', '[', "'[' (a tag lookup)");
        const key = take('string').value;
        take('punct', ']');
        take('punct', '=~');
        stages.push({ op: 'tagEquals', column: subject, key, value: take('string').value });
      }
    } else if (verb === 'extend') {
      const name = take('ident', undefined, 'a new column name').value;
      if (columns.has(name)) {
        i--;
        fail('a column name not yet used');
      }
      take('punct', '=');
      for (const fn of ['parse_json', 'tolower', 'tostring']) {
        take('ident', fn);
        take('punct', '(');
      }
      take('ident', 'tags');
      for (let n = 0; n < 3; n++) take('punct', ')');
      columns.add(name);
      extended.add(name);
      stages.push({ op: 'extendLowerTags', column: name });
    } else if (verb === 'project') {
      const projected = [column('a column')];
      while (peek()?.text === ',') {
        i++;
        projected.push(column('a column'));
      }
      columns.clear();
      for (const c of projected) columns.add(c);
      stages.push({ op: 'project', columns: projected });
    } else if (verb === 'order') {
      take('ident', 'by');
      const by = column('a column');
      let descending = true; // KQL's default order is descending
      if (peek()?.text === 'asc' || peek()?.text === 'desc') descending = take('ident').value === 'desc';
      stages.push({ op: 'order', column: by, descending });
    } else {
      i--;
      fail("'where', 'extend', 'project' or 'order'");
    }
  }
  return stages;
}

/** Tag lookups and `=~` compare dynamic values as strings; a missing key or a non-string value never matches. */
const equalsIgnoringCase = (value: unknown, wanted: string) => typeof value === 'string' && value.toLowerCase() === wanted.toLowerCase();

function evaluate(stages: Stage[], rows: Row[]): Row[] {
  let out = rows;
  for (const stage of stages) {
    if (stage.op === 'typeIn') {
      const types = new Set(stage.types.map((t) => t.toLowerCase()));
      out = out.filter((r) => types.has(String(r.type).toLowerCase()));
    } else if (stage.op === 'extendLowerTags') {
      // parse_json(tolower(tostring(tags))): the tags' JSON lower-cased, keys and values alike.
      out = out.map((r) => ({ ...r, [stage.column]: JSON.parse(JSON.stringify(r.tags ?? {}).toLowerCase()) }));
    } else if (stage.op === 'tagEquals') {
      out = out.filter((r) => {
        const bag = r[stage.column];
        return bag !== null && typeof bag === 'object' && equalsIgnoringCase((bag as Record<string, unknown>)[stage.key], stage.value);
      });
    } else if (stage.op === 'project') {
      out = out.map((r) => Object.fromEntries(stage.columns.map((c) => [c, r[c] ?? null])));
    } else {
      const sign = stage.descending ? -1 : 1;
      const key = (r: Row) => String(r[stage.column] ?? '');
      out = [...out].sort((a, b) => (key(a) < key(b) ? -sign : key(a) > key(b) ? sign : 0));
    }
  }
  return out;
}

/** What the index holds: every server and account of the subscriptions asked, vanished ones too. */
function indexRows(state: SimulatorState, subscriptions: Set<string>): Row[] {
  const rows: Row[] = [];
  for (const s of state.servers.values()) {
    const sub = state.subscriptionOf(s);
    if (!subscriptions.has(sub.toLowerCase())) continue;
    rows.push({
      id: serverId(sub, s),
      name: s.name,
      type: 'microsoft.dbforpostgresql/flexibleservers',
      kind: '',
      location: s.location.toLowerCase().replace(/\s+/g, ''),
      resourceGroup: s.resourceGroup.toLowerCase(),
      subscriptionId: sub,
      tags: s.tags ?? {},
      sku: { name: 'Standard_D2ds_v5', tier: 'GeneralPurpose' },
    });
  }
  for (const a of state.accounts.values()) {
    const sub = state.subscriptionOf(a);
    if (!subscriptions.has(sub.toLowerCase())) continue;
    rows.push({
      id: accountId(sub, a),
      name: a.name,
      type: 'microsoft.storage/storageaccounts',
      kind: 'StorageV2',
      location: a.location.toLowerCase().replace(/\s+/g, ''),
      resourceGroup: a.resourceGroup.toLowerCase(),
      subscriptionId: sub,
      tags: a.tags ?? {},
      sku: { name: a.sku, tier: a.sku.startsWith('Premium') ? 'Premium' : 'Standard' },
    });
  }
  return rows;
}

const requestSchema = z.object({
  subscriptions: z.array(z.string()).optional(),
  managementGroups: z.array(z.string()).optional(),
  query: z.string(),
  options: z
    .object({
      $top: z.number().int().min(1).max(1000).optional(),
      $skip: z.number().int().min(0).optional(),
      $skipToken: z.string().optional(),
      resultFormat: z.enum(['table', 'objectArray']).optional(),
      allowPartialScopes: z.boolean().optional(),
      authorizationScopeFilter: z.enum(['AtScopeAndBelow', 'AtScopeAndAbove', 'AtScopeExact', 'AtScopeAboveAndBelow']).optional(),
    })
    .optional(),
  facets: z.array(z.unknown()).optional(),
});

/** What the simulator does not implement, refused in Resource Graph's error shape with a code of the simulator's own. */
const unsupported = (message: string) => graphError(400, 'BadRequest', [{ code: 'SimulatorUnsupported', message }]);

/** Rows per page when the request has no $top (Microsoft Learn, "Working with large Azure resource data sets": 100 by default). */
const DEFAULT_TOP = 100;

interface SkipToken {
  /** The next page's first row. */
  o: number;
  /** The query and scope the token belongs to: a token is good for the same query and scopes only (resourcegraph.json). */
  h: string;
}

const fingerprint = (query: string, subscriptions: string[]) =>
  createHash('sha256')
    .update(JSON.stringify([query, subscriptions]))
    .digest('base64url')
    .slice(0, 16);

function readSkipToken(token: string, expected: string): number {
  let parsed: SkipToken | undefined;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as SkipToken;
  } catch {
    parsed = undefined;
  }
  if (!parsed || !Number.isInteger(parsed.o) || parsed.o < 0 || parsed.h !== expected) {
    // Azure's code for a bad token was not established: the simulator's is named for what it refuses.
    throw graphError(400, 'BadRequest', [
      INVALID_QUERY,
      { code: 'InvalidSkipToken', message: 'The $skipToken does not belong to this query and these scopes.' },
    ]);
  }
  return parsed.o;
}

/** POST /providers/Microsoft.ResourceGraph/resources: the Resources operation. */
export async function handleResourceGraph(state: SimulatorState, req: IncomingMessage, res: ServerResponse, url: URL) {
  requireApiVersion(url, 'resourceGraph');
  if (req.method !== 'POST') throw methodNotAllowed(req.method);
  const raw = await readBody(req);
  state.noteBody(req, raw);
  const parsed = requestSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ArmHttpError(400, 'InvalidRequestContent', `The request content was invalid: ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`.trim());
  }
  const body = parsed.data;
  if (body.managementGroups?.length) throw unsupported('The simulator has no management groups: name subscriptions, or none for every subscription.');
  if (body.facets?.length) throw unsupported('The simulator does not compute facets.');
  if (body.options?.resultFormat === 'table') throw unsupported('The simulator answers resultFormat objectArray only.');
  if (body.options?.authorizationScopeFilter && body.options.authorizationScopeFilter !== 'AtScopeAndBelow') {
    throw unsupported('The simulator implements authorizationScopeFilter AtScopeAndBelow only.');
  }
  if (body.subscriptions && body.subscriptions.length === 0) throw unsupported('An empty subscriptions list: leave it out to query every subscription.');

  // Named subscriptions must each be readable (403 AccessDenied, azure-sdk-for-java issue 29924, aztfexport issue 410);
  // without them, the query runs over every subscription the identity can read.
  const named = body.subscriptions;
  if (named?.some((s) => !state.canRead(s))) {
    throw graphError(403, 'AccessDenied', [
      { code: 'AccessDenied', message: 'Access is denied to the requested resource. The user might not have enough permission.' },
    ]);
  }
  const scope = named ?? state.subscriptions.filter((s) => state.canRead(s));
  const stages = parseQuery(body.query);
  const rows = evaluate(stages, indexRows(state, new Set(scope.map((s) => s.toLowerCase()))));

  const hash = fingerprint(body.query, scope.map((s) => s.toLowerCase()).sort());
  const token = body.options?.$skipToken;
  const offset = body.options?.$skip ?? (token ? readSkipToken(token, hash) : 0);
  const top = Math.min(body.options?.$top ?? DEFAULT_TOP, state.scenario.paging.resourceGraphPageSize);
  const page = rows.slice(offset, offset + top);
  const more = offset + top < rows.length;
  // Pages need the id column (ResourcesFirstPageQuery.json: "id field is required in the response to return the pages"):
  // without it, the first page is all there is, marked truncated.
  const pageable = !stages.some((s) => s.op === 'project' && !s.columns.includes('id'));
  const answer: Record<string, unknown> = {
    totalRecords: rows.length,
    count: page.length,
    resultTruncated: more && !pageable ? 'true' : 'false',
    ...(more && pageable ? { $skipToken: Buffer.from(JSON.stringify({ o: offset + top, h: hash } satisfies SkipToken)).toString('base64url') } : {}),
    facets: [],
    data: page,
  };
  return send(res, 200, answer, { 'x-ms-user-quota-remaining': '14', 'x-ms-user-quota-resets-after': '00:00:05' });
}
