/**
 * Fleet discovery through Azure Resource Graph (azure.discover, issue 17): one KQL query over the subscriptions, paged
 * with $skipToken, mapped to FleetResource. The REST operation is called directly through @azure/core-rest-pipeline
 * (POST /providers/Microsoft.ResourceGraph/resources, api-version 2022-10-01, resourcegraph.json in azure-rest-api-specs)
 * rather than through @azure/arm-resourcegraph: its v5 needs Node 22 (restorecheck supports 20.19) and v4 is built on
 * the deprecated ms-rest-js. The pipeline is the other clients': the run's credential (bearer policy, the Resource
 * Manager audience), the same retry bounds, the request guard and, in a fleet run, the request cap.
 *
 * The query is built here from the scope alone; tag keys and values reach it only as KQL verbatim string literals
 * (kqlString), so that no tag can change what the query asks.
 */
import {
  bearerTokenAuthenticationPolicy,
  createDefaultHttpClient,
  createHttpHeaders,
  createPipelineFromOptions,
  createPipelineRequest,
  type HttpClient,
  type Pipeline,
  type PipelinePolicy,
  type PipelineResponse,
  RestError,
} from '@azure/core-rest-pipeline';
import { z } from 'zod';
import { EvaluationError } from '../errors.js';
import type { FleetResource } from '../vocabulary.js';
import { type AzureSettings, armPipelineOptions, armScope, guardPipeline, withDeadline } from './azure-settings.js';
import { type AzureCall, toEvaluationError } from './error-mapping.js';
import type { Discovery, DiscoveryScope, ResourceGraphGateway } from './types.js';

export const RESOURCE_GRAPH_API_VERSION = '2022-10-01';

/** The resource type of each kind, as Resource Graph spells types (lower case). */
const TYPE_OF: Record<FleetResource['kind'], string> = {
  postgres: 'microsoft.dbforpostgresql/flexibleservers',
  storage: 'microsoft.storage/storageaccounts',
};

/** The column holding a lower-cased copy of the tags, so that tag keys match without regard to case (as Azure treats them). */
const LOWER_TAGS = 'restorecheckTags';

/**
 * A KQL verbatim string literal (`@'…'`, a quote doubled inside, no escape sequences), so that whatever a tag holds is
 * one string to the query and nothing else. KQL strings cannot span lines: a control character is refused instead.
 */
export function kqlString(value: string, what: string): string {
  if (/[\u0000-\u001f\u007f]/.test(value)) {
    throw new EvaluationError(
      'config',
      `${what} contains a control character (a line break, a tab…), which a Resource Graph query cannot carry`,
      'use a tag without control characters in azure.discover.tag',
    );
  }
  return `@'${value.replaceAll("'", "''")}'`;
}

/** The KQL query of a scope: the kinds' types, each tag (key and value case-insensitive), the columns, ordered by id. */
export function discoveryQuery(scope: Pick<DiscoveryScope, 'kinds' | 'tag'>): string {
  const types = [...new Set(scope.kinds)].map((kind) => `'${TYPE_OF[kind]}'`).join(', ');
  const lines = ['Resources', `| where type in~ (${types})`];
  const tags = Object.entries(scope.tag).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (tags.length > 0) {
    // Tag keys are case-insensitive in Azure but not in a dynamic lookup: the tags are looked up in a lower-cased copy.
    lines.push(`| extend ${LOWER_TAGS} = parse_json(tolower(tostring(tags)))`);
    for (const [key, value] of tags) {
      lines.push(`| where ${LOWER_TAGS}[${kqlString(key.toLowerCase(), `the tag key '${key}'`)}] =~ ${kqlString(value, `the value of tag '${key}'`)}`);
    }
  }
  // The id column keeps the pages stable (ResourcesFirstPageQuery.json: "id field is required … to return the pages").
  lines.push('| project id, name, type, subscriptionId, resourceGroup, location, tags', '| order by id asc');
  return lines.join('\n');
}

const rowSchema = z.object({
  id: z.string().min(1),
  type: z.string().min(1),
  location: z.string().optional(),
  tags: z.record(z.string(), z.string()).nullish(),
});

const pageSchema = z.object({
  totalRecords: z.number(),
  count: z.number(),
  resultTruncated: z.enum(['true', 'false']),
  $skipToken: z.string().nullish(),
  data: z.array(rowSchema),
});

const errorBodySchema = z.object({
  error: z.object({
    code: z.string().optional(),
    message: z.string().optional(),
    details: z.array(z.object({ code: z.string().optional(), message: z.string().optional() }).passthrough()).optional(),
  }),
});

const ID = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/([^/]+\/[^/]+)\/([^/]+)$/i;
const KIND_OF = new Map(Object.entries(TYPE_OF).map(([kind, type]) => [type, kind as FleetResource['kind']]));

