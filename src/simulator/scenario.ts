/**
 * The simulator's declarative state: servers, their backups, storage accounts, and faults to
 * inject. A property left out of the scenario is left out of Resource Manager's answer, so a
 * scenario can reproduce "Azure did not return it". Times are relative (hours or days ago) and
 * resolved at request time, so a scenario stays true however long the simulator runs.
 */
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { azureErrorSchema } from './azure-error-bodies.js';
import { fleetResources, fleetSchema } from './fleet-scenario.js';

const name = z.string().min(1);
const nonNegative = z.number().nonnegative();
const uuid = z.string().regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, { message: 'must be a UUID' });

/**
 * Where a resource lives and whether it still does: `subscriptionId` (default: the scenario's) puts it in another
 * subscription, whose paths alone find it; `vanished` keeps it in Resource Graph's answer (its index lags behind) while
 * every Resource Manager call on it is 404 ResourceNotFound: a resource deleted between discovery and its check.
 */
const placement = {
  subscriptionId: uuid.optional(),
  vanished: z.boolean().optional(),
};

const backupSchema = z.strictObject({
  name: name.optional(),
  backupType: z.string().default('Full'),
  source: z.string().default('Automatic'),
  /** Absent: the backup is not complete (no completedTime). */
  completedHoursAgo: nonNegative.optional(),
});

const serverSchema = z.strictObject({
  ...placement,
  resourceGroup: name,
  name,
  location: name,
  state: z.string().optional(),
  version: z.string().optional(),
  tags: z.record(z.string(), z.string()).optional(),
  /** Where the server answers; default `<name>.postgres.database.azure.com` (or, with the real-restore hooks, its real PostgreSQL's host). */
  fullyQualifiedDomainName: name.optional(),
  /** properties.network; default `publicNetworkAccess: Disabled`. A delegated subnet makes it a VNet server (no restore to public access). */
  network: z
    .strictObject({
      publicNetworkAccess: z.enum(['Enabled', 'Disabled']).optional(),
      delegatedSubnetResourceId: name.optional(),
      privateDnsZoneArmResourceId: name.optional(),
    })
    .optional(),
  /** A customer-managed key: the user-assigned identities (ARM ids) and properties.dataEncryption. */
  identity: z.strictObject({ type: z.string().default('UserAssigned'), userAssignedIdentities: z.array(name).default([]) }).optional(),
  dataEncryption: z
    .strictObject({
      type: z.string(),
      primaryKeyURI: z.string().optional(),
      primaryUserAssignedIdentityId: z.string().optional(),
      geoBackupKeyURI: z.string().optional(),
      geoBackupUserAssignedIdentityId: z.string().optional(),
    })
    .optional(),
  backup: z
    .strictObject({
      backupRetentionDays: z.number().int().optional(),
      geoRedundantBackup: z.string().optional(),
      earliestRestoreDaysAgo: nonNegative.optional(),
    })
    .optional(),
  highAvailability: z.strictObject({ mode: z.string(), state: z.string().optional() }).optional(),
  /** Tests only: send `null` for each optional property left unset here (as Azure does for some) instead of leaving it out. */
  nullForUnset: z.boolean().optional(),
  /** Listed in this order (Azure does not promise one). */
  backups: z.array(backupSchema).default([]),
  /** Generated daily-style backups, oldest first (so the newest lands on the last page), after `backups`. */
  backupSeries: z
    .strictObject({
      count: z.number().int().positive().max(100_000),
      intervalHours: z.number().positive().default(24),
      newestHoursAgo: nonNegative.default(2),
    })
    .optional(),
  longTermRetention: z.array(z.strictObject({ backupName: name, status: z.string().default('Succeeded'), endedDaysAgo: nonNegative.default(1) })).default([]),
  /**
   * What a point-in-time restore of this server does, with the real-restore hooks
   * (point-in-time-restore.ts; `restorecheck simulator` installs them).
   */
  restore: z
    .strictObject({
      /**
       * The real PostgreSQL behind this server, as a superuser URL (`${VAR}` is taken from the
       * environment): a restore copies it (pg_dumpall) into a new cluster on another loopback address.
       * Absent: the restore only takes its time and reports its outcome.
       */
      databaseUrl: z.string().min(1).optional(),
      /** How long the restore takes at least (the copy may take longer). */
      durationSeconds: nonNegative.default(1),
      outcome: z.enum(['Succeeded', 'Failed']).default('Succeeded'),
      /** outcome Failed: the error code of the failed operation (default RestoreFailed), e.g. InternalServerError or QuotaExceeded. */
      failureCode: name.optional(),
      /** outcome Failed: its message (default: a sentence naming the server). */
      failureMessage: name.optional(),
    })
    .optional(),
});

