/**
 * The configuration schema (contract.md, "Configuration file"). Strict everywhere: an unknown key is
 * an error, because a typo (`minRetentionDay`) must never silently disable a check.
 * Types are inferred from the schema so the two cannot drift.
 */
import { z } from 'zod';
import { EEA_AZURE_REGIONS } from '../residency/azure-regions.js';
import { severitySchema as severity } from '../vocabulary.js';

const positiveInt = z.number().int().positive();

/** `postgres://` or `postgresql://` URL; the password stays inside and is masked wherever echoed. */
const postgresUrl = z.string().refine(
  (value) => {
    try {
      const url = new URL(value);
      return (url.protocol === 'postgres:' || url.protocol === 'postgresql:') && url.hostname !== '';
    } catch {
      return false;
    }
  },
  { message: 'must be a postgres://user:password@host:5432/dbname URL' },
);

const coreTable = z.strictObject({
  name: z.string().min(1),
  minRows: z.number().int().nonnegative().default(1),
});

/**
 * One expectation of a smoke query (restoreTest.smoke): exactly one of the three keys. `returnsRow: true` at least one
 * row (`false`: none); `equals` the first column of the first row equals the value, compared with PostgreSQL's text
 * form of it; `atLeast` the first column of the first row is a number of at least N (compared exactly, past 2^53 too).
 */
const smokeExpectation = z
  .strictObject({
    returnsRow: z.boolean().optional(),
    equals: z.union([z.number(), z.string(), z.boolean(), z.null()]).optional(),
    atLeast: z.number().optional(),
  })
  .superRefine((expect, ctx) => {
    const given = (['returnsRow', 'equals', 'atLeast'] as const).filter((k) => Object.hasOwn(expect, k) && expect[k] !== undefined);
    if (given.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        message:
          given.length === 0
            ? 'give exactly one expectation: { returnsRow: true }, { equals: VALUE } or { atLeast: N }'
            : `give exactly one expectation, not ${given.join(' and ')}: split it into one query per expectation`,
      });
    }
  });

export type SmokeExpectation = z.output<typeof smokeExpectation>;

const smokeQuery = z.strictObject({
  /** Names the query in the report; unique. */
  name: z.string().trim().min(1),
  /** One read-only statement, run on the restored copy in a read-only transaction. */
  sql: z.string().trim().min(1),
  expect: smokeExpectation,
});

/** The team's own test command, run once against the restored copy (argv, no shell). */
const smokeCommand = z.strictObject({
  run: z.array(z.string().min(1)).min(1, { message: 'give the command as a list, e.g. [pytest, -m, restore]' }),
  timeoutSeconds: z.number().positive().default(600),
  /** Relative to the configuration file; default its directory. */
  cwd: z.string().min(1).optional(),
});

function uniqueSmokeNames(queries: { name: string }[], ctx: z.RefinementCtx): void {
  const seen = new Set<string>();
  queries.forEach((q, i) => {
    if (seen.has(q.name))
      ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `"${q.name}" is already the name of another smoke query: names must be unique` });
    seen.add(q.name);
  });
}

export const databaseSchema = z.strictObject({
  url: postgresUrl,
  /**
   * How restorecheck signs in: the URL's password, or a Microsoft Entra token for Azure Database for PostgreSQL from the
   * same credential as the Azure calls (the URL's user is then the Entra principal, and the URL carries no password).
   */
  auth: z.enum(['password', 'entra']).default('password'),
  statementTimeoutMs: positiveInt.default(15_000),
  connectTimeoutMs: positiveInt.default(10_000),
  alembic: z
    .strictObject({
      table: z.string().min(1).default('alembic_version'),
      // One head, or the list of heads of a project with several (plugin-style, several bases).
      expectedHead: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
      migrationsDir: z.string().min(1).optional(),
      // Alembic's recursive_version_locations; when unset, read from the alembic.ini above migrationsDir.
      recursive: z.boolean().optional(),
    })
    .default({ table: 'alembic_version' }),
  coreTables: z.array(coreTable).default([]),
  signedDocument: z
    .strictObject({
      query: z.string().min(1),
    })
    .optional(),
});

