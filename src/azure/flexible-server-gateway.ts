/**
 * Flexible Server through Resource Manager (@azure/arm-postgresql-flexible), mapped to plain types.
 * Answers are validated (zod) before use and memoised per run: five checks read the same server,
 * Resource Manager is asked once. Restore tests add point-in-time restore (servers.beginCreateOrUpdate
 * with createMode PointInTimeRestore), servers.beginDelete and fresh (not memoised) reads, on the
 * same client and request guard: the long-running operations' polling URLs must be the endpoint's own.
 */
import { PostgreSQLManagementFlexibleServerClient } from '@azure/arm-postgresql-flexible';
import { z } from 'zod';
import { EvaluationError } from '../errors.js';
import type { AzureCall } from './error-mapping.js';
import { type AzureSettings, armPipelineOptions, armScope, guardPipeline } from './azure-settings.js';
import { ResourceManagerCalls, validated } from './resource-manager-calls.js';
import type {
  BackupListing,
  FirewallRuleRequest,
  FlexibleServer,
  FlexibleServerGateway,
  LongRunningOptions,
  LongTermRetentionOperation,
  PointInTimeRestoreRequest,
  PointInTimeRestoreResult,
} from './types.js';

const optionalDate = z.date().optional();

// What restorecheck relies on, as the SDK returns it (flattened, dates as Date). Everything is
// optional: a property Azure did not send is reported as unknown by the checks, never guessed.
const serverSchema = z.object({
  id: z.string().optional(),
  name: z.string().optional(),
  location: z.string().optional(),
  state: z.string().optional(),
  version: z.string().optional(),
  fullyQualifiedDomainName: z.string().optional(),
  backup: z
    .object({
      backupRetentionDays: z.number().int().optional(),
      geoRedundantBackup: z.string().optional(),
      earliestRestoreDate: optionalDate,
    })
    .optional(),
  highAvailability: z.object({ mode: z.string().optional() }).optional(),
  tags: z.record(z.string(), z.string()).optional(),
  network: z
    .object({
      publicNetworkAccess: z.string().optional(),
      delegatedSubnetResourceId: z.string().optional(),
      privateDnsZoneArmResourceId: z.string().optional(),
    })
    .optional(),
  // Only the identities' ARM ids are kept: a restore names them again (their principal and client ids are Azure's to fill).
  identity: z.object({ type: z.string().optional(), userAssignedIdentities: z.record(z.string(), z.unknown()).optional() }).optional(),
  dataEncryption: z
    .object({
      type: z.string().optional(),
      primaryKeyURI: z.string().optional(),
      primaryUserAssignedIdentityId: z.string().optional(),
      geoBackupKeyURI: z.string().optional(),
      geoBackupUserAssignedIdentityId: z.string().optional(),
    })
    .optional(),
});

/** The role a restore test needs where it creates and deletes servers (README, "Restore tests"). */
const WRITER_ROLE = 'Contributor';
/** The restore test's reads and writes may aim at the target resource group as well as the source's. */
const RESTORE_GROUP_KEY = 'azure.postgres.resourceGroup, or restoreTest.targetResourceGroup for the restored server';

const statusOf = (error: unknown): number | undefined =>
  typeof error === 'object' && error !== null && typeof (error as { statusCode?: unknown }).statusCode === 'number'
    ? (error as { statusCode: number }).statusCode
    : undefined;

/** Sleeps, or rejects as soon as the signal aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

const backupSchema = z.object({
  name: z.string().optional(),
  backupType: z.string().optional(),
  source: z.string().optional(),
  completedTime: optionalDate,
});

const ltrSchema = z.object({
  backupName: z.string().optional(),
  status: z.string().optional(),
  startTime: optionalDate,
  endTime: optionalDate,
});

const API_HINT = 'the endpoint does not speak the Flexible Server API version restorecheck uses (2025-08-01)';

const iso = (date: Date | undefined) => date?.toISOString();

/** Every page of a list (the SDK follows nextLink; the request guard keeps it on our endpoint), bounded. */
/** Every page of a listing, bounded by azure.maxPages: a nextLink loop must end as an error, not run until the deadline. */
async function readAllPages<I, T>(pages: AsyncIterable<I[]>, call: AzureCall, maxPages: number, map: (item: I) => T): Promise<{ items: T[]; pages: number }> {
  const items: T[] = [];
  let count = 0;
  for await (const page of pages) {
    if (++count > maxPages) {
      throw new EvaluationError(
        'invalid-response',
        `${call.what}: more than ${maxPages} pages (azure.maxPages): Resource Manager kept returning a nextLink`,
        'raise azure.maxPages if this listing is really that long; otherwise Resource Manager loops on nextLink: report it to Azure support with the request id',
      );
    }
    items.push(...page.map(map));
  }
  return { items, pages: count };
}