const retentionSchema = z.strictObject({ enabled: z.boolean().optional(), days: z.number().int().optional() });

/** A lifecycle action's age condition, as ManagementPolicies_Get spells it (StorageAccountGetManagementPolicy.json). */
const ageSchema = z.strictObject({
  daysAfterModificationGreaterThan: nonNegative.optional(),
  daysAfterCreationGreaterThan: nonNegative.optional(),
  daysAfterLastAccessTimeGreaterThan: nonNegative.optional(),
});

/**
 * One lifecycle rule, in the shape of the ManagementPolicies_Get body's `properties.policy.rules[]`. Resource
 * Manager serves it as it is; the blob data plane does not run it (Azure runs lifecycle rules once a day, at a time
 * it does not promise).
 */
const lifecycleRuleSchema = z.strictObject({
  name,
  enabled: z.boolean().default(true),
  type: z.literal('Lifecycle').default('Lifecycle'),
  definition: z.strictObject({
    filters: z
      .strictObject({
        blobTypes: z.array(z.enum(['blockBlob', 'appendBlob'])).default(['blockBlob']),
        /** Container name, optionally followed by a blob name prefix ("container/prefix"). */
        prefixMatch: z.array(name).optional(),
      })
      .optional(),
    actions: z.strictObject({
      baseBlob: z
        .strictObject({ tierToCool: ageSchema.optional(), tierToCold: ageSchema.optional(), tierToArchive: ageSchema.optional(), delete: ageSchema.optional() })
        .optional(),
      version: z.strictObject({ tierToCool: ageSchema.optional(), tierToArchive: ageSchema.optional(), delete: ageSchema.optional() }).optional(),
      snapshot: z.strictObject({ tierToCool: ageSchema.optional(), tierToArchive: ageSchema.optional(), delete: ageSchema.optional() }).optional(),
    }),
  }),
});

const storageAccountSchema = z.strictObject({
  ...placement,
  resourceGroup: name,
  name,
  location: name,
  tags: z.record(z.string(), z.string()).optional(),
  /** Default: location. */
  primaryLocation: name.optional(),
  /** Only geo-replicated SKUs have one; left out when absent. */
  secondaryLocation: name.optional(),
  sku: z.string().default('Standard_LRS'),
  /** Tests only: send `null` for secondaryLocation and each blob service setting left unset here, instead of leaving them out. */
  nullForUnset: z.boolean().optional(),
  blobService: z
    .strictObject({
      isVersioningEnabled: z.boolean().optional(),
      /**
       * Blob soft delete. allowPermanentDelete (BlobServicesPutAllowPermanentDelete.json): Delete Blob with
       * `deletetype=permanent` may remove a soft-deleted version (the blob data plane honours it).
       */
      deleteRetentionPolicy: retentionSchema.extend({ allowPermanentDelete: z.boolean().optional() }).optional(),
      containerDeleteRetentionPolicy: retentionSchema.optional(),
      changeFeed: z.strictObject({ enabled: z.boolean() }).optional(),
    })
    .default({}),
  /** Blob containers Resource Manager describes (BlobContainers_Get): the report store's, with its immutability policy. */
  containers: z
    .array(
      z.strictObject({
        name,
        /** The container's time-based retention policy; left out: none was ever set. */
        immutabilityPolicy: z
          .strictObject({
            state: z.enum(['Locked', 'Unlocked']),
            days: z.number().int().nonnegative(),
            /** allowProtectedAppendWritesAll (append and block blobs may still be appended to). */
            allowProtectedAppendWritesAll: z.boolean().optional(),
          })
          .optional(),
        /** immutableStorageWithVersioning.enabled (version-level immutability). */
        versionLevelImmutability: z.boolean().optional(),
        /**
         * The Storage Blob Data role the simulated identity holds on this container (blob data plane): `owner` may also
         * permanently delete (blobs/permanentDelete/action, which Storage Blob Data Contributor lacks), `contributor`
         * read, write, delete and undelete, `reader` only get and list, `none` nothing. Refused: 403 AuthorizationPermissionMismatch.
         */
        dataRole: z.enum(['owner', 'contributor', 'reader', 'none']).default('contributor'),
      }),
    )
    .default([]),
  /** The lifecycle management policy (ManagementPolicies_Get); left out: the account has none (404 ManagementPolicyNotFound). */
  managementPolicy: z.strictObject({ rules: z.array(lifecycleRuleSchema).default([]) }).optional(),
  /**
   * Tests only: someone with permanent-delete rights purges every soft-deleted blob and version of this account the
   * moment it is deleted, so that Undelete finds nothing. Refused unless deleteRetentionPolicy.allowPermanentDelete is true.
   */
  purgeDeleted: z.boolean().optional(),
});