/** A stored password beside Entra sign-in is a secret nobody needs, and it would hide which of the two signed in. */
function noPasswordWithEntra(database: { url: string; auth: string }, ctx: z.RefinementCtx): void {
  if (database.auth !== 'entra') return;
  let url: URL;
  try {
    url = new URL(database.url);
  } catch {
    return; // the url's own rule reports it
  }
  if (url.password !== '') {
    ctx.addIssue({
      code: 'custom',
      path: ['url'],
      message: 'with auth: entra the URL carries no password (postgres://<entra-principal>@host:5432/dbname): the token is the password',
    });
  } else if (url.username === '') {
    // PGUSER or "postgres" would be a guess; the token is issued to one principal, whose role name must be said.
    ctx.addIssue({
      code: 'custom',
      path: ['url'],
      message: 'with auth: entra the URL names the Entra principal as its user (postgres://<entra-principal>@host:5432/dbname)',
    });
  }
}

const uuid = z.string().regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, {
  message: 'must be a subscription id (a UUID such as 00000000-0000-0000-0000-000000000000)',
});

/** An ARM resource id of the given provider type (`…/providers/Microsoft.Network/privateDnsZones/NAME`), case-insensitively. */
const armId = (type: string, child = '') =>
  z
    .string()
    .regex(new RegExp(`^/subscriptions/[0-9a-f-]{36}/resourceGroups/[^/]+/providers/${type.replace('.', '\\.')}/[^/]+${child ? `${child}[^/]+` : ''}$`, 'i'), {
      message: `must be an ARM resource id: /subscriptions/<id>/resourceGroups/<group>/providers/${type}/<name>${child ? `${child}<name>` : ''}`,
    });

const httpsUrl = z.string().refine(
  (value) => {
    try {
      const url = new URL(value);
      return url.protocol === 'https:' || url.protocol === 'http:';
    } catch {
      return false;
    }
  },
  { message: 'must be an http(s) URL' },
);

/** The thresholds of azure.postgres, without the one server's name: what a fleet override may set (azure.discover.overrides). */
const postgresThresholds = {
  minRetentionDays: positiveInt.default(30),
  maxBackupAgeHours: z.number().positive().default(26),
  requireGeoRedundantBackup: z.boolean().default(true),
  /** pgflex-restore-window tolerates this many days less than minRetentionDays. */
  restoreWindowSlackDays: z.number().nonnegative().default(1),
  /** Where geo-redundant backups go, when Azure's published pair table does not say (or you know better). */
  pairedRegion: z.string().min(1).optional(),
};

/** The thresholds of azure.storage, without the one account's name. */
const storageThresholds = {
  minSoftDeleteDays: positiveInt.default(7),
  requireVersioning: z.boolean().default(true),
};

/** The fleet's default thresholds when the configuration has no azure.postgres / azure.storage (fleet-config.ts). */
export const postgresThresholdsSchema = z.strictObject(postgresThresholds);
export const storageThresholdsSchema = z.strictObject(storageThresholds);

/**
 * The same keys, each optional and without its default: an override sets only the keys it names. (`.partial()` keeps
 * the defaults, which would put every key an override leaves out back to its default over azure.postgres's value.)
 */
type Overridable<T extends Record<string, z.ZodType>> = { [K in keyof T]: z.ZodOptional<T[K] extends z.ZodDefault<infer I> ? I : T[K]> };

function overridable<T extends Record<string, z.ZodType>>(fields: T): z.ZodObject<Overridable<T>, z.core.$strict> {
  const bare = Object.fromEntries(
    Object.entries(fields).map(([key, field]) => {
      const inner = field instanceof z.ZodDefault ? (field.unwrap() as z.ZodType) : field;
      return [key, inner instanceof z.ZodOptional ? inner : inner.optional()];
    }),
  );
  return z.strictObject(bare) as unknown as z.ZodObject<Overridable<T>, z.core.$strict>;
}

/** A tag filter: every key must carry its value (compared case-insensitively, as Resource Graph's `=~`). */
const tagFilter = z.record(z.string().min(1).max(512), z.string().max(256));

