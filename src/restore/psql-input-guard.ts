/**
 * Stands between a dump and psql: passes SQL and COPY data through unchanged, and stops the stream
 * at the first psql meta-command (`\!`, `\o`, `\copy`, `\i`, `\set`, …), before psql ever sees it.
 * A plain-format dump is a psql script, and a psql script can run shell commands (`\! rm -rf …`):
 * restoring a backup must never do that.
 *
 * Allowed: `\restrict KEY` and `\unrestrict KEY`, which pg_dump itself writes since 15.14 / 16.10 /
 * 17.6 (they are the upstream defence against the same attack: psql refuses other meta-commands
 * between them). Only exactly that: the alphanumeric key and nothing after it on the line, since psql
 * runs a second meta-command written on the same line (`\unrestrict KEY \! id` ran a root shell
 * before psql's fix for CVE-2026-18408).
 *
 * Why a lexer and not a line regex: a backslash starts a meta-command anywhere outside a literal
 * (`SELECT 1; \! id`), yet lines inside string literals, dollar-quoted bodies, comments and COPY data
 * blocks may legitimately start with a backslash (`\N` is NULL in COPY data). So this follows psql's
 * own lexical states: standard and E'' strings, quoted identifiers, dollar quotes, nested block
 * comments, line comments, and `COPY … FROM stdin` data up to its `\.` line. It works on bytes:
 * every byte that matters is ASCII, so a dump in any server encoding passes through unchanged.
 * No library does this; it is small and is tested against real pg_dump output.
 *
 * With `{ marks: true }` it also says where, in each chunk it passes on, a statement starts and ends and where a COPY
 * block's data starts and ends (parallel-load.ts routes COPY blocks to other connections with that). Then its output
 * is objects, `{ data, marks }`, the data unchanged.
 */
import { Transform, type TransformCallback } from 'node:stream';

/** What the lexer saw in a chunk it passed on; offsets are into that chunk's `data`. */
export type GuardMark =
  /** The first byte of a statement (outside literals and comments, after blanks). */
  | { kind: 'statement-start'; at: number }
  /**
   * A statement other than `COPY … FROM stdin` ended (its `;` at `at`). `head` is its start as the lexer noted it
   * (keywords and identifiers, not the content of literals), for telling what kind of statement it was.
   */
  | { kind: 'statement-end'; at: number; head: string }
  /**
   * A `COPY … FROM stdin` statement ended; its data starts at `dataStart` (the next line). `line` is the statement's
   * bytes when the statement is exactly one whole line of this chunk (starting at `lineStart`), as pg_dump writes it.
   */
  | { kind: 'copy'; dataStart: number; lineStart?: number; line?: Buffer }
  /** The `\.` line that ends a COPY block: from `at` to `end` (after its newline). */
  | { kind: 'copy-end'; at: number; end: number };

export interface GuardedChunk {
  data: Buffer;
  marks: GuardMark[];
}

export class MetaCommandRefused extends Error {
  override readonly name = 'MetaCommandRefused';
  constructor(
    readonly command: string,
    readonly line: number,
    detail?: string,
  ) {
    super(
      `the dump contains the psql meta-command \\${command} at line ${line}${detail ? ` ${detail}` : ''}; restorecheck refuses to run a dump that can execute commands`,
    );
  }
}

enum State {
  Normal,
  SingleQuote,
  EscapeQuote,
  DoubleQuote,
  Dollar,
  BlockComment,
  CopyData,
}

const NL = 0x0a;
const BACKSLASH = 0x5c;
const ALLOWED = new Set(['restrict', 'unrestrict']);
/** A COPY statement longer than this is not one pg_dump wrote; we only keep its head to recognise it. */
const STATEMENT_HEAD = 4096;