export const injectionSchema = z.strictObject({
  /** Matched against the request path, case-insensitively, as a substring. */
  path: name,
  method: z.enum(['GET', 'PUT', 'DELETE', 'POST', 'PATCH']).optional(),
  status: z.number().int().min(100).max(599),
  /** ARM error code for the standard body `{error:{code,message}}`. */
  code: z.string().optional(),
  message: z.string().optional(),
  /** A raw body instead of the ARM error body (e.g. malformed JSON). */
  body: z.string().optional(),
  /** Seconds, sent as Retry-After. */
  retryAfter: nonNegative.optional(),
  /** Further response headers (e.g. Resource Graph's x-ms-user-quota-resets-after on a 429). */
  headers: z.record(z.string().regex(/^[A-Za-z0-9-]+$/), z.string()).optional(),
  /** How many matching requests get this answer; default: all of them. */
  times: z.number().int().positive().optional(),
  /** Reset the connection (TCP RST, ECONNRESET at the client) instead of answering. */
  reset: z.boolean().optional(),
  /** Hold the answer this long (for deadline tests). */
  delayMs: nonNegative.optional(),
  /** Answer with Azure's documented body for this refusal (azure-error-bodies.ts), built from the request path; `status` still applies. */
  azureError: azureErrorSchema.optional(),
  /** azureError ScopeLocked: the lock is on the resource group (default) or on the resource itself. */
  lockOn: z.enum(['resourceGroup', 'resource']).optional(),
  /** azureError RequestDisallowedByPolicy: the denying assignment's display name. */
  policyAssignment: name.optional(),
});