/**
 * azure.discover (issue 17): every Flexible Server and storage account of the subscriptions that carries the tag, found
 * through Azure Resource Graph with the run's credential, each checked as if configured alone. azure.postgres and
 * azure.storage, when given, are in scope too, and their thresholds are the fleet's defaults.
 */
export const discoverSchema = z.strictObject({
  /** The subscriptions searched, or `all`: every one the identity can read. */
  subscriptions: z.union([z.literal('all'), z.array(uuid).min(1)]),
  /** The tag a resource must carry to be in scope; `{}` takes every resource of the subscriptions. */
  tag: tagFilter.default({ restorecheck: 'on' }),
  /** Which kinds of resource are discovered. */
  kinds: z
    .array(z.enum(['postgres', 'storage']))
    .min(1)
    .default(['postgres', 'storage']),
  /**
   * Per-resource settings, applied in order (a later match wins key by key): a glob on the resource name (`*` any run of
   * characters, `?` one) and/or tags, and the thresholds to use for what matches.
   */
  overrides: z
    .array(
      z
        .strictObject({
          name: z.string().min(1).optional(),
          tag: tagFilter.optional(),
          postgres: overridable(postgresThresholds).optional(),
          storage: overridable(storageThresholds).optional(),
          /** Per server (restore-test): how often it is restored, and where its copy goes. */
          restoreTest: z
            .strictObject({
              everyDays: z.number().int().min(1).max(3660),
              targetResourceGroup: z.string().min(1),
            })
            .partial()
            .optional(),
        })
        .refine((o) => o.name !== undefined || o.tag !== undefined, { message: 'an override needs name (a glob) or tag to say what it applies to' }),
    )
    .default([]),
  /** Resources evaluated at once (each with its own run deadline, limits.runTimeoutMs). */
  concurrency: z.number().int().min(1).max(256).default(16),
  /** Rows per Resource Graph page ($top; Azure serves at most 1000). */
  pageSize: z.number().int().min(1).max(1000).default(1000),
  /** Deadline of the whole fleet run, every resource included. */
  timeoutMs: positiveInt.default(2 * 3600_000),
});

export const azureSchema = z.strictObject({
  subscriptionId: uuid,
  resourceManagerEndpoint: httpsUrl.default('https://management.azure.com'),
  /** Regions where data may live (pgflex-data-residency, storage-data-residency). Default: the EEA regions (HDS). */
  allowedRegions: z
    .array(z.string().min(1))
    .min(1)
    .default([...EEA_AZURE_REGIONS]),
  /** Deadline of one Azure call, retries and pages included. */
  requestTimeoutMs: positiveInt.default(30_000),
  /** Retries of a failed Azure call (network errors, 5xx, 429 within the Retry-After cap). */
  maxRetries: z.number().int().min(0).max(10).default(3),
  /** A Retry-After longer than this ends the call as `error` instead of waiting. */
  maxRetryAfterSeconds: positiveInt.default(60),
  /** Pages of one listing (nextLink) read at most; past it the call is `error` ("more than N pages"), not a wait for the deadline. */
  maxPages: positiveInt.default(1000),
  /**
   * Resource Manager and Resource Graph requests of this run in flight at once, across every resource (fleet mode): Azure
   * throttles per identity, so a fleet run queues its calls rather than collecting 429s.
   */
  maxParallelRequests: z.number().int().min(1).max(256).default(16),
  discover: discoverSchema.optional(),
  postgres: z
    .strictObject({
      resourceGroup: z.string().min(1),
      server: z.string().min(1),
      ...postgresThresholds,
    })
    .optional(),
  storage: z
    .strictObject({
      resourceGroup: z.string().min(1),
      account: z.string().min(1),
      container: z.string().min(1).optional(),
      blobEndpoint: httpsUrl.optional(),
      connectionString: z.string().min(1).optional(),
      ...storageThresholds,
      /**
       * blob-recovery-drill (restore-test, issue 18): a canary uploaded, overwritten, deleted and brought back in this
       * dedicated container (never the documents'), which needs Storage Blob Data Contributor on that container only.
       * Sign-in: drill.connectionString, else Entra ID against drill.blobEndpoint, else azure.storage's own.
       */
      drill: z
        .strictObject({
          container: z.string().regex(/^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/, {
            message: 'must be a blob container name: 3 to 63 lowercase letters, digits and single hyphens, e.g. restorecheck-drill',
          }),
          blobEndpoint: httpsUrl.optional(),
          connectionString: z.string().min(1).optional(),
          /** Size of the canary's random content. */
          canaryBytes: z
            .number()
            .int()
            .min(1)
            .max(4 * 1024 * 1024)
            .default(64 * 1024),
        })
        .optional(),
    })
    .refine((storage) => !storage.drill || !storage.container || storage.drill.container.toLowerCase() !== storage.container.toLowerCase(), {
      message:
        'drill.container must not be the documents container (azure.storage.container): the drill deletes blobs; give it a dedicated one, e.g. restorecheck-drill',
      path: ['drill', 'container'],
    })
    .optional(),
});

