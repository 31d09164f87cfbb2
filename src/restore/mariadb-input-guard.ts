/**
 * Stands between a MariaDB/MySQL dump and the `mariadb` client: passes the SQL through unchanged and stops the stream at
 * the first client command (`\!`, `system`, `\.`/`source`, `\T`/`tee`, `pager`, `\r`/`connect`, `\C`/`charset`, …),
 * before the client ever sees it. A dump is a script of the `mariadb` client, and the client runs shell commands
 * (`\! rm -rf …`, `system id`): restoring a backup must never do that.
 *
 * Allowed: `DELIMITER x` on a line of its own (mariadb-dump writes it around routines and triggers), `USE db` (a client
 * command too, and what mariadb-dump writes before each database), `\N` (NULL) and `\-` (the sandbox mode, which new
 * mariadb-dump versions write on the first line, `/*!999999\- enable the sandbox mode *\/`).
 *
 * Why a lexer that copies the client's: the client finds a command by its own rules, which are not SQL's. A backslash
 * outside a '…' or "…" literal and outside a plain comment is a command, even inside a `/*! … *\/` version comment, even
 * mid-line after a statement (`SELECT 1; \! id`); a statement (or a line at a statement's start) whose first word is a
 * command name is one (`system id;`); backslashes are literal inside `…` identifiers; `--x` is a comment only at a
 * statement's start; `/*+`, like `/*`, is a plain comment, and its first `*\/` ends it. So this follows
 * client/mysql.cc's `read_and_execute`/`add_line` state for state (literals, identifiers, plain and version comments,
 * line comments, the current delimiter, the statement buffer), as the client runs here: `--binary-mode` (only
 * DELIMITER, `\C` and `\-` remain commands for the client itself) with `--default-character-set=utf8mb4` (no multi-byte
 * character can hide an ASCII backslash or quote). It works on bytes, and carries at most a line's first kilobyte across
 * chunks: a 100 MB INSERT line streams through.
 *
 * What it does not follow: a session that switches sql_mode to NO_BACKSLASH_ESCAPES or ANSI_QUOTES changes how the client
 * reads later literals. That cannot be known from the text (`SET sql_mode = CONCAT(…)`, a prepared statement), so the
 * guard keeps the default reading; the client's own `--binary-mode --sandbox` still refuse every command it would meet
 * there, and its refusal is a failed restore (mariadb.ts). The guard is the first wall, with a clear message; the
 * client's modes and the unprivileged OS user are the next ones.
 *
 * It also sees, for the restore, what the dump says about itself: each statement's head (CREATE DATABASE / USE names
 * the schemas to grant), the number of statements, and whether the last line is mariadb-dump's `-- Dump completed`.
 * No library lexes the mariadb client's input; this is small and is tested against real mariadb-dump output and the
 * real client.
 */
import { Transform, type TransformCallback } from 'node:stream';

export class ClientCommandRefused extends Error {
  override readonly name = 'ClientCommandRefused';
  constructor(
    /** As written, e.g. `\!`, `system`, `DELIMITER`. */
    readonly command: string,
    readonly line: number,
    detail?: string,
  ) {
    super(
      `the dump contains the mariadb client command ${command} at line ${line}${detail ? ` ${detail}` : ''}; restorecheck refuses to run a dump that can execute commands`,
    );
  }
}

/** What the guard asks its user to do before the client may run a statement (mariadb.ts grants the schema). */
export interface StatementHooks {
  /** `CREATE DATABASE|SCHEMA name` or `USE name` is about to run: called before the client receives its delimiter. */
  database?(name: string, statement: 'create' | 'use'): Promise<void>;
}

