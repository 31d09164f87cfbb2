/**
 * The ground floor: the words every layer shares (a check's severity and status, plain-JSON evidence,
 * a control reference, a logger), each list declared once with its zod schema. The config schema,
 * the report schema, the checks and the reporters all take them from here.
 * Imports nothing of ours (scripts/check-imports.mjs enforces it), so anything may import it
 * without making a circle.
 */
import { z } from 'zod';

/** Most severe first: `atLeast` and `--fail-on` rely on this order. */
export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'] as const;
export const severitySchema = z.enum(SEVERITIES);
export type Severity = (typeof SEVERITIES)[number];

export const STATUSES = ['pass', 'fail', 'warn', 'error', 'skipped'] as const;
export const statusSchema = z.enum(STATUSES);
export type Status = (typeof STATUSES)[number];

/** Plain JSON, so every report format can render it and golden files stay stable. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export const jsonValueSchema: z.ZodType<JsonValue> = z
  .lazy(() => z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(jsonValueSchema), z.record(z.string(), jsonValueSchema)]))
  .meta({ id: 'JsonValue', description: 'Plain JSON (row counts past 2^53 are strings).' });

export type Evidence = Record<string, JsonValue>;
export const evidenceSchema = z.record(z.string(), jsonValueSchema);

/** A requirement a check answers to, e.g. ISO27001:2022 A.8.13 or HDS v2 EXI 28. */
export const controlRefSchema = z.strictObject({
  framework: z.string().min(1).describe('e.g. ISO27001:2022, HDS v2'),
  control: z.string().min(1).describe('e.g. A.8.13, EXI 28'),
  title: z.string().min(1).optional().describe('the short title of the control, e.g. Information backup'),
});
export type ControlRef = z.output<typeof controlRefSchema>;

export interface Logger {
  /** Progress and diagnostics for stderr; never part of a report. */
  info(message: string): void;
  debug(message: string): void;
}

/** A logger that drops everything (library calls and tests that do not watch progress). */
export const SILENT_LOGGER: Logger = { info: () => undefined, debug: () => undefined };

/**
 * One resource of a fleet (azure.discover, issue 17), as discovery found it and the report records it. `id` is the ARM
 * resource id, the key of every per-resource finding; ids are compared case-insensitively (Resource Manager's rule).
 */
export interface FleetResource {
  id: string;
  kind: 'postgres' | 'storage';
  name: string;
  subscriptionId: string;
  resourceGroup: string;
  location: string;
  tags: Record<string, string>;
}