/** A member path inside the archive's top folder, e.g. `mongodb/dump.archive.gz`. */
const memberPath = z.string().regex(/^(?!\/)(?!.*(^|\/)\.\.?(\/|$))[A-Za-z0-9._/-]+$/, {
  message: 'must be a relative path inside the top folder (letters, digits, dot, dash, underscore, slash; no `..`)',
});

/** Per-environment archive policy; every field optional, resolved by archive/archive-policy.ts. */
const archivePolicySchema = z.strictObject({
  maxAgeHours: z.number().positive().optional(),
  retentionDays: z.number().positive().optional(),
  keepNewest: z.number().int().nonnegative().optional(),
  requiredMembers: z.array(memberPath).optional(),
  optionalMembers: z.array(memberPath).optional(),
});

/** Self-hosted backup archives (`verify`, `retention`). Defaults: contract.md, "The self-hosted archive format". */
export const archivesSchema = z.strictObject({
  /** Where `verify` (no argument) and `retention` look; relative to the configuration file. */
  dir: z.string().min(1).optional(),
  /** For every environment, unless `environments` (or a built-in default such as production's 30 days) says otherwise. */
  defaults: archivePolicySchema.default({}),
  /** Keyed by the environment of the file name (`<name>_<env>_…`). */
  environments: z.record(z.string().regex(/^[A-Za-z0-9.-]+$/, { message: 'must be an environment label (no underscore)' }), archivePolicySchema).default({}),
  /** How far metadata.json's timestamp may be from the file name's. */
  metadataToleranceMinutes: z.number().nonnegative().default(60),
  /** Decompression-bomb limits: past either, verification stops reading that stream and fails. */
  limits: z
    .strictObject({
      maxExpansionRatio: z.number().positive().default(200),
      maxTotalBytes: positiveInt.default(2 ** 40),
      /**
       * Entries of the archive itself; past it verification stops and fails. The format holds about ten, and each
       * entry is kept for the member checks (~1 KB of memory each: 100,000 is ~100 MB).
       */
      maxEntries: positiveInt.default(100_000),
      /**
       * Entries of minio/data.tar.gz, which is streamed in constant memory. A MinIO xl-single volume stores an object
       * as a folder plus its xl.meta (2–3 entries), so the default lets volumes of several million objects through.
       */
      maxMinioEntries: positiveInt.default(10_000_000),
    })
    .default({ maxExpansionRatio: 200, maxTotalBytes: 2 ** 40, maxEntries: 100_000, maxMinioEntries: 10_000_000 }),
  /** Deadline of one verification (the whole read of the archive). */
  timeoutMs: positiveInt.default(3 * 3600_000),
  /**
   * Ed25519 public key (PEM file, relative to the configuration file) that the archives' `<file>.sig` must verify with
   * (archive-signature); without it that check is skipped. `verify --public-key` overrides it.
   */
  publicKey: z.string().trim().min(1).optional(),
});

/**
 * report.store: the Azure Blob container that keeps the record across CI runs (evidence/report-store.ts). Like
 * azure.storage: Entra ID through the run's credential against blobEndpoint (default the account's public endpoint), or a
 * connection string (Azurite, a SAS). resourceGroup is for the Resource Manager read of report-store-immutability.
 */
