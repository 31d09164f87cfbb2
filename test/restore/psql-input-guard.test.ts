import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { type GuardedChunk, MetaCommandRefused, PsqlInputGuard } from '../../src/restore/psql-input-guard.js';
import { type PostgresCluster, startCluster } from '../../src/simulator/postgres-cluster.js';

/** Feeds `input` in chunks of `size` bytes (chunk boundaries must not matter). */
async function guard(input: string | Buffer, size = 7): Promise<string> {
  const buf = Buffer.isBuffer(input) ? input : Buffer.from(input);
  const chunks = Array.from({ length: Math.ceil(buf.length / size) }, (_, i) => buf.subarray(i * size, (i + 1) * size));
  const g = new PsqlInputGuard();
  const [, out] = await Promise.all([pipeline(Readable.from(chunks), g), text(g)]);
  return out;
}

/** The guard with marks, fed in chunks of `size` bytes: what it passed on, and its marks as text (offsets resolved). */
async function marked(input: string, size: number): Promise<{ out: string; marks: string[] }> {
  const buf = Buffer.from(input);
  const chunks = Array.from({ length: Math.ceil(buf.length / size) }, (_, i) => buf.subarray(i * size, (i + 1) * size));
  const g = new PsqlInputGuard({ marks: true });
  const seen: GuardedChunk[] = [];
  g.on('data', (c: GuardedChunk) => seen.push(c));
  await pipeline(Readable.from(chunks), g);
  const marks = seen.flatMap(({ data, marks: ms }) =>
    ms.map((m) => {
      switch (m.kind) {
        case 'statement-start':
          return `start ${JSON.stringify(data.toString('utf8', m.at, m.at + 6))}`;
        case 'statement-end':
          return `end ${m.head}`;
        case 'copy':
          // The line is the chunk's bytes from lineStart, and the rows start on the next line.
          assert.ok(!m.line || (data.subarray(m.lineStart!, m.lineStart! + m.line.length).equals(m.line) && data[m.dataStart - 1] === 0x0a));
          return `copy ${m.line ? `line ${JSON.stringify(m.line.toString())}` : 'not a whole line'}`;
        case 'copy-end':
          return `copy-end ${data.toString('utf8', m.at, m.end).replace(/\r/g, 'CR').replace(/\n/g, 'LF')}`;
      }
      throw new Error(`unknown mark ${JSON.stringify(m)}`);
    }),
  );
  return { out: Buffer.concat(seen.map((c) => c.data)).toString(), marks };
}

const refused = (command: string, line: number) => (e: unknown) => e instanceof MetaCommandRefused && e.command === command && e.line === line;

