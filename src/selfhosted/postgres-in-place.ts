/**
 * The in-place restore of PostgreSQL (`restorecheck restore`, issue 16): `postgres_full.sql.gz` back into the configured
 * database (`restore.url`, default the source's `url`), built aside and swapped in.
 *
 * 1. `CREATE DATABASE <db>__rc_new_<runId>` from template0, with the target's encoding, collation and owner.
 * 2. The dump is loaded into it by psql behind the meta-command guard (psql-input-guard.ts), strictly
 *    (ON_ERROR_STOP=1): any error fails the restore. The dump is framed by our own BEGIN and COMMIT, the COMMIT written
 *    only once the whole dump was read and ends with pg_dump's closing comment. This is --single-transaction's one
 *    transaction, minus its flaw: psql meeting the end of its input (our process killed, an exec wrapper that drops the
 *    pipe) commits under --single-transaction, and merely disconnects here, so the server rolls everything back.
 * 3. The counts and the Alembic revision are read from the new database (nothing else can write to it yet).
 * 4. Only then: `restore.stop`, the target closed to new connections and its sessions terminated, target renamed
 *    `<db>__rc_old_<runId>`, new renamed to the target's name, the target's database-level grants and settings (which
 *    pg_dump without --create does not dump) carried over, old dropped (the safety backup holds it), `restore.start`.
 *
 * Any failure before the rename drops the new database and leaves the target as it was; the error says so.
 */
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { parsePostgresUrl } from '../db/postgres.js';
import { EvaluationError, RestoreFailedError, type RestorecheckError, UsageError, describeError } from '../errors.js';
import { machineClientBinDir } from '../restore/postgres-binaries.js';
import { MetaCommandRefused, PsqlInputGuard } from '../restore/psql-input-guard.js';
import type { JsonValue } from '../vocabulary.js';
import type { InPlaceContext, InPlacePreflight, InPlaceRestore, InPlaceResult, RestoreComparison, SourceOf } from './component.js';
import { type ClientHome, createClientHome, startDumpClient } from './dump-client.js';
import { runCommands } from './service-commands.js';
import type { RunningTool, ToolCommand } from './tool-process.js';

type Source = SourceOf<'postgres'>;
const MEMBER = 'postgres_full.sql.gz';
const PACKAGE = 'postgresql-client';
/** PostgreSQL's NAMEDATALEN - 1: a longer name is silently cut, and the new and old names could then collide. */
const MAX_NAME_BYTES = 63;
const CONTROL_TIMEOUT_MS = 60_000;
/** How long the target's sessions may take to end once terminated. */
const SESSIONS_GONE_MS = 30_000;

const literal = (value: string) => `'${value.replace(/'/g, "''")}'`;
const ident = (value: string) => `"${value.replace(/"/g, '""')}"`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Target {
  /** The database replaced. */
  database: string;
  user: string;
  /** `database medicapp on db.internal:5432 (as admin)` */
  label: string;
  /** A libpq URL of `database` on the target's server, without the password (PGPASSWORD carries it). */
  urlFor(database: string): string;
  env: Record<string, string>;
  exec: readonly string[] | undefined;
  /** Which configuration key names the target (for hints). */
  key: string;
}

function targetOf(source: Source): Target {
  const raw = source.restore?.url ?? source.url;
  const key = source.restore?.url ? 'selfHosted.sources.postgres.restore.url' : 'selfHosted.sources.postgres.url';
  const parsed = parsePostgresUrl(raw);
  return {
    database: parsed.database,
    user: parsed.user,
    label: `database ${parsed.database} on ${parsed.host}:${parsed.port} (as ${parsed.user})`,
    urlFor(database) {
      const url = new URL(raw);
      url.password = '';
      url.username = encodeURIComponent(parsed.user);
      url.pathname = `/${encodeURIComponent(database)}`;
      if (!parsed.sslModeExplicit) url.searchParams.set('sslmode', parsed.sslMode);
      if (!url.searchParams.has('connect_timeout')) url.searchParams.set('connect_timeout', '15');
      url.searchParams.set('application_name', 'restorecheck-restore');
      return url.toString();
    },
    env: parsed.password ? { PGPASSWORD: parsed.password } : {},
    exec: source.exec,
    key,
  };
}

