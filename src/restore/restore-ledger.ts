/**
 * The local ledger of servers that restore tests created: one JSON line per event, appended and
 * flushed BEFORE the server is requested (so a run killed at any moment leaves its trace) and
 * again when it is deleted or kept. `restore-test cleanup` deletes a server that both carries
 * restorecheck's tags and has a `requested` line here as soon as its run is over; the ledger alone
 * could name a server someone else created since. Without a line here (the ledger died with a CI
 * runner) only the stricter tags-only rule applies: expired, and named with our prefix.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import type { Config } from '../config/schema.js';
// The report directory's atomic write and lock serve the ledger too (one implementation of each).
import { writeFileAtomic } from '../evidence/atomic-write.js';
import { withDirectoryLock } from '../evidence/dir-lock.js';

const requested = z.object({
  event: z.literal('requested'),
  at: z.string(),
  runId: z.string().min(1),
  subscriptionId: z.string(),
  resourceGroup: z.string(),
  server: z.string(),
  source: z.string(),
  expiresAt: z.string(),
  /** Who made the request: a run whose process is gone from this host is over. */
  host: z.string(),
  pid: z.number().int(),
});

const ended = z.object({
  event: z.enum(['deleted', 'kept', 'absent']),
  at: z.string(),
  runId: z.string().min(1),
});

/** A firewall rule added to the run's server (public access): it goes with the server, recorded so that a person can see it was ours. */
const firewallRule = z.object({
  event: z.literal('firewall-rule'),
  at: z.string(),
  runId: z.string().min(1),
  server: z.string(),
  rule: z.string(),
  ip: z.string(),
});

const lineSchema = z.discriminatedUnion('event', [requested, ended, firewallRule]);

export type LedgerRequest = z.infer<typeof requested>;
export type LedgerLine = z.infer<typeof lineSchema>;

/** One run as the ledger knows it: what it requested, and the last thing that happened to it. */
export interface LedgerRun {
  request: LedgerRequest;
  /** `requested` while the run never said how it ended (it is running, or was killed). */
  state: 'requested' | 'deleted' | 'kept' | 'absent';
}

/** Absolute once loaded from a file (config/load.ts); a configuration built in code is relative to the working directory. */
export function ledgerPath(config: Config): string {
  return join(resolve(config.restoreTest.ledgerDir), 'ledger.jsonl');
}

export class RestoreLedger {
  constructor(readonly path: string) {}

  /**
   * Appends one line and flushes it to disk before returning. The whole ledger is rewritten through
   * a fsynced temp file and a rename, under the directory's lock (concurrent runs): a full disk
   * leaves the old ledger whole (DiskFullError) instead of a torn line, which the next run would
   * skip as unreadable and so lose track of a server it must clean up.
   */
  async append(line: LedgerLine): Promise<void> {
    const text = `${JSON.stringify(lineSchema.parse(line))}\n`;
    const dir = dirname(this.path);
    await mkdir(dir, { recursive: true });
    await withDirectoryLock(dir, async () => {
      const before = await readTextIfExists(this.path);
      // A ledger torn by an older version ends without a newline: start the new line on its own.
      const separator = before && !before.endsWith('\n') ? '\n' : '';
      await writeFileAtomic(this.path, `${before ?? ''}${separator}${text}`, { mode: 0o600 });
    });
  }

  /** Every run on record, by run id; lines that do not parse are skipped and counted. */
  async runs(): Promise<{ runs: Map<string, LedgerRun>; unreadable: number }> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { runs: new Map(), unreadable: 0 };
      throw error;
    }
    const runs = new Map<string, LedgerRun>();
    let unreadable = 0;
    for (const raw of text.split('\n')) {
      if (!raw.trim()) continue;
      let parsed: ReturnType<typeof lineSchema.safeParse>;
      try {
        parsed = lineSchema.safeParse(JSON.parse(raw));
      } catch {
        unreadable++;
        continue;
      }
      if (!parsed.success) {
        unreadable++;
        continue;
      }
      const line = parsed.data;
      if (line.event === 'requested') runs.set(line.runId, { request: line, state: 'requested' });
      else if (line.event !== 'firewall-rule') {
        const run = runs.get(line.runId);
        if (run) run.state = line.event;
      }
    }
    return { runs, unreadable };
  }
}

async function readTextIfExists(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/** This process, as a ledger line records it. */
export function currentProcess(): { host: string; pid: number } {
  return { host: hostname(), pid: process.pid };
}

/** True when the run's process is known to be gone (same host, no such pid). A run on another host is never presumed dead. */
export function runIsOver(request: LedgerRequest): boolean {
  if (request.host !== hostname()) return false;
  if (request.pid === process.pid) return false;
  try {
    process.kill(request.pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