describe('psql input guard', () => {
  let cluster: PostgresCluster;
  let dump: string;
  before(async () => {
    cluster = await startCluster();
    await cluster.sql(String.raw`
      CREATE TABLE t (id int, note text);
      INSERT INTO t VALUES (1, NULL), (2, E'line\nbreak \\! not a command'), (3, E'\\. almost the end');
      CREATE FUNCTION f() RETURNS text LANGUAGE plpgsql AS $body$ BEGIN RETURN E'\\! x'; END $body$;
      CREATE TABLE "odd ""name""" (v text); INSERT INTO "odd ""name""" VALUES ('\o /tmp/nope');
      COMMENT ON TABLE t IS 'has a \! inside';`);
    const run = promisify(execFile);
    dump = (
      await run(`${cluster.binDir}/pg_dump`, ['-h', '127.0.0.1', '-p', String(cluster.port), '-U', 'postgres', 'postgres'], {
        env: { ...process.env, PGPASSWORD: cluster.password },
      })
    ).stdout;
  });
  after(async () => cluster?.stop());

  it('passes a real pg_dump through byte for byte, whatever the chunking', async () => {
    assert.match(dump, /FROM stdin;\n1\t\\N\n/, 'the dump has COPY data starting with a backslash');
    for (const size of [1, 7, 4096]) assert.equal(await guard(dump, size), dump);
  });

  it('with marks, passes the same bytes and says where statements and COPY blocks start and end, whatever the chunking', async () => {
    for (const size of [1, 7, 4096]) {
      const { out, marks } = await marked(dump, size);
      assert.equal(out, dump);
      const copies = marks.filter((m) => m.startsWith('copy '));
      assert.ok(copies.length >= 2 && copies.every((m) => /^copy line "COPY public\..+ \(.+\) FROM stdin;"$/.test(m)), copies.join('\n'));
      assert.equal(marks.filter((m) => m === 'copy-end \\.LF').length, copies.length);
    }
    const sql = "SET a = 'x;y';\nCOPY t (id) FROM stdin;\n1\n\\.\nSELECT 1; COPY u FROM stdin;\n2\n\\.\r\nCOPY v\n FROM stdin;\n3\n\\.\n";
    for (const size of [1, 5, 4096]) {
      const { out, marks } = await marked(sql, size);
      assert.equal(out, sql);
      assert.deepEqual(marks, [
        'start "SET a "',
        "end SET a = '",
        'start "COPY t"',
        'copy line "COPY t (id) FROM stdin;"',
        'copy-end \\.LF',
        'start "SELECT"',
        'end SELECT 1',
        'start "COPY u"',
        'copy not a whole line',
        'copy-end \\.CRLF',
        'start "COPY v"',
        'copy not a whole line',
        'copy-end \\.LF',
      ]);
    }
  });

  it("allows pg_dump's own \\restrict and \\unrestrict", async () => {
    const g = new PsqlInputGuard();
    await Promise.all([pipeline(Readable.from([Buffer.from(dump)]), g), text(g)]);
    if (/\\restrict/.test(dump)) assert.deepEqual(g.allowed, ['restrict', 'unrestrict']);
  });

  it('refuses a shell escape, anywhere on a line, before passing it on', async () => {
    await assert.rejects(guard('SELECT 1;\n\\! touch /tmp/SENTINEL\n'), refused('!', 2));
    await assert.rejects(guard("SELECT 'ok'; \\! id\n"), refused('!', 1));
    await assert.rejects(guard('CREATE TABLE x (a int);\n\\o /tmp/out\n'), refused('o', 2));
    await assert.rejects(guard("\\copy t to program 'id'\n"), refused('copy', 1));
    await assert.rejects(guard('\\i /etc/passwd\n'), refused('i', 1));
    await assert.rejects(guard('\\set ON_ERROR_STOP off'), refused('set', 1), 'also without a final newline');
  });

  it('refuses any text after \\restrict KEY / \\unrestrict KEY on the same line (psql would run it)', async () => {
    const key = 'AbC123xyz';
    await guard(`\\restrict ${key}\nSELECT 1;\n\\unrestrict ${key}\n`);
    await guard(`\\unrestrict ${key}  \r\n`); // trailing blanks, CRLF
    await assert.rejects(guard(`SELECT 1;\n\\unrestrict ${key} \\! id > /tmp/pwned\n`), (e: unknown) => e instanceof MetaCommandRefused && e.line === 2);
    await assert.rejects(guard(`\\restrict ${key}\\! id\n`), (e: unknown) => e instanceof MetaCommandRefused && e.line === 1);
    await assert.rejects(guard(`\\restrict ${key} extra\n`), (e: unknown) => e instanceof MetaCommandRefused && e.line === 1);
    await assert.rejects(guard('\\restrict\n'), (e: unknown) => e instanceof MetaCommandRefused, 'a key is required');
    await assert.rejects(guard('\\restrict k-e;y\n'), (e: unknown) => e instanceof MetaCommandRefused, 'pg_dump keys are alphanumeric');
  });

  it('ends COPY data only at \\. and then watches again', async () => {
    const sql = 'COPY t (id, note) FROM stdin;\n1\t\\N\n\\! inside data is data\n\\.\n\\! after the data\n';
    await assert.rejects(guard(sql), refused('!', 5));
    await guard('COPY t FROM stdin;\n\\! data\n\\.\nSELECT 1;\n');
  });

  it('knows strings, E-strings, quoted identifiers, dollar quotes and comments', async () => {
    await guard("SELECT 'a\n\\! in a string\n';\n");
    await guard("SELECT E'it\\'s \\\\\n\\! still a string';\n");
    await guard('SELECT 1 AS "a\n\\! identifier";\n');
    await guard('DO $x$ BEGIN\n\\! body\nEND $x$;\nSELECT $$\n\\! too\n$$;\n');
    await guard('/* outer /* inner */\n\\! comment */ SELECT 1;\n-- \\! line comment\n');
    await assert.rejects(guard("SELECT 'closed';\n\\! open\n"), refused('!', 2));
    // "ne'" is an identifier followed by a string: the E is part of ONE, not an E-string.
    await assert.rejects(guard("SELECT one'x\\';\n\\! y\n"), refused('!', 2));
  });

  it('does not take $1 or a$b for dollar quotes', async () => {
    await assert.rejects(guard('PREPARE p AS SELECT $1;\n\\! x\n'), refused('!', 2));
    await assert.rejects(guard('SELECT a$b FROM t;\n\\! x\n'), refused('!', 2));
  });
});
