/**
 * The stop/start commands of `restorecheck restore` (service-commands.ts): run in order, the first failure named and
 * the rest not run, and a command that leaves children behind (a shell running `sleep`, `docker compose` and its
 * plugins) is stopped whole by Ctrl-C or its deadline, not waited for until its children end on their own.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCommands } from '../../src/selfhosted/service-commands.js';
import { SILENT_LOGGER } from '../../src/vocabulary.js';

describe('runCommands', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'restorecheck-test-commands-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('runs each command in order and stops at the first failure, naming it and its output', async () => {
    const first = join(dir, 'first');
    const third = join(dir, 'third');
    await assert.rejects(
      runCommands(
        [
          ['touch', first],
          ['sh', '-c', 'echo compose: no such service: app >&2; exit 3'],
          ['touch', third],
        ],
        'selfHosted.stop',
        { signal: new AbortController().signal, log: SILENT_LOGGER },
      ),
      /selfHosted\.stop: sh -c 'echo compose: no such service: app >&2; exit 3' exited with 3: compose: no such service: app/,
    );
    assert.ok(existsSync(first));
    assert.ok(!existsSync(third), 'a command after the failure ran');
  });

  it('Ctrl-C stops a command whose children hold its output, without waiting for them', async () => {
    const controller = new AbortController();
    const started = performance.now();
    setTimeout(() => controller.abort(), 300);
    await assert.rejects(
      runCommands([['sh', '-c', 'sleep 120; echo done']], 'selfHosted.stop', { signal: controller.signal, log: SILENT_LOGGER }),
      /selfHosted\.stop: sh -c 'sleep 120; echo done' was interrupted/,
    );
    // The old code waited for the orphaned sleep (120 s); anything well under that is the fix.
    assert.ok(performance.now() - started < 60_000, `took ${Math.round(performance.now() - started)} ms`);
  });

  it('the deadline stops it the same way', async () => {
    const started = performance.now();
    await assert.rejects(
      runCommands([['sh', '-c', 'sleep 120; echo done']], 'selfHosted.start', { signal: new AbortController().signal, log: SILENT_LOGGER, timeoutMs: 300 }),
      /did not finish within 0 s|did not finish within/,
    );
    assert.ok(performance.now() - started < 60_000, `took ${Math.round(performance.now() - started)} ms`);
  });
});
