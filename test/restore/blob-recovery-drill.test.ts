/**
 * The drill's procedure on an interruption, with an in-memory drill container (the real SDK path runs against the
 * simulator in test/azure/blob-recovery-drill.test.ts): what it created is deleted even when the run's signal is
 * already aborted, as restore-test deletes a restored server after Ctrl-C.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import type { DrillBlobs } from '../../src/azure/types.js';
import { runBlobRecoveryDrill } from '../../src/restore/blob-recovery-drill.js';

/** A container without soft delete or versions, whose calls refuse an aborted signal as the SDK does. */
function container(onPut: () => void): DrillBlobs & { names(): string[] } {
  const blobs = new Map<string, Buffer>();
  const guard = (signal: AbortSignal) => {
    if (signal.aborted) throw new Error('The operation was aborted.');
  };
  return {
    where: 'container drill of storage account test',
    names: () => [...blobs.keys()],
    async put(name, bytes, signal) {
      guard(signal);
      blobs.set(name, Buffer.from(bytes));
      onPut();
      return {};
    },
    async read(name, signal) {
      guard(signal);
      const bytes = blobs.get(name);
      return bytes ? { exists: true, bytes, size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') } : { exists: false };
    },
    async delete(name, signal) {
      guard(signal);
      return blobs.delete(name) ? 'deleted' : 'not-found';
    },
    async list(prefix, signal) {
      guard(signal);
      return [...blobs.keys()].filter((n) => n.startsWith(prefix)).map((name) => ({ name, deleted: false }));
    },
    async undelete(_name, signal) {
      guard(signal);
    },
  };
}

describe('the blob recovery drill, interrupted', () => {
  it('deletes the canary it uploaded even though the run was aborted right after', async () => {
    const controller = new AbortController();
    const blobs = container(() => controller.abort());
    const quiet = { info: () => undefined, debug: () => undefined, warn: () => undefined } as never;
    const outcome = await runBlobRecoveryDrill(blobs, { canaryBytes: 16, runId: 'abcdef0123', now: new Date(), signal: controller.signal, log: quiet });
    assert.equal(outcome.failure?.step, 'overwrite', JSON.stringify(outcome));
    assert.equal(outcome.cleanup?.status, 'deleted', JSON.stringify(outcome.cleanup));
    assert.deepEqual(blobs.names(), []);
  });
});