/** "hh:mm:ss" (x-ms-user-quota-resets-after) in seconds; undefined when unreadable. */
function resetSeconds(value: string | undefined): number | undefined {
  const m = /^(\d+):(\d{2}):(\d{2})(?:\.\d+)?$/.exec(value?.trim() ?? '');
  return m ? Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]) : undefined;
}

/**
 * Resource Graph throttles with its quota headers (Microsoft Learn, "Guidance for throttled requests in Azure Resource
 * Graph": x-ms-user-quota-remaining, x-ms-user-quota-resets-after), which the SDK's retry policy does not read; it
 * retries a 429 only with Retry-After. This reads the reset time as Retry-After, before the request guard and the retry
 * policy see the answer, so that the wait is honoured and bounded (azure.maxRetryAfterSeconds) like any other.
 */
const quotaResetPolicy: PipelinePolicy = {
  name: 'restorecheckResourceGraphQuotaReset',
  async sendRequest(request, next) {
    const response = await next(request);
    if (response.status === 429 && response.headers.get('retry-after') === undefined && response.headers.get('retry-after-ms') === undefined) {
      const seconds = resetSeconds(response.headers.get('x-ms-user-quota-resets-after'));
      if (seconds !== undefined) response.headers.set('retry-after', String(Math.max(1, seconds)));
    }
    return response;
  },
};

export class ArmResourceGraphGateway implements ResourceGraphGateway {
  private readonly pipeline: Pipeline;
  private readonly http: HttpClient = createDefaultHttpClient();
  private readonly url: string;

  constructor(private readonly settings: AzureSettings) {
    const { endpoint: _endpoint, ...options } = armPipelineOptions(settings);
    this.pipeline = createPipelineFromOptions(options);
    this.pipeline.addPolicy(bearerTokenAuthenticationPolicy({ credential: settings.credential, scopes: armScope(settings.endpoint) }));
    this.pipeline.addPolicy(quotaResetPolicy, { afterPhase: 'Sign' });
    guardPipeline(this.pipeline, settings);
    this.url = `${settings.endpoint}/providers/Microsoft.ResourceGraph/resources?api-version=${RESOURCE_GRAPH_API_VERSION}`;
  }

  async discover(scope: DiscoveryScope, signal?: AbortSignal): Promise<Discovery> {
    if (scope.kinds.length === 0) return { resources: [], pages: 0, query: '' };
    const query = discoveryQuery(scope);
    const where = scope.subscriptions === 'all' ? 'every subscription the identity can read' : `subscriptions ${scope.subscriptions.join(', ')}`;
    const call: AzureCall = {
      what: `POST Resource Graph query (${where})`,
      plane: 'arm',
      role: 'Reader on the subscriptions',
      scope: scope.subscriptions === 'all' ? '/' : `/subscriptions/${scope.subscriptions[0] ?? ''}`,
      timeoutMs: this.settings.requestTimeoutMs,
    };
    const byId = new Map<string, FleetResource>();
    let skipToken: string | undefined;
    let pages = 0;
    do {
      if (pages >= this.settings.maxPages) {
        throw new EvaluationError(
          'invalid-response',
          `${call.what}: more than ${this.settings.maxPages} pages (azure.maxPages) of ${scope.pageSize} rows: Resource Graph kept returning a $skipToken`,
          'raise azure.maxPages or azure.discover.pageSize (at most 1000) if the fleet is really that large; otherwise narrow azure.discover (subscriptions, tag)',
        );
      }
      const body = {
        ...(scope.subscriptions === 'all' ? {} : { subscriptions: scope.subscriptions }),
        query,
        options: { $top: scope.pageSize, resultFormat: 'objectArray', ...(skipToken ? { $skipToken: skipToken } : {}) },
      };
      const page = await withDeadline(
        this.settings.requestTimeoutMs,
        (abortSignal) => this.page(body, call, abortSignal),
        (e) => toEvaluationError(e, call),
        signal,
      );
      pages++;
      for (const row of page.data) {
        const resource = toResource(row, call);
        const key = resource.id.toLowerCase();
        if (!byId.has(key)) byId.set(key, resource);
      }
      skipToken = page.$skipToken ?? undefined;
    } while (skipToken);
    const resources = [...byId.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, r]) => r);
    return { resources, pages, query };
  }

  /** One page: the POST, its answer checked, Resource Graph's refusals turned into EvaluationErrors. */
  private async page(body: object, call: AzureCall, abortSignal: AbortSignal): Promise<z.output<typeof pageSchema>> {
    const request = createPipelineRequest({
      url: this.url,
      method: 'POST',
      headers: createHttpHeaders({ 'content-type': 'application/json', accept: 'application/json' }),
      body: JSON.stringify(body),
      abortSignal,
      timeout: this.settings.requestTimeoutMs,
    });
    const response = await this.pipeline.sendRequest(this.http, request);
    const json = parseJson(response.bodyAsText ?? undefined);
    if (response.status !== 200) throw refusal(response, json, call);
    if (response.headers.get('x-ms-tenant-subscription-limit-hit')?.toLowerCase() === 'true') {
      throw new EvaluationError(
        'invalid-response',
        `${call.what}: Resource Graph searched only the first 10,000 subscriptions the identity can read (x-ms-tenant-subscription-limit-hit): the fleet found would be incomplete`,
        'list the subscriptions to search in azure.discover.subscriptions instead of `all`',
        requestOptions(response),
      );
    }
    const parsed = pageSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new EvaluationError(
        'invalid-response',
        `${call.what}: Resource Graph answered with an unexpected ${issue?.path.map(String).join('.') || '(body)'} (${issue?.message ?? 'invalid'})`,
        `the endpoint does not speak the Resource Graph API version restorecheck uses (${RESOURCE_GRAPH_API_VERSION})`,
        requestOptions(response),
      );
    }
    if (parsed.data.resultTruncated === 'true') {
      throw new EvaluationError(
        'invalid-response',
        `${call.what}: Resource Graph truncated the result (resultTruncated): the fleet found would be incomplete`,
        'narrow azure.discover (subscriptions, tag) and run again; report it if it persists (restorecheck always projects id, which paging needs)',
        requestOptions(response),
      );
    }
    return parsed.data;
  }
}

