/** What the benchmarks share: timing a command under GNU time, the median, and logging to stderr. */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

export const run = promisify(execFile);
export const BIN = join(import.meta.dirname, '..', 'dist', 'cli', 'main.js');

export function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

export interface Timed {
  seconds: number;
  maxRssKb?: number;
  outBlocks?: number;
  /** What the command printed (a report, for benchmarks that read it). */
  stdout: string;
}

/** Runs a command under GNU time; wall clock measured here, peak RSS from %M (KiB), blocks written from %O. */
export async function timed(command: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Timed> {
  const scratch = await mkdtemp(join(tmpdir(), 'restorecheck-bench-time-'));
  const out = join(scratch, 'time.txt');
  try {
    const t0 = performance.now();
    const { stdout } = await run('/usr/bin/time', ['-f', '%e %M %O', '-o', out, ...command], {
      cwd: options.cwd,
      env: options.env ?? process.env,
      maxBuffer: 64 * 1024 * 1024,
      timeout: 30 * 60_000,
    }).catch((error: { code?: number; stdout?: string; stderr?: string }) => {
      // A failing command would be a broken benchmark, not a timing.
      throw new Error(`${command.join(' ')} failed (exit ${error.code}): ${error.stdout ?? ''}${error.stderr ?? ''}`);
    });
    const wall = (performance.now() - t0) / 1000;
    const [, rss, blocks] = (await readFile(out, 'utf8')).trim().split(/\s+/).map(Number);
    return { seconds: wall, maxRssKb: rss, outBlocks: blocks, stdout };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