/** `<db>__rc_<kind>_<runId>`, the database name shortened (by whole characters) so that the whole stays within 63 bytes. */
export function asideName(database: string, kind: 'new' | 'old', runId: string): string {
  const suffix = `__rc_${kind}_${runId}`;
  let base = database;
  while (base.length > 0 && Buffer.byteLength(base + suffix) > MAX_NAME_BYTES) base = [...base].slice(0, -1).join('');
  return base + suffix;
}

/** The psql a dump goes to: none needed behind an exec prefix (the container's). */
function psqlFile(target: Target): string {
  if (target.exec) return 'psql';
  const dir = machineClientBinDir();
  if (!dir) {
    throw new EvaluationError(
      'tool',
      'postgres: no psql on this machine: the in-place restore runs the dump through psql',
      'install it (apt-get install postgresql-client), or set selfHosted.sources.postgres.exec to run it where it is, e.g. [docker, compose, exec, -T, postgres]',
    );
  }
  return join(dir, 'psql');
}

function psqlCommand(target: Target, args: string[]): ToolCommand {
  return { component: 'postgres', debianPackage: PACKAGE, exec: target.exec, tool: 'psql', args, env: target.env, stdin: 'pipe' };
}

/** The server's first ERROR of psql's stderr (`psql:<stdin>:12: ERROR:  relation … exists`), without psql's prefix. */
function errorLine(stderr: string): string | undefined {
  const line = stderr.split('\n').find((l) => /\bERROR:\s/.test(l));
  return line?.replace(/^psql:[^:]*:\d+:\s*/, '').trim();
}

/** A connection problem of psql's stderr as an EvaluationError with what to do. */
function connectionError(target: Target, stderr: string, database: string): RestorecheckError | undefined {
  const text = stderr.trim().split('\n').filter(Boolean).slice(-2).join(' / ');
  const at = target.label.replace(/^database \S+ on /, '');
  if (/password authentication failed|no password supplied|fe_sendauth/i.test(stderr)) {
    return new EvaluationError('auth', `postgres: the restore user could not sign in to ${at}: ${text}`, `check the user and password of ${target.key}`);
  }
  if (/role "[^"]*" does not exist/i.test(stderr)) {
    return new EvaluationError('auth', `postgres: the restore user does not exist on ${at}: ${text}`, `correct the user of ${target.key}`);
  }
  if (/no pg_hba\.conf entry|not permitted to log in|permission denied for database/i.test(stderr)) {
    return new EvaluationError(
      'permission',
      `postgres: the restore user may not connect to ${database} on ${at}: ${text}`,
      'allow it in pg_hba.conf (and GRANT CONNECT), or use another user',
    );
  }
  if (new RegExp(`database "${database.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}" does not exist`).test(stderr)) {
    return new EvaluationError(
      'not-found',
      `postgres: database ${database} does not exist on ${at}`,
      `the in-place restore replaces an existing database: create it (CREATE DATABASE ${ident(database)}) or correct ${target.key}`,
    );
  }
  if (
    /could not connect|Connection refused|could not translate host name|timeout expired|No route to host|Network is unreachable|server closed the connection/i.test(
      stderr,
    )
  ) {
    return new EvaluationError('unreachable', `postgres: ${at} cannot be reached: ${text}`, `check that the server runs and that ${target.key} names it`);
  }
  return undefined;
}

interface Session {
  target: Target;
  file: string;
  home: ClientHome | undefined;
  /** The database the control statements connect to (never the target: it is renamed). */
  maintenance: string;
}

/** Runs statements (each in its own transaction) in `database`; resolves with the output lines (unaligned, tuples only). */
async function query(s: Session, database: string, sql: string, signal: AbortSignal, timeoutMs = CONTROL_TIMEOUT_MS): Promise<string[]> {
  const bounded = AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]);
  const tool = startDumpClient(
    psqlCommand(s.target, ['-X', '-q', '-A', '-t', '--no-password', '-v', 'ON_ERROR_STOP=1', '--dbname', s.target.urlFor(database), '-f', '-']),
    s.file,
    s.home,
    bounded,
  );
  tool.stdin!.on('error', () => undefined);
  tool.stdin!.end(`${sql}\n`);
  let out = '';
  tool.stdout.setEncoding('utf8').on('data', (text: string) => {
    out += text;
  });
  try {
    await tool.done;
  } catch (error) {
    const stderr = tool.stderrTail();
    if (bounded.aborted) {
      throw new EvaluationError(
        'timeout',
        signal.aborted ? 'postgres: interrupted' : `postgres: psql did not answer within ${timeoutMs / 1000} s`,
        'run the restore again',
        { cause: error },
      );
    }
    const connection = connectionError(s.target, stderr, database);
    if (connection) throw connection;
    const sqlError = errorLine(stderr);
    if (sqlError) throw new EvaluationError('query', `postgres: ${sqlError}`, 'see the message; run the restore again once fixed', { cause: error });
    throw error;
  }
  return out.split('\n').filter((line) => line !== '');
}