/** Our own model of a server, from the SDK's (validated first). */
function toServer(value: unknown, call: AzureCall): FlexibleServer {
  const raw = validated(serverSchema, value, call, API_HINT);
  return {
    id: raw.id,
    name: raw.name,
    location: raw.location,
    state: raw.state,
    version: raw.version,
    fullyQualifiedDomainName: raw.fullyQualifiedDomainName,
    backupRetentionDays: raw.backup?.backupRetentionDays,
    geoRedundantBackup: raw.backup?.geoRedundantBackup,
    earliestRestoreDate: iso(raw.backup?.earliestRestoreDate),
    highAvailabilityMode: raw.highAvailability?.mode,
    ...(raw.tags ? { tags: raw.tags } : {}),
    ...(raw.network ? { network: raw.network } : {}),
    ...(raw.identity ? { identity: { type: raw.identity.type, userAssignedIdentityIds: Object.keys(raw.identity.userAssignedIdentities ?? {}) } } : {}),
    ...(raw.dataEncryption ? { dataEncryption: raw.dataEncryption } : {}),
  };
}

/** Azure's region name from either spelling: `France Central` (how Resource Manager returns it) → `francecentral` (as the Azure CLI sends it). */
export const regionName = (location: string) => location.toLowerCase().replace(/\s+/g, '');

export class ArmFlexibleServerGateway implements FlexibleServerGateway {
  private readonly client: PostgreSQLManagementFlexibleServerClient;
  private readonly calls: ResourceManagerCalls;

  constructor(private readonly settings: AzureSettings) {
    // The client refuses a subscription id that is not a UUID before sending anything; the config schema checks it first.
    this.client = new PostgreSQLManagementFlexibleServerClient(settings.credential, settings.subscriptionId, {
      ...armPipelineOptions(settings),
      credentialScopes: armScope(settings.endpoint),
    });
    guardPipeline(this.client.pipeline, settings);
    this.calls = new ResourceManagerCalls(settings, 'azure.postgres.resourceGroup');
  }

  getServer(resourceGroup: string, server: string): Promise<FlexibleServer> {
    const call = this.calls.describe(`GET Flexible Server ${server} (resource group ${resourceGroup})`, resourceGroup);
    return this.calls.once(`server:${resourceGroup}/${server}`, call, async (abortSignal) =>
      toServer(await this.client.servers.get(resourceGroup, server, { abortSignal }), call),
    );
  }

  async findServer(resourceGroup: string, server: string, signal?: AbortSignal): Promise<FlexibleServer | null> {
    const call = this.calls.describe(`GET Flexible Server ${server} (resource group ${resourceGroup})`, resourceGroup, 'Reader', RESTORE_GROUP_KEY);
    try {
      return await this.calls.fresh(call, async (abortSignal) => toServer(await this.client.servers.get(resourceGroup, server, { abortSignal }), call), signal);
    } catch (error) {
      // A 404 is the answer "it does not exist", not a failure to answer.
      if (error instanceof EvaluationError && error.kind === 'not-found' && statusOf(error.cause) === 404) return null;
      throw error;
    }
  }

  listServers(resourceGroup: string, signal?: AbortSignal): Promise<FlexibleServer[]> {
    const call = this.calls.describe(`GET Flexible Servers of resource group ${resourceGroup}`, resourceGroup, 'Reader', 'restoreTest.allowedResourceGroups');
    return this.calls.fresh(
      call,
      async (abortSignal) =>
        (
          await readAllPages(this.client.servers.listByResourceGroup(resourceGroup, { abortSignal }).byPage(), call, this.settings.maxPages, (item) =>
            toServer(item, call),
          )
        ).items,
      signal,
    );
  }

  restoreToNewServer(request: PointInTimeRestoreRequest, options: LongRunningOptions): Promise<PointInTimeRestoreResult> {
    const { resourceGroup, name } = request;
    const call: AzureCall = {
      ...this.calls.describe(
        `point-in-time restore to new Flexible Server ${name} (resource group ${resourceGroup})`,
        resourceGroup,
        WRITER_ROLE,
        RESTORE_GROUP_KEY,
      ),
      timeoutMs: options.timeoutMs,
    };
    return this.calls.fresh(
      call,
      async (abortSignal) => {
        // abortSignal and the per-request timeout travel with every request of the operation: the PUT and each poll.
        const poller = await this.client.servers.beginCreateOrUpdate(
          resourceGroup,
          name,
          {
            location: regionName(request.location),
            createMode: 'PointInTimeRestore',
            sourceServerResourceId: request.sourceServerId,
            pointInTimeUTC: request.pointInTime,
            tags: request.tags,
            ...(request.network ? { network: request.network } : {}),
            ...(request.identity
              ? {
                  identity: {
                    type: request.identity.type ?? 'UserAssigned',
                    userAssignedIdentities: Object.fromEntries(request.identity.userAssignedIdentityIds.map((id) => [id, {}])),
                  },
                }
              : {}),
            ...(request.dataEncryption ? { dataEncryption: request.dataEncryption } : {}),
          },
          { abortSignal, updateIntervalInMs: options.pollIntervalMs, requestOptions: { timeout: this.settings.requestTimeoutMs } },
        );
        try {
          return { status: 'succeeded', server: toServer(await poller.pollUntilDone({ abortSignal }), call) };
        } catch (error) {
          // core-lro marks the state failed both when Azure reports Failed and when a poll request
          // itself failed (a RestError): only the former is a verdict on the backup.
          if (poller.getOperationState().status === 'failed' && statusOf(error) === undefined && !abortSignal.aborted) {
            const detail = /has failed\. ([^.]+)\. (.*)$/s.exec((error as Error).message ?? '');
            return { status: 'failed', ...(detail ? { code: detail[1]! } : {}), message: (detail?.[2] ?? (error as Error).message ?? 'Failed').trim() };
          }
          throw error;
        }
      },
      options.signal,
    );
  }