const isIdentChar = (c: number) => (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f || c >= 0x80;
const isIdentStart = (c: number) => (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f || c >= 0x80;
const isAlnum = (c: number) => (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
const isSpace = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x0c;

export class PsqlInputGuard extends Transform {
  private state = State.Normal;
  private dollarTag = '';
  private commentDepth = 0;
  private carry: Buffer = Buffer.alloc(0);
  private lineNumber = 0;
  /** The start of the current statement, to recognise `COPY … FROM stdin;`. */
  private statement = '';
  /** Set when the line being scanned ends a `COPY … FROM stdin;` statement. */
  private copyStartsNextLine = false;
  /** Meta-commands seen and allowed, for the record. */
  readonly allowed: string[] = [];
  /** Marks of the chunk being scanned, when asked for. */
  private marks: GuardMark[] | undefined;
  /** Where the current statement started in the chunk being scanned, when it started on a line's first byte there. */
  private statementLineStart = -1;

  constructor(options: { marks?: boolean } = {}) {
    super(options.marks ? { readableObjectMode: true } : {});
    if (options.marks) this.marks = [];
  }

  private pass(data: Buffer): Buffer | GuardedChunk {
    if (!this.marks) return data;
    const marks = this.marks;
    this.marks = [];
    // A statement that goes on in the next chunk did not start in it.
    this.statementLineStart = -1;
    return { data, marks };
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    const data = this.carry.length ? Buffer.concat([this.carry, chunk]) : chunk;
    const lastNl = data.lastIndexOf(NL);
    if (lastNl < 0) {
      this.carry = data;
      callback();
      return;
    }
    const complete = data.subarray(0, lastNl + 1);
    this.carry = Buffer.from(data.subarray(lastNl + 1));
    try {
      this.scan(complete);
    } catch (error) {
      callback(error as Error);
      return;
    }
    callback(null, this.pass(complete));
  }

  override _flush(callback: TransformCallback): void {
    if (this.carry.length === 0) {
      callback();
      return;
    }
    try {
      this.scan(this.carry);
    } catch (error) {
      callback(error as Error);
      return;
    }
    callback(null, this.pass(this.carry));
  }

  /** Scans whole lines (the last may lack its newline at the end of the input). */
  private scan(buf: Buffer): void {
    let i = 0;
    while (i < buf.length) {
      const end = buf.indexOf(NL, i);
      const lineEnd = end < 0 ? buf.length : end;
      this.lineNumber++;
      if (this.state === State.CopyData) {
        // Data rows are data, whatever they hold; only the `\.` line ends the block.
        let stop = lineEnd;
        if (stop > i && buf[stop - 1] === 0x0d) stop--;
        if (stop - i === 2 && buf[i] === BACKSLASH && buf[i + 1] === 0x2e) {
          this.state = State.Normal;
          this.marks?.push({ kind: 'copy-end', at: i, end: Math.min(lineEnd + 1, buf.length) });
        }
      } else {
        this.scanLine(buf, i, lineEnd);
        if (this.copyStartsNextLine) {
          this.copyStartsNextLine = false;
          this.state = State.CopyData;
        }
      }
      i = lineEnd + 1;
    }
  }

  private scanLine(buf: Buffer, start: number, end: number): void {
    for (let i = start; i < end; i++) {
      const c = buf[i]!;
      switch (this.state) {
        case State.Normal: {
          if (c === BACKSLASH) {
            i = this.metaCommand(buf, i, end);
            continue;
          }
          if (c === 0x2d && buf[i + 1] === 0x2d) return; // -- comment: the rest of the line
          if (c === 0x2f && buf[i + 1] === 0x2a) {
            this.state = State.BlockComment;
            this.commentDepth = 1;
            i++;
            continue;
          }
          if (c === 0x27) {
            const prev = i > start ? buf[i - 1]! : 0x20;
            const prevPrev = i - 1 > start ? buf[i - 2]! : 0x20;
            this.state = (prev === 0x45 || prev === 0x65) && !isIdentChar(prevPrev) ? State.EscapeQuote : State.SingleQuote;
            this.note(c, i, start);
            continue;
          }
          if (c === 0x22) {
            this.state = State.DoubleQuote;
            this.note(c, i, start);
            continue;
          }
          if (c === 0x24 && (i === start || !isIdentChar(buf[i - 1]!))) {
            const tagEnd = dollarTagEnd(buf, i, end);
            if (tagEnd > 0) {
              this.dollarTag = buf.toString('latin1', i, tagEnd + 1);
              this.state = State.Dollar;
              i = tagEnd;
              continue;
            }
          }
          if (c === 0x3b) {
            this.endStatement(buf, i, start, end);
            continue;
          }
          this.note(c, i, start);
          continue;
        }
        case State.SingleQuote:
          if (c === 0x27) this.state = State.Normal;
          continue;
        case State.EscapeQuote:
          if (c === BACKSLASH) i++;
          else if (c === 0x27) this.state = State.Normal;
          continue;
        case State.DoubleQuote:
          if (c === 0x22) this.state = State.Normal;
          continue;
        case State.Dollar:
          if (c === 0x24 && buf.toString('latin1', i, i + this.dollarTag.length) === this.dollarTag) {
            this.state = State.Normal;
            i += this.dollarTag.length - 1;
          }
          continue;
        case State.BlockComment:
          if (c === 0x2a && buf[i + 1] === 0x2f) {
            if (--this.commentDepth === 0) this.state = State.Normal;
            i++;
          } else if (c === 0x2f && buf[i + 1] === 0x2a) {
            this.commentDepth++;
            i++;
          }
          continue;
        case State.CopyData:
          return;
      }
    }
  }

  /** A backslash outside any literal: psql would run what follows. Returns the index to resume at. */
  private metaCommand(buf: Buffer, at: number, end: number): number {
    let j = at + 1;
    while (j < end && !isSpace(buf[j]!) && buf[j] !== BACKSLASH) j++;
    const name = buf.toString('latin1', at + 1, j);
    if (!ALLOWED.has(name)) throw new MetaCommandRefused(name || '(empty)', this.lineNumber);
    // psql reads `\restrict KEY` up to the next blank or backslash and then runs whatever follows on
    // the same line as further meta-commands (`\unrestrict KEY \! id` ran a shell, issue 10): so the
    // line must hold exactly the key pg_dump writes (alphanumeric) and nothing but blanks after it.
    let k = j;
    while (k < end && (buf[k] === 0x20 || buf[k] === 0x09)) k++;
    const keyStart = k;
    while (k < end && isAlnum(buf[k]!)) k++;
    const keyEnd = k;
    while (k < end && isSpace(buf[k]!)) k++;
    if (keyEnd === keyStart) throw new MetaCommandRefused(name, this.lineNumber, `without the alphanumeric key pg_dump writes`);
    if (k < end)
      throw new MetaCommandRefused(
        name,
        this.lineNumber,
        `followed by more text on the same line after \\${name} <key> (${JSON.stringify(buf.toString('latin1', keyEnd, Math.min(end, keyEnd + 40)).trim())})`,
      );
    this.allowed.push(name);
    return end;
  }

  private note(c: number, at: number, lineStart: number): void {
    if (this.statement.length === 0) {
      if (isSpace(c)) return;
      if (this.marks) {
        this.marks.push({ kind: 'statement-start', at });
        this.statementLineStart = at === lineStart ? at : -1;
      }
    }
    if (this.statement.length < STATEMENT_HEAD) this.statement += String.fromCharCode(c);
  }

  /** The `;` at `at` ends the statement; the line it is on runs from `lineStart` to `lineEnd`. */
  private endStatement(buf: Buffer, at: number, lineStart: number, lineEnd: number): void {
    const text = this.statement;
    this.statement = '';
    const copy = /^COPY\b/i.test(text) && /\bFROM\s+stdin\b/i.test(text);
    if (copy) this.copyStartsNextLine = true;
    if (!this.marks) return;
    if (!copy) {
      this.marks.push({ kind: 'statement-end', at, head: text });
      return;
    }
    // One whole line: it started on this line's first byte, and nothing but blanks follows the `;`.
    let k = at + 1;
    while (k < lineEnd && (buf[k] === 0x20 || buf[k] === 0x09 || buf[k] === 0x0d)) k++;
    const whole = this.statementLineStart === lineStart && k === lineEnd;
    this.marks.push({
      kind: 'copy',
      dataStart: Math.min(lineEnd + 1, buf.length),
      ...(whole ? { lineStart, line: Buffer.from(buf.subarray(lineStart, at + 1)) } : {}),
    });
  }
}

/** `$tag$` or `$$` starting at `at`: the index of the closing `$`, or -1. */
function dollarTagEnd(buf: Buffer, at: number, end: number): number {
  let j = at + 1;
  if (j < end && buf[j] === 0x24) return j;
  if (j >= end || !isIdentStart(buf[j]!)) return -1;
  while (j < end && isIdentChar(buf[j]!)) j++;
  return j < end && buf[j] === 0x24 ? j : -1;
}
