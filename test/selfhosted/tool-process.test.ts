import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { after, before, describe, it } from 'node:test';
import { startTool } from '../../src/selfhosted/tool-process.js';

let dir: string;

describe('startTool', () => {
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'restorecheck-tool-'));
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  // The bug: a small RDB copied with `cat` behind an exec prefix came out empty (cat had exited before writeMember
  // attached, and Node drops the unread stdout of an exited child).
  it('keeps the whole output of a tool that exited before its output was read', async () => {
    const file = join(dir, 'small.rdb');
    await writeFile(file, Buffer.alloc(5000, 0x52));
    const tool = startTool({ component: 'redis', debianPackage: 'coreutils', tool: 'cat', args: [file] }, AbortSignal.timeout(10_000));
    await tool.done;
    await new Promise((r) => setTimeout(r, 200));
    assert.equal((await buffer(tool.stdout)).length, 5000);
  });

  it('a consumer that gives up ends the tool (no dump left running into nothing)', async () => {
    const tool = startTool({ component: 'postgres', debianPackage: 'coreutils', tool: 'yes', args: ['restorecheck-tool-test'] }, AbortSignal.timeout(10_000));
    await new Promise((r) => tool.stdout.once('data', r));
    tool.stdout.destroy();
    await assert.rejects(tool.done); // killed by SIGPIPE: not a success
    assert.notEqual(spawnSync('ps', ['-p', String(tool.child.pid)]).status, 0, 'the tool is gone');
  });
});