export const scenarioSchema = z
  .strictObject({
    subscriptionId: uuid.default('00000000-0000-0000-0000-000000000000'),
    /**
     * Subscriptions that exist but on which the identity holds no role: Resource Manager answers 403 AuthorizationFailed
     * on their paths, Resource Graph 403 AccessDenied when a query names one, and leaves them out of a query over every
     * subscription (no `subscriptions` in the request).
     */
    unreadableSubscriptions: z.array(uuid).default([]),
    paging: z
      .strictObject({
        backupsPageSize: z.number().int().positive().default(100),
        /** The most rows of a Resource Graph page, whatever $top asks (Azure's own cap is 1000). */
        resourceGraphPageSize: z.number().int().positive().max(1000).default(1000),
      })
      .default({ backupsPageSize: 100, resourceGraphPageSize: 1000 }),
    /**
     * Every Resource Manager and Resource Graph answer is held this long (not the token endpoint's), so that concurrent
     * requests overlap as they do against Azure, whose answers take tens of milliseconds.
     */
    latencyMs: nonNegative.default(0),
    /**
     * Throttling by concurrency: a request arriving while `maxInFlight` Resource Manager / Resource Graph requests are
     * already in flight is answered 429 at once: Resource Manager's SubscriptionRequestsThrottled with Retry-After,
     * Resource Graph's RateLimiting with its quota headers (resource-manager.ts).
     */
    throttle: z.strictObject({ maxInFlight: z.number().int().positive(), retryAfterSeconds: nonNegative.default(1) }).optional(),
    /** Generated servers and accounts over several subscriptions (fleet-scenario.ts), added after `servers` and `storageAccounts`. */
    fleet: fleetSchema.optional(),
    /**
     * Tests only: the origin written into nextLink URLs instead of the simulator's own, to prove that
     * a client refuses to follow (and send its token to) another host.
     */
    nextLinkOrigin: z.string().url().optional(),
    lro: z
      .strictObject({
        /** How long a restore or delete takes when no hook does the work. */
        durationMs: nonNegative.default(1000),
        pollRetryAfterSeconds: nonNegative.default(1),
        failRestore: z.boolean().default(false),
      })
      .default({ durationMs: 1000, pollRetryAfterSeconds: 1, failRestore: false }),
    /** Resource groups that exist besides those of the servers and storage accounts (e.g. an empty restore-target group), in subscriptionId. */
    resourceGroups: z.array(name).default([]),
    servers: z.array(serverSchema).default([]),
    storageAccounts: z.array(storageAccountSchema).default([]),
    injections: z.array(injectionSchema).default([]),
  })
  .transform((scenario) => {
    if (!scenario.fleet) return scenario;
    // Generated as scenario input, then validated by the same schemas as hand-written items (fleet-scenario.ts).
    const fleet = fleetResources(scenario.fleet, scenario.subscriptionId);
    return {
      ...scenario,
      servers: [...scenario.servers, ...fleet.servers.map((s) => serverSchema.parse(s))],
      storageAccounts: [...scenario.storageAccounts, ...fleet.storageAccounts.map((a) => storageAccountSchema.parse(a))],
      injections: [...scenario.injections, ...fleet.injections.map((i) => injectionSchema.parse(i))],
    };
  })
  .superRefine((scenario, ctx) => {
    scenario.storageAccounts.forEach((account, index) => {
      if (account.purgeDeleted && account.blobService.deleteRetentionPolicy?.allowPermanentDelete !== true) {
        ctx.addIssue({
          code: 'custom',
          path: ['storageAccounts', index, 'purgeDeleted'],
          message: 'purgeDeleted needs blobService.deleteRetentionPolicy.allowPermanentDelete: true (only then may anyone purge soft-deleted data)',
        });
      }
    });
    // Two items with one id would shadow each other in the simulator's maps: refused, naming the second (a generated fleet's included).
    for (const [key, items] of [
      ['servers', scenario.servers],
      ['storageAccounts', scenario.storageAccounts],
    ] as const) {
      const seen = new Set<string>();
      items.forEach((item, index) => {
        const id = [item.subscriptionId ?? scenario.subscriptionId, item.resourceGroup, item.name].join('/').toLowerCase();
        if (seen.has(id))
          ctx.addIssue({ code: 'custom', path: [key, index, 'name'], message: `${item.name} is listed twice in resource group ${item.resourceGroup}` });
        seen.add(id);
      });
    }
  });

export type Scenario = z.output<typeof scenarioSchema>;
export type ScenarioInput = z.input<typeof scenarioSchema>;
export type ScenarioServer = z.output<typeof serverSchema>;
export type ScenarioStorageAccount = z.output<typeof storageAccountSchema>;
export type Injection = z.output<typeof injectionSchema>;

export function parseScenario(value: unknown, source = 'scenario'): Scenario {
  const parsed = scenarioSchema.safeParse(value);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => `${source}: ${issue.path.map(String).join('.') || '(top level)'}: ${issue.message}`),
      'fix the scenario file (see examples/scenarios/healthy.yaml)',
    );
  }
  return parsed.data;
}

/** Reads a YAML or JSON scenario file. Throws ConfigError naming every problem. */
export async function loadScenarioFile(path: string): Promise<Scenario> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ConfigError(
      [`${path}: cannot read the scenario file (${(error as NodeJS.ErrnoException).code ?? String(error)})`],
      'pass an existing YAML or JSON file with --scenario FILE',
    );
  }
  let raw: unknown;
  try {
    raw = extname(path).toLowerCase() === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new ConfigError([`${path}: not valid ${extname(path).toLowerCase() === '.json' ? 'JSON' : 'YAML'}: ${(error as Error).message.split('\n')[0]}`]);
  }
  return parseScenario(raw, path);
}
