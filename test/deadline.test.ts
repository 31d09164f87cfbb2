/** The one deadline helper (src/deadline.ts): what the runner, the Azure calls and the token requests rely on. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deadline, raceAbort } from '../src/deadline.js';

describe('deadline', () => {
  it('aborts after its time, with the reason given or one naming the deadline', async () => {
    const named = deadline(20);
    const given = deadline(20, { reason: () => new Error('no answer within 0.02 s') });
    await new Promise((resolve) => setTimeout(resolve, 60));
    assert.equal(named.signal.aborted, true);
    assert.match(String(named.signal.reason), /deadline of 20 ms passed/);
    assert.match(String(given.signal.reason), /no answer within 0\.02 s/);
  });

  it('does not abort once cleared', async () => {
    const d = deadline(20);
    d.clear();
    await new Promise((resolve) => setTimeout(resolve, 60));
    assert.equal(d.signal.aborted, false);
  });

  it('follows the outer signal with its reason, also when it was already aborted', () => {
    const outer = new AbortController();
    const d = deadline(60_000, { outer: outer.signal });
    outer.abort(new Error('interrupted by SIGINT'));
    assert.equal(d.signal.aborted, true);
    assert.match(String(d.signal.reason), /SIGINT/);
    d.clear();
    const already = deadline(60_000, { outer: outer.signal });
    assert.equal(already.signal.aborted, true);
    already.clear();
  });
});

describe('raceAbort', () => {
  it('rejects with the signal reason as soon as it aborts, even when the promise never settles', async () => {
    const controller = new AbortController();
    const never = new Promise<never>(() => undefined);
    const raced = raceAbort(never, controller.signal);
    controller.abort(new Error('deadline reached'));
    await assert.rejects(raced, /deadline reached/);
  });

  it('settles with the promise when it wins, and rejects at once on a signal already aborted', async () => {
    assert.equal(await raceAbort(Promise.resolve(42), new AbortController().signal), 42);
    await assert.rejects(raceAbort(Promise.reject(new Error('its own failure')), new AbortController().signal), /its own failure/);
    await assert.rejects(raceAbort(Promise.resolve(1), AbortSignal.abort(new Error('too late'))), /too late/);
  });
});