/** The one JSON line a statement selected. */
async function queryJson<T>(s: Session, database: string, sql: string, schema: z.ZodType<T>, signal: AbortSignal): Promise<T> {
  const lines = await query(s, database, sql, signal);
  const parsed = schema.safeParse(JSON.parse(lines.at(-1) ?? 'null'));
  if (!parsed.success)
    throw new EvaluationError('invalid-response', `postgres: unexpected answer: ${(lines.at(-1) ?? '').slice(0, 200)}`, 'report this as a bug');
  return parsed.data;
}

/** A session to the target's server: the machine's psql and its home (unless an exec prefix runs it), the maintenance database. */
async function openSession(source: Source, signal: AbortSignal): Promise<Session> {
  const target = targetOf(source);
  const file = psqlFile(target);
  const home = target.exec ? undefined : await createClientHome('restorecheck-pg-inplace-');
  const s: Session = { target, file, home, maintenance: 'postgres' };
  try {
    // `postgres` is there on nearly every server; template1 always is (but a few providers forbid connecting to it).
    await query(s, 'postgres', 'SELECT 1;', signal).catch(async (error: unknown) => {
      if (!(error instanceof EvaluationError && error.kind === 'not-found')) throw error;
      s.maintenance = 'template1';
      await query(s, 'template1', 'SELECT 1;', signal);
    });
    return s;
  } catch (error) {
    await home?.remove();
    throw error;
  }
}

const targetInfoSchema = z.object({
  oid: z.string(),
  owner: z.string(),
  may_own: z.boolean(),
  encoding: z.string(),
  collate: z.string(),
  ctype: z.string(),
  allow_connections: z.boolean(),
  provider: z.string().nullable(),
  locale: z.string().nullable(),
  icu_rules: z.string().nullable(),
});
type TargetInfo = z.infer<typeof targetInfoSchema>;

const preflightSchema = z.object({
  user: z.string(),
  version: z.string(),
  version_num: z.number(),
  superuser: z.boolean(),
  createdb: z.boolean(),
  target: targetInfoSchema.nullable(),
  taken: z.array(z.string()).nullable(),
});

function targetInfoSql(database: string): string {
  return `(SELECT json_build_object('oid', d.oid::text, 'owner', pg_get_userbyid(d.datdba), 'may_own', pg_has_role(current_user, d.datdba, 'MEMBER'),
    'encoding', pg_encoding_to_char(d.encoding), 'collate', d.datcollate, 'ctype', d.datctype, 'allow_connections', d.datallowconn,
    'provider', to_jsonb(d)->>'datlocprovider', 'locale', coalesce(to_jsonb(d)->>'datlocale', to_jsonb(d)->>'daticulocale'), 'icu_rules', to_jsonb(d)->>'daticurules')
    FROM pg_database d WHERE d.datname = ${literal(database)})`;
}

async function inspect(s: Session, runId: string, signal: AbortSignal) {
  const { database } = s.target;
  const names = [asideName(database, 'new', runId), asideName(database, 'old', runId)];
  return queryJson(
    s,
    s.maintenance,
    `SELECT json_build_object('user', current_user, 'version', current_setting('server_version'), 'version_num', current_setting('server_version_num')::int,
      'superuser', r.rolsuper, 'createdb', r.rolcreatedb, 'target', ${targetInfoSql(database)},
      'taken', (SELECT json_agg(datname) FROM pg_database WHERE datname IN (${names.map(literal).join(', ')})))
     FROM pg_roles r WHERE r.rolname = current_user;`,
    preflightSchema,
    signal,
  );
}

