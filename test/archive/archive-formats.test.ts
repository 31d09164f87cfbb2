import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseArchiveName } from '../../src/archive/archive-name.js';
import { policyFor } from '../../src/archive/archive-policy.js';
import { archivesConfigOrDefault } from '../../src/config/schema.js';
import { CRC64_ECMA, Crc64, crc64 } from '../../src/archive/crc64.js';
import { mysqlDumpInspector, postgresDumpInspector, redisRdbInspector } from '../../src/archive/dump-inspectors.js';
import { parseSidecar } from '../../src/archive/sidecar.js';
import { archivesSchema } from '../../src/config/schema.js';

async function* chunks(data: Buffer, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}

describe('CRC-64', () => {
  it('gives the published check values (Jones as redis crc64.c, and ECMA as Go crc64.ECMA / CRC-64/XZ)', () => {
    assert.equal(crc64(Buffer.from('123456789')), 0xe9c6d914c4b8d9can);
    assert.equal(crc64(Buffer.from('123456789'), CRC64_ECMA), 0x995dc9bbdf1939fan);
  });
  it('is the same in one piece and in chunks', () => {
    const data = Buffer.from(Array.from({ length: 10_000 }, (_, i) => (i * 7919) & 0xff));
    const inPieces = new Crc64().update(data.subarray(0, 3)).update(data.subarray(3, 5000)).update(data.subarray(5000)).digest();
    assert.equal(inPieces, crc64(data));
    assert.notEqual(crc64(data), crc64(Buffer.concat([data, Buffer.from([0])])));
  });
});

describe('RDB inspector', () => {
  const body = Buffer.concat([Buffer.from('REDIS0011'), Buffer.from([0xfe, 0x00, 0xfb, 0x01, 0x00, 0x00, 0x01, 0x61, 0x01, 0x62, 0xff])]);
  const withCrc = (payload: Buffer) => {
    const trailer = Buffer.alloc(8);
    trailer.writeBigUInt64LE(crc64(payload));
    return Buffer.concat([payload, trailer]);
  };
  it('accepts a correct CRC in any chunking, and names the version', async () => {
    for (const size of [1, 3, 7, 8, 9, 64]) {
      const verdict = await redisRdbInspector(chunks(withCrc(body), size));
      assert.equal(verdict.problem, undefined, `chunk ${size}`);
      assert.equal(verdict.details.rdbVersion, 11);
    }
  });
  it('rejects a flipped byte, a zero (disabled) checksum, a missing EOF opcode and a wrong magic', async () => {
    const good = withCrc(body);
    const flipped = Buffer.from(good);
    flipped[12] = flipped[12]! ^ 0x01;
    assert.match((await redisRdbInspector(chunks(flipped, 5))).problem ?? '', /CRC-64/);
    assert.match((await redisRdbInspector(chunks(Buffer.concat([body, Buffer.alloc(8)]), 5))).problem ?? '', /without a checksum/);
    assert.match((await redisRdbInspector(chunks(good.subarray(0, good.length - 1), 5))).problem ?? '', /EOF opcode/);
    assert.match((await redisRdbInspector(chunks(Buffer.from('NOTREDIS'), 5))).problem ?? '', /magic/);
  });
});

describe('SQL dump inspectors', () => {
  it('PostgreSQL: header and trailer, \\unrestrict allowed after it, a cut dump rejected', async () => {
    const dump = `--\n-- PostgreSQL database dump\n--\n\\restrict abc\nSET x = 1;\n${'INSERT;\n'.repeat(20_000)}--\n-- PostgreSQL database dump complete\n--\n\n\\unrestrict abc\n\n`;
    assert.equal((await postgresDumpInspector(chunks(Buffer.from(dump), 4096))).problem, undefined);
    assert.match((await postgresDumpInspector(chunks(Buffer.from(dump.slice(0, 50_000)), 4096))).problem ?? '', /dump complete/);
    assert.match(
      (await postgresDumpInspector(chunks(Buffer.from(`SET x;\n${dump}`.replace('-- PostgreSQL database dump\n', '')), 4096))).problem ?? '',
      /header/,
    );
    assert.match((await postgresDumpInspector(chunks(Buffer.from(`${dump}DROP TABLE patients;\n`), 4096))).problem ?? '', /follows/);
  });
  it('MariaDB/MySQL: header (after the sandbox line) and `-- Dump completed` last', async () => {
    const dump =
      '/*M!999999\\- enable the sandbox mode */ \n-- MariaDB dump 10.19  Distrib 10.11.19-MariaDB\n--\nINSERT;\n-- Dump completed on 2026-11-21 12:00:00\n';
    assert.equal((await mysqlDumpInspector(chunks(Buffer.from(dump), 7))).problem, undefined);
    assert.match((await mysqlDumpInspector(chunks(Buffer.from(dump.replace(/-- Dump completed.*\n/, '')), 7))).problem ?? '', /Dump completed/);
    assert.equal((await mysqlDumpInspector(chunks(Buffer.from('-- MySQL dump 10.13  Distrib 8.0.36\nX;\n-- Dump completed\n'), 7))).problem, undefined);
  });
});

