/**
 * Gateways for unit tests: the methods a test gives, and for every other one a method that fails
 * loudly if a check reaches for it (a check touching something unexpected is a test failure).
 */
import type { Gateways } from '../../src/run/gateways.js';

export function fakeGateways(given: Partial<Gateways> = {}): Gateways {
  const unexpected = (name: string) => () => {
    throw new Error(`test gateway: ${name}() was not expected in this test`);
  };
  return {
    database: unexpected('database'),
    azurePostgres: unexpected('azurePostgres'),
    azureStorage: unexpected('azureStorage'),
    restore: () => Promise.reject(new Error('test gateway: restore() was not expected in this test')),
    storedReports: () => Promise.reject(new Error('test gateway: storedReports() was not expected in this test')),
    close: async () => undefined,
    ...given,
  };
}