const requestOptions = (response: PipelineResponse) => {
  const requestId = response.headers.get('x-ms-request-id') ?? response.headers.get('x-ms-correlation-request-id');
  return requestId ? { requestId } : {};
};

function parseJson(text: string | undefined): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A refusal: 403 (the identity cannot read a subscription), a query Resource Graph refuses (a bug of restorecheck's: the
 * query is built here), or anything else as every Azure call maps it (401, 429 after the retries, 5xx…).
 */
function refusal(response: PipelineResponse, json: unknown, call: AzureCall): Error {
  const body = errorBodySchema.safeParse(json);
  const error = body.success ? body.data.error : undefined;
  const details = error?.details ?? [];
  const inner = details.map((d) => d.code).filter((c): c is string => typeof c === 'string');
  const said = [error?.code, ...inner].filter(Boolean).join(' / ');
  const detail = details.find((d) => d.code !== error?.code && d.message && d.message !== d.code)?.message ?? error?.message ?? '';
  const opts = { ...requestOptions(response), cause: json };
  if (response.status === 403) {
    const scopes =
      call.scope === '/' ? 'the subscriptions to discover (or a management group above them)' : 'each subscription of azure.discover.subscriptions';
    return new EvaluationError(
      'permission',
      `403 on ${call.what}: the identity may not read them (${said || 'Forbidden'}: ${detail})`,
      `the identity needs Reader on ${scopes}: \`az role assignment create --assignee <identity object id> --role Reader --scope ${call.scope === '/' ? '/subscriptions/<subscription id>' : call.scope}\``,
      opts,
    );
  }
  if (response.status === 400 && inner.some((c) => /^Invalid(Query|QueryLanguage)$|^ParserFailure$/i.test(c))) {
    return new EvaluationError(
      'internal',
      `${call.what}: Resource Graph refused the query restorecheck built (${said}: ${detail})`,
      'this is a bug in restorecheck, not in your configuration: report it with this message and the query in the evidence',
      opts,
    );
  }
  const rest = new RestError(`${said || `HTTP ${response.status}`}: ${detail}`.trim(), {
    statusCode: response.status,
    ...(error?.code ? { code: error.code } : {}),
    request: response.request,
    response,
  });
  return toEvaluationError(rest, call);
}

/** A row as our FleetResource: names and resource group from the id (Resource Graph may lower-case resourceGroup). */
function toResource(row: z.output<typeof rowSchema>, call: AzureCall): FleetResource {
  const m = ID.exec(row.id);
  const kind = KIND_OF.get(row.type.toLowerCase());
  if (!m || !kind || m[3]!.toLowerCase() !== row.type.toLowerCase()) {
    throw new EvaluationError(
      'invalid-response',
      `${call.what}: Resource Graph answered a row restorecheck did not ask for (type ${row.type}, id ${row.id})`,
      'the endpoint in azure.resourceManagerEndpoint does not answer Resource Graph queries as Azure does',
    );
  }
  return {
    id: row.id,
    kind,
    name: m[4]!,
    subscriptionId: m[1]!,
    resourceGroup: m[2]!,
    location: row.location ?? '',
    tags: row.tags ?? {},
  };
}
