/**
 * The one bounded-concurrency helper: `fn` over `items`, at most `limit` at once, started in order, results in the
 * items' order. A few lines, so written here rather than taken from a package (p-limit and friends are ESM-only
 * wrappers of the same loop); used by the report store's reads, the fleet check and the fleet restore test.
 */
export async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}
