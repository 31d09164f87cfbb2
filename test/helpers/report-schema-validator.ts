/**
 * Validates documents against the JSON Schema the package ships (schemas/report.schema.json, written
 * by `npm run build`) with ajv, an implementation independent of the zod definition it came from.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

// ajv-formats is CommonJS: under NodeNext its default import is the module object.
const addFormats = addFormatsModule.default;

export const SHIPPED_SCHEMA_PATH = join(import.meta.dirname, '../../schemas/report.schema.json');

export function shippedSchema(): Record<string, unknown> {
  return JSON.parse(readFileSync(SHIPPED_SCHEMA_PATH, 'utf8')) as Record<string, unknown>;
}

const ajv = new Ajv2020({ strict: true, allErrors: true });
addFormats(ajv);
const validate = ajv.compile(shippedSchema());

/** The ajv errors for `document` as readable lines (empty when valid). */
export function schemaErrors(document: unknown): string[] {
  if (validate(document)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '(root)'} ${e.message ?? ''}`);
}
