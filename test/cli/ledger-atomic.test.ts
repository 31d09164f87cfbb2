/**
 * Issue 10, item 6, for the restore ledger: an append on a full disk leaves the old ledger whole
 * (no torn line that the next run would skip as unreadable, and no temp file), and concurrent
 * appends still all land, although an append now rewrites the file. Real 64 KiB tmpfs (root only).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RestoreLedger, type LedgerLine } from '../../src/restore/restore-ledger.js';

const requestLine = (runId: string, padding = ''): LedgerLine => ({
  event: 'requested',
  at: '2026-12-02T10:00:00.000Z',
  runId,
  subscriptionId: 'sub',
  resourceGroup: 'rg',
  server: `srv-${runId}${padding}`,
  source: 'src',
  expiresAt: '2026-12-03T10:00:00.000Z',
  host: 'h',
  pid: 1,
});

let root: string;
before(() => {
  root = mkdtempSync(join(tmpdir(), 'restorecheck-ledger-'));
});
after(() => rmSync(root, { recursive: true, force: true }));

describe('restore ledger writes', () => {
  it('records every one of 20 concurrent appends', async () => {
    const ledger = new RestoreLedger(join(root, 'concurrent', 'ledger.jsonl'));
    await Promise.all(Array.from({ length: 20 }, (_, i) => ledger.append(requestLine(`run-${i}`))));
    const { runs, unreadable } = await ledger.runs();
    assert.equal(unreadable, 0);
    assert.equal(runs.size, 20);
    assert.deepEqual(readdirSync(join(root, 'concurrent')), ['ledger.jsonl']);
  });

  it('leaves the old ledger whole on a full disk', async (t) => {
    if (process.getuid?.() !== 0) return t.skip('not root: cannot mount the small tmpfs this test needs');
    const disk = join(root, 'disk');
    mkdirSync(disk);
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', disk], { stdio: 'pipe' });
    } catch (error) {
      return t.skip(`cannot mount a tmpfs here: ${String((error as { stderr?: Buffer }).stderr ?? error).trim()}`);
    }
    try {
      const path = join(disk, 'ledger', 'ledger.jsonl');
      const ledger = new RestoreLedger(path);
      await ledger.append(requestLine('first'));
      const { bavail, bsize } = statfsSync(disk);
      writeFileSync(join(disk, 'filler'), Buffer.alloc((bavail - 1) * bsize)); // one page left
      const before = readFileSync(path, 'utf8');
      // A line longer than the page left: it cannot be written whole.
      await assert.rejects(ledger.append(requestLine('second', 'x'.repeat(2 * bsize))), /disk full in .*ledger/);
      assert.equal(readFileSync(path, 'utf8'), before, 'the old ledger, whole');
      assert.deepEqual(readdirSync(join(disk, 'ledger')), ['ledger.jsonl'], 'no temp file left');
      const { runs, unreadable } = await ledger.runs();
      assert.equal(unreadable, 0);
      assert.deepEqual([...runs.keys()], ['first']);
    } finally {
      execFileSync('umount', [disk]);
    }
  });
});
