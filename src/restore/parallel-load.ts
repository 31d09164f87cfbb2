/**
 * Loads a plain pg_dump over several psql connections: the dump's statements go to one psql (the main one), in order,
 * and the rows of its `COPY … FROM stdin` blocks are cut into slices that go, each as a COPY of its own, to whichever
 * of the other psql connections is free. The server's COPY is what a restore spends its time on (one table of a
 * dump often holds most of it), and one backend does it on one CPU: two or more share it out.
 *
 * Why it restores what a plain `psql -f dump` would:
 * - Every connection autocommits, as plain psql does, so what the main connection created is visible to the others.
 * - A COPY goes to the others only once the main connection has run everything before it (a marker query it echoes),
 *   and the main connection runs the next statement only once the others have loaded everything before it (their
 *   markers). Comments between COPY blocks need no wait: the tables of pg_dump's data section load side by side.
 * - The main connection's session settings (`SET client_encoding`, `search_path`, `DateStyle` … pg_settings' session
 *   values, read with the marker) are applied on a connection before it loads a slice: the rows mean the same there.
 * - Only COPY blocks as pg_dump writes them are cut: a whole line `COPY name (columns) FROM stdin;` (text format, one
 *   row per line), into a table the restore role can load (a COPY that fails at its start makes psql read the rows as
 *   SQL, which would swallow the marker after them: a hang, found in a test). Any other COPY, and every COPY after a
 *   transaction block was opened, a temporary object was created (the others cannot see into that session) or a COPY
 *   ran in place (psql may be reading its rows as SQL), goes to the main connection, in place. The COPY connections
 *   run with ON_ERROR_STOP, for the COPY that fails at its start anyway: its connection stops, and the load with it.
 * - Slices of one table land in its heap in another order than the dump's: a restore compares counts and contents,
 *   never physical order.
 *
 * What it gives up: the single transaction of a one-connection load (wal_level=minimal then writes no WAL for the data
 * of tables created in it). Measured on the bench dump (276 MB of SQL), the WAL skip saved nothing with fsync off
 * (3.5–3.9 s either way); two connections brought the data section from 2.6 s to 1.6 s.
 * A load cut short leaves what it committed in the throwaway database, which is dropped anyway, and is a failed restore.
 *
 * Everything that reaches here has passed the meta-command guard; the connections run as the same unprivileged role
 * and OS user, so cutting the load in parts gives no part more than the whole had.
 */
import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { Writable } from 'node:stream';
import { z } from 'zod';
import type { GuardMark, GuardedChunk } from './psql-input-guard.js';

/**
 * A slice of a COPY block ends at the first chunk boundary past this many bytes. Each slice is a COPY command and a
 * commit of its own: on the bench dump, 256 KiB slices took 4.0 s, 1 MiB 3.4 s, 4–8 MiB 2.7–2.9 s, 64 MiB 3.0 s (too few
 * to share evenly).
 */
export const SLICE_BYTES = 8 << 20;

/** What the main connection reports with its marker: its session settings and whether the others can follow it. */
const sessionReport = z.object({
  settings: z.array(z.tuple([z.string(), z.string()])).nullable(),
  inTransaction: z.boolean(),
  temporary: z.boolean(),
  loadable: z.boolean(),
});
type SessionReport = z.infer<typeof sessionReport>;

/** A statement after which no COPY can be loaded by another connection: it opens a transaction block or a temporary object. */
const SESSION_BOUND = /^(BEGIN|START\b)|^(CREATE|SELECT)\b.*\bTEMP(ORARY)?\b/i;
/** An identifier as pg_dump writes one (plain, or double-quoted), so that to_regclass never meets a syntax error. */
const IDENTIFIER = '(?:"(?:[^"]|"")+"|[A-Za-z_\\u0080-\\uffff][A-Za-z0-9_$\\u0080-\\uffff]*)';
/** The table of a COPY line: `COPY schema.table (…) FROM stdin;`. */
const COPY_TABLE = new RegExp(`^COPY\\s+(${IDENTIFIER}(?:\\.${IDENTIFIER})?)\\s+(?:\\(|FROM\\s)`, 'i');
/** pg_dump's COPY line: no options after `stdin`, so text format, one row per line. */
const PG_DUMP_COPY = /^COPY\s+\S[\s\S]*\s+FROM\s+stdin;$/i;