const NL = 0x0a;
const BACKSLASH = 0x5c;
const QUOTE = 0x27;
const DQUOTE = 0x22;
const BACKTICK = 0x60;
/** A statement's head kept for recognising it (CREATE DATABASE with its version comments fits many times over). */
const HEAD_LIMIT = 2048;
/** The longest DELIMITER line accepted (mariadb-dump writes `DELIMITER ;;`). */
const DELIMITER_LINE_LIMIT = 1024;
/** Bytes after a position the lexer may look at (`/*M!`, a delimiter of up to 15 bytes, `-- Dump completed`). */
const LOOKAHEAD = 24;
const DUMP_COMPLETED = '-- Dump completed';

/** The client's long command names (client/mysql.cc `commands[]`, 10.11); `use` is allowed, `delimiter` handled apart. */
const COMMAND_NAMES = new Set([
  '?',
  'charset',
  'clear',
  'connect',
  'delimiter',
  'edit',
  'ego',
  'exit',
  'go',
  'help',
  'nopager',
  'notee',
  'nowarning',
  'pager',
  'print',
  'prompt',
  'quit',
  'rehash',
  'sandbox',
  'source',
  'status',
  'system',
  'tee',
  'use',
  'warnings',
]);

/** my_isspace of utf8mb4 and latin1 for the bytes that matter: blank, \t \n \v \f \r. */
const isSpace = (c: number) => c === 0x20 || (c >= 0x09 && c <= 0x0d);

/** Schemas of the server itself: never granted to the restore. */
export const SYSTEM_SCHEMAS = new Set(['mysql', 'information_schema', 'performance_schema', 'sys']);

export class MariadbInputGuard extends Transform {
  private inString = 0;
  private mlComment = false;
  /**
   * The client's `ss_comment`, of the current line only: set by `/*!` (not `/*M!`) outside a literal, even inside a
   * plain comment, where the next `*\/` then ends it instead of the comment (`/* a /*! b *\/ \! id` is all comment).
   */
  private ssComment = false;
  private delimiter: Buffer = Buffer.from(';');
  /** The bytes that can change the lexer's state outside literals and comments (for the fast path). */
  private special = specialBytes(this.delimiter);
  /** The statement so far as the client's buffer holds it (comments out, leading blanks skipped), up to HEAD_LIMIT. */
  private head = '';
  private headNonEmpty = false;
  /** The first word of the statement was checked (it ended: a blank, a comment, the delimiter). */
  private firstWordChecked = false;
  private needSpace = false;
  /** Of the current line: nothing of it scanned yet; the rest is a comment (or was consumed by a command). */
  private atLineStart = true;
  private skipRestOfLine = false;
  private lineNumber = 1;
  private carry: Buffer = Buffer.alloc(0);

  /** Statements the client was handed (non-empty, ended by the delimiter or by the end of the input). */
  statements = 0;
  /** True when nothing but blanks follows mariadb-dump's closing `-- Dump completed on …` line. */
  dumpCompleted = false;

  constructor(
    private readonly hooks: StatementHooks = {},
    /** Called synchronously before a refusal is raised: the caller kills the client before its input closes. */
    private readonly onRefuse?: () => void,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    const data = this.carry.length ? Buffer.concat([this.carry, chunk]) : chunk;
    this.carry = Buffer.alloc(0);
    this.process(data, false).then(
      () => callback(),
      (error: unknown) => callback(error as Error),
    );
  }

  override _flush(callback: TransformCallback): void {
    const data = this.carry;
    this.carry = Buffer.alloc(0);
    const finish = async () => {
      await this.process(data, true);
      this.endOfLine();
      // The client sends what is left at the end of its input (batch mode): the same checks as at a statement's end.
      const hook = this.endStatement();
      if (hook) await hook();
    };
    finish().then(
      () => callback(),
      (error: unknown) => callback(error as Error),
    );
  }