describe('sidecar parsing', () => {
  const name = 'medicapp_production_20261121_030000.tar.gz';
  const hash = 'ab'.repeat(32);
  const parse = (text: string) => parseSidecar(Buffer.from(text, 'utf8'), name);
  it('accepts text and binary mode', () => {
    assert.deepEqual(parse(`${hash}  ${name}\n`), { ok: true, sidecar: { sha256: hash, mode: 'text' } });
    assert.deepEqual(parse(`${hash} *${name}\n`), { ok: true, sidecar: { sha256: hash, mode: 'binary' } });
  });
  it('accepts a path whose base name is the archive (sha256sum "$DIR/x", ./x), and BSD --tag lines', () => {
    assert.deepEqual(parse(`${hash}  /srv/backups/${name}\n`), { ok: true, sidecar: { sha256: hash, mode: 'text', writtenName: `/srv/backups/${name}` } });
    assert.deepEqual(parse(`${hash} *./${name}\n`), { ok: true, sidecar: { sha256: hash, mode: 'binary', writtenName: `./${name}` } });
    assert.deepEqual(parse(`SHA256 (${name}) = ${hash}\n`), { ok: true, sidecar: { sha256: hash, mode: 'bsd' } });
    assert.deepEqual(parse(`SHA256 (./${name}) = ${hash}\n`), { ok: true, sidecar: { sha256: hash, mode: 'bsd', writtenName: `./${name}` } });
  });
  for (const [label, text, reason] of [
    ['CRLF', `${hash}  ${name}\r\n`, /carriage return/],
    ['BOM', `\uFEFF${hash}  ${name}\n`, /byte order mark/],
    ['extra line', `${hash}  ${name}\n${hash}  ${name}\n`, /2 lines/],
    ['wrong name', `${hash}  ./other_production_20261121_030000.tar.gz\n`, /names/],
    ['wrong name behind a path', `${hash}  /backups/other.tar.gz\n`, /names/],
    ['BSD line for another file', `SHA256 (/backups/other.tar.gz) = ${hash}\n`, /BSD-style.*naming/],
    ['BSD line of another algorithm', `MD5 (${name}) = ${hash.slice(0, 32)}\n`, /BSD-style.*MD5/],
    ['short hash', `${hash.slice(2)}  ${name}\n`, /64 hexadecimal/],
    ['non-hex', `${hash.slice(1)}g  ${name}\n`, /64 hexadecimal/],
    ['one space', `${hash} ${name}\n`, /two spaces/],
    ['empty', '', /empty/],
  ] as const) {
    it(`rejects ${label}`, () => {
      const parsed = parse(text);
      assert.equal(parsed.ok, false);
      if (!parsed.ok) assert.match(parsed.problem, reason);
    });
  }
});

describe('archive names and policy', () => {
  it('parses <name>_<env>_<YYYYMMDD>_<HHMMSS>.tar.gz (names may hold underscores) and refuses impossible dates', () => {
    const parsed = parseArchiveName('medic_app_production_20261121_030405.tar.gz');
    assert.equal(parsed?.name, 'medic_app');
    assert.equal(parsed?.environment, 'production');
    assert.equal(parsed?.timestamp.toISOString(), '2026-11-21T03:04:05.000Z');
    assert.equal(parseArchiveName('medicapp_production_20261321_030405.tar.gz'), undefined);
    assert.equal(parseArchiveName('medicapp_production_20261121.tar.gz'), undefined);
  });
  it('resolves per-environment values over built-in defaults over general defaults', () => {
    const defaults = archivesConfigOrDefault(undefined);
    assert.equal(policyFor(defaults, 'production').retentionDays, 30);
    assert.equal(policyFor(defaults, 'production').keepNewest, 3);
    assert.equal(policyFor(defaults, 'staging').retentionDays, 7);
    assert.equal(policyFor(defaults, 'qa').maxAgeHours, 26);
    const custom = archivesSchema.parse({
      defaults: { retentionDays: 14, maxAgeHours: 30 },
      environments: { production: { keepNewest: 5 }, dev: { retentionDays: 2 } },
    });
    assert.equal(policyFor(custom, 'production').retentionDays, 30);
    assert.equal(policyFor(custom, 'production').keepNewest, 5);
    assert.equal(policyFor(custom, 'staging').retentionDays, 7);
    assert.equal(policyFor(custom, 'qa').retentionDays, 14);
    assert.equal(policyFor(custom, 'dev').retentionDays, 2);
    assert.equal(policyFor(custom, 'dev').maxAgeHours, 30);
    assert.equal(archivesSchema.safeParse({ defaults: { requiredMembers: ['../x'] } }).success, false);
    assert.equal(archivesSchema.safeParse({ retention: {} }).success, false);
  });
});