/** The checks of preflight, also run again by restore (the state may have changed since). */
function judge(s: Session, facts: z.infer<typeof preflightSchema>): TargetInfo {
  const { database, key, label } = s.target;
  if (!facts.target) {
    throw new EvaluationError(
      'not-found',
      `postgres: database ${database} does not exist on ${label.replace(/^database \S+ on /, '')}`,
      `the in-place restore replaces an existing database: create it (CREATE DATABASE ${ident(database)}) or correct ${key}`,
    );
  }
  const missing: string[] = [];
  if (!facts.superuser && !facts.createdb) missing.push('it may not create databases (neither superuser nor CREATEDB)');
  if (!facts.superuser && !facts.target.may_own) missing.push(`it does not own ${database} (owner ${facts.target.owner}), so it may not rename or drop it`);
  if (missing.length > 0) {
    throw new EvaluationError(
      'permission',
      `postgres: the restore user ${facts.user} cannot replace ${database}: ${missing.join('; ')}`,
      `restore as the database's owner with CREATEDB (ALTER ROLE ${ident(facts.user)} CREATEDB) or as a superuser: set ${
        key.endsWith('restore.url') ? key : 'selfHosted.sources.postgres.restore.url'
      }`,
    );
  }
  if (facts.taken && facts.taken.length > 0) {
    throw new UsageError(
      `postgres: ${facts.taken.join(' and ')} already exist on the server (left by an earlier restore with the same run id?)`,
      'drop them after checking what they hold, or run the restore again (a new run id)',
    );
  }
  return facts.target;
}

async function preflight(source: Source, ctx: InPlaceContext): Promise<InPlacePreflight> {
  const s = await openSession(source, ctx.signal);
  try {
    const facts = await inspect(s, ctx.runId, ctx.signal);
    judge(s, facts);
    ctx.log.info(`postgres: ${s.target.label}: PostgreSQL ${facts.version}, ${facts.superuser ? 'superuser' : 'owner with CREATEDB'}`);
    return { target: `${s.target.label}, PostgreSQL ${facts.version}` };
  } finally {
    await s.home?.remove();
  }
}

function createDatabaseSql(name: string, info: TargetInfo): string {
  const options = [`TEMPLATE template0`, `OWNER ${ident(info.owner)}`, `ENCODING ${literal(info.encoding)}`];
  options.push(`LC_COLLATE ${literal(info.collate)}`, `LC_CTYPE ${literal(info.ctype)}`);
  if (info.provider === 'i') {
    options.push('LOCALE_PROVIDER icu');
    if (info.locale) options.push(`ICU_LOCALE ${literal(info.locale)}`);
    if (info.icu_rules) options.push(`ICU_RULES ${literal(info.icu_rules)}`);
  } else if (info.provider === 'b') {
    options.push('LOCALE_PROVIDER builtin');
    if (info.locale) options.push(`BUILTIN_LOCALE ${literal(info.locale)}`);
  }
  return `CREATE DATABASE ${ident(name)} ${options.join(' ')};`;
}

/**
 * The target's database-level grants and settings, as statements for the new database: pg_dump without --create dumps
 * neither (ALTER DATABASE … SET, GRANT CONNECT …), and they belong to the database being replaced, not to its content.
 * The server writes the statements itself (format %I / %L): no name is pasted raw.
 */
function carryOverSql(from: string, to: string): string {
  return `SELECT format('REVOKE ALL ON DATABASE %I FROM PUBLIC', ${literal(to)}) FROM pg_database WHERE datname = ${literal(from)} AND datacl IS NOT NULL
    UNION ALL
    SELECT format('GRANT %s ON DATABASE %I TO %s%s', a.privilege_type, ${literal(to)},
      CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(a.grantee)) END, CASE WHEN a.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END)
      FROM pg_database d, aclexplode(d.datacl) a WHERE d.datname = ${literal(from)}
    UNION ALL
    SELECT format('ALTER DATABASE %I SET %s TO %L', ${literal(to)}, split_part(c, '=', 1), substr(c, strpos(c, '=') + 1))
      FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase, unnest(s.setconfig) c WHERE d.datname = ${literal(from)} AND s.setrole = 0;`;
}

class DumpCutShort extends Error {}

const REFUSED_HINT =
  'do not restore this dump: pg_dump never writes such meta-commands, so the file was altered or made by hand; make a new backup from the database and find out who could write to the backups';

interface LoadResult {
  bytes: number;
  seconds: number;
  dumpedBy?: string;
  dumpedFrom?: string;
  complete: boolean | undefined;
}