export interface PsqlSessionOptions {
  file: string;
  args: string[];
  spawn: SpawnOptions;
  onStderrLine: (line: string) => void;
}

/** psql's exit code for an error in its script with ON_ERROR_STOP set (the COPY connections run so). */
export const PSQL_SCRIPT_ERROR = 3;

/**
 * A COPY connection stopped at an error (psql exit 3): a slice's COPY failed, at its start or in its rows. The COPY
 * connections run with ON_ERROR_STOP because a COPY that fails at its start makes psql read the rows after it as SQL,
 * where a quote in a row swallows the next marker and the load hangs (the table check above catches the usual cause,
 * a table that was not created; a column list the table lacks is another). The load is cut there and fails.
 */
export class CopyConnectionStopped extends Error {}

/** What a marker refused in an aborted transaction comes to. */
const ABORTED = '\0aborted';

/** One psql process reading its script from stdin, with markers to know how far it has got. */
export class PsqlSession {
  readonly child: ChildProcess;
  readonly closed: Promise<number | null>;
  private readonly nonce = randomBytes(12).toString('hex');
  private markers = 0;
  private readonly waiting = new Map<string, (rest: string) => void>();
  private exitCode: number | null | undefined;

  constructor(options: PsqlSessionOptions) {
    // -A -t: a marker's answer is one bare line on stdout.
    this.child = spawn(options.file, ['-A', '-t', ...options.args], { ...options.spawn, stdio: ['pipe', 'pipe', 'pipe'] });
    const child = this.child;
    this.closed = new Promise((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code) => {
        this.exitCode = code;
        resolve(code);
      });
    });
    this.closed.catch(() => undefined);
    // A psql that died must not crash this process with EPIPE: its exit code and stderr tell what happened.
    child.stdin!.on('error', () => undefined);
    lines(child.stderr!, (line) => {
      // A marker sent into a transaction the dump left aborted is refused, not answered: stop waiting for it.
      if (/current transaction is aborted/.test(line)) for (const settle of this.waiting.values()) settle(ABORTED);
      options.onStderrLine(line);
    });
    lines(child.stdout!, (line) => {
      const bar = line.indexOf('|');
      const resolve = this.waiting.get(bar < 0 ? line : line.slice(0, bar));
      if (resolve) resolve(bar < 0 ? '' : line.slice(bar + 1));
    });
  }

  /** psql's exit code once it has exited (null: killed by a signal); undefined while it runs. */
  get exitStatus(): number | null | undefined {
    return this.exitCode;
  }

  get stdin(): NodeJS.WritableStream & { writableNeedDrain: boolean; writableLength: number } {
    return this.child.stdin as Writable;
  }

  /** Writes without waiting: the caller bounds what it queues (a slice, a statement). */
  write(data: Buffer | string): void {
    this.stdin.write(data);
  }

  /** Resolves when the pipe to psql has room again (or psql is gone: its exit code tells then). */
  async drained(): Promise<void> {
    if (!this.stdin.writableNeedDrain || this.exitCode !== undefined) return;
    await Promise.race([once(this.child.stdin!, 'drain'), this.closed.catch(() => undefined)]);
  }

  /**
   * Resolves once psql has run everything written before, with what `columns` (SQL expressions) came to. Rejects when
   * psql exits first: a psql that stops answering in a live session is dead or killed, and closes.
   */
  async sync(columns = ''): Promise<string> {
    const marker = `restorecheck-sync-${this.nonce}-${++this.markers}`;
    const answer = new Promise<string>((resolve) => this.waiting.set(marker, resolve));
    this.write(`SELECT '${marker}'${columns ? `, ${columns}` : ''};\n`);
    try {
      return await Promise.race([
        answer,
        this.closed.then((code) => {
          throw new Error(`psql exited (code ${code}) before it reached the point the restore waits for`);
        }),
      ]);
    } finally {
      this.waiting.delete(marker);
    }
  }

  end(): void {
    this.stdin.end();
  }

  kill(): void {
    if (this.exitCode === undefined) this.child.kill('SIGKILL');
  }
}

