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
import { type AzureSettings, armPipelineOptions, armScope, guardPipeline, withDeadline } from './azure-settings.js';
import { type AzureCall, toEvaluationError } from './error-mapping.js';
import type { BackupListing, FlexibleServer, FlexibleServerBackup, FlexibleServerGateway, LongTermRetentionOperation } from './types.js';

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

function validated<T>(schema: z.ZodType<T>, value: unknown, call: AzureCall): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.map(String).join('.') || '(body)';
    throw new EvaluationError('invalid-response', `${call.what}: Resource Manager answered with an unexpected ${where} (${issue?.message ?? 'invalid'})`, 'the endpoint does not speak the Flexible Server API version restorecheck uses (2025-08-01)');
  }
  return parsed.data;
}

const iso = (date: Date | undefined) => date?.toISOString();

export class ArmFlexibleServerGateway implements FlexibleServerGateway {
  private readonly client: PostgreSQLManagementFlexibleServerClient;
  private readonly cache = new Map<string, Promise<unknown>>();

  constructor(private readonly settings: AzureSettings) {
    // The client refuses a subscription id that is not a UUID before sending anything; the config schema checks it first.
    this.client = new PostgreSQLManagementFlexibleServerClient(settings.credential, settings.subscriptionId, {
      ...armPipelineOptions(settings),
      credentialScopes: armScope(settings.endpoint),
    });
    guardPipeline(this.client.pipeline, settings);
  }

  private call(what: string, resourceGroup: string): AzureCall {
    return {
      what,
      plane: 'arm',
      role: `Reader on resource group ${resourceGroup}`,
      scope: `/subscriptions/${this.settings.subscriptionId}/resourceGroups/${resourceGroup}`,
      timeoutMs: this.settings.requestTimeoutMs,
    };
  }

  /** One call per key and run, whatever the number of checks asking; failures are shared too. */
  private once<T>(key: string, make: () => Promise<T>): Promise<T> {
    let pending = this.cache.get(key) as Promise<T> | undefined;
    if (!pending) {
      pending = make();
      // Checks that never await it must not trigger an unhandled rejection.
      pending.catch(() => undefined);
      this.cache.set(key, pending);
    }
    return pending;
  }

  getServer(resourceGroup: string, server: string): Promise<FlexibleServer> {
    const call = this.call(`GET Flexible Server ${server} (resource group ${resourceGroup})`, resourceGroup);
    return this.once(`server:${resourceGroup}/${server}`.toLowerCase(), () =>
      withDeadline(
        call.timeoutMs,
        async (abortSignal) => {
          const raw = validated(serverSchema, await this.client.servers.get(resourceGroup, server, { abortSignal }), call);
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
        },
        (error) => toEvaluationError(error, call),
      ),
    );
  }

  listBackups(resourceGroup: string, server: string): Promise<BackupListing> {
    const call = this.call(`GET backups of Flexible Server ${server} (resource group ${resourceGroup})`, resourceGroup);
    return this.once(`backups:${resourceGroup}/${server}`.toLowerCase(), () =>
      withDeadline(
        call.timeoutMs,
        async (abortSignal) => {
          const backups: FlexibleServerBackup[] = [];
          let pages = 0;
          for await (const page of this.client.backupsAutomaticAndOnDemand.listByServer(resourceGroup, server, { abortSignal }).byPage()) {
            if (++pages > MAX_PAGES) throw new EvaluationError('invalid-response', `${call.what}: more than ${MAX_PAGES} pages`, 'Resource Manager keeps returning nextLink: report it to Azure support with the request id');
            for (const item of page) {
              const b = validated(backupSchema, item, call);
              backups.push({ name: b.name, backupType: b.backupType, source: b.source, completedTime: iso(b.completedTime) });
            }
          }
          return { backups, pages };
        },
        (error) => toEvaluationError(error, call),
      ),
    );
  }

  listLongTermRetentionOperations(resourceGroup: string, server: string): Promise<LongTermRetentionOperation[]> {
    const call = this.call(`GET long-term retention backups of Flexible Server ${server} (resource group ${resourceGroup})`, resourceGroup);
    return this.once(`ltr:${resourceGroup}/${server}`.toLowerCase(), () =>
      withDeadline(
        call.timeoutMs,
        async (abortSignal) => {
          const operations: LongTermRetentionOperation[] = [];
          let pages = 0;
          for await (const page of this.client.backupsLongTermRetention.listByServer(resourceGroup, server, { abortSignal }).byPage()) {
            if (++pages > MAX_PAGES) throw new EvaluationError('invalid-response', `${call.what}: more than ${MAX_PAGES} pages`, 'Resource Manager keeps returning nextLink');
            for (const item of page) {
              const op = validated(ltrSchema, item, call);
              operations.push({ backupName: op.backupName, status: op.status, startTime: iso(op.startTime), endTime: iso(op.endTime) });
            }
          }
          return operations;
        },
        (error) => toEvaluationError(error, call),
      ),
    );
  }
}
