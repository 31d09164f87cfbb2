/**
 * validated(): what every gateway schema sees of the SDK's answer. Azure sends `null` for some unset optional fields
 * (secondaryLocation, tags, earliestRestoreDate, …); null is the same as absent (contract.md), so a null must neither
 * fail validation (which made every check on the resource `error`) nor reach a check as a value.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import type { AzureCall } from '../../src/azure/error-mapping.js';
import { validated } from '../../src/azure/resource-manager-calls.js';
import { EvaluationError } from '../../src/errors.js';

const call: AzureCall = { what: 'GET thing', plane: 'arm', role: 'Reader on resource group rg', scope: '/subscriptions/x/resourceGroups/rg', timeoutMs: 1000 };

// Shaped like the gateways' schemas: everything optional, nested objects, a record, a date.
const schema = z.object({
  name: z.string(),
  location: z.string().optional(),
  secondaryLocation: z.string().optional(),
  backup: z.object({ earliestRestoreDate: z.date().optional(), backupRetentionDays: z.number().optional() }).optional(),
  tags: z.record(z.string(), z.string()).optional(),
  zones: z.array(z.string()).optional(),
});

describe('validated', () => {
  it('reads a null optional field as absent, at any depth', () => {
    const at = new Date('2026-01-01T00:00:00Z');
    const withNulls = validated(
      schema,
      { name: 'a', location: null, secondaryLocation: null, backup: { earliestRestoreDate: null, backupRetentionDays: 7 }, tags: null, zones: ['1'] },
      call,
      'hint',
    );
    const absent = validated(schema, { name: 'a', backup: { backupRetentionDays: 7 }, zones: ['1'] }, call, 'hint');
    assert.deepEqual(withNulls, absent);
    assert.equal('location' in withNulls, false);
    assert.deepEqual(validated(schema, { name: 'a', backup: null }, call, 'hint'), { name: 'a' });
    const dated = validated(schema, { name: 'a', backup: { earliestRestoreDate: at } }, call, 'hint');
    assert.equal(dated.backup?.earliestRestoreDate?.getTime(), at.getTime());
  });

  it('still refuses a null where a value is required, and a wrong type', () => {
    for (const body of [{ name: null }, { name: 'a', backup: { backupRetentionDays: 'many' } }, null]) {
      assert.throws(
        () => validated(schema, body, call, 'hint'),
        (e: unknown) => e instanceof EvaluationError && e.kind === 'invalid-response',
      );
    }
  });
});
