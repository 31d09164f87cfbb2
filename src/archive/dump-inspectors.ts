/**
 * Each dump's own format markers, checked on the decompressed stream while it passes by. Only a
 * head window and a tail window of each dump are kept: memory stays constant whatever the size.
 *
 * - PostgreSQL plain `pg_dump`: `-- PostgreSQL database dump` near the top, and `-- PostgreSQL
 *   database dump complete` at the end (`pg_dumpall`: `-- PostgreSQL database cluster dump` and
 *   `… cluster dump complete`) (pg_dump writes it last; only `--` lines and the
 *   `\unrestrict` line of PostgreSQL ≥ 17.6/16.10/… may follow).
 * - MariaDB/MySQL `mysqldump`/`mariadb-dump`: `-- MariaDB dump N` / `-- MySQL dump N` near the top
 *   (MariaDB ≥ 10.11.8 puts a sandbox-mode comment above it), `-- Dump completed` at the very end.
 * - Redis RDB: `REDIS` + 4-digit version, the EOF opcode 0xFF, and (version ≥ 5) the CRC-64 (Jones)
 *   of everything before it, 8 bytes little-endian.
 * - mongodump archive: magic number 0x8199e26d (little-endian), a BSON header document, and the
 *   terminator 0xFFFFFFFF that closes the last namespace.
 */
import { Crc64 } from './crc64.js';

export interface InspectorVerdict {
  /** Undefined when the markers are right. */
  problem?: string;
  details: Record<string, string | number>;
}

export type Inspector = (source: AsyncIterable<Uint8Array>) => Promise<InspectorVerdict>;

const HEAD_BYTES = 64 * 1024;
const TAIL_BYTES = 64 * 1024;

/** Keeps the first HEAD_BYTES and the last TAIL_BYTES of a stream (the tail as chunk references, not copies). */
export class HeadTailWindow {
  private head = Buffer.alloc(0);
  private tail: Uint8Array[] = [];
  private tailBytes = 0;
  total = 0;

  push(chunk: Uint8Array): void {
    this.total += chunk.length;
    if (this.head.length < HEAD_BYTES) this.head = Buffer.concat([this.head, chunk.subarray(0, HEAD_BYTES - this.head.length)]);
    this.tail.push(chunk);
    this.tailBytes += chunk.length;
    while (this.tail.length > 1 && this.tailBytes - this.tail[0]!.length >= TAIL_BYTES) this.tailBytes -= this.tail.shift()!.length;
  }

  headBytes(): Buffer {
    return this.head;
  }

  tailBuffer(): Buffer {
    const all = Buffer.concat(this.tail);
    return all.subarray(Math.max(0, all.length - TAIL_BYTES));
  }
}

async function collect(source: AsyncIterable<Uint8Array>): Promise<HeadTailWindow> {
  const window = new HeadTailWindow();
  for await (const chunk of source) window.push(chunk);
  return window;
}

function firstLines(head: Buffer, count: number): string[] {
  return head
    .toString('latin1')
    .split('\n', count)
    .map((line) => line.replace(/\r$/, ''));
}

/** Lines of the tail, the last possibly partial line included, trailing empty lines removed. */
function lastLines(tail: Buffer): string[] {
  const lines = tail.toString('latin1').split('\n');
  while (lines.length > 0 && lines[lines.length - 1]!.trim() === '') lines.pop();
  return lines;
}

export const postgresDumpInspector: Inspector = async (source) => {
  const window = await collect(source);
  const details: Record<string, string | number> = { decompressedBytes: window.total };
  const head = firstLines(window.headBytes(), 40);
  if (window.headBytes().subarray(0, 5).toString('latin1') === 'PGDMP') {
    return { problem: 'it is a custom-format pg_dump archive, not the plain SQL dump the format requires', details };
  }
  // `pg_dumpall` writes a cluster dump: roles, tablespaces, then every database with `\connect`. It is plain SQL too,
  // restorable with psql into a throwaway cluster, so it is accepted, and named as such in the evidence.
  const cluster = head.includes('-- PostgreSQL database cluster dump');
  if (!cluster && !head.includes('-- PostgreSQL database dump')) {
    return { problem: 'the `-- PostgreSQL database dump` header (pg_dump) or `-- PostgreSQL database cluster dump` header (pg_dumpall) is missing', details };
  }
  details.dumpKind = cluster ? 'cluster' : 'database';
  for (const line of head) {
    const m = /^-- Dumped (from database|by pg_dump) version (.+)$/.exec(line);
    if (m) details[m[1] === 'from database' ? 'serverVersion' : 'pgDumpVersion'] = m[2]!;
  }
  const tail = lastLines(window.tailBuffer());
  const trailer = cluster ? '-- PostgreSQL database cluster dump complete' : '-- PostgreSQL database dump complete';
  const at = tail.lastIndexOf(trailer);
  if (at < 0) return { problem: `the \`${trailer}\` trailer is missing (the dump was cut short)`, details };
  const after = tail.slice(at + 1).filter((line) => line !== '--' && line !== '' && !line.startsWith('\\unrestrict '));
  if (after.length > 0) return { problem: `data follows the \`${trailer}\` trailer`, details };
  return { details };
};

