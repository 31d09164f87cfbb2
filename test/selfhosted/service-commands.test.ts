/**
 * The stop/start commands of `restorecheck restore` (service-commands.ts): run in order, the first failure named and
 * the rest not run, and a command that leaves children behind (a shell running `sleep`, `docker compose` and its
 * plugins) is stopped whole by Ctrl-C or its deadline, not waited for until its children end on their own.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
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

describe('runInOwnGroup with killLeftovers (the smoke command)', () => {
  let dir: string;
  const groups: number[] = [];
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'restorecheck-test-group-'));
  });
  after(async () => {
    for (const group of groups) {
      try {
        process.kill(-group, 'SIGKILL');
      } catch {
        // gone, as it should be
      }
    }
    await rm(dir, { recursive: true, force: true });
  });

  /** Whether any process of process group `group` is still there. */
  const groupAlive = (group: number) => {
    try {
      process.kill(-group, 0);
      return true;
    } catch {
      return false;
    }
  };

  // A restorecheck killed with kill -9 cannot stop the command itself: its process group must not live on (a smoke
  // command that hangs would run forever, holding the copy's credentials). Polled for a minute, never a fixed sleep.
  it('a SIGKILL of the process that started it stops the command and its children', { timeout: 120_000 }, async () => {
    const script = [
      `import { runInOwnGroup } from ${JSON.stringify(join(process.cwd(), 'src/selfhosted/service-commands.ts'))};`,
      "const run = runInOwnGroup(['sh', '-c', 'sleep 300 & echo started; sleep 300'], {",
      '  signal: new AbortController().signal, timeoutMs: 600_000, killLeftovers: true,',
      '});',
      'await run;',
    ].join('\n');
    const file = join(dir, 'killed-owner.mts');
    await writeFile(file, script);
    const owner = spawn(process.execPath, ['--import', 'tsx', file], { stdio: 'ignore' });
    // The command's group is its own pid: the sh whose parent is the owner.
    let group: number | undefined;
    for (let i = 0; i < 600 && group === undefined; i++) {
      const ps = spawnSync('ps', ['-o', 'pid=,args=', '--ppid', String(owner.pid)], { encoding: 'utf8' });
      const line = ps.stdout.split('\n').find((l) => /sh -c sleep 300/.test(l));
      if (line) group = Number(line.trim().split(/\s+/)[0]);
      else await sleep(100);
    }
    assert.ok(group, 'the command started');
    groups.push(group);
    owner.kill('SIGKILL');
    for (let i = 0; i < 600 && groupAlive(group); i++) await sleep(100);
    assert.equal(groupAlive(group), false, 'the command outlived the process that ran it');
  });
});
