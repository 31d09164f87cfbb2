/**
 * PostgreSQL: `pg_dump --format=plain` → gzip → `postgres_full.sql.gz` (plain, so that restore-test's guarded psql restore
 * applies). The row counts and the Alembic revision are read by a psql session that exports its snapshot, and pg_dump
 * dumps that very snapshot (`--snapshot`): the counts in metadata.json are exactly what the dump holds, even while the
 * application writes.
 *
 * The URL follows database.url's rules (db/postgres.ts): without an sslmode, a remote host gets verify-full. The
 * password goes through PGPASSWORD, never the command line.
 */
import { parsePostgresUrl } from '../db/postgres.js';
import { EvaluationError } from '../errors.js';
import { maskUrl } from '../secrets/redact.js';
import type { BackupContext, ComponentBackup, SelfHostedComponent, SourceOf } from './component.js';
import { writeMember } from './member-writer.js';
import { postgresInPlace } from './postgres-in-place.js';
import { type RunningTool, type ToolCommand, startTool, toolVersion } from './tool-process.js';

type Source = SourceOf<'postgres'>;
const MEMBER = 'postgres_full.sql.gz';
const PACKAGE = 'postgresql-client';

/** The URL handed to libpq: no password (PGPASSWORD carries it), and the sslmode restorecheck's own connections use. */
function libpqUrl(source: Source): { url: string; env: Record<string, string> } {
  const parsed = parsePostgresUrl(source.url);
  const url = new URL(source.url);
  url.password = '';
  if (!parsed.sslModeExplicit) url.searchParams.set('sslmode', parsed.sslMode);
  return { url: url.toString(), env: parsed.password ? { PGPASSWORD: parsed.password } : {} };
}

function command(source: Source, tool: string, args: string[], env: Record<string, string> = {}): ToolCommand {
  return { component: 'postgres', debianPackage: PACKAGE, exec: source.exec, tool, args, env };
}

const literal = (value: string) => `'${value.replace(/'/g, "''")}'`;

/**
 * A psql session fed on stdin, one statement at a time: each answer ends at a marker line, so the session can stay open
 * (holding the exported snapshot) while pg_dump runs. psql stops at the first error (ON_ERROR_STOP), which ends `done`.
 */
class PsqlSession {
  private buffer = '';
  private waiting: { marker: string; resolve: (lines: string[]) => void; reject: (error: unknown) => void } | undefined;
  private failure: unknown;
  private seq = 0;

  constructor(private readonly tool: RunningTool) {
    tool.stdout.setEncoding('utf8');
    tool.stdout.on('data', (chunk: string) => {
      this.buffer += chunk;
      this.deliver();
    });
    tool.done.then(
      () => this.fail(new EvaluationError('tool', 'postgres: psql ended before answering', 'run the backup again; check the server log')),
      (error: unknown) => this.fail(error),
    );
  }

  private fail(error: unknown): void {
    this.failure = error;
    this.waiting?.reject(error);
    this.waiting = undefined;
  }

  private deliver(): void {
    if (!this.waiting) return;
    const end = this.buffer.indexOf(`${this.waiting.marker}\n`);
    if (end < 0) return;
    const lines = this.buffer.slice(0, end).split('\n').filter(Boolean);
    this.buffer = this.buffer.slice(end + this.waiting.marker.length + 1);
    const { resolve } = this.waiting;
    this.waiting = undefined;
    resolve(lines);
  }

  /** Runs statements; resolves with the output lines (unaligned, tuples only). */
  query(sql: string): Promise<string[]> {
    if (this.failure) return Promise.reject(this.failure);
    const marker = `__restorecheck_${++this.seq}__`;
    return new Promise((resolve, reject) => {
      this.waiting = { marker, resolve, reject };
      this.tool.stdin!.write(`${sql}\nSELECT ${literal(marker)};\n`);
    });
  }

  async close(): Promise<void> {
    this.tool.stdin!.end('COMMIT;\n\\q\n');
    await this.tool.done.catch(() => undefined);
  }
}

