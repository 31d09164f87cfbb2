/**
 * Flexible Server through Resource Manager (@azure/arm-postgresql-flexible), mapped to plain types.
 * Answers are validated (zod) before use and memoised per run: five checks read the same server,
 * Resource Manager is asked once. The restore-test issue adds point-in-time restore
 * (servers.beginCreateOrUpdate with createMode PointInTimeRestore) and servers.beginDelete here,
 * on the same client and guard.
 */
import { PostgreSQLManagementFlexibleServerClient } from '@azure/arm-postgresql-flexible';
import { z } from 'zod';
import { EvaluationError } from '../errors.js';
import { type AzureSettings, armPipelineOptions, armScope, guardPipeline } from './azure-settings.js';
import type { AzureCall } from './error-mapping.js';
import { ResourceManagerCalls, validated } from './resource-manager-calls.js';
import type { BackupListing, FlexibleServer, FlexibleServerGateway, LongTermRetentionOperation } from './types.js';

/** A bound on pages: a nextLink loop must end as an error, not run until the deadline. */
const MAX_PAGES = 1000;

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
});

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
async function readAllPages<I, T>(pages: AsyncIterable<I[]>, call: AzureCall, map: (item: I) => T): Promise<{ items: T[]; pages: number }> {
  const items: T[] = [];
  let count = 0;
  for await (const page of pages) {
    if (++count > MAX_PAGES) throw new EvaluationError('invalid-response', `${call.what}: more than ${MAX_PAGES} pages`, 'Resource Manager keeps returning nextLink: report it to Azure support with the request id');
    items.push(...page.map(map));
  }
  return { items, pages: count };
}

export class ArmFlexibleServerGateway implements FlexibleServerGateway {
  private readonly client: PostgreSQLManagementFlexibleServerClient;
  private readonly calls: ResourceManagerCalls;

  constructor(settings: AzureSettings) {
    // The client refuses a subscription id that is not a UUID before sending anything; the config schema checks it first.
    this.client = new PostgreSQLManagementFlexibleServerClient(settings.credential, settings.subscriptionId, {
      ...armPipelineOptions(settings),
      credentialScopes: armScope(settings.endpoint),
    });
    guardPipeline(this.client.pipeline, settings);
    this.calls = new ResourceManagerCalls(settings);
  }

  getServer(resourceGroup: string, server: string): Promise<FlexibleServer> {
    const call = this.calls.describe(`GET Flexible Server ${server} (resource group ${resourceGroup})`, resourceGroup);
    return this.calls.once(`server:${resourceGroup}/${server}`, call, async (abortSignal) => {
      const raw = validated(serverSchema, await this.client.servers.get(resourceGroup, server, { abortSignal }), call, API_HINT);
      const result: FlexibleServer = {
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
      };
      return result;
    });
  }

  listBackups(resourceGroup: string, server: string): Promise<BackupListing> {
    const call = this.calls.describe(`GET backups of Flexible Server ${server} (resource group ${resourceGroup})`, resourceGroup);
    return this.calls.once(`backups:${resourceGroup}/${server}`, call, async (abortSignal) => {
      const { items, pages } = await readAllPages(this.client.backupsAutomaticAndOnDemand.listByServer(resourceGroup, server, { abortSignal }).byPage(), call, (item) => {
        const b = validated(backupSchema, item, call, API_HINT);
        return { name: b.name, backupType: b.backupType, source: b.source, completedTime: iso(b.completedTime) };
      });
      return { backups: items, pages };
    });
  }

  listLongTermRetentionOperations(resourceGroup: string, server: string): Promise<LongTermRetentionOperation[]> {
    const call = this.calls.describe(`GET long-term retention backups of Flexible Server ${server} (resource group ${resourceGroup})`, resourceGroup);
    return this.calls.once(`ltr:${resourceGroup}/${server}`, call, async (abortSignal) => {
      const { items } = await readAllPages(this.client.backupsLongTermRetention.listByServer(resourceGroup, server, { abortSignal }).byPage(), call, (item) => {
        const op = validated(ltrSchema, item, call, API_HINT);
        return { backupName: op.backupName, status: op.status, startTime: iso(op.startTime), endTime: iso(op.endTime) };
      });
      return items;
    });
  }
}
