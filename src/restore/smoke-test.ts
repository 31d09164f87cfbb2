/**
 * The team's own smoke test on a restored copy, run while the copy exists (issue 18): the configured smoke queries
 * (restoreTest.smoke), each read-only with its own deadline, then once the team's command (restoreTest.smokeCommand)
 * with the copy's connection in its environment. Nothing is judged here: restore-smoke judges the results afterwards.
 */
import type { Config } from '../config/schema.js';
import { parsePostgresUrl } from '../db/postgres.js';
import type { DatabaseGateway } from '../db/types.js';
import { EvaluationError } from '../errors.js';
import { Redactor } from '../secrets/redact.js';
import { describeCommand, runInOwnGroup } from '../selfhosted/service-commands.js';
import type { Logger } from '../vocabulary.js';
import type { SmokeCommandResult, SmokeQueryResult, SmokeResults, StepFailure } from './outcome.js';
import { toFailure } from './restored-database.js';

/** How much of the command's output the evidence keeps: its end, where test runners print their summary. */
export const SMOKE_OUTPUT_BYTES = 32 * 1024;

/** How the restored copy is reached: its URL (with or without a password) and, for database.auth: entra, the token. */
export interface SmokeConnection {
  url: string;
  /** Called once before the command starts: the password to hand it (an Entra token); absent: the URL's password. */
  password?: () => Promise<string>;
}

export interface SmokeOptions {
  config: Config;
  connection: SmokeConnection;
  signal: AbortSignal;
  log: Logger;
}

const seconds = (ms: number) => Math.round(ms / 10) / 100;

/** True when the configuration asks for a smoke test. */
export function smokeConfigured(config: Config): boolean {
  return config.restoreTest.smoke.length > 0 || config.restoreTest.smokeCommand !== undefined;
}

/** Runs the queries, then the command; one's failure does not stop the others. undefined when none is configured. */
export async function runSmokeTest(db: DatabaseGateway, options: SmokeOptions): Promise<SmokeResults | undefined> {
  if (!smokeConfigured(options.config)) return undefined;
  const rt = options.config.restoreTest;
  const queries: SmokeQueryResult[] = [];
  if (rt.smoke.length > 0) options.log.info(`restore-test: running ${rt.smoke.length} smoke quer${rt.smoke.length === 1 ? 'y' : 'ies'} on the restored copy`);
  for (const query of rt.smoke) {
    const started = performance.now();
    let observed: SmokeQueryResult['observed'];
    if (options.signal.aborted) {
      observed = { ok: false, failure: { kind: 'timeout', message: 'not run: the restore test was interrupted', hint: 'run the restore test again' } };
    } else {
      try {
        observed = { ok: true, value: await db.runSmokeQuery(query.sql, { timeoutMs: rt.smokeTimeoutSeconds * 1000, signal: options.signal }) };
      } catch (error) {
        observed = { ok: false, failure: toFailure(error) };
      }
    }
    queries.push({ name: query.name, sql: query.sql, expect: query.expect, observed, seconds: seconds(performance.now() - started) });
  }
  const results: SmokeResults = { queries };
  if (rt.smokeCommand) results.command = await runSmokeCommand(rt.smokeCommand, options);
  return results;
}

/** The smoke results of a copy that could not be read: every query and the command carry the same failure. */
export function unreadSmoke(config: Config, failure: StepFailure): SmokeResults | undefined {
  if (!smokeConfigured(config)) return undefined;
  const rt = config.restoreTest;
  const unread = { ok: false as const, failure };
  return {
    queries: rt.smoke.map((q) => ({ name: q.name, sql: q.sql, expect: q.expect, observed: unread, seconds: 0 })),
    ...(rt.smokeCommand
      ? { command: { argv: rt.smokeCommand.run, cwd: rt.smokeCommand.cwd ?? '.', ran: unread, seconds: 0, output: '', outputBytes: 0 } }
      : {}),
  };
}

/**
 * The command's environment: the restored copy's connection as a URL (RESTORECHECK_DATABASE_URL, with its credentials)
 * and as libpq's variables, plus PATH and HOME (and the locale and TMPDIR, so that tools behave as in a shell).
 *
 * Why this environment: the command is the team's own code, from its own configuration, so it is trusted and runs as
 * the invoking user, like selfHosted.start (it needs the user's PATH and virtualenv). But it must not inherit this
 * process's secrets (Azure credentials, PGPASSWORD of production, a signing key): it gets the copy's credentials and
 * nothing else, so what it prints can leak nothing but them, and those are masked in its output.
 */
