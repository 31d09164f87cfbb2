import type { Reporter } from './types.js';

/** The record (contract.md, "The JSON report"): every other format is rendered from it. */
export const jsonReporter: Reporter = {
  extension: 'json',
  render: (result) => `${JSON.stringify(result, null, 2)}\n`,
};