export const reportStoreSchema = z.strictObject({
  account: z.string().min(1),
  container: z.string().min(1),
  /** Default: azure.storage.resourceGroup. */
  resourceGroup: z.string().min(1).optional(),
  blobEndpoint: httpsUrl.optional(),
  connectionString: z.string().min(1).optional(),
  /** Blob name prefix of this environment's record; default `<environment>/`. Several environments can share a container. */
  prefix: z
    .string()
    .regex(/^(?!\/)[A-Za-z0-9._/-]*\/$/, { message: 'must be a blob name prefix of letters, digits, dot, dash, underscore and slash, ending with a slash' })
    .optional(),
  /** The newest this many JSON reports are read back (trends, restore-test-freshness, the chain head); older ones stay in the store. */
  maxReports: positiveInt.default(1000),
  /** Listing pages (5,000 blobs each) read at most; past it the read is an error, not a wait. */
  maxPages: positiveInt.default(100),
  /** Deadline of the whole read, and of the whole upload. */
  timeoutMs: positiveInt.default(120_000),
});

/** A command prefix the dump tool runs behind, e.g. `[docker, compose, exec, -T, postgres]` (as today's backup.sh does). */
const execPrefix = z.array(z.string().min(1)).min(1, { message: 'must list the command and its arguments, e.g. [docker, compose, exec, -T, postgres]' });

/** Commands run as given on this machine (no shell), in order, each with a deadline: e.g. [[docker, compose, stop, app]]. */
const commandList = z
  .array(z.array(z.string().min(1)).min(1, { message: 'must list the command and its arguments, e.g. [docker, compose, stop, app]' }))
  .min(1, { message: 'must list at least one command, e.g. [[docker, compose, stop, app]]' });

/** restore (issue 16): the services a component's in-place restore stops before it, and starts again after it. */
const componentServices = {
  stop: commandList.optional(),
  start: commandList.optional(),
};

/** A URL of one of the given schemes with a host, e.g. `redis://:password@localhost:6379/0`. */
const urlOf = (schemes: string[], example: string) =>
  z.string().refine(
    (value) => {
      try {
        const url = new URL(value);
        return schemes.includes(url.protocol.slice(0, -1)) && url.hostname !== '';
      } catch {
        return false;
      }
    },
    { message: `must be a ${example} URL` },
  );

/** Table names as SQL writes them (database.coreTables' rule): `patients`, `billing.invoices`, `audit."Event Log"`. */
const tableName = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .regex(/^[^\r\n]+$/, { message: 'must be one line' });

/**
 * selfHosted: what `restorecheck backup` dumps, and where the archive goes (contract.md, "Additions in 0.2"). A source that
 * is not configured is not backed up, and metadata.json says so.
 */