/** Calls `onLine` for each line of a text stream (a line too long to be one of ours is cut, never buffered whole). */
function lines(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let carry = '';
  stream.setEncoding('utf8');
  stream.on('data', (text: string) => {
    const parts = (carry + text).split('\n');
    carry = parts.pop() ?? '';
    if (carry.length > 1 << 16) carry = carry.slice(-4096);
    for (const line of parts) onLine(line);
  });
  stream.on('end', () => {
    if (carry) onLine(carry);
  });
}

export interface ParallelLoadStats {
  /** Connections that loaded COPY slices (besides the main one). */
  copyConnections: number;
  copySlices: number;
  /** COPY blocks cut into slices, and those the main connection loaded in place (with why, for the first). */
  copyBlocksShared: number;
  copyBlocksInPlace: number;
  inPlaceReason?: string;
  /** Set when a COPY connection stopped at an error and the load was cut there (the restore fails). */
  stopped?: string;
}

type Mode = { kind: 'main' } | { kind: 'main-copy' } | { kind: 'shared-copy'; header: Buffer; slice?: { session: PsqlSession; bytes: number } };

/**
 * The guard's marked chunks in, the main psql and the COPY connections out. `openWorkers` starts the COPY connections
 * on the first COPY that can be shared (a dump without one starts none).
 */
export class DumpRouter extends Writable {
  readonly stats: ParallelLoadStats = { copyConnections: 0, copySlices: 0, copyBlocksShared: 0, copyBlocksInPlace: 0 };
  private mode: Mode = { kind: 'main' };
  private workers: PsqlSession[] | undefined;
  /** COPY connections that loaded slices since their last marker. */
  private readonly workersDirty = new Set<PsqlSession>();
  /** No COPY can be shared any more: the main session holds a transaction or temporary objects. */
  private sessionBound: string | undefined;
  private settings: [string, string][] = [];
  private settingsVersion = 0;
  private readonly applied = new Map<PsqlSession, number>();
  private next = 0;

  constructor(
    private readonly main: PsqlSession,
    private readonly openWorkers: () => PsqlSession[],
    private readonly options: { share: boolean; sliceBytes?: number } = { share: true },
  ) {
    super({ objectMode: true });
  }

  /** Every psql this load runs (the main one first). */
  sessions(): PsqlSession[] {
    return [this.main, ...(this.workers ?? [])];
  }

