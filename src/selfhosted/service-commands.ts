/**
 * The `stop` and `start` commands of `restorecheck restore` (selfHosted.stop/start and each source's restore.stop/start):
 * argv lists from the configuration, run as given on this machine (no shell: nothing in them is interpreted), one after
 * the other, each with a deadline. They come from the operator's own configuration, so they run as this process's user
 * (a `docker compose stop` needs it); they never see a dump.
 */
import { type ChildProcess, spawn } from 'node:child_process';
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

/** How a command run in its own process group ended. */
export interface GroupRun {
  /** Its exit code; null when a signal ended it (`signal`). */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** Stopped at its deadline. */
  timedOut: boolean;
  /** Stopped by the caller's signal (Ctrl-C, the run's deadline). */
  interrupted: boolean;
  /** stdout and stderr interleaved as they came: the last `tailBytes` bytes. */
  tail: string;
  /** How many bytes it wrote in all. */
  bytes: number;
  seconds: number;
}

export interface GroupRunOptions {
  signal: AbortSignal;
  timeoutMs: number;
  /** Exactly this environment (default: this process's). */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** How much of the end of its output is kept (default 2000 bytes). */
  tailBytes?: number;
  /**
   * Kill what is left of its process group once it has exited (a child it put in the background): for a command whose
   * work is over when it exits. Not for start commands, whose background children may be the service itself. The group
   * is also stopped if this process dies first, even by kill -9 (see watchGroup).
   */
  killLeftovers?: boolean;
}

/**
 * Stops process group `group` (SIGTERM, SIGKILL 5 s later) when this process dies, however it dies: a kill -9 cannot be
 * caught, but it closes our end of the watchdog's stdin, and `read` returns. A shell of a few lines, not Node (whose
 * start would cost more than the command's). Killed by the caller once the command has ended.
 */
function watchGroup(group: number): ChildProcess {
  // `kill -TERM -PGID`, without `--`: dash's kill (Debian's sh) refuses `--` ("Illegal number").
  const script = 'read -r _; kill -TERM "-$1" 2>/dev/null; sleep 5; kill -KILL "-$1" 2>/dev/null';
  const watchdog = spawn('sh', ['-c', script, 'restorecheck-watchdog', String(group)], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
  watchdog.on('error', () => undefined);
  watchdog.stdin?.on('error', () => undefined);
  // Neither it nor the pipe keeps this process alive: the pipe is there only to be closed by our exit.
  watchdog.unref();
  (watchdog.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  return watchdog;
}

/**
 * Runs argv (no shell) in its own process group, so that the deadline and the signal stop it with its children (`sh -c
 * …`, docker compose's plugins, pytest's workers): killing the command alone leaves them holding its output, and we would
 * wait for them. SIGTERM, then SIGKILL 5 s later. Rejects only when it could not be started (the spawn error).
 */
export function runInOwnGroup(argv: readonly string[], options: GroupRunOptions): Promise<GroupRun> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(argv[0]!, argv.slice(1), {
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
      ...(options.env ? { env: options.env } : {}),
      ...(options.cwd ? { cwd: options.cwd } : {}),
    });
    const watchdog = options.killLeftovers && child.pid ? watchGroup(child.pid) : undefined;
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
    const tailBytes = options.tailBytes ?? 2000;
    let tail = Buffer.alloc(0);
    let bytes = 0;
    const keep = (chunk: Buffer) => {
      bytes += chunk.length;
      tail = Buffer.concat([tail, chunk]);
      if (tail.length > tailBytes * 2) tail = tail.subarray(tail.length - tailBytes);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    let timedOut = false;
    let interrupted = false;
    const timer = setTimeout(() => {
      timedOut = true;
      stop();
    }, options.timeoutMs);
    const onAbort = () => {
      interrupted = true;
      stop();
    };
    if (options.signal.aborted) onAbort();
    else options.signal.addEventListener('abort', onAbort, { once: true });
    let settled = false;
    const finish = () => {
      clearTimeout(timer);
      options.signal.removeEventListener('abort', onAbort);
      const was = settled;
      settled = true;
      return !was;
    };
    child.on('error', (error) => {
      watchdog?.kill('SIGKILL');
      if (finish()) reject(error);
    });
    child.on('close', (code, sig) => {
      if (!finish()) return;
      if (options.killLeftovers) killGroup('SIGKILL');
      watchdog?.kill('SIGKILL');
      const end = tail.length > tailBytes ? tail.subarray(tail.length - tailBytes) : tail;
      resolve({
        exitCode: code,
        signal: sig,
        timedOut,
        interrupted: interrupted && !timedOut,
        tail: end.toString('utf8'),
        bytes,
        seconds: Math.round((performance.now() - started) / 10) / 100,
      });
    });
  });
}

async function runOne(argv: readonly string[], shown: string, what: string, signal: AbortSignal, timeoutMs: number): Promise<void> {
  if (signal.aborted) throw new EvaluationError('timeout', `${what}: not run (${shown}): interrupted`, 'run the restore again');
  let run: GroupRun;
  try {
    run = await runInOwnGroup(argv, { signal, timeoutMs });
  } catch (error) {
    throw new EvaluationError('tool', `${what}: ${shown} could not be run (${(error as Error).message})`, `check the command in the configuration (${what})`);
  }
  if (run.exitCode === 0) return;
  const end = run.tail.trim().split('\n').slice(-3).join(' | ');
  const why = run.timedOut
    ? `did not finish within ${Math.round(timeoutMs / 1000)} s`
    : run.interrupted
      ? 'was interrupted'
      : `exited with ${run.exitCode ?? run.signal}`;
  throw new EvaluationError(
    run.timedOut || run.interrupted ? 'timeout' : 'tool',
    `${what}: ${shown} ${why}${end ? `: ${end}` : ''}`,
    `run it by hand to see why, or correct it in the configuration (${what})`,
  );
}
