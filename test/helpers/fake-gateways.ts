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
    drillBlobs: unexpected('drillBlobs'),
    reportStore: unexpected('reportStore'),
    close: async () => undefined,
    ...given,
  };
}
