/**
 * The JSON report's schema (contract.md, "The JSON report"), written once with zod:
 *  - at build time `scripts/write-report-schema.mjs` turns it into `schemas/report.schema.json`,
 *    the JSON Schema that ships with the package for scripts and auditors;
 *  - at run time `report render` and `report verify` parse stored reports with it (zod at the edge).
 * The compile-time assertion at the bottom ties it to the RunResult model in run/result.ts: a field
 * added to one and not the other fails the build, so the schema cannot drift from what we write.
 */
import { z } from 'zod';
import type { RunResult } from '../run/result.js';
import { controlRefSchema, evidenceSchema, jsonValueSchema, severitySchema, statusSchema } from '../vocabulary.js';

export { jsonValueSchema };

/** A URN rather than a URL: the schema ships inside the package and is not served anywhere. */
export const REPORT_SCHEMA_ID = 'urn:restorecheck:schema:report:v1';

const isoInstant = z.iso.datetime().describe('ISO 8601, UTC');
const durationMs = z.number().int().nonnegative();
const count = z.number().int().nonnegative();

/** A JSON Schema pattern has no flags: Resource Manager's case-insensitive words spelled out, `[sS][uU]…`. */
const anyCase = (word: string) => [...word].map((c) => `[${c.toLowerCase()}${c.toUpperCase()}]`).join('');

/** `/subscriptions/S/resourceGroups/G/providers/NS/type/name`, with child types (`/type/name`) allowed after it. */
const armResourceId = z
  .string()
  .regex(new RegExp(`^/${anyCase('subscriptions')}/[^/]+/${anyCase('resourceGroups')}/[^/]+/${anyCase('providers')}/[^/]+(/[^/]+/[^/]+)+$`))
  .describe('an Azure Resource Manager resource id');

const shard = z.strictObject({ index: z.number().int().min(1).max(1000).describe('1-based, at most count'), count: z.number().int().min(1).max(1000) });

const fleetResource = z
  .strictObject({
    id: armResourceId,
    kind: z.enum(['postgres', 'storage']),
    name: z.string().min(1),
    subscriptionId: z.string().min(1),
    resourceGroup: z.string().min(1),
    location: z.string().describe('empty when not known (a configured resource not read yet)'),
    tags: z.record(z.string(), z.string()),
  })
  .meta({ id: 'FleetResource' });

/** One server of a fleet restore plan (FleetInfo.restorePlan). */
const plannedRestore = z
  .strictObject({
    id: armResourceId,
    name: z.string().min(1),
    lastSuccessAt: isoInstant.nullable().describe('when the run of its newest successful restore test on record began; null: none'),
    lastReport: z.string().min(1).nullable().describe('the stored report that records it'),
    dueOn: z.iso.date().nullable().describe('the UTC date from which it is due; null: due now'),
    everyDays: z.number().int().min(1).optional().describe('its own period, when an override gives it one'),
  })
  .meta({ id: 'PlannedRestore' });

const fleet = z
  .strictObject({
    scope: z.strictObject({
      subscriptions: z.union([z.array(z.string().min(1)), z.literal('all')]).describe("the subscriptions queried, or 'all' the identity can read"),
      tag: z.record(z.string(), z.string()).describe('the tag (name → value) a resource must carry to be in scope'),
    }),
    discovered: z.array(fleetResource).describe('every resource in scope, sorted by id: the whole fleet, whatever the shard'),
    shard: shard.optional().describe('--shard K/N: this run evaluated the resources of shard K of N'),
    evaluated: z.array(armResourceId).describe('the ids this run evaluated'),
    mergedFrom: z
      .array(
        z.strictObject({
          shard,
          runId: z.string().min(1),
          file: z.string().min(1),
          sha256: z.string().regex(/^[0-9a-f]{64}$/),
        }),
      )
      .optional()
      .describe('report merge: the shard reports joined into this one, with their SHA-256'),
    restorePlan: z
      .strictObject({
        everyDays: z.number().int().min(1),
        maxServers: z.number().int().min(1).nullable(),
        plannedAt: isoInstant,
        picked: z.array(plannedRestore),
        deferred: z.array(plannedRestore),
        notDue: z.array(plannedRestore),
      })
      .optional()
      .describe('restore-test in fleet mode: the servers due (restoreTest.everyDays), restored (picked), left for the next run (deferred), not due'),
  })
  .describe('fleet mode (azure.discover) only: what was in scope, what this run evaluated, the shard reports merged into it');

const checkResult = z
  .strictObject({
    id: z
      .string()
      .regex(/^[a-z0-9]+(-[a-z0-9]+)*$/)
      .describe('stable check id (contract.md, "Check identifiers")'),
    resource: armResourceId
      .optional()
      .describe('fleet mode: the resource this finding is about (one finding per check and resource); absent for a run-wide finding'),
    title: z.string(),
    status: statusSchema,
    severity: severitySchema,
    message: z.string().describe('one sentence: resource, observed, expected'),
    evidence: evidenceSchema,
    remediation: z.string(),
    controls: z.array(controlRefSchema),
    durationMs,
    hint: z.string().optional().describe('for error and skipped: what to do next'),
    errorKind: z.string().optional(),
    requestId: z.string().optional().describe("Azure's request id of the failed call"),
    evidenceTruncated: z.literal(true).optional().describe('the evidence was cut to report.maxEvidenceBytes (its first entries are kept)'),
    evidenceOriginalBytes: count.optional().describe('size of the evidence as JSON before the cut, in bytes'),
    messageKey: z.string().min(1).optional().describe("the message's key in restorecheck's message catalog (renders it in another language)"),
    messageParams: z.record(z.string(), jsonValueSchema).optional().describe("the message's parameters (plain JSON)"),
    remediationParams: z
      .record(z.string(), jsonValueSchema)
      .optional()
      .describe("the values filled into the remediation's placeholders, or its own parameters"),
    remediationKey: z.string().min(1).optional().describe('when the finding gave its own remediation: its key in the message catalog'),
  })
  .meta({ id: 'CheckResult' });