/** Loads the dump into `database` (the new one): guarded, strict, in one transaction committed only after its last byte. */
async function loadDump(s: Session, database: string, content: Readable, ctx: InPlaceContext): Promise<LoadResult> {
  const started = performance.now();
  const guard = new PsqlInputGuard();
  let bytes = 0;
  let head = '';
  let tail = '';
  const meter = new Transform({
    transform(chunk: Buffer, _enc, callback) {
      bytes += chunk.length;
      if (head.length < 2048) head += chunk.toString('latin1', 0, Math.min(chunk.length, 2048));
      tail = (tail + chunk.toString('latin1', Math.max(0, chunk.length - 512))).slice(-512);
      ctx.progress(bytes);
      callback(null, chunk);
    },
  });
  const fromPgDump = () => /^-- PostgreSQL database dump\s*$/m.test(head);
  // pg_dump ends its output with this comment (followed by \unrestrict since 15.14): a dump without it is cut short.
  const completed = () => /^-- PostgreSQL database dump complete\s*$/m.test(tail);
  let begun = false;
  const framer = new Transform({
    transform(chunk: Buffer, _enc, callback) {
      if (!begun) {
        begun = true;
        this.push('BEGIN;\n');
      }
      callback(null, chunk);
    },
    flush(callback) {
      if (fromPgDump() && !completed()) {
        callback(new DumpCutShort(`${MEMBER} ends without pg_dump's closing line "-- PostgreSQL database dump complete": it is cut short`));
        return;
      }
      callback(null, `${begun ? '' : 'BEGIN;\n'}\nCOMMIT;\n`);
    },
  });
  const tool: RunningTool = startDumpClient(
    psqlCommand(s.target, ['-X', '-q', '--no-password', '-v', 'ON_ERROR_STOP=1', '--dbname', s.target.urlFor(database), '-f', '-']),
    s.file,
    s.home,
    ctx.signal,
  );
  tool.stdin!.on('error', () => undefined);
  tool.stdout.resume();
  // A source that breaks (a cut member, a refused meta-command) stops psql before its input is closed (these listeners
  // come before pipeline's own): our framing would have it disconnect without COMMIT anyway, this makes it certain.
  const kill = () => tool.child.kill('SIGKILL');
  let sourceError: unknown;
  content.once('error', (error) => {
    sourceError ??= error;
  });
  for (const stream of [content, meter, guard, framer]) stream.once('error', kill);
  const onAbort = () => {
    kill();
    content.destroy(new Error('interrupted'));
  };
  if (ctx.signal.aborted) onAbort();
  else ctx.signal.addEventListener('abort', onAbort, { once: true });
  try {
    await pipeline(content, meter, guard, framer, tool.stdin!);
  } catch (error) {
    kill();
    await tool.done.catch(() => undefined);
    if (error instanceof MetaCommandRefused) throw new RestoreFailedError(`${MEMBER}: ${error.message}`, REFUSED_HINT, { cause: error });
    if (error instanceof DumpCutShort) throw new RestoreFailedError(error.message, 'verify the archive (restorecheck verify) and restore a complete backup');
    if (ctx.signal.aborted) throw new EvaluationError('timeout', 'postgres: the restore was interrupted', 'run the restore again', { cause: error });
    if (sourceError !== undefined) {
      throw new EvaluationError(
        'invalid-response',
        `${MEMBER} could not be read to the end: ${describeError(sourceError)}`,
        'verify the archive (restorecheck verify)',
        {
          cause: sourceError,
        },
      );
    }
    // psql ended first (EPIPE on its input): what it said.
    const sqlError = errorLine(tool.stderrTail());
    if (sqlError) throw new RestoreFailedError(`${MEMBER} does not restore: ${sqlError}`, LOAD_FAILED_HINT, { cause: error });
    const connection = connectionError(s.target, tool.stderrTail(), database);
    if (connection) throw connection;
    throw new EvaluationError(
      'tool',
      `postgres: psql stopped reading the dump (${describeError(error)}): ${tool.stderrTail().trim().slice(-300)}`,
      LOAD_FAILED_HINT,
      {
        cause: error,
      },
    );
  } finally {
    ctx.signal.removeEventListener('abort', onAbort);
  }
  try {
    await tool.done;
  } catch (error) {
    if (ctx.signal.aborted) throw new EvaluationError('timeout', 'postgres: the restore was interrupted', 'run the restore again', { cause: error });
    const sqlError = errorLine(tool.stderrTail());
    if (sqlError) throw new RestoreFailedError(`${MEMBER} does not restore: ${sqlError}`, LOAD_FAILED_HINT, { cause: error });
    throw connectionError(s.target, tool.stderrTail(), database) ?? error;
  }
  const result: LoadResult = { bytes, seconds: Math.round((performance.now() - started) / 10) / 100, complete: fromPgDump() ? completed() : undefined };
  const by = /^-- Dumped by pg_dump version (.+)$/m.exec(head)?.[1];
  const from = /^-- Dumped from database version (.+)$/m.exec(head)?.[1];
  if (by) result.dumpedBy = by.trim();
  if (from) result.dumpedFrom = from.trim();
  return result;
}

