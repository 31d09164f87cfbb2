/**
 * Runs the built binary (dist/cli/main.js) as a child process, as a user's script would:
 * NO_COLOR=1, no TTY, the suite's TMPDIR, the environment given. `npm test` builds first.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

export const BIN = join(import.meta.dirname, '../../dist/cli/main.js');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunningCli {
  child: ChildProcess;
  /** What it wrote so far. */
  stdout(): string;
  stderr(): string;
  /** Settles when it exits (killed with SIGKILL after timeoutMs). */
  result: Promise<CliResult>;
}

/** Starts the binary and hands back the child, for tests that signal it while it runs. */
export interface CliOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  timeoutMs?: number;
  input?: string;
  /** A command that runs the binary: `node BIN args` is appended to it (e.g. `unshare -m sh -c '…; exec "$0" "$@"'`). */
  wrap?: string[];
}

export function startCli(args: string[], options: CliOptions = {}): RunningCli {
  // TMPDIR too: the suite's own temp dir (scripts/run-tests.mjs), where the leftover check looks.
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NO_COLOR: '1',
    ...(process.env.TMPDIR ? { TMPDIR: process.env.TMPDIR } : {}),
    ...options.env,
  };
  const [command, ...commandArgs] = [...(options.wrap ?? []), process.execPath, BIN, ...args];
  const child = spawn(command!, commandArgs, { env, cwd: options.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const result = new Promise<CliResult>((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
  child.stdin.end(options.input ?? '');
  return { child, stdout: () => stdout, stderr: () => stderr, result };
}

export function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  return startCli(args, options).result;
}
