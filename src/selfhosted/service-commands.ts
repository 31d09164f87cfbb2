/**
 * The `stop` and `start` commands of `restorecheck restore` (selfHosted.stop/start and each source's restore.stop/start):
 * argv lists from the configuration, run as given on this machine (no shell: nothing in them is interpreted), one after
 * the other, each with a deadline. They come from the operator's own configuration, so they run as this process's user
 * (a `docker compose stop` needs it); they never see a dump.
 */
import { spawn } from 'node:child_process';
import { EvaluationError } from '../errors.js';
import type { Logger } from '../vocabulary.js';

export type CommandList = readonly (readonly string[])[];

/** One command as the report shows it (arguments joined with spaces; the configuration holds no secret here). */
export function describeCommand(argv: readonly string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`)).join(' ');
}

/**
 * Runs every command in order; the first that fails (exit code not 0, not found, past its deadline) throws an
 * EvaluationError naming it, its exit code and the end of its output, and the rest are not run. Returns one step
 * sentence per command run (`ran docker compose stop app (0.4 s)`).
 */
export async function runCommands(
  commands: CommandList | undefined,
  what: string,
  options: { signal: AbortSignal; log: Logger; timeoutMs?: number },
): Promise<string[]> {
  const steps: string[] = [];
  for (const argv of commands ?? []) {
    const shown = describeCommand(argv);
    options.log.info(`restore: ${what}: ${shown}`);
    const started = performance.now();
    await runOne(argv, shown, what, options.signal, options.timeoutMs ?? 120_000);
    steps.push(`ran ${shown} (${((performance.now() - started) / 1000).toFixed(1)} s)`);
  }
  return steps;
}

function runOne(argv: readonly string[], shown: string, what: string, signal: AbortSignal, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(new EvaluationError('timeout', `${what}: not run (${shown}): interrupted`, 'run the restore again'));
      return;
    }
    // Its own process group, so that Ctrl-C and the deadline stop the command with its children (`sh -c …`, docker
    // compose's plugins): killing the command alone leaves them holding its output, and we would wait for them.
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const killGroup = (sig: NodeJS.Signals) => {
      try {
        if (child.pid) process.kill(-child.pid, sig);
      } catch {
        // already gone
      }
    };
    const stop = () => {
      killGroup('SIGTERM');
      setTimeout(() => killGroup('SIGKILL'), 5000).unref();
    };
    let tail = '';
    const keep = (chunk: Buffer) => {
      tail = (tail + chunk.toString('utf8')).slice(-2000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      stop();
    }, timeoutMs);
    const onAbort = stop;
    signal.addEventListener('abort', onAbort, { once: true });
    const finish = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    };
    child.on('error', (error) => {
      finish();
      reject(new EvaluationError('tool', `${what}: ${shown} could not be run (${error.message})`, `check the command in the configuration (${what})`));
    });
    child.on('close', (code, sig) => {
      finish();
      if (code === 0) return resolve();
      const end = tail.trim().split('\n').slice(-3).join(' | ');
      const why = timedOut ? `did not finish within ${Math.round(timeoutMs / 1000)} s` : signal.aborted ? 'was interrupted' : `exited with ${code ?? sig}`;
      reject(
        new EvaluationError(
          timedOut || signal.aborted ? 'timeout' : 'tool',
          `${what}: ${shown} ${why}${end ? `: ${end}` : ''}`,
          `run it by hand to see why, or correct it in the configuration (${what})`,
        ),
      );
    });
  });
}