export async function smokeEnvironment(connection: SmokeConnection): Promise<{ env: NodeJS.ProcessEnv; secrets: string[] }> {
  const parsed = parsePostgresUrl(connection.url);
  const password = connection.password ? await connection.password() : parsed.password;
  const url = new URL(connection.url);
  if (password !== undefined) url.password = encodeURIComponent(password);
  // The sslmode restorecheck itself used (verify-full by default for a remote host), so that the command connects as safely.
  url.searchParams.set('sslmode', parsed.sslMode);
  const env: NodeJS.ProcessEnv = {};
  for (const name of ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR']) if (process.env[name] !== undefined) env[name] = process.env[name];
  Object.assign(env, {
    RESTORECHECK_DATABASE_URL: url.toString(),
    PGHOST: parsed.host,
    PGPORT: String(parsed.port),
    PGDATABASE: parsed.database,
    PGUSER: parsed.user,
    PGSSLMODE: parsed.sslMode,
    ...(password !== undefined ? { PGPASSWORD: password } : {}),
    ...(parsed.sslRootCert ? { PGSSLROOTCERT: parsed.sslRootCert } : {}),
  });
  // The password alone: masked, the URL still shows where the command connected (postgres://user:***@host/db).
  return { env, secrets: password !== undefined ? [password] : [] };
}

async function runSmokeCommand(command: NonNullable<Config['restoreTest']['smokeCommand']>, options: SmokeOptions): Promise<SmokeCommandResult> {
  const argv = command.run;
  const cwd = command.cwd ?? '.';
  const shown = describeCommand(argv);
  const result: SmokeCommandResult = {
    argv,
    cwd,
    ran: { ok: false, failure: { kind: 'internal', message: 'not run', hint: '' } },
    seconds: 0,
    output: '',
    outputBytes: 0,
  };
  if (options.signal.aborted) {
    result.ran = {
      ok: false,
      failure: { kind: 'timeout', message: `${shown} was not run: the restore test was interrupted`, hint: 'run the restore test again' },
    };
    return result;
  }
  let prepared: Awaited<ReturnType<typeof smokeEnvironment>>;
  try {
    prepared = await smokeEnvironment(options.connection);
  } catch (error) {
    result.ran = { ok: false, failure: toFailure(error) };
    return result;
  }
  // Masks the copy's own secrets (unknown to the configuration's redactor: the throwaway role's password, a fresh token)
  // and the usual shapes (URL passwords, JWTs, keys) in whatever the command printed.
  const redactor = new Redactor();
  for (const secret of prepared.secrets) redactor.add(secret);
  options.log.info(`restore-test: running the smoke command ${shown} (in ${cwd}, within ${command.timeoutSeconds} s)`);
  const started = performance.now();
  try {
    const run = await runInOwnGroup(argv, {
      signal: options.signal,
      timeoutMs: command.timeoutSeconds * 1000,
      env: prepared.env,
      cwd,
      tailBytes: SMOKE_OUTPUT_BYTES,
      // Its work is over when it exits: nothing it started may outlive it (a server it forgot, a pytest worker).
      killLeftovers: true,
    });
    result.seconds = run.seconds;
    result.output = redactor.redact(run.tail);
    result.outputBytes = run.bytes;
    if (run.timedOut) {
      result.ran = {
        ok: false,
        failure: {
          kind: 'timeout',
          message: `${shown} did not finish within restoreTest.smokeCommand.timeoutSeconds (${command.timeoutSeconds} s): it was stopped with its process group`,
          hint: 'find out what hangs (its output is in the evidence), or raise restoreTest.smokeCommand.timeoutSeconds',
        },
      };
    } else if (run.interrupted) {
      result.ran = {
        ok: false,
        failure: {
          kind: 'timeout',
          message: `${shown} was interrupted (the restore test was stopped): it was stopped with its process group`,
          hint: 'run the restore test again',
        },
      };
    } else {
      result.ran = { ok: true, value: { exitCode: run.exitCode, signal: run.signal } };
    }
    options.log.info(
      `restore-test: the smoke command ${run.timedOut ? 'passed its deadline' : run.interrupted ? 'was interrupted' : `exited with ${run.exitCode ?? run.signal}`} after ${run.seconds} s`,
    );
  } catch (error) {
    result.seconds = seconds(performance.now() - started);
    const why = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    result.ran = {
      ok: false,
      failure: toFailure(
        new EvaluationError(
          'tool',
          `the smoke command ${shown} could not be started in ${cwd} (${why})`,
          'check restoreTest.smokeCommand.run (the program must be on PATH, or give its path) and restoreTest.smokeCommand.cwd',
        ),
      ),
    };
    options.log.info(`restore-test: the smoke command could not be started (${why})`);
  }
  return result;
}
