/**
 * Runs a component's native tool (pg_dump, mariadb-dump, redis-cli, mongodump, tar), directly or behind the source's
 * `exec` prefix (`docker compose exec -T postgres pg_dump …`, as today's backup.sh does). Secrets go through the
 * environment (PGPASSWORD, MYSQL_PWD, REDISCLI_AUTH), never the command line, where `ps` would show them; behind an
 * exec prefix the prefix decides whether they reach the tool (`docker compose exec -e PGPASSWORD …` forwards it).
 *
 * Every run is bounded: it ends with the signal (SIGTERM, then SIGKILL), and its stderr is kept only as a short tail.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, type Readable, type Writable } from 'node:stream';
import { EvaluationError } from '../errors.js';

/** A tool that cannot be run: named with the Debian package that has it, or the exec prefix to use. */
export class ToolMissingError extends EvaluationError {
  constructor(component: string, tool: string, debianPackage: string, exec: readonly string[] | undefined, detail: string) {
    super(
      'tool',
      exec
        ? `${component}: ${tool} could not be run through ${exec.join(' ')} (${detail})`
        : `${component}: ${tool} is not installed on this machine (${detail})`,
      exec
        ? `make sure the container has ${tool}, or change selfHosted.sources.${component}.exec`
        : `install it (apt-get install ${debianPackage}), or set selfHosted.sources.${component}.exec to run it where it is, e.g. [docker, compose, exec, -T, ${component}]`,
    );
  }
}

export interface ToolCommand {
  component: string;
  debianPackage: string;
  exec?: readonly string[] | undefined;
  tool: string;
  args: readonly string[];
  /** Added to this process's environment (secrets go here). */
  env?: Record<string, string>;
  /** `pipe` to write to the tool's stdin; default ignored. */
  stdin?: 'pipe' | 'ignore';
  /**
   * For a client fed untrusted input on this machine (an in-place restore's psql or mariadb): run as this OS user, in
   * `cwd`, with exactly `env` (and `command.env`) instead of this process's environment.
   */
  isolate?: { uid?: number; gid?: number; cwd: string; env: NodeJS.ProcessEnv };
}

export interface RunningTool {
  child: ChildProcess;
  stdout: Readable;
  stdin: Writable | null;
  /** Settles when the tool has exited: rejects unless it exited 0 (ToolMissingError for 126/127 and ENOENT). */
  done: Promise<void>;
  /** The last few KB of stderr, for messages. */
  stderrTail(): string;
}

const STDERR_TAIL = 4096;
/** Exit codes of a shell or `docker exec` that could not find or run the program. */
const NOT_RUNNABLE = new Set([126, 127]);

export function startTool(command: ToolCommand, signal: AbortSignal): RunningTool {
  const argv = [...(command.exec ?? []), command.tool, ...command.args];
  const child = spawn(argv[0]!, argv.slice(1), {
    stdio: [command.stdin ?? 'ignore', 'pipe', 'pipe'],
    env: { ...(command.isolate?.env ?? process.env), ...command.env },
    ...(command.isolate
      ? { cwd: command.isolate.cwd, ...(command.isolate.uid !== undefined ? { uid: command.isolate.uid, gid: command.isolate.gid } : {}) }
      : {}),
  });
  // Read from the start, into a PassThrough the caller consumes: a consumer (writeMember) attaches a moment later, and
  // when a short-lived tool (cat of a small RDB) has exited by then, Node resumes the stdio nobody reads yet and drops
  // its output (child_process flushStdio): an empty member from a tool that exited 0. Piped, nothing is dropped.
  const stdout = new PassThrough({ highWaterMark: 1024 * 1024 });
  child.stdout!.pipe(stdout);
  // A consumer that gives up (a full disk, an abort) destroys the PassThrough: the pipe to the tool is closed too, so
  // that the tool dies of SIGPIPE rather than dumping on into nothing.
  stdout.once('close', () => {
    if (!child.stdout!.readableEnded) child.stdout!.destroy();
  });
  let tail = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    tail = (tail + chunk).slice(-STDERR_TAIL);
  });
  const kill = () => {
    child.kill('SIGTERM');
    // A tool that ignores SIGTERM (or an exec wrapper that does not forward it) is killed after a grace period.
    setTimeout(() => child.exitCode === null && child.signalCode === null && child.kill('SIGKILL'), 5_000).unref();
  };
  if (signal.aborted) kill();
  else signal.addEventListener('abort', kill, { once: true });
  const done = new Promise<void>((resolve, reject) => {
    child.once('error', (error: NodeJS.ErrnoException) => {
      signal.removeEventListener('abort', kill);
      reject(
        error.code === 'ENOENT'
          ? new ToolMissingError(command.component, argv[0]!, command.debianPackage, command.exec, `${argv[0]}: not found`)
          : new EvaluationError('tool', `${command.component}: ${argv[0]} could not be started: ${error.message}`, 'check the tool and its permissions'),
      );
    });
    child.once('close', (code, killedBy) => {
      signal.removeEventListener('abort', kill);
      const message = lastLines(tail);
      if (code === 0) resolve();
      else if (signal.aborted) reject(signal.reason instanceof Error ? signal.reason : new Error('interrupted'));
      else if (code !== null && NOT_RUNNABLE.has(code) && (command.exec || /not found|no such file|executable file/i.test(message))) {
        reject(new ToolMissingError(command.component, command.tool, command.debianPackage, command.exec, message || `exit code ${code}`));
      } else {
        reject(
          new EvaluationError(
            'tool',
            `${command.component}: ${command.tool} ${killedBy ? `was killed by ${killedBy}` : `exited with code ${code}`}${message ? `: ${message}` : ''}`,
            `run the ${command.tool} command by hand to see why, fix it, then run the backup again`,
          ),
        );
      }
    });
  });
  return { child, stdout, stdin: child.stdin, done, stderrTail: () => tail };
}

/** The last three non-empty lines of a tool's stderr, on one line. */
function lastLines(text: string): string {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .slice(-3)
    .join(' / ');
}

/** Runs a tool to completion and returns its stdout (small outputs only: versions, counts). */
export async function runToolForOutput(command: ToolCommand, signal: AbortSignal, maxBytes = 1024 * 1024): Promise<string> {
  const tool = startTool(command, signal);
  const chunks: Buffer[] = [];
  let size = 0;
  tool.stdout.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size <= maxBytes) chunks.push(chunk);
  });
  await tool.done;
  if (size > maxBytes) throw new EvaluationError('tool', `${command.component}: ${command.tool} wrote more than ${maxBytes} bytes`, 'report this as a bug');
  return Buffer.concat(chunks).toString('utf8');
}

/** `<tool> --version`'s first line; a tool that cannot run is a ToolMissingError. */
export async function toolVersion(command: Omit<ToolCommand, 'args'> & { args?: readonly string[] }, signal: AbortSignal): Promise<string> {
  const out = await runToolForOutput({ ...command, args: command.args?.length ? command.args : ['--version'] }, signal);
  return (
    out
      .split('\n')
      .find((line) => line.trim() !== '')
      ?.trim() ?? '(no version printed)'
  );
}

/** The full path of `program` in a PATH directory (executable by us), or undefined: whether a restore test can run here. */
export function onPath(program: string, path = process.env.PATH ?? ''): string | undefined {
  for (const dir of path.split(':')) {
    if (dir === '') continue;
    const file = join(dir, program);
    try {
      accessSync(file, constants.X_OK);
      if (statSync(file).isFile()) return file;
    } catch {
      // not here
    }
  }
  return undefined;
}
