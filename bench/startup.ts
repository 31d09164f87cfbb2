/**
 * bench/startup: how long the built binary takes to answer its cheapest commands, against the time
 * Node itself takes to start and stop (`node -e 0`), measured in the same run:
 *
 *   baseline         node -e 0
 *   --help           node dist/cli/main.js --help
 *   list-checks      node dist/cli/main.js list-checks
 *   validate-config  node dist/cli/main.js validate-config --config examples/restorecheck.simulator.yaml
 *
 * Each is run --runs times (default 10), interleaved round by round, the order rotating each round,
 * so that the machine's noise falls on all of them alike; one warm-up round (page cache, not counted)
 * comes first. Prints each command's median wall time and its ratio to the baseline's median.
 * Target: every ratio ≤ 3 (start-up is what a user waits for on every invocation, whatever the command).
 *
 *   npm run build && npm run bench:startup [-- --runs 20 --strict]
 *
 * Exit code 0 whatever the ratios, unless --strict (then 1 when a target is not met). Not part of
 * `npm test`: timings on a shared machine are noisy, which is why the figure is a ratio of interleaved runs.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BIN, log, median, run } from './bench-timing.js';

const ROOT = join(import.meta.dirname, '..');
const TARGET_RATIO = 3;
const EXAMPLE_CONFIG = 'examples/restorecheck.simulator.yaml';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '10' },
    strict: { type: 'boolean', default: false },
  },
});
const runs = Number(values.runs);

interface Subject {
  name: string;
  args: string[];
}

const BASELINE: Subject = { name: 'node -e 0', args: ['-e', '0'] };
const SUBJECTS: readonly Subject[] = [
  { name: '--help', args: [BIN, '--help'] },
  { name: 'list-checks', args: [BIN, 'list-checks'] },
  { name: 'validate-config', args: [BIN, 'validate-config', '--config', EXAMPLE_CONFIG] },
];

/** Wall time of one run in milliseconds, spawn included: the same spawn cost is in the baseline. */
async function timeOnce(subject: Subject): Promise<number> {
  const t0 = performance.now();
  await run(process.execPath, subject.args, { cwd: ROOT, env: process.env, maxBuffer: 16 * 1024 * 1024, timeout: 60_000 }).catch(
    (error: { code?: number; stdout?: string; stderr?: string }) => {
      // A failing command would be a broken benchmark, not a timing.
      throw new Error(`node ${subject.args.join(' ')} failed (exit ${error.code}): ${error.stdout ?? ''}${error.stderr ?? ''}`);
    },
  );
  return performance.now() - t0;
}

async function main(): Promise<void> {
  if (!existsSync(BIN)) throw new Error('dist/ is missing: run `npm run build` first');
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a positive whole number, not ${values.runs}`);
  const all = [BASELINE, ...SUBJECTS];
  for (const subject of all) await timeOnce(subject); // warm-up: page cache and the first compile alike for all
  const times = new Map<Subject, number[]>(all.map((s) => [s, []]));
  for (let round = 0; round < runs; round++) {
    const order = all.map((_, i) => all[(i + round) % all.length]!);
    const line: string[] = [];
    for (const subject of order) {
      const ms = await timeOnce(subject);
      times.get(subject)!.push(ms);
      line.push(`${subject.name} ${ms.toFixed(0)} ms`);
    }
    log(`round ${round + 1}: ${line.join(', ')}`);
  }
  const baseline = median(times.get(BASELINE)!);
  const rows = SUBJECTS.map((s) => {
    const ms = median(times.get(s)!);
    return { command: s.name, medianMs: Number(ms.toFixed(1)), ratio: Number((ms / baseline).toFixed(2)) };
  });
  const met = rows.every((r) => r.ratio <= TARGET_RATIO);
  const summary = { runs, baselineMedianMs: Number(baseline.toFixed(1)), commands: rows, targetRatio: TARGET_RATIO, targetMet: met };
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  process.stdout.write(`bench/startup: baseline (node -e 0) median ${summary.baselineMedianMs} ms over ${runs} runs\n`);
  for (const r of rows) process.stdout.write(`  ${r.command.padEnd(16)} median ${String(r.medianMs).padStart(7)} ms  ${r.ratio.toFixed(2)}× baseline\n`);
  process.stdout.write(`target ${TARGET_RATIO}×: ${met ? 'met' : 'not met'}\n`);
  if (values.strict && !met) process.exitCode = 1;
}

main().catch((error: unknown) => {
  process.stderr.write(`bench/startup: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