  override _write(chunk: GuardedChunk, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.route(chunk).then(() => callback(), callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    // Psql reads the end of its input as the end of the script (a slice cut short ends its COPY there, as psql would).
    for (const session of this.sessions()) session.end();
    callback();
  }

  private async route({ data, marks }: GuardedChunk): Promise<void> {
    this.throwIfStopped();
    let pos = 0;
    for (let m = 0; m < marks.length; m++) {
      const mark = marks[m]!;
      switch (mark.kind) {
        case 'statement-start': {
          if (this.mode.kind !== 'main') break;
          // A COPY that may be shared waits for its own decision (below); any other statement runs on the main
          // connection after the rows before it are loaded. Only then is the chunk cut here: a chunk of many
          // statements (a dump of INSERTs) goes to psql in one write, not one per statement.
          if (this.sharedCopyStartsAt(marks, m)) break;
          if (this.workersDirty.size > 0) {
            pos = this.toMain(data, pos, mark.at);
            await this.syncWorkers();
          }
          break;
        }
        case 'statement-end':
          if (!this.sessionBound && SESSION_BOUND.test(mark.head)) this.sessionBound = `a statement binds the session (${mark.head.slice(0, 40)})`;
          break;
        case 'copy': {
          const reason = this.shareable(mark);
          // The statements before it reach the main connection before it is asked how far it has got.
          if (reason === undefined) pos = this.toMain(data, pos, mark.lineStart!);
          const inPlace = reason ?? (await this.mainCanBeFollowed(mark.line!));
          if (inPlace !== undefined) {
            this.stats.copyBlocksInPlace++;
            this.stats.inPlaceReason ??= inPlace;
            // A COPY that fails at its start makes psql read its rows as SQL, and what follows (an open quote in a row)
            // may never reach a marker's end: once a COPY runs in place, the main connection is asked nothing more.
            this.sessionBound ??= `a COPY loaded in place (${inPlace})`;
            if (mark.lineStart !== undefined && this.mode.kind === 'main') {
              // Its statement-start waited for this decision: the rows before it first.
              pos = this.toMain(data, pos, mark.lineStart);
              await this.syncWorkers();
            }
            this.mode = { kind: 'main-copy' };
            break;
          }
          pos = this.toMain(data, pos, mark.lineStart!);
          this.stats.copyBlocksShared++;
          this.mode = { kind: 'shared-copy', header: mark.line! };
          pos = mark.dataStart;
          break;
        }
        case 'copy-end': {
          if (this.mode.kind === 'shared-copy') {
            await this.toSlice(data.subarray(pos, mark.at));
            // The block's own `\.` ends the slice under way (none is under way when one just ended on a chunk's end).
            if (this.mode.slice) this.mode.slice.session.write(data.subarray(mark.at, mark.end));
            pos = mark.end;
          }
          this.mode = { kind: 'main' };
          break;
        }
      }
    }
    if (this.mode.kind === 'shared-copy') {
      await this.toSlice(data.subarray(pos));
      const slice = this.mode.slice;
      if (slice && slice.bytes >= (this.options.sliceBytes ?? SLICE_BYTES)) {
        slice.session.write('\\.\n');
        this.mode.slice = undefined;
      }
    } else {
      this.toMain(data, pos, data.length);
      // The main connection's queue is bounded too (a COPY it loads in place can be most of the dump).
      await this.main.drained();
    }
  }

  /** Whether the statement starting at marks[m] is a COPY that may be shared (its end is the next mark but one at most). */
  private sharedCopyStartsAt(marks: GuardMark[], m: number): boolean {
    const start = marks[m]!;
    if (start.kind !== 'statement-start') return false;
    for (let k = m + 1; k < marks.length; k++) {
      const mark = marks[k]!;
      if (mark.kind === 'copy') return mark.lineStart === start.at && this.shareable(mark) === undefined;
      if (mark.kind === 'statement-end' || mark.kind === 'statement-start') return false;
    }
    return false;
  }

  /** Why this COPY cannot be shared, or undefined when it can (as far as its own text and the statements so far tell). */
  private shareable(copy: Extract<GuardMark, { kind: 'copy' }>): string | undefined {
    if (!this.options.share) return 'the load runs on one connection, in one transaction';
    if (this.sessionBound) return this.sessionBound;
    if (this.mode.kind !== 'main') return 'inside another COPY';
    if (!copy.line || copy.lineStart === undefined) return 'a COPY statement that is not one whole line';
    if (!PG_DUMP_COPY.test(copy.line.toString('latin1'))) return 'a COPY with options pg_dump does not write';
    return undefined;
  }

  private toMain(data: Buffer, from: number, to: number): number {
    if (to > from) this.main.write(data.subarray(from, to));
    return to;
  }

  /** Waits for the main connection to have run everything so far; reads its session. Why it cannot be followed, if so. */
  private async mainCanBeFollowed(copyLine: Buffer): Promise<string | undefined> {
    // Asked before every shared COPY, dirty or not: whether its table is there for this role to load. A COPY that
    // fails at its start would make the COPY connection read the rows as SQL and swallow the marker after them.
    const table = COPY_TABLE.exec(copyLine.toString('utf8'))?.[1];
    if (table === undefined) return 'a COPY whose table name restorecheck does not read';
    const answer = await this.main.sync(
      "json_build_object('settings', (SELECT json_agg(json_build_array(name, setting) ORDER BY name) FROM pg_settings WHERE source = 'session'), " +
        "'inTransaction', transaction_timestamp() <> statement_timestamp(), 'temporary', pg_my_temp_schema() <> 0, " +
        `'loadable', coalesce(has_table_privilege(to_regclass(${literal(table)}), 'INSERT'), false))::jsonb::text`,
    );
    let report: SessionReport;
    try {
      if (answer === ABORTED) throw new Error('aborted');
      report = sessionReport.parse(JSON.parse(answer));
    } catch {
      this.sessionBound = 'the main connection did not report its session';
      return this.sessionBound;
    }
    if (report.inTransaction) this.sessionBound = 'the dump opened a transaction block';
    else if (report.temporary) this.sessionBound = 'the dump created temporary objects';
    if (this.sessionBound) return this.sessionBound;
    if (!report.loadable) return `the table of ${copyLine.toString('utf8').slice(0, 80)} is not there for the restore role to load`;
    const settings = report.settings ?? [];
    if (JSON.stringify(settings) !== JSON.stringify(this.settings)) {
      this.settings = settings;
      this.settingsVersion++;
    }
    return undefined;
  }

  private async syncWorkers(): Promise<void> {
    if (this.mode.kind === 'shared-copy' && this.mode.slice) throw new Error('internal: a statement inside a shared COPY');
    const dirty = [...this.workersDirty];
    this.workersDirty.clear();
    // A COPY connection only ever runs COPY slices, settings and markers: never in a transaction block.
    try {
      await Promise.all(dirty.map((session) => session.sync()));
    } catch (error) {
      this.throwIfStopped();
      throw error;
    }
  }

  /** Throws CopyConnectionStopped once a COPY connection has stopped at an error: nothing more is routed. */
  private throwIfStopped(): void {
    const stopped = this.stoppedAtError();
    if (stopped) throw new CopyConnectionStopped(stopped);
  }

  /** Whether a COPY connection stopped at an error (asked after the load too: it may have stopped at the last COPY). */
  stoppedAtError(): string | undefined {
    if (!this.stats.stopped && this.workers?.some((w) => w.exitStatus === PSQL_SCRIPT_ERROR))
      this.stats.stopped = `a COPY connection stopped at an error (psql exit ${PSQL_SCRIPT_ERROR}): the load was cut there`;
    return this.stats.stopped;
  }

  /** Rows of the shared COPY under way: to the slice under way, or to a new slice on the freest connection. */
  private async toSlice(rows: Buffer): Promise<void> {
    if (rows.length === 0 || this.mode.kind !== 'shared-copy') return;
    let slice = this.mode.slice;
    if (!slice) {
      const session = await this.freeWorker();
      if (this.applied.get(session) !== this.settingsVersion) {
        this.applied.set(session, this.settingsVersion);
        if (this.settings.length > 0)
          session.write(
            `SELECT count(set_config(n, v, false)) FROM (VALUES ${this.settings.map(([n, v]) => `(${literal(n)}, ${literal(v)})`).join(', ')}) s(n, v);\n`,
          );
      }
      session.write(this.mode.header);
      session.write('\n');
      slice = { session, bytes: 0 };
      this.mode.slice = slice;
      this.workersDirty.add(session);
      this.stats.copySlices++;
    }
    slice.session.write(rows);
    slice.bytes += rows.length;
  }

  /** The COPY connection with the least queued, once one has room (started on first use). */
  private async freeWorker(): Promise<PsqlSession> {
    if (!this.workers) {
      this.workers = this.openWorkers();
      this.stats.copyConnections = this.workers.length;
    }
    const workers = this.workers;
    for (;;) {
      this.throwIfStopped();
      // The least queued of those with room; on a tie, the next in turn, so that every connection gets work.
      const free = workers.map((_, k) => workers[(this.next + k) % workers.length]!).filter((w) => !w.stdin.writableNeedDrain);
      if (free.length > 0) {
        const chosen = free.reduce((a, b) => (b.stdin.writableLength < a.stdin.writableLength ? b : a));
        this.next = (workers.indexOf(chosen) + 1) % workers.length;
        return chosen;
      }
      await Promise.race(workers.map((w) => w.drained()));
    }
  }
}

/** A SQL string literal (standard_conforming_strings is on in every server we start). */
function literal(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}
