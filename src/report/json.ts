import type { Reporter } from './types.js';

/**
 * Characters JSON may carry raw but an editor or terminal showing the file would obey: bidi overrides
 * and isolates (which can disguise text) and the Unicode line separators. Written as \uXXXX escapes,
 * the document parses to the same strings.
 */
const INVISIBLE_STEERING = /[\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** The record (contract.md, "The JSON report"): every other format is rendered from it. */
export const jsonReporter: Reporter = {
  extension: 'json',
  render: (result) => `${JSON.stringify(result, null, 2).replace(INVISIBLE_STEERING, (c) => `\\u${c.charCodeAt(0).toString(16)}`)}\n`,
};
