/**
 * Concurrent writers never fork the report chain or interleave the audit log: several CLI processes
 * writing into one directory at once, and several processes hammering appendAuditEvent.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LOCK_FILE, withDirectoryLock } from '../../src/evidence/dir-lock.js';
import { verifyChain } from '../../src/evidence/verify-chain.js';
import { UsageError } from '../../src/errors.js';
import { runCli } from '../helpers/cli.js';
import { makeWorkspace, runCheck, type Workspace } from '../helpers/report-workspace.js';

let ws: Workspace;
before(() => {
  ws = makeWorkspace();
});
after(() => ws.cleanup());

const DIST = join(import.meta.dirname, '../../dist');

/** A separate Node process appending `count` events through the built module. */
function appender(dir: string, name: string, count: number): Promise<number | null> {
  const script = `
    const { appendAuditEvent } = await import(${JSON.stringify(join(DIST, 'cli/audit-log.js'))});
    for (let i = 0; i < ${count}; i++) {
      await appendAuditEvent(${JSON.stringify(dir)}, { action: 'delete', command: 'retention', environment: 'production', outcome: 'pass', details: { writer: ${JSON.stringify(name)}, i } });
    }`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', reject);
    child.on('close', resolve);
  });
}

describe('concurrent report writers', () => {
  it('six check runs at once: six reports in one linear chain, six audit lines', async () => {
    const dir = join(ws.root, 'concurrent');
    const runs = await Promise.all(Array.from({ length: 6 }, () => runCheck(ws, ['json', 'junit'], { outDir: dir })));
    for (const run of runs) assert.equal(run.code, 2, run.stderr);
    const files = readdirSync(dir);
    assert.equal(files.filter((f) => f.endsWith('.json')).length, 6, files.join(' '));
    assert.equal(files.filter((f) => f.endsWith('.xml')).length, 6);
    assert.ok(!files.includes(LOCK_FILE), 'the lock was released');
    const verify = await runCli(['report', 'verify', dir]);
    assert.equal(verify.code, 0, verify.stdout);
    assert.match(verify.stdout, /6 reports, 6 audit lines/);
    // Linear: every previousReportSha256 is distinct (no two reports follow the same one).
    const previous = files
      .filter((f) => f.endsWith('.json'))
      .map((f) => (JSON.parse(readFileSync(join(dir, f), 'utf8')) as { previousReportSha256: string | null }).previousReportSha256);
    assert.equal(new Set(previous).size, 6);
  });

  it('three processes appending 40 events each: 120 whole lines in one chain', async () => {
    const dir = join(ws.root, 'appenders');
    mkdirSync(dir);
    const codes = await Promise.all([appender(dir, 'a', 40), appender(dir, 'b', 40), appender(dir, 'c', 40)]);
    assert.deepEqual(codes, [0, 0, 0]);
    const log = readFileSync(join(dir, 'audit.log.jsonl'), 'utf8');
    const lines = log.trimEnd().split('\n');
    assert.equal(lines.length, 120);
    const writers = lines.map((l) => (JSON.parse(l) as { details: { writer: string } }).details.writer);
    assert.equal(writers.filter((w) => w === 'a').length, 40);
    const verdict = verifyChain({ reports: [], auditLog: log });
    assert.deepEqual(verdict.problems, []);
    assert.deepEqual(
      lines.map((l) => (JSON.parse(l) as { seq: number }).seq),
      Array.from({ length: 120 }, (_v, i) => i + 1),
    );
  });

  it('takes over a lock left by a dead process', async () => {
    const dir = join(ws.root, 'stale');
    mkdirSync(dir);
    // A pid far above any pid_max: no such process on this host.
    writeFileSync(
      join(dir, LOCK_FILE),
      JSON.stringify({ token: 'dead', pid: 99_999_999, host: (await import('node:os')).hostname(), since: '2026-01-01T00:00:00.000Z' }),
    );
    const run = await runCheck(ws, ['json'], { outDir: dir });
    assert.equal(run.code, 2, run.stderr);
    assert.ok(!readdirSync(dir).includes(LOCK_FILE));
  });

  it('waits for a live holder, then gives up with the lock file named', async () => {
    const dir = join(ws.root, 'held');
    mkdirSync(dir);
    let inner: unknown;
    await withDirectoryLock(dir, async () => {
      inner = await withDirectoryLock(dir, async () => 'acquired twice', { timeoutMs: 300 }).catch((error: unknown) => error);
    });
    assert.ok(inner instanceof UsageError, String(inner));
    assert.match(inner.message, /is locked by process \d+/);
    assert.ok(inner.hint.includes(join(dir, LOCK_FILE)));
    assert.equal(await withDirectoryLock(dir, async () => 'free again'), 'free again');
  });
});