  /** Scans `data`, pushing what was scanned; stops before a statement's delimiter when a hook must run first. */
  private async process(data: Buffer, final: boolean): Promise<void> {
    let from = 0;
    let at = 0;
    for (;;) {
      const outcome = this.scan(data, at, final);
      if (outcome.hook) {
        if (outcome.pause > from) this.push(data.subarray(from, outcome.pause));
        from = outcome.pause;
        await outcome.hook();
        at = outcome.resume;
        continue;
      }
      if (outcome.stop > from) this.push(data.subarray(from, outcome.stop));
      if (outcome.stop < data.length) this.carry = Buffer.from(data.subarray(outcome.stop));
      return;
    }
  }

  private refuse(command: string, detail?: string): never {
    this.onRefuse?.();
    throw new ClientCommandRefused(command, this.lineNumber, detail);
  }

  /** The byte at `j` as the client sees it: its lines are NUL-terminated, so the end of the line reads as 0. */
  private peek(data: Buffer, j: number): number {
    const c = data[j];
    return c === undefined || c === NL ? 0 : c;
  }

  /**
   * Scans from `at`. Returns where scanning stopped (`stop`: the rest needs more input, at most a line's first kilobyte
   * or LOOKAHEAD bytes), or a hook to run with the bytes before `pause` pushed and scanning resumed at `resume`.
   */
  private scan(data: Buffer, at: number, final: boolean): { stop: number; hook?: undefined } | { hook: () => Promise<void>; pause: number; resume: number } {
    const end = data.length;
    let i = at;
    while (i < end) {
      const c = data[i]!;
      if (c === NL) {
        this.endOfLine();
        i++;
        continue;
      }
      if (this.skipRestOfLine) {
        const nl = data.indexOf(NL, i);
        i = nl < 0 ? end : nl;
        continue;
      }
      // Not enough input to look ahead (and no newline to end the line): wait for the next chunk.
      if (!final && end - i < LOOKAHEAD && data.indexOf(NL, i) < 0) return { stop: i };

      if (this.atLineStart) {
        const nl = data.indexOf(NL, i);
        const lineEnd = nl < 0 ? end : nl;
        if (!this.inString && !this.mlComment && !this.headNonEmpty) {
          // The client's check of a whole line at a statement's start (find_command(line)): in binary mode only a line
          // whose first word begins with `delimiter` is a command, and the whole line is its argument.
          let k = i;
          while (k < lineEnd && isSpace(data[k]!)) k++;
          if (k - i > DELIMITER_LINE_LIMIT) this.refuse('(none)', 'after more than 1 KiB of blanks at the start of a line');
          if (nl < 0 && !final && lineEnd - k < 9 + 1) return { stop: i };
          if (lineEnd - k >= 9 && sameWord(data.toString('latin1', k, k + 9), 'delimiter')) {
            if (nl < 0 && !final) {
              if (lineEnd - i > DELIMITER_LINE_LIMIT) this.refuse('DELIMITER', 'on a line longer than 1 KiB');
              return { stop: i };
            }
            this.atLineStart = false;
            this.dumpCompleted = false;
            this.delimiterLine(data, k, lineEnd);
            this.skipRestOfLine = true;
            i = lineEnd;
            continue;
          }
        }
        this.atLineStart = false;
      }

      if (!this.mlComment && c === BACKSLASH && this.inString !== BACKTICK) {
        const next = this.peek(data, i + 1);
        if (next === 0) {
          // The end of the line (or a NUL byte): outside a literal the client reads no further on this line; inside one,
          // binary mode keeps the pair (the string goes on).
          if (!this.inString) this.skipRestOfLine = true;
          else if (data[i + 1] === 0) {
            this.add(c);
            this.add(0);
            i++;
          }
          i++;
          continue;
        }
        if (this.inString || next === 0x4e /* N */) {
          this.add(c);
          this.add(next);
          i += 2;
          continue;
        }
        if (next === 0x2d /* - */) {
          // \- turns the sandbox mode on (new mariadb-dump's first line); the client runs with --sandbox anyway.
          i += 2;
          continue;
        }
        this.refuse(next >= 0x21 && next < 0x7f ? `\\${String.fromCharCode(next)}` : `\\ followed by byte 0x${next.toString(16)}`);
      }
      if (this.inString) {
        // The body of a literal: nothing but its closing quote, a backslash or the line's end matters here.
        const quote = this.inString;
        let j = i;
        while (j < end) {
          const b = data[j]!;
          if (b === quote || b === NL || (b === BACKSLASH && quote !== BACKTICK)) break;
          j++;
        }
        if (j > i) {
          this.addRun(data, i, j);
          i = j;
          continue;
        }
        if (c === quote) {
          this.inString = 0;
          this.add(c);
          i++;
        }
        continue;
      }
      if (this.mlComment) {
        // The body of a plain comment: only `*`, `/` and the line's end matter.
        let j = i;
        while (j < end) {
          const b = data[j]!;
          if (b === 0x2a || b === 0x2f || b === NL) break;
          j++;
        }
        if (j > i) {
          i = j;
          continue;
        }
      } else if (this.firstWordChecked && this.head.length >= HEAD_LIMIT) {
        // The bulk of a long statement (an extended INSERT): the head is known, so bytes that cannot change the state
        // (digits, commas, parentheses, blanks, words) are skipped in a tight loop.
        const special = this.special;
        let j = i;
        while (j < end) {
          const b = data[j]!;
          if (special[b] === 0) {
            j++;
            continue;
          }
          if (b !== QUOTE && b !== DQUOTE) break;
          // A '…' or "…" literal that closes on this line, escapes and all, is skipped whole; anything else (a
          // literal over several lines, the end of the chunk, a NUL) is left to the byte-by-byte lexer below.
          let k = j + 1;
          while (k < end) {
            const x = data[k]!;
            if (x === b || x === NL) break;
            if (x === BACKSLASH) {
              const y = data[k + 1];
              if (y === undefined || y === NL || y === 0) break;
              k += 2;
              continue;
            }
            k++;
          }
          if (k >= end || data[k] !== b) break;
          j = k + 1;
        }
        if (j > i) {
          this.dumpCompleted = false;
          this.needSpace = false;
          i = j;
          continue;
        }
      }
      if (!this.mlComment && c === this.delimiter[0] && this.delimiterAt(data, i)) {
        const pause = i;
        const resume = i + this.delimiter.length;
        const hook = this.endStatement();
        if (hook) return { hook, pause, resume };
        i = resume;
        continue;
      }
      if (!this.mlComment) {
        if (
          c === 0x23 /* # */ ||
          (c === 0x2d && this.peek(data, i + 1) === 0x2d && (isSpace(this.peek(data, i + 2)) || this.peek(data, i + 2) === 0 || !this.headNonEmpty))
        ) {
          // The last thing of a whole dump is mariadb-dump's `-- Dump completed on …` (LOOKAHEAD covers its bytes).
          if (!this.headNonEmpty) this.dumpCompleted = data.toString('latin1', i, i + DUMP_COMPLETED.length) === DUMP_COMPLETED;
          this.wordBoundary();
          this.skipRestOfLine = true;
          i++;
          continue;
        }
      }
      if (c === 0x2f /* / */ && this.peek(data, i + 1) === 0x2a /* * */) {
        const n2 = this.peek(data, i + 2);
        if (!(n2 === 0x21 /* ! */ || (n2 === 0x4d /* M */ && this.peek(data, i + 3) === 0x21))) {
          // A plain comment (also `/*+`): nothing of it reaches the server; `/*` inside one changes nothing.
          if (!this.mlComment) this.wordBoundary();
          this.mlComment = true;
          i += 2;
          continue;
        }
      }
      if (this.mlComment) {
        if (c === 0x2a && this.peek(data, i + 1) === 0x2f) {
          if (this.ssComment) this.ssComment = false;
          else {
            this.mlComment = false;
            this.needSpace = true;
          }
          i += 2;
          continue;
        }
        if (c === 0x2f && this.peek(data, i + 1) === 0x2a && this.peek(data, i + 2) === 0x21) this.ssComment = true;
        i++;
        continue;
      }
      if (c === 0x2f && this.peek(data, i + 1) === 0x2a && this.peek(data, i + 2) === 0x21) this.ssComment = true;
      else if (this.ssComment && c === 0x2a && this.peek(data, i + 1) === 0x2f) {
        // The client takes `*\/` as one here: the `/` never starts a comment with what follows.
        this.ssComment = false;
        this.add(c);
        this.add(0x2f);
        i += 2;
        continue;
      }
      if (c === QUOTE || c === DQUOTE || c === BACKTICK) this.inString = c;
      this.add(c);
      i++;
    }
    return { stop: end };
  }