const LOAD_FAILED_HINT =
  'restore the dump by hand into a scratch database (psql -v ON_ERROR_STOP=1 -f dump.sql) to see the error; a dump of a newer pg_dump than the server may need a newer server';

const rowCountsSchema = z.record(z.string(), z.number().int().nonnegative());
const revisionSchema = z.union([z.string(), z.array(z.string())]);

/** Exact counts of the recorded tables and the Alembic heads in `database`, against `recorded`. */
async function compare(
  s: Session,
  database: string,
  source: Source,
  recorded: Record<string, JsonValue> | undefined,
  load: LoadResult,
  ctx: InPlaceContext,
): Promise<RestoreComparison> {
  const matched: string[] = [];
  const differences: string[] = [];
  const notCompared: string[] = [];
  const restored: Record<string, JsonValue> = { database: s.target.database, dump_bytes: load.bytes, restore_seconds: load.seconds };
  if (load.dumpedBy) restored.dumped_by = load.dumpedBy;
  const counts = rowCountsSchema.safeParse(recorded?.row_counts);
  const alembicTable =
    (typeof recorded?.alembic_table === 'string' ? recorded.alembic_table : undefined) ??
    source.alembicTable ??
    ctx.config.database?.alembic.table ??
    'alembic_version';
  const tables = counts.success ? Object.keys(counts.data).sort() : [];
  const names = [alembicTable, ...tables];
  // to_regclass resolves each name as SQL does; the count selects from the regclass PostgreSQL quoted itself.
  // Each answer behind a `=`: an empty one (no such table) is still a line.
  const resolved = await query(s, database, names.map((t) => `SELECT '=' || coalesce(to_regclass(${literal(t)})::text, '');`).join('\n'), ctx.signal);
  const regclass = new Map(names.map((name, i) => [name, (resolved[i] ?? '=').slice(1)]));
  const present = tables.filter((t) => regclass.get(t));
  const got = new Map<string, number>();
  if (present.length > 0) {
    const lines = await query(s, database, present.map((t) => `SELECT count(*) FROM ${regclass.get(t)};`).join('\n'), ctx.signal, 30 * 60_000);
    present.forEach((t, i) => {
      got.set(t, Number(lines[i]));
    });
  }
  restored.row_counts = Object.fromEntries(got);
  if (recorded?.row_counts === undefined) notCompared.push('per-table row counts (the metadata records none)');
  else if (!counts.success) notCompared.push("per-table row counts (the metadata's row_counts is not a map of table to count)");
  else {
    for (const table of tables) {
      const want = counts.data[table]!;
      const have = got.get(table);
      if (have === undefined) differences.push(`table ${table} (${want} rows in the metadata) is missing from the restored database`);
      else if (have !== want) differences.push(`table ${table}: the restored database holds ${have} rows, the metadata records ${want}`);
      else matched.push(`table ${table}`);
    }
  }
  let heads: string[] | undefined;
  if (regclass.get(alembicTable)) heads = await query(s, database, `SELECT version_num FROM ${regclass.get(alembicTable)} ORDER BY version_num;`, ctx.signal);
  if (heads) restored.alembic_revision = heads.length === 1 ? heads[0]! : heads;
  const revision = revisionSchema.safeParse(recorded?.alembic_revision);
  if (recorded?.alembic_revision === undefined) {
    if (recorded?.alembic_table === null && !heads) matched.push('no Alembic version table (none at backup time either)');
    else notCompared.push('the Alembic revision (the metadata records none)');
  } else if (!revision.success) notCompared.push("the Alembic revision (the metadata's alembic_revision is not a string or a list)");
  else {
    const want = (Array.isArray(revision.data) ? [...revision.data] : [revision.data]).sort();
    if (!heads) differences.push(`the restored database has no ${alembicTable} table, the metadata records revision ${want.join(', ')}`);
    else if (JSON.stringify(heads) === JSON.stringify(want)) matched.push('Alembic revision');
    else differences.push(`the restored database is at Alembic revision ${heads.join(', ') || '(none)'}, the metadata records ${want.join(', ')}`);
  }
  if (typeof recorded?.dump_bytes === 'number') {
    if (recorded.dump_bytes === load.bytes) matched.push('dump bytes');
    else differences.push(`the dump holds ${load.bytes} bytes of SQL, the metadata records ${recorded.dump_bytes}`);
  }
  if (load.complete === false) differences.push('the dump is cut short');
  return { restored, matched, differences, notCompared };
}