  async createFirewallRule(request: FirewallRuleRequest, options: LongRunningOptions): Promise<void> {
    const { resourceGroup, server, name } = request;
    const call: AzureCall = {
      ...this.calls.describe(`PUT firewall rule ${name} of Flexible Server ${server} (resource group ${resourceGroup})`, resourceGroup, WRITER_ROLE),
      timeoutMs: options.timeoutMs,
    };
    await this.calls.fresh(
      call,
      async (abortSignal) => {
        const poller = await this.client.firewallRules.beginCreateOrUpdate(
          resourceGroup,
          server,
          name,
          { startIpAddress: request.startIpAddress, endIpAddress: request.endIpAddress },
          { abortSignal, updateIntervalInMs: options.pollIntervalMs, requestOptions: { timeout: this.settings.requestTimeoutMs } },
        );
        await poller.pollUntilDone({ abortSignal });
      },
      options.signal,
    );
  }

  async deleteServer(resourceGroup: string, server: string, options: LongRunningOptions): Promise<void> {
    const call: AzureCall = {
      ...this.calls.describe(`DELETE Flexible Server ${server} (resource group ${resourceGroup})`, resourceGroup, WRITER_ROLE, RESTORE_GROUP_KEY),
      timeoutMs: options.timeoutMs,
    };
    await this.calls.fresh(
      call,
      async (abortSignal) => {
        // Azure answers 409 while another operation runs on the server (a restore still finishing,
        // a backup): that is "not yet", so wait and ask again, within the deadline.
        for (let attempt = 0; ; attempt++) {
          try {
            const poller = await this.client.servers.beginDelete(resourceGroup, server, {
              abortSignal,
              updateIntervalInMs: options.pollIntervalMs,
              requestOptions: { timeout: this.settings.requestTimeoutMs },
            });
            await poller.pollUntilDone({ abortSignal });
            return;
          } catch (error) {
            // A lock (ScopeLocked) is not "not yet": waiting would end as a misleading timeout, so it ends the call now.
            if (statusOf(error) !== 409 || abortSignal.aborted || (error as { code?: unknown }).code === 'ScopeLocked') throw error;
            await pause(Math.min(options.pollIntervalMs * 2 ** Math.min(attempt, 4), 60_000), abortSignal);
          }
        }
      },
      options.signal,
    );
  }

  listBackups(resourceGroup: string, server: string): Promise<BackupListing> {
    const call = this.calls.describe(`GET backups of Flexible Server ${server} (resource group ${resourceGroup})`, resourceGroup);
    return this.calls.once(`backups:${resourceGroup}/${server}`, call, async (abortSignal) => {
      const { items, pages } = await readAllPages(
        this.client.backupsAutomaticAndOnDemand.listByServer(resourceGroup, server, { abortSignal }).byPage(),
        call,
        this.settings.maxPages,
        (item) => {
          const b = validated(backupSchema, item, call, API_HINT);
          return { name: b.name, backupType: b.backupType, source: b.source, completedTime: iso(b.completedTime) };
        },
      );
      return { backups: items, pages };
    });
  }

  listLongTermRetentionOperations(resourceGroup: string, server: string): Promise<LongTermRetentionOperation[]> {
    const call = this.calls.describe(`GET long-term retention backups of Flexible Server ${server} (resource group ${resourceGroup})`, resourceGroup);
    return this.calls.once(`ltr:${resourceGroup}/${server}`, call, async (abortSignal) => {
      const { items } = await readAllPages(
        this.client.backupsLongTermRetention.listByServer(resourceGroup, server, { abortSignal }).byPage(),
        call,
        this.settings.maxPages,
        (item) => {
          const op = validated(ltrSchema, item, call, API_HINT);
          return { backupName: op.backupName, status: op.status, startTime: iso(op.startTime), endTime: iso(op.endTime) };
        },
      );
      return items;
    });
  }
}
