/**
 * The router of parallel-load.ts on top of the real guard, with recording psql sessions in place of real ones (the real
 * ones are in fast-restore-identical.test.ts): what it hands each connection, and how often it writes.
 */
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, it } from 'node:test';
import { DumpRouter, type PsqlSession } from '../../src/restore/parallel-load.js';
import { PsqlInputGuard } from '../../src/restore/psql-input-guard.js';

/** A psql session that records what it is given and answers markers at once (no settings, no transaction). */
function recorder() {
  const writes: string[] = [];
  const session = {
    stdin: { writableNeedDrain: false, writableLength: 0 },
    write: (data: Buffer | string) => void writes.push(data.toString()),
    drained: async () => undefined,
    sync: async (columns = '') => {
      writes.push('<sync>');
      return columns ? JSON.stringify({ settings: null, inTransaction: false, temporary: false, loadable: true }) : '';
    },
    end: () => void writes.push('<end>'),
    kill: () => undefined,
  };
  return { writes, session: session as unknown as PsqlSession };
}

async function route(sql: string, chunkSize: number, share = true) {
  const main = recorder();
  const workers = [recorder(), recorder()];
  const router = new DumpRouter(main.session, () => workers.map((w) => w.session), { share });
  const buf = Buffer.from(sql);
  const chunks = Array.from({ length: Math.ceil(buf.length / chunkSize) }, (_, i) => buf.subarray(i * chunkSize, (i + 1) * chunkSize));
  await pipeline(Readable.from(chunks), new PsqlInputGuard({ marks: true }), router);
  return { main: main.writes, workers: workers.map((w) => w.writes), stats: router.stats };
}

describe('the COPY router', () => {
  it('writes a chunk of many statements to the main connection in one piece, not one write per statement', async () => {
    const sql = `${Array.from({ length: 20000 }, (_, i) => `INSERT INTO public.t VALUES (${i}, 'row ${i}');`).join('\n')}\n`;
    for (const share of [true, false]) {
      const { main } = await route(sql, 256 * 1024, share);
      assert.equal(main.filter((w) => w !== '<end>').join(''), sql);
      assert.ok(main.length <= 6, `${main.length} writes for ${Math.ceil(sql.length / (256 * 1024))} chunks`);
    }
  });

  it('hands the rows of a COPY to the other connections, the statements to the main one, in order', async () => {
    const rows = Array.from({ length: 3000 }, (_, i) => `${i}\tname ${i}`);
    const sql = [
      'CREATE TABLE public.t (id int, name text);',
      '-- Data',
      'COPY public.t (id, name) FROM stdin;',
      ...rows,
      '\\.',
      '',
      'ALTER TABLE public.t ADD PRIMARY KEY (id);',
      '',
    ].join('\n');
    const { main, workers, stats } = await route(sql, 977);
    assert.equal(stats.copyBlocksShared, 1);
    const mainText = main.join('');
    // The main connection ran CREATE TABLE, was asked how far it had got before any row went out, and got ALTER TABLE
    // only after the other connections had answered theirs.
    assert.match(mainText, /^CREATE TABLE public\.t \(id int, name text\);\n-- Data\n<sync>\nALTER TABLE/);
    assert.doesNotMatch(mainText, /COPY|name 1/);
    const loaded = workers.map((w) => w.join(''));
    const rowsSeen = loaded
      .join('')
      .split('\n')
      .filter((l) => /^\d+\tname \d+$/.test(l));
    assert.equal(rowsSeen.length, 3000, 'every row, once');
    for (const text of loaded.filter((t) => t.includes('name'))) assert.match(text, /^COPY public\.t \(id, name\) FROM stdin;\n[\s\S]*\\\.\n<sync><end>$/);
  });
});