  private delimiterAt(data: Buffer, i: number): boolean {
    const d = this.delimiter;
    for (let j = 1; j < d.length; j++) if (this.peek(data, i + j) !== d[j]) return false;
    return true;
  }

  /** `DELIMITER x` (the whole line, as the client's get_arg reads it: up to the first blank). */
  private delimiterLine(data: Buffer, start: number, lineEnd: number): void {
    let k = start;
    while (k < lineEnd && !isSpace(data[k]!)) k++;
    const word = data.toString('latin1', start, k);
    if (word.toLowerCase() !== 'delimiter') this.refuse(JSON.stringify(word.slice(0, 40)), '(not a DELIMITER line as mariadb-dump writes it)');
    while (k < lineEnd && isSpace(data[k]!)) k++;
    let e = k;
    while (e < lineEnd && data[e] !== 0x20) e++;
    const value = data.subarray(k, e);
    // The client refuses a backslash and keeps 15 bytes; get_arg would parse quotes away. Only plain delimiters, then
    // (a trailing \r of a CRLF line stays part of it, as the client in binary mode keeps it).
    const plain =
      value.length >= 1 &&
      value.length <= 15 &&
      value.every((b) => (b > 0x20 && b < 0x7f && b !== BACKSLASH && b !== QUOTE && b !== DQUOTE && b !== BACKTICK) || b === 0x0d);
    if (!plain) this.refuse('DELIMITER', `with the argument ${JSON.stringify(data.toString('latin1', k, Math.min(lineEnd, k + 40)))}`);
    this.delimiter = Buffer.from(value);
    this.special = specialBytes(this.delimiter);
  }