export const mysqlDumpInspector: Inspector = async (source) => {
  const window = await collect(source);
  const details: Record<string, string | number> = { decompressedBytes: window.total };
  const header = firstLines(window.headBytes(), 10).find((line) => /^-- (MariaDB|MySQL) dump \d+\.\d+/.test(line));
  if (!header) return { problem: 'the `-- MariaDB dump` / `-- MySQL dump` header is missing', details };
  details.header = header.slice(3);
  const tail = lastLines(window.tailBuffer());
  const last = tail[tail.length - 1] ?? '';
  if (!/^-- Dump completed( on .+)?$/.test(last)) return { problem: 'the `-- Dump completed` trailer is missing (the dump was cut short)', details };
  details.trailer = last.slice(3);
  return { details };
};

const RDB_MAGIC = Buffer.from('REDIS', 'latin1');
const RDB_EOF = 0xff;
const RDB_CHECKSUM_BYTES = 8;

export const redisRdbInspector: Inspector = async (source) => {
  const crc = new Crc64();
  // Everything but the last 8 bytes goes into the CRC; those 8 are held back until the next chunk.
  let held: Buffer = Buffer.alloc(0);
  let head = Buffer.alloc(0);
  let lastHashed = -1;
  let total = 0;
  for await (const chunk of source) {
    total += chunk.length;
    if (head.length < 9) head = Buffer.concat([head, chunk.subarray(0, 9 - head.length)]);
    const joined = chunk.length >= RDB_CHECKSUM_BYTES ? undefined : Buffer.concat([held, chunk]);
    if (joined) {
      const cut = Math.max(0, joined.length - RDB_CHECKSUM_BYTES);
      if (cut > 0) {
        crc.update(joined.subarray(0, cut));
        lastHashed = joined[cut - 1]!;
      }
      held = joined.subarray(cut);
    } else {
      if (held.length > 0) {
        crc.update(held);
        lastHashed = held[held.length - 1]!;
      }
      const cut = chunk.length - RDB_CHECKSUM_BYTES;
      if (cut > 0) {
        crc.update(chunk.subarray(0, cut));
        lastHashed = chunk[cut - 1]!;
      }
      held = Buffer.from(chunk.subarray(cut));
    }
  }
  const details: Record<string, string | number> = { bytes: total };
  if (head.length < 9 || !head.subarray(0, 5).equals(RDB_MAGIC) || !/^\d{4}$/.test(head.subarray(5, 9).toString('latin1'))) {
    return { problem: 'the `REDIS` magic and 4-digit version are missing: not an RDB file', details };
  }
  const version = Number(head.subarray(5, 9).toString('latin1'));
  details.rdbVersion = version;
  if (version < 5) return { problem: `RDB version ${version} carries no CRC-64 trailer, so its integrity cannot be proven`, details };
  if (held.length < RDB_CHECKSUM_BYTES || lastHashed !== RDB_EOF) {
    return { problem: 'the RDB does not end with the EOF opcode and its 8-byte checksum (truncated)', details };
  }
  const stored = held.readBigUInt64LE(0);
  const computed = crc.digest();
  details.crc64 = computed.toString(16).padStart(16, '0');
  if (stored === 0n) return { problem: 'the RDB was saved without a checksum (rdbchecksum no), so its integrity cannot be proven', details };
  if (stored !== computed)
    return { problem: `the RDB's CRC-64 is ${stored.toString(16).padStart(16, '0')} but its content hashes to ${details.crc64}`, details };
  return { details };
};

const MONGO_MAGIC = Buffer.from([0x6d, 0xe2, 0x99, 0x81]);
const MONGO_TERMINATOR = Buffer.from([0xff, 0xff, 0xff, 0xff]);

export const mongoArchiveInspector: Inspector = async (source) => {
  const window = await collect(source);
  const details: Record<string, string | number> = { decompressedBytes: window.total };
  const head = window.headBytes();
  if (head.length < 4 || !head.subarray(0, 4).equals(MONGO_MAGIC)) return { problem: 'the mongodump archive magic number 0x8199e26d is missing', details };
  if (head.length >= 8) {
    const headerLength = head.readInt32LE(4);
    const endsInHead = 4 + headerLength <= head.length;
    if (headerLength < 5 || (endsInHead && head[4 + headerLength - 1] !== 0)) {
      return { problem: 'the archive header after the magic number is not a BSON document', details };
    }
  } else {
    return { problem: 'the archive ends right after its magic number', details };
  }
  const tail = window.tailBuffer();
  if (tail.length < 8 || !tail.subarray(tail.length - 4).equals(MONGO_TERMINATOR)) {
    return { problem: 'the archive does not end with the 0xFFFFFFFF terminator of its last namespace (truncated)', details };
  }
  return { details };
};
