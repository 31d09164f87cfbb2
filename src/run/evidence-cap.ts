/**
 * The cap on a check's evidence in the report (`report.maxEvidenceBytes`, issue 10): a listing of
 * 100,000 archive entries made a 9.7 MB report that no one reads and every reporter must render.
 * Evidence larger than the cap keeps what fits, in order — small values whole, the first entries of
 * a long list, the start of a long text — and the check result says it was cut and how big it was.
 * The cap never changes a status or a message: those were decided on the whole evidence.
 */
import type { Evidence, JsonValue } from '../vocabulary.js';

export const DEFAULT_MAX_EVIDENCE_BYTES = 64 * 1024;

const size = (value: JsonValue | undefined): number => Buffer.byteLength(JSON.stringify(value) ?? '');

/** The longest prefix of `text` whose JSON form fits `budget` bytes (binary search: escaping makes sizes uneven). */
function capString(text: string, budget: number): string | undefined {
  if (budget < 2) return undefined;
  let lo = 0;
  let hi = text.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (size(text.slice(0, mid)) <= budget) lo = mid;
    else hi = mid - 1;
  }
  return text.slice(0, lo);
}

/** `value` as it fits `budget` bytes of JSON, or undefined when nothing of it fits. */
function capValue(value: JsonValue, budget: number): JsonValue | undefined {
  if (size(value) <= budget) return value;
  if (typeof value === 'string') return capString(value, budget);
  if (Array.isArray(value)) {
    if (budget < 2) return undefined;
    const kept: JsonValue[] = [];
    let used = 2; // []
    for (const item of value) {
      const cost = size(item) + (kept.length > 0 ? 1 : 0);
      if (used + cost > budget) break; // leading entries whole: a list cut in order reads as "the first N"
      kept.push(item);
      used += cost;
    }
    return kept;
  }
  if (value && typeof value === 'object') return capObject(value, budget);
  return undefined; // a number, boolean or null that does not fit: nothing to keep
}

function capObject(value: { [key: string]: JsonValue }, budget: number): { [key: string]: JsonValue } | undefined {
  if (budget < 2) return undefined;
  const kept: { [key: string]: JsonValue } = {};
  let used = 2; // {}
  let count = 0;
  for (const [key, item] of Object.entries(value)) {
    const keyCost = size(key) + 1 + (count > 0 ? 1 : 0); // "key": and the comma before it
    const fitted = capValue(item, budget - used - keyCost);
    if (fitted === undefined) continue; // later, smaller keys may still fit
    kept[key] = fitted;
    used += keyCost + size(fitted);
    count++;
  }
  return kept;
}

/** The evidence as the report holds it: whole, or cut to `maxBytes` with the original size. */
export function capEvidence(evidence: Evidence, maxBytes: number): { evidence: Evidence; truncatedFrom?: number } {
  const original = size(evidence);
  if (original <= maxBytes) return { evidence };
  return { evidence: capObject(evidence, maxBytes) ?? {}, truncatedFrom: original };
}