  /** A byte the client appends to its statement buffer. */
  private add(c: number): void {
    if (!this.headNonEmpty && isSpace(c)) return;
    this.dumpCompleted = false;
    if (this.needSpace && !isSpace(c) && this.headNonEmpty) this.note(0x20);
    this.needSpace = false;
    this.note(c);
    if (!isSpace(c)) this.headNonEmpty = true;
  }

  /** Bytes of a literal's body (none is a blank that could start the statement: the opening quote came first). */
  private addRun(data: Buffer, from: number, to: number): void {
    this.needSpace = false;
    if (!this.firstWordChecked) {
      for (let j = from; j < to; j++) this.add(data[j]!);
      return;
    }
    if (this.head.length < HEAD_LIMIT) this.head += data.toString('latin1', from, Math.min(to, from + HEAD_LIMIT - this.head.length));
  }

  private note(c: number): void {
    if (!this.firstWordChecked && this.headNonEmpty && isSpace(c)) this.checkFirstWord();
    if (this.head.length < HEAD_LIMIT) this.head += String.fromCharCode(c);
  }

  /** A comment or the statement's end also ends the first word. */
  private wordBoundary(): void {
    if (!this.firstWordChecked && this.headNonEmpty) this.checkFirstWord();
  }

  /** The client runs a statement whose first word is a command name (find_command(buffer)); in binary mode a `delimiter…` one. */
  private checkFirstWord(): void {
    this.firstWordChecked = true;
    const word = /^\S*/.exec(this.head)![0];
    if (word.length >= 9 && sameWord(word.slice(0, 9), 'delimiter')) this.refuse(JSON.stringify(word.slice(0, 40)), '(DELIMITER must stand alone on a line)');
    for (const name of COMMAND_NAMES) if (name !== 'use' && sameWord(word, name)) this.refuse(word);
  }