export const selfHostedSchema = z.strictObject({
  /** The `<name>` of `<name>_<env>_<YYYYMMDD>_<HHMMSS>.tar.gz`. No underscore: the file name is split on it. */
  name: z.string().regex(/^[A-Za-z0-9.-]+$/, { message: 'must be letters, digits, dot or dash (no underscore: it separates the parts of the file name)' }),
  /** Default `/var/backups/<name>`; relative to the configuration file. */
  backupDir: z.string().min(1).optional(),
  /** The git checkout whose HEAD commit is recorded as git_commit (default: none recorded). */
  gitDir: z.string().min(1).optional(),
  /** Ed25519 private key (PKCS#8 PEM, a path or the PEM) that signs each archive: `<file>.sig` (as report.signingKey). */
  signingKey: z.string().trim().min(1).optional(),
  /** Deadline of one whole backup (every dump, the packing and the verification), and of one whole restore. */
  timeoutMinutes: z.number().positive().default(180),
  /** restore: the recovery time objective the restore is measured against (the seed procedure promises < 5 minutes). */
  rtoMinutes: z.number().positive().default(5),
  /** restore: an HTTP(S) URL that answers 2xx once the application is healthy again (checked after the restore). */
  healthUrl: urlOf(['http', 'https'], 'https://app.internal/health').optional(),
  /** restore: the deadline of the health URL (it is asked again until then while it does not answer 2xx). */
  healthTimeoutSeconds: z.number().positive().default(60),
  /** restore: the safety backup it takes is kept this long whatever the retention policy says (backup --prune). */
  safetyBackupKeepDays: z.number().int().min(1).default(30),
  /** restore: commands run before anything is overwritten (e.g. stop the application) and after the restore. */
  stop: commandList.optional(),
  start: commandList.optional(),
  sources: z
    .strictObject({
      postgres: z
        .strictObject({
          url: postgresUrl,
          exec: execPrefix.optional(),
          /** Tables whose exact row counts go into metadata.json (row_counts), in the dump's own snapshot. Default: database.coreTables. */
          coreTables: z.array(tableName).optional(),
          /** The Alembic version table (default: database.alembic.table, else alembic_version); absent from the database → none recorded. */
          alembicTable: tableName.optional(),
          /**
           * restore: where the dump goes back. `url` (default: the source's) names the database to replace, as a role that
           * may create and drop databases on that server (its owner or an admin).
           */
          restore: z.strictObject({ url: postgresUrl.optional(), ...componentServices }).optional(),
        })
        .optional(),
      mariadb: z
        .strictObject({
          /** `mariadb://user:password@host:3306` (or `mysql://`); or host/port/user/password below. */
          url: urlOf(['mariadb', 'mysql'], 'mariadb://user:password@host:3306').optional(),
          host: z.string().min(1).optional(),
          port: z.number().int().min(1).max(65535).optional(),
          /** A Unix socket instead of host/port. */
          socket: z.string().min(1).optional(),
          user: z.string().min(1).optional(),
          password: z.string().optional(),
          /** The databases dumped; default all of them (`--all-databases`). */
          databases: z
            .array(z.string().regex(/^[A-Za-z0-9_$-]+$/, { message: 'must be a database name' }))
            .min(1)
            .optional(),
          exec: execPrefix.optional(),
          /** restore: `url` (default: the source's connection), a user that may drop and create the dumped databases. */
          restore: z.strictObject({ url: urlOf(['mariadb', 'mysql'], 'mariadb://root:password@host:3306').optional(), ...componentServices }).optional(),
        })
        .refine((m) => [m.url, m.host, m.socket].filter((v) => v !== undefined).length === 1, {
          message: 'give exactly one of url, host (with port, user, password) or socket',
        })
        .optional(),
      mongodb: z
        .strictObject({
          url: urlOf(['mongodb', 'mongodb+srv'], 'mongodb://user:password@host:27017'),
          exec: execPrefix.optional(),
          /** restore: `url` (default: the source's), a user that may drop and restore the dumped collections. */
          restore: z.strictObject({ url: urlOf(['mongodb', 'mongodb+srv'], 'mongodb://user:password@host:27017').optional(), ...componentServices }).optional(),
        })
        .optional(),
      redis: z
        .strictObject({
          url: urlOf(['redis', 'rediss'], 'redis://:password@host:6379'),
          exec: execPrefix.optional(),
          /**
           * The server's `dir` (where it writes dump.rdb), as this machine or the exec prefix sees it: then the backup runs BGSAVE
           * and copies the file, instead of streaming `redis-cli --rdb -` (which a replica-less managed Redis may refuse).
           */
          dataDir: z.string().min(1).optional(),
          /**
           * restore: the RDB goes into `dataDir` (default: the one above), as this machine sees it (a Docker volume's host
           * path), while the server is stopped: `stop` (default: SHUTDOWN NOSAVE through redis-cli) and `start` (required
           * to restore Redis) are the commands that stop and start it.
           */
          restore: z.strictObject({ dataDir: z.string().min(1).optional(), ...componentServices }).optional(),
        })
        .optional(),
      minio: z
        .strictObject({
          /** The MinIO data volume on disk (the folder holding `.minio.sys` and the buckets). */
          dataDir: z.string().min(1),
          exec: execPrefix.optional(),
          /** restore: the commands that stop MinIO before its data folder is swapped, and start it after. */
          restore: z.strictObject(componentServices).optional(),
        })
        .optional(),
    })
    .default({}),
});