/** Drops `name` (ours: the new database), whatever still connects to it; never with the run's signal (it may be the abort). */
async function dropAside(s: Session, name: string, versionNum: number): Promise<boolean> {
  for (let attempt = 1; attempt <= 3; attempt++) {
    try {
      const signal = AbortSignal.timeout(CONTROL_TIMEOUT_MS);
      if (versionNum >= 130000) await query(s, s.maintenance, `DROP DATABASE IF EXISTS ${ident(name)} WITH (FORCE);`, signal);
      else {
        await query(s, s.maintenance, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = ${literal(name)};`, signal);
        await query(s, s.maintenance, `DROP DATABASE IF EXISTS ${ident(name)};`, signal);
      }
      return true;
    } catch {
      await sleep(1000 * attempt);
    }
  }
  return false;
}

/** The same error, its message ending with what state the restore left. */
function withState(error: unknown, state: string): Error {
  const message = `${describeError(error)}; ${state}`;
  if (error instanceof RestoreFailedError) return new RestoreFailedError(message, error.hint, { cause: error });
  if (error instanceof EvaluationError) return new EvaluationError(error.kind, message, error.hint, { cause: error });
  if (error instanceof UsageError) return new UsageError(message, error.hint);
  return new EvaluationError('internal', message, 'run the restore again; report it if it persists', { cause: error });
}

async function restore(
  source: Source,
  member: string,
  content: Readable,
  recorded: Record<string, JsonValue> | undefined,
  ctx: InPlaceContext,
): Promise<InPlaceResult> {
  if (member !== MEMBER) {
    content.destroy();
    throw new EvaluationError('internal', `postgres: no in-place restore for member ${member}`, 'report this as a bug');
  }
  let s: Session;
  try {
    s = await openSession(source, ctx.signal);
  } catch (error) {
    content.destroy();
    throw withState(error, `nothing was changed`);
  }
  const { database } = s.target;
  const newDb = asideName(database, 'new', ctx.runId);
  const oldDb = asideName(database, 'old', ctx.runId);
  const steps: string[] = [];
  let created = false;
  let versionNum = 0;
  /** Past this point the target was renamed: a failure can no longer be undone by dropping the new database. */
  let swapped = false;
  let stopped = false;
  let closed: TargetInfo | undefined;
  try {
    const facts = await inspect(s, ctx.runId, ctx.signal);
    versionNum = facts.version_num;
    const info = judge(s, facts);
    await query(s, s.maintenance, createDatabaseSql(newDb, info), ctx.signal);
    created = true;
    steps.push(`created database ${newDb} (template0, ${info.encoding}, ${info.collate}, owner ${info.owner})`);
    ctx.log.info(`postgres: loading ${MEMBER} into ${newDb}`);
    const load = await loadDump(s, newDb, content, ctx);
    steps.push(
      `loaded ${MEMBER} (${load.bytes} bytes${load.dumpedBy ? `, pg_dump ${load.dumpedBy}` : ''}) into ${newDb} with psql${
        s.home ? ` as ${s.home.osUser}` : ` via ${s.target.exec!.join(' ')}`
      }, in one transaction (${load.seconds} s)`,
    );
    const comparison = await compare(s, newDb, source, recorded, load, ctx);
    steps.push(`counted ${Object.keys(comparison.restored.row_counts ?? {}).length} tables in ${newDb}`);
    const carry = await query(s, s.maintenance, carryOverSql(database, newDb), ctx.signal);
    if (carry.length > 0) {
      await query(s, s.maintenance, carry.map((statement) => `${statement};`).join('\n'), ctx.signal);
      steps.push(`carried over ${carry.length} database-level grant(s) and setting(s) of ${database} to ${newDb}`);
    }

    steps.push(...(await runCommands(source.restore?.stop, 'selfHosted.sources.postgres.restore.stop', { signal: ctx.signal, log: ctx.log })));
    stopped = true;
    await query(s, s.maintenance, `ALTER DATABASE ${ident(database)} WITH ALLOW_CONNECTIONS false;`, ctx.signal);
    closed = info;
    const deadline = Date.now() + SESSIONS_GONE_MS;
    let remaining = 0;
    let terminated = 0;
    for (;;) {
      const [killed, left] = await query(
        s,
        s.maintenance,
        `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = ${literal(database)} AND pid <> pg_backend_pid();
         SELECT count(*) FROM pg_stat_activity WHERE datname = ${literal(database)} AND pid <> pg_backend_pid();`,
        ctx.signal,
      );
      terminated += Number(killed);
      remaining = Number(left);
      if (remaining === 0 || Date.now() > deadline) break;
      await sleep(250);
    }
    if (remaining > 0) {
      throw new EvaluationError(
        'conflict',
        `postgres: ${remaining} session(s) of ${database} could not be ended (they belong to roles the restore user may not signal)`,
        'stop the application first (selfHosted.stop or selfHosted.sources.postgres.restore.stop), or restore as a superuser',
      );
    }
    steps.push(`closed ${database} to new connections and ended its ${terminated} session(s)`);
    await query(s, s.maintenance, `ALTER DATABASE ${ident(database)} RENAME TO ${ident(oldDb)};`, ctx.signal);
    swapped = true;
    try {
      await query(s, s.maintenance, `ALTER DATABASE ${ident(newDb)} RENAME TO ${ident(database)};`, ctx.signal);
    } catch (error) {
      // Put the target back under its name: it is unchanged.
      await query(s, s.maintenance, `ALTER DATABASE ${ident(oldDb)} RENAME TO ${ident(database)};`, AbortSignal.timeout(CONTROL_TIMEOUT_MS));
      swapped = false;
      throw error;
    }
    created = false;
    steps.push(`renamed ${database} to ${oldDb} and ${newDb} to ${database}`);
    if (await dropAside(s, oldDb, versionNum)) steps.push(`dropped ${oldDb} (the replaced database; the safety backup holds it)`);
    else steps.push(`could not drop ${oldDb} (the replaced database): drop it by hand once the restore is checked`);
    steps.push(...(await runCommands(source.restore?.start, 'selfHosted.sources.postgres.restore.start', { signal: ctx.signal, log: ctx.log })));
    return { target: s.target.label, steps, comparison };
  } catch (error) {
    content.destroy();
    if (swapped) {
      throw withState(error, `${database} was already replaced by the restored database (the replaced one is ${oldDb} unless the steps say it was dropped)`);
    }
    const parts: string[] = [];
    if (closed?.allow_connections) {
      const reopened = await query(
        s,
        s.maintenance,
        `ALTER DATABASE ${ident(database)} WITH ALLOW_CONNECTIONS true;`,
        AbortSignal.timeout(CONTROL_TIMEOUT_MS),
      ).then(
        () => true,
        () => false,
      );
      if (!reopened) parts.push(`${database} still refuses new connections: ALTER DATABASE ${ident(database)} WITH ALLOW_CONNECTIONS true`);
    }
    if (created) {
      if (await dropAside(s, newDb, versionNum)) parts.unshift(`the new database ${newDb} was dropped`);
      else parts.unshift(`the new database ${newDb} could not be dropped: drop it by hand`);
    }
    if (stopped && source.restore?.start) {
      await runCommands(source.restore.start, 'selfHosted.sources.postgres.restore.start', { signal: AbortSignal.timeout(120_000), log: ctx.log }).then(
        () => parts.push('the stopped services were started again'),
        (e: unknown) => parts.push(`the stopped services could not be started again (${describeError(e)})`),
      );
    }
    throw withState(error, `the target database ${database} was left exactly as it was${parts.length ? ` (${parts.join('; ')})` : ''}`);
  } finally {
    await s.home?.remove();
  }
}

export const postgresInPlace: InPlaceRestore<'postgres'> = { preflight, restore };