  private endOfLine(): void {
    // The client appends the newline to a statement in progress (not inside a plain comment); a blank ends a word.
    if (this.headNonEmpty && !this.mlComment) this.note(NL);
    this.needSpace = false;
    this.atLineStart = true;
    this.skipRestOfLine = false;
    this.ssComment = false;
    this.lineNumber++;
  }

  /** The statement ended (its delimiter, or the end of the input). Returns the hook to run before the client gets it. */
  private endStatement(): (() => Promise<void>) | undefined {
    if (!this.headNonEmpty) {
      this.resetStatement();
      return undefined;
    }
    this.wordBoundary();
    this.statements++;
    const named = databaseNamed(this.head);
    this.resetStatement();
    const hook = this.hooks.database;
    if (!named || !hook) return undefined;
    return () => hook(named.name, named.statement);
  }

  private resetStatement(): void {
    this.head = '';
    this.headNonEmpty = false;
    this.firstWordChecked = false;
    this.needSpace = false;
  }
}

/** A table of the bytes the lexer must look at outside literals and comments, with `delimiter`'s first byte. */
function specialBytes(delimiter: Buffer): Uint8Array {
  const table = new Uint8Array(256);
  for (const b of [NL, BACKSLASH, QUOTE, DQUOTE, BACKTICK, 0x23 /* # */, 0x2d /* - */, 0x2f /* / */, 0x2a /* * */, 0x00, delimiter[0]!]) table[b] = 1;
  return table;
}

/**
 * `word` is `name` for the client: it compares command names in latin1_swedish_ci, where ASCII letters match either case
 * and many bytes above 0x7f stand for a letter (0xC9 É is E): such a byte matches any letter here, to be safe.
 */
function sameWord(word: string, name: string): boolean {
  if (word.length !== name.length) return false;
  for (let i = 0; i < word.length; i++) {
    const w = word.charCodeAt(i);
    const n = name.charCodeAt(i);
    if (w === n || (w | 0x20) === n || w >= 0x80) continue;
    return false;
  }
  return true;
}

/** Version comments as the server reads them (this server runs what they hold); plain comments are already out. */
function unversioned(head: string): string {
  return head.replace(/\/\*M?!\d{0,6}/g, ' ').replace(/\*\//g, ' ');
}

const IDENT = /^(?:`((?:[^`]|``)+)`|([0-9A-Za-z$_\u0080-\u00ff]+))/;

/** The schema a `CREATE DATABASE|SCHEMA [IF NOT EXISTS] x` or `USE x` statement names, if it is one. */
export function databaseNamed(head: string): { name: string; statement: 'create' | 'use' } | undefined {
  const text = unversioned(head).replace(/^\s+/, '');
  const create = /^CREATE\s+(?:OR\s+REPLACE\s+)?(?:DATABASE|SCHEMA)\s+(?:IF\s+NOT\s+EXISTS\s+)?/i.exec(text);
  const use = create ? undefined : /^USE\s+/i.exec(text);
  const match = create ?? use;
  if (!match) return undefined;
  const ident = IDENT.exec(text.slice(match[0].length));
  if (!ident) return undefined;
  // The head is latin1 text of the dump's bytes: the name back as UTF-8 (what the dump's SET NAMES utf8mb4 means).
  const raw = ident[1] !== undefined ? ident[1].replace(/``/g, '`') : ident[2]!;
  return { name: Buffer.from(raw, 'latin1').toString('utf8'), statement: create ? 'create' : 'use' };
}
