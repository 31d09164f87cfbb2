import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mapLimited } from '../src/map-limited.js';

describe('mapLimited', () => {
  it('keeps the items’ order, starts them in order, and never runs more than the limit at once', async () => {
    let active = 0;
    let peak = 0;
    const started: number[] = [];
    const results = await mapLimited([5, 1, 4, 2, 3, 0], 2, async (n, index) => {
      started.push(index);
      active++;
      peak = Math.max(peak, active);
      for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
      active--;
      return n * 10;
    });
    assert.deepEqual(results, [50, 10, 40, 20, 30, 0]);
    assert.deepEqual(started, [0, 1, 2, 3, 4, 5]);
    assert.equal(peak, 2);
  });

  it('takes an empty list and a limit above the count', async () => {
    assert.deepEqual(await mapLimited([], 4, async () => 1), []);
    assert.deepEqual(await mapLimited([1, 2], 10, async (n) => n), [1, 2]);
  });
});