// pdf: the HTML report printed through headless Chromium (an addition to contract.md's list).
export const reportFormatSchema = z.enum(['console', 'json', 'markdown', 'html', 'junit', 'pdf']);

export const configSchema = z
  .strictObject({
    environment: z
      .string()
      .min(1)
      .regex(/^[A-Za-z0-9._-]+$/, {
        message: 'must be a short label of letters, digits, dot, dash or underscore (it is used in report file names)',
      }),
    database: databaseSchema.superRefine(noPasswordWithEntra).optional(),
    azure: azureSchema.optional(),
    archives: archivesSchema.optional(),
    selfHosted: selfHostedSchema.optional(),
    report: z
      .strictObject({
        dir: z.string().min(1).optional(),
        formats: z.array(reportFormatSchema).min(1).optional(),
        failOn: severity.optional(),
        /** A check's evidence beyond this many bytes (as JSON) is cut in the report, marked evidenceTruncated. Default 64 KiB. */
        maxEvidenceBytes: positiveInt.optional(),
        /** Where the record outlives the CI runner: an Azure Blob container the reports, rendered files and audit lines go to. */
        store: reportStoreSchema.optional(),
        /** report-store-immutability: the store's container must have a locked time-based retention policy of at least this. */
        minRetentionDays: positiveInt.default(365),
        /**
         * Ed25519 private key (PKCS#8 PEM) that signs each JSON report and its audit line: a file path (relative to this file),
         * or the PEM itself, typically `${REPORT_SIGNING_KEY}` from a CI secret. Without it reports are integrity only, not authenticity.
         */
        signingKey: z.string().trim().min(1).optional(),
        /** The language of the rendered reports (console, Markdown, HTML, PDF, JUnit messages); the JSON record is language-neutral. */
        language: z.enum(['en', 'fr']).optional(),
      })
      .optional(),
    restoreTest: z
      .strictObject({
        /** restore-test-freshness: a successful restore test must be younger than this. */
        maxRestoreTestAgeDays: z.number().positive().default(35),
        /** Allowed relative difference of core-table row counts between source and restore, in percent. */
        rowCountTolerancePercent: z.number().min(0).max(100).default(1),
        /** The same for an archive: one consistent snapshot, so by default its counts must match metadata.json exactly. */
        archiveRowCountTolerancePercent: z.number().min(0).max(100).default(0),
        /** Restore time (request → ready) above which restore-provision fails. */
        rtoMinutes: z.number().positive().optional(),
        /** Measured RPO (restore point minus the newest row of freshnessQuery) above which restore-provision fails. */
        rpoMinutes: z.number().positive().optional(),
        /**
         * One read-only SELECT returning one timestamp on the restored database, e.g. `SELECT max(created_at) FROM appointments`;
         * without it the RPO is not measured (restore-provision never claims it passed).
         */
        freshnessQuery: z.string().trim().min(1).optional(),
        /** The team's own smoke queries, each with one expectation, run read-only on the restored copy (restore-smoke). */
        smoke: z.array(smokeQuery).superRefine(uniqueSmokeNames).default([]),
        /** Each smoke query's deadline (server statement_timeout, and the client's). */
        smokeTimeoutSeconds: z.number().positive().default(30),
        /** The team's own test command, run once while the restored copy exists, with its connection in the environment. */
        smokeCommand: smokeCommand.optional(),
        // ---- Azure point-in-time restore (restore-test without --archive) ----
        /** Resource group of the new server; default: the source server's. A dedicated one is recommended (README). */
        targetResourceGroup: z.string().min(1).optional(),
        /** The only resource groups a restore may create (and cleanup delete) servers in; default: the target resource group. */
        allowedResourceGroups: z.array(z.string().min(1)).min(1).optional(),
        /** Name of the new server before `-<YYYYMMDDHHmm>`; default `<server>-restore`. */
        namePrefix: z
          .string()
          .regex(/^[a-z0-9][a-z0-9-]*$/, { message: 'must be lowercase letters, digits and hyphens, starting with a letter or digit (Azure server naming)' })
          .optional(),
        /** Where the ledger of created servers (ledger.jsonl) is kept; relative to the configuration file. */
        ledgerDir: z.string().min(1).default('.restorecheck'),
        /** The `restorecheck-expires` tag: `restore-test cleanup` deletes a kept server after this. */
        expiryHours: z.number().positive().default(24),
        /** Polling of Azure's long-running operations when Azure sends no Retry-After. */
        pollIntervalSeconds: z.number().positive().default(10),
        /** A progress line on stderr this often while waiting for Azure. */
        progressIntervalSeconds: z.number().positive().default(30),
        /** Deadline of deleting the new server (its own, fresh: it runs after a timeout or Ctrl-C too). */
        deleteTimeoutMinutes: z.number().positive().default(30),
        /**
         * Where the new server joins a VNet: another delegated subnet and its private DNS zone (e.g. a dedicated restore-test
         * VNet). Default: the source's own network block, as the Azure CLI's restore does.
         */
        network: z
          .strictObject({
            delegatedSubnetResourceId: armId('Microsoft.Network/virtualNetworks', '/subnets/'),
            privateDnsZoneArmResourceId: armId('Microsoft.Network/privateDnsZones'),
          })
          .optional(),
        /** This machine's public IPv4 address: a public-access restore gets a firewall rule for it (deleted with the server). */
        clientIp: z.ipv4({ message: 'must be an IPv4 address (the public address this job connects from)' }).optional(),
        // ---- Fleet mode (azure.discover): which servers a restore-test run restores ----
        /**
         * Each discovered server is restored at least once in this many days: a run restores the servers whose last
         * successful restore test (in the stored reports) is older, or that never had one, the oldest first.
         */
        everyDays: z.number().int().min(1).max(3660).default(30),
        /** At most this many servers per run (the rest stay due for the next run); default: every due server. */
        maxServers: z.number().int().min(1).optional(),
        /** Restores in flight at once, each with its own deadline. */
        parallel: z.number().int().min(1).max(32).default(2),
      })
      // prefault: an absent section is parsed like `{}`, so every default above applies.
      .prefault({}),
    limits: z
      .strictObject({
        /** Per-check deadline: a check still running then is `error`. */
        checkTimeoutMs: positiveInt.default(120_000),
        /** Whole-run deadline. */
        runTimeoutMs: positiveInt.default(900_000),
        /** The one clock rule: an outside timestamp this far in the future is still "now"; beyond it, a clock or data anomaly. */
        clockSkewSeconds: z.number().int().nonnegative().default(300),
      })
      .default({ checkTimeoutMs: 120_000, runTimeoutMs: 900_000, clockSkewSeconds: 300 }),
  })
  .superRefine((config, ctx) => {
    // The drill deletes what it writes: it must never share the report store's container (WORM evidence) either.
    const drill = config.azure?.storage?.drill;
    const store = config.report?.store;
    if (
      drill &&
      store &&
      store.account.toLowerCase() === config.azure?.storage?.account.toLowerCase() &&
      store.container.toLowerCase() === drill.container.toLowerCase()
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['azure', 'storage', 'drill', 'container'],
        message: 'must not be the report store container (report.store.container): the drill deletes blobs; give it a dedicated one, e.g. restorecheck-drill',
      });
    }
  });

export type Config = z.output<typeof configSchema>;

/** The `archives` section with every default filled in (also when the configuration has none). */
export function archivesConfigOrDefault(archives: ArchivesConfig | undefined): ArchivesConfig {
  return archives ?? archivesSchema.parse({});
}

export type DatabaseConfig = z.output<typeof databaseSchema>;
export type AzureConfig = z.output<typeof azureSchema>;
export type DiscoverConfig = z.output<typeof discoverSchema>;
export type ArchivesConfig = z.output<typeof archivesSchema>;
export type SelfHostedConfig = z.output<typeof selfHostedSchema>;
export type ReportStoreConfig = z.output<typeof reportStoreSchema>;
export type ReportFormatName = z.output<typeof reportFormatSchema>;
export type SeverityName = z.output<typeof severity>;