const provenance = z
  .strictObject({
    who: z
      .strictObject({
        osUser: z.string().optional().describe('the operating-system user that ran the command'),
        host: z.string().optional().describe('the host name of the machine that ran it'),
        ci: z
          .strictObject({
            provider: z.enum(['github-actions', 'azure-devops']),
            actor: z.string().optional().describe('GITHUB_ACTOR / BUILD_REQUESTEDFOR'),
            runUrl: z.string().optional().describe('the CI run (GitHub Actions run, Azure DevOps build results)'),
            workflow: z.string().optional(),
            ref: z.string().optional().describe('the branch or tag the run was started on'),
          })
          .optional(),
        repository: z.string().optional(),
        commit: z.string().optional(),
      })
      .describe('who ran the command, from the environment (only what it told)'),
    target: z
      .strictObject({
        subscriptionId: z.string().optional(),
        postgresServerId: z.string().optional().describe('ARM resource id of the Flexible Server'),
        storageAccountId: z.string().optional().describe('ARM resource id of the storage account'),
        storageContainer: z.string().optional(),
        serverFqdn: z.string().optional(),
        database: z
          .strictObject({
            host: z.string(),
            port: z.number().int().positive(),
            name: z.string().optional(),
            user: z.string().optional(),
            url: z.string().describe('the database URL with its password masked'),
          })
          .optional(),
        archive: z.string().optional().describe('verify / restore-test --archive: the archive file'),
      })
      .describe('what the command ran on, from the configuration; never a password'),
  })
  .describe('who ran the command and on what (0.2; absent in older reports)');

export const reportSchema = z
  .strictObject({
    schemaVersion: z.literal(1),
    tool: z.strictObject({ name: z.literal('restorecheck'), version: z.string().min(1) }),
    run: z.strictObject({
      id: z.string().min(1),
      command: z.string().min(1),
      environment: z.string().min(1),
      startedAt: isoInstant,
      finishedAt: isoInstant,
      durationMs,
      failOn: severitySchema,
    }),
    checks: z.array(checkResult).describe('sorted by id, then resource: in fleet mode one finding per check and resource'),
    summary: z.strictObject({ pass: count, fail: count, warn: count, error: count, skipped: count }),
    outcome: z.enum(['pass', 'fail', 'incomplete']),
    provenance: provenance.optional(),
    fleet: fleet.optional(),
    previousReportSha256: z
      .string()
      .regex(/^[0-9a-f]{64}$/)
      .nullable()
      .optional()
      .describe('SHA-256 of the previous JSON report in the same directory; null for the first (absent when not written to a directory)'),
    renderedFiles: z
      .record(z.string().min(1), z.string().regex(/^[0-9a-f]{64}$/))
      .optional()
      .describe('SHA-256 of each file rendered from this report in the same directory (HTML, Markdown, JUnit XML, PDF), by file name'),
    signedBy: z
      .strictObject({ algorithm: z.literal('Ed25519'), keyId: z.string().regex(/^[0-9a-f]{64}$/) })
      .nullable()
      .optional()
      .describe('the key that signed the report (keyId: SHA-256 of its SPKI DER public key, hex); null: not signed, integrity only, not authenticity'),
    signature: z
      .string()
      .regex(/^[A-Za-z0-9+/]+={0,2}$/)
      .optional()
      .describe('Ed25519 signature (base64) of "restorecheck-report-v1\\n" + the canonical JSON of the report without this field'),
  })
  .meta({ title: 'restorecheck report', description: 'The record of one restorecheck run (check, verify, restore-test).' });

/** The JSON Schema document shipped as schemas/report.schema.json. */
export function reportJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(reportSchema, { target: 'draft-2020-12' }) as Record<string, unknown>;
  return { $schema: schema.$schema, $id: REPORT_SCHEMA_ID, ...schema };
}

export type ParsedReport = { ok: true; report: RunResult } | { ok: false; problems: string[] };

/** Parses a stored report; problems are `path: message` lines, like the configuration's. */
export function parseReport(text: string): ParsedReport {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    return { ok: false, problems: [`not JSON: ${(error as Error).message}`] };
  }
  const parsed = reportSchema.safeParse(data);
  if (parsed.success) return { ok: true, report: parsed.data };
  return {
    ok: false,
    problems: parsed.error.issues.slice(0, 10).map((issue) => `${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`),
  };
}

// The schema and the model must describe the same object (see the header comment).
type MutuallyAssignable<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const schemaMatchesModel: MutuallyAssignable<z.output<typeof reportSchema>, RunResult> = true;
void schemaMatchesModel;