export const postgres: SelfHostedComponent<'postgres'> = {
  name: 'postgres',
  members: [MEMBER],
  describe: (source) => `${maskUrl(source.url)}${source.exec ? ` via ${source.exec.join(' ')}` : ''}`,
  async toolVersion(source, signal) {
    const [dump] = await Promise.all([
      toolVersion(command(source, 'pg_dump', []), signal),
      // psql reads the counts in the dump's snapshot: without it the backup could not say what the dump holds.
      toolVersion(command(source, 'psql', []), signal),
    ]);
    return { name: 'pg_dump', version: dump };
  },
  async backup(source, ctx: BackupContext): Promise<ComponentBackup> {
    const { url, env } = libpqUrl(source);
    const coreTables = source.coreTables ?? ctx.config.database?.coreTables.map((t) => t.name) ?? [];
    const alembicTable = source.alembicTable ?? ctx.config.database?.alembic.table ?? 'alembic_version';
    const psql = startTool({ ...command(source, 'psql', ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '--dbname', url], env), stdin: 'pipe' }, ctx.signal);
    const session = new PsqlSession(psql);
    try {
      const [snapshot, serverVersion, database] = await session.query(
        "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY;\nSELECT pg_export_snapshot();\nSELECT current_setting('server_version');\nSELECT current_database();",
      );
      if (!snapshot || !serverVersion || !database) {
        throw new EvaluationError('tool', 'postgres: psql did not return the snapshot id', 'check that the server is PostgreSQL 9.2 or newer');
      }
      const present = await session.query(
        [alembicTable, ...coreTables]
          // to_regclass resolves a name as SQL does (patients, billing.invoices, audit."Event Log"); its regclass text is
          // the name quoted by PostgreSQL itself, which is what the counts below select from: a name is never pasted raw.
          .map((t) => `SELECT ${literal(t)} || '=' || coalesce(to_regclass(${literal(t)})::text, '');`)
          .join('\n'),
      );
      const resolved = new Map(
        present.map((line, i) => {
          const name = [alembicTable, ...coreTables][i]!;
          const regclass = line.slice(name.length + 1);
          return [name, regclass === '' ? undefined : regclass] as const;
        }),
      );
      const exists = new Map([...resolved].map(([name, regclass]) => [name, regclass !== undefined]));
      let alembicRevision: string | string[] | undefined;
      if (exists.get(alembicTable)) {
        const heads = await session.query(`SELECT version_num FROM ${resolved.get(alembicTable)} ORDER BY version_num;`);
        alembicRevision = heads.length === 1 ? heads[0] : heads.length > 1 ? heads : undefined;
      }
      const rowCounts: Record<string, number> = {};
      const missing = coreTables.filter((t) => !exists.get(t));
      const counted = coreTables.filter((t) => exists.get(t));
      if (counted.length > 0) {
        const lines = await session.query(counted.map((t) => `SELECT count(*) FROM ${resolved.get(t)};`).join('\n'));
        counted.forEach((table, i) => {
          rowCounts[table] = Number(lines[i]);
        });
      }

      ctx.log.info(`postgres: pg_dump of ${database} (PostgreSQL ${serverVersion}) in snapshot ${snapshot}`);
      const dump = startTool(command(source, 'pg_dump', ['--format=plain', `--snapshot=${snapshot}`, '--dbname', url], env), ctx.signal);
      const [written] = await Promise.all([
        writeMember(dump.stdout, MEMBER, `${ctx.spoolDir}/${MEMBER}`, { gzip: true, signal: ctx.signal, onProgress: ctx.progress }),
        dump.done,
      ]);
      return {
        members: [{ path: written.path, file: written.file, sha256: written.sha256, size: written.size }],
        facts: {
          database,
          server_version: serverVersion,
          dump_bytes: written.rawBytes,
          snapshot_consistent_counts: true,
          ...(missing.length > 0 ? { missing_tables: missing } : {}),
          alembic_table: exists.get(alembicTable) ? alembicTable : null,
        },
        rowCounts,
        ...(alembicRevision !== undefined ? { alembicRevision } : {}),
      };
    } finally {
      await session.close();
    }
  },
  inPlace: postgresInPlace,
};
