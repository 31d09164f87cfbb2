/**
 * The fast load (sql-restore.ts and parallel-load.ts: the statements on one psql connection, the rows of the COPY blocks
 * sliced over others) restores the same database as a plain `psql -f dump` would, as the same unprivileged role: every
 * table's rows (counted and hashed), the indexes, the constraints, the sequences' values, the views and the triggers,
 * and the same errors (the owners and grants of roles that do not exist here). A dump with several tables, foreign
 * keys, sequences (serial, identity and a standalone one), a view and a materialized view, made by pg_dump with owners
 * and privileges; and hand-written dumps whose session settings, transaction blocks, temporary tables and CSV COPY
 * the sharing must respect.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { restoreSqlDump } from '../../src/restore/sql-restore.js';
import { sandboxUser } from '../../src/restore/sandbox-user.js';
import { type ThrowawayDatabase, createThrowawayDatabase } from '../../src/restore/throwaway-database.js';
import { type PostgresCluster, startCluster } from '../../src/simulator/postgres-cluster.js';

const run = promisify(execFile);
const SCHEMAS = "('public', 'sales')";

let source: PostgresCluster;
let dump: string;
const created: ThrowawayDatabase[] = [];

async function throwaway(): Promise<ThrowawayDatabase> {
  const db = await createThrowawayDatabase();
  created.push(db);
  return db;
}

/** Rows of a query on a restored database, as the restore role (unaligned, `|` between columns). */
async function query(db: ThrowawayDatabase, sql: string): Promise<string[]> {
  const t = db.target;
  const { stdout } = await run(
    join(t.binDir, 'psql'),
    ['-X', '-q', '-A', '-t', '-F', '|', '-v', 'ON_ERROR_STOP=1', '-h', t.host, '-p', String(t.port), '-U', t.user, '-d', t.database, '-c', sql],
    {
      env: { PATH: process.env.PATH, PGPASSWORD: t.password },
      maxBuffer: 1 << 26,
      timeout: 120_000,
    },
  );
  return stdout.split('\n').filter((l) => l !== '');
}

const walBytes = async (db: ThrowawayDatabase) => BigInt((await query(db, "SELECT pg_current_wal_lsn() - '0/0'::pg_lsn"))[0]!.split('.')[0]!);

/** The psql processes this test process runs, with their command lines. */
async function psqlChildren(): Promise<string[]> {
  const { stdout } = await run('ps', ['-o', 'pid=,args=', '--ppid', String(process.pid)]);
  return stdout.split('\n').filter((l) => /\bpsql\b/.test(l));
}

/** Everything a restore must bring back, read the same way from both databases. */
async function snapshot(db: ThrowawayDatabase) {
  const tables = await query(
    db,
    `SELECT quote_ident(schemaname) || '.' || quote_ident(tablename) FROM pg_tables WHERE schemaname IN ${SCHEMAS}
     UNION SELECT quote_ident(schemaname) || '.' || quote_ident(matviewname) FROM pg_matviews WHERE schemaname IN ${SCHEMAS} ORDER BY 1`,
  );
  const rows: Record<string, string[]> = {};
  for (const table of tables) rows[table] = await query(db, `SELECT count(*), md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) FROM ${table} t`);
  const sequences: Record<string, string[]> = {};
  for (const seq of await query(
    db,
    `SELECT quote_ident(schemaname) || '.' || quote_ident(sequencename) FROM pg_sequences WHERE schemaname IN ${SCHEMAS} ORDER BY 1`,
  ))
    sequences[seq] = await query(db, `SELECT last_value, is_called FROM ${seq}`);
  return {
    rows,
    sequences,
    indexes: await query(db, `SELECT indexdef FROM pg_indexes WHERE schemaname IN ${SCHEMAS} ORDER BY 1`),
    constraints: await query(
      db,
      `SELECT conrelid::regclass, conname, pg_get_constraintdef(oid), convalidated, condeferrable FROM pg_constraint WHERE connamespace::regnamespace::text IN ${SCHEMAS} ORDER BY 1, 2`,
    ),
    views: await query(db, `SELECT schemaname, viewname, definition FROM pg_views WHERE schemaname IN ${SCHEMAS} ORDER BY 1, 2`),
    matviews: await query(db, `SELECT schemaname, matviewname, ispopulated, definition FROM pg_matviews WHERE schemaname IN ${SCHEMAS} ORDER BY 1, 2`),
    triggers: await query(db, 'SELECT tgrelid::regclass, pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT tgisinternal ORDER BY 1, 2'),
    functions: await query(
      db,
      `SELECT p.oid::regprocedure, md5(pg_get_functiondef(p.oid)) FROM pg_proc p WHERE pronamespace::regnamespace::text IN ${SCHEMAS} ORDER BY 1`,
    ),
    comments: await query(db, `SELECT objoid::regclass, description FROM pg_description WHERE classoid = 'pg_class'::regclass ORDER BY 1`),
  };
}

/** The reference: `psql -f -` in autocommit, as the restore role and the sandbox OS user, without the guard's help. */
async function plainPsql(db: ThrowawayDatabase, sql: string | Buffer): Promise<{ errors: string[] }> {
  const t = db.target;
  const user = sandboxUser();
  const psql = spawn(
    join(t.binDir, 'psql'),
    ['-X', '-q', '-v', 'ON_ERROR_STOP=0', '-h', t.host, '-p', String(t.port), '-U', t.user, '-d', t.database, '-f', '-'],
    {
      env: { PATH: process.env.PATH, PGPASSWORD: t.password, HOME: t.home },
      cwd: t.home,
      stdio: ['pipe', 'ignore', 'pipe'],
      ...(user.switched ? { uid: user.uid, gid: user.gid } : {}),
    },
  );
  let stderr = '';
  psql.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const closed = new Promise<number | null>((resolve, reject) => {
    psql.on('error', reject);
    psql.on('close', resolve);
  });
  psql.stdin.end(sql);
  assert.equal(await closed, 0, stderr);
  return { errors: stderr.split('\n').filter((l) => /ERROR:/.test(l)) };
}

before(async () => {
  source = await startCluster();
  await source.sql('CREATE ROLE app_owner LOGIN');
  await source.sql('CREATE ROLE app_reader');
  await source.sql('CREATE DATABASE shop OWNER app_owner');
  await source.sql(
    String.raw`
    CREATE SCHEMA sales AUTHORIZATION app_owner;
    SET ROLE app_owner;
    CREATE SEQUENCE invoice_no START 1000 INCREMENT 7;
    SELECT setval('invoice_no', 1234);
    CREATE SEQUENCE never_used;
    CREATE TABLE customers (id serial PRIMARY KEY, email text NOT NULL UNIQUE, joined date CHECK (joined > '2000-01-01'), note text);
    CREATE TABLE sales.orders (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      customer_id int NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
      total numeric(10,2) CHECK (total >= 0),
      invoice int DEFAULT nextval('invoice_no'),
      placed timestamptz NOT NULL);
    CREATE TABLE order_lines (
      order_id bigint REFERENCES sales.orders(id) DEFERRABLE INITIALLY DEFERRED,
      line int, sku text NOT NULL, qty int CHECK (qty > 0), PRIMARY KEY (order_id, line));
    CREATE INDEX order_lines_sku ON order_lines (sku);
    CREATE INDEX orders_big ON sales.orders (total) WHERE total > 500;
    CREATE INDEX customers_email_lower ON customers (lower(email));
    CREATE FUNCTION touch_note() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.note := coalesce(NEW.note, '') || '.'; RETURN NEW; END $$;
    CREATE TRIGGER customers_touch BEFORE UPDATE ON customers FOR EACH ROW EXECUTE FUNCTION touch_note();
    INSERT INTO customers (email, joined, note)
      SELECT 'c' || g || '@example.org', date '2010-01-01' + g % 3000, CASE WHEN g % 5 = 0 THEN NULL ELSE E'tab\there \\ back\nline ' || g END
      FROM generate_series(1, 3000) g;
    INSERT INTO sales.orders (customer_id, total, placed) SELECT 1 + g % 3000, (g % 1000) + 0.25, timestamptz '2024-01-01 00:00+00' + g * interval '1 minute' FROM generate_series(1, 30000) g;
    INSERT INTO order_lines SELECT 1 + g / 10, g % 10, 'SKU-' || (g % 977), 1 + g % 9 FROM generate_series(0, 299999) g;
    CREATE VIEW big_spenders AS SELECT c.email, sum(o.total) AS spent FROM customers c JOIN sales.orders o ON o.customer_id = c.id GROUP BY c.email HAVING sum(o.total) > 5000;
    CREATE MATERIALIZED VIEW sku_totals AS SELECT sku, sum(qty) AS qty FROM order_lines GROUP BY sku;
    COMMENT ON TABLE customers IS 'who buys';
    GRANT SELECT ON ALL TABLES IN SCHEMA public TO app_reader;
    GRANT USAGE ON SCHEMA sales TO app_reader;`,
    'shop',
  );
  // With owners and privileges: restoring as another role meets their errors, which must not abort the transaction.
  dump = (
    await run(join(source.binDir, 'pg_dump'), ['-h', '127.0.0.1', '-p', String(source.port), '-U', 'postgres', 'shop'], {
      env: { ...process.env, PGPASSWORD: source.password },
      maxBuffer: 1 << 27,
    })
  ).stdout;
});

after(async () => {
  for (const db of created) await db.drop();
  await source?.stop();
});

describe('the fast load restores the same database as plain psql', () => {
  /**
   * The pg_dump restored by restoreSqlDump (with `options`) and by plain psql, in uneven chunks as the archive's member
   * arrives: the same database and the same errors, and not vacuously so. Returns the result and the WAL each wrote.
   */
  async function sameAsPlain(options: Parameters<typeof restoreSqlDump>[2]) {
    assert.match(dump, /OWNER TO app_owner/);
    assert.match(dump, /GRANT SELECT ON TABLE public\.customers TO app_reader/);
    const [fast, plain] = await Promise.all([throwaway(), throwaway()]);
    const walBefore = [await walBytes(fast), await walBytes(plain)];
    const chunks = Buffer.from(dump)
      .toString('latin1')
      .match(/[\s\S]{1,65521}/g)!
      .map((c) => Buffer.from(c, 'latin1'));
    const result = await restoreSqlDump(Readable.from(chunks), fast.target, options);
    const reference = await plainPsql(plain, dump);
    const wal = [(await walBytes(fast)) - walBefore[0]!, (await walBytes(plain)) - walBefore[1]!] as const;

    const [a, b] = [await snapshot(fast), await snapshot(plain)];
    assert.deepEqual(a, b);
    // Not vacuous: the reference holds what the source holds.
    assert.deepEqual(Object.keys(a.rows), ['public.customers', 'public.order_lines', 'public.sku_totals', 'sales.orders']);
    assert.equal(a.rows['public.order_lines']![0]!.split('|')[0], '300000');
    // setval 1234, then 30000 orders each took the next invoice number, 7 apart.
    assert.deepEqual(a.sequences['public.invoice_no'], ['211234|t']);
    assert.deepEqual(a.sequences['public.never_used'], ['1|f']);
    assert.ok(
      a.constraints.some((c) => /FOREIGN KEY \(order_id\) REFERENCES sales\.orders\(id\) DEFERRABLE INITIALLY DEFERRED\|t\|t$/.test(c)),
      a.constraints.join('\n'),
    );
    assert.equal(a.matviews[0]?.split('|')[2], 't', 'the materialized view was refreshed');
    assert.equal(a.triggers.length, 1);

    // The same errors, all of them the expected ones of a restore as another role (owners, grants).
    assert.ok(result.errorCount > 0);
    assert.equal(result.errorCount, reference.errors.length, `${result.errors.join('\n')}\n---\n${reference.errors.join('\n')}`);
    assert.equal(result.privilegedRefusals, result.errorCount, result.errors.join('\n'));
    return { result, fast, wal };
  }

  it('same rows, indexes, constraints, sequences, views and triggers, the same expected errors, the rows loaded over several connections', async () => {
    const { result } = await sameAsPlain({ copyConnections: 3, sliceBytes: 1 << 20 });
    // Not vacuous either: every COPY block was shared out, order_lines (300000 rows, about 6 MB) in slices of 1 MiB, over
    // the three connections asked for.
    assert.equal(result.load.copyBlocksInPlace, 0, result.load.inPlaceReason);
    assert.equal(result.load.copyBlocksShared, 3);
    assert.equal(result.load.copyConnections, 3);
    assert.ok(result.load.copySlices >= 6, `${result.load.copySlices} slices`);
  });

  it('on one connection: the same database, and no WAL for the data (one transaction, wal_level=minimal)', async () => {
    const { result, fast, wal } = await sameAsPlain({ copyConnections: 0 });
    assert.equal(result.load.copyBlocksShared, 0);
    // One transaction with wal_level=minimal: a table created in it is not written to the WAL (the plain load writes it
    // all); only relations under wal_skip_threshold (2 MB) are logged whole at the commit.
    const heap = BigInt((await query(fast, "SELECT pg_relation_size('public.order_lines')"))[0]!);
    assert.ok(wal[1] * 2n > heap, `the plain load wrote ${wal[1]} bytes of WAL, order_lines holds ${heap}`);
    assert.ok(wal[0] * 2n < heap, `the fast load wrote ${wal[0]} bytes of WAL, order_lines holds ${heap} (the plain load: ${wal[1]})`);
  });

  it('on one connection, a load that breaks off in the middle commits nothing', async () => {
    const db = await throwaway();
    const cut = dump.indexOf('\n', dump.indexOf('COPY sales.orders') + 100_000);
    assert.ok(cut > 0);
    const broken = Readable.from(
      (async function* () {
        yield Buffer.from(dump.slice(0, cut + 1));
        // Let psql execute what it has (the tables, their data so far) before the input breaks.
        await new Promise((r) => setTimeout(r, 1000));
        throw new Error('the member was cut');
      })(),
    );
    await assert.rejects(restoreSqlDump(broken, db.target, { copyConnections: 0 }), /could not be read to the end: the member was cut/);
    assert.deepEqual(await query(db, `SELECT count(*) FROM pg_class WHERE relnamespace::regnamespace::text IN ${SCHEMAS}`), ['0']);
  });

  it('a load that breaks off in the middle fails, and stops every psql of it at once', async () => {
    const db = await throwaway();
    const cut = dump.indexOf('\n', dump.indexOf('COPY public.order_lines') + 2_000_000);
    assert.ok(cut > 0);
    let seen: string[] = [];
    const broken = Readable.from(
      (async function* () {
        yield Buffer.from(dump.slice(0, cut + 1));
        // Let the connections load what they have before the input breaks, and see them at it.
        await new Promise((r) => setTimeout(r, 500));
        seen = await psqlChildren();
        throw new Error('the member was cut');
      })(),
    );
    await assert.rejects(restoreSqlDump(broken, db.target, { copyConnections: 2 }), /could not be read to the end: the member was cut/);
    assert.equal(seen.length, 3, `the main psql and two COPY connections were running:\n${seen.join('\n')}`);
    assert.deepEqual(await psqlChildren(), [], 'no psql is left once the restore has failed');
  });

  /** Restores `sql` shared over two connections and with plain psql: the same database, the same errors. */
  async function bothWays(sql: Buffer) {
    const [fast, plain] = await Promise.all([throwaway(), throwaway()]);
    const chunks = Array.from({ length: Math.ceil(sql.length / 977) }, (_, i) => sql.subarray(i * 977, (i + 1) * 977));
    const result = await restoreSqlDump(Readable.from(chunks), fast.target, { copyConnections: 2 });
    const reference = await plainPsql(plain, sql);
    const [a, b] = [await snapshot(fast), await snapshot(plain)];
    assert.deepEqual(JSON.stringify(a.rows), JSON.stringify(b.rows));
    assert.deepEqual(a, b);
    assert.equal(result.errorCount, reference.errors.length, `${result.errors.join('\n')}\n---\n${reference.errors.join('\n')}`);
    return { result, fast, rows: a.rows };
  }

  it("shared out, a COPY reads its rows with the main session's settings (encoding, DateStyle, search_path); a CSV COPY loads in place", async () => {
    const rows = Array.from(
      { length: 20000 },
      (_, i) => `${String(1 + (i % 28)).padStart(2, '0')}/${String(1 + (i % 12)).padStart(2, '0')}/2020\tB\xe9ziers ${i}`,
    );
    const sql = Buffer.from(
      [
        "SET client_encoding = 'LATIN1';",
        'SET standard_conforming_strings = on;',
        "SELECT pg_catalog.set_config('search_path', '', false);",
        'CREATE SCHEMA sales;',
        'CREATE TABLE public.visits (d date, city text);',
        "SET DateStyle = 'SQL, DMY';",
        'COPY public.visits (d, city) FROM stdin;',
        ...rows,
        '\\.',
        'SET search_path = sales, pg_catalog;',
        'CREATE TABLE orders (id integer, placed date);',
        'COPY orders (id, placed) FROM stdin;',
        '1\t13/02/2021',
        '\\.',
        // Last: once a COPY runs in place, the rest does too.
        'CREATE TABLE public.notes (a text, b text);',
        'COPY public.notes (a, b) FROM stdin WITH (FORMAT csv);',
        '"x","line one',
        '\\. is data in a CSV field"',
        '\\.',
        '',
      ].join('\n'),
      'latin1',
    );
    const { result, fast, rows: restored } = await bothWays(sql);
    assert.equal(result.errorCount, 0, result.errors.join('\n'));
    assert.deepEqual({ shared: result.load.copyBlocksShared, inPlace: result.load.copyBlocksInPlace }, { shared: 2, inPlace: 1 }, result.load.inPlaceReason);
    // Not vacuous: day first, as the dump's DateStyle says, and é decoded from LATIN1.
    assert.deepEqual(await query(fast, "SELECT to_char(d, 'YYYY-MM-DD'), city FROM public.visits WHERE city = 'Béziers 12'"), ['2020-01-13|Béziers 12']);
    assert.deepEqual(await query(fast, "SELECT to_char(placed, 'YYYY-MM-DD') FROM sales.orders"), ['2021-02-13']);
    assert.equal(restored['public.visits']![0]!.split('|')[0], '20000');
    assert.equal(restored['public.notes']![0]!.split('|')[0], '1');
  });

  it('a COPY after a transaction block was opened, or into a temporary table, loads in place on the main connection', async () => {
    const inTransaction = await bothWays(
      Buffer.from(
        [
          'CREATE TABLE public.a (id int);',
          'BEGIN;',
          'CREATE TABLE public.b (id int);',
          'COPY public.b (id) FROM stdin;',
          '1',
          '\\.',
          'COMMIT;',
          'COPY public.a (id) FROM stdin;',
          '2',
          '\\.',
          '',
        ].join('\n'),
      ),
    );
    assert.equal(inTransaction.result.load.copyBlocksShared, 0);
    assert.equal(inTransaction.result.load.copyBlocksInPlace, 2);
    assert.match(inTransaction.result.load.inPlaceReason ?? '', /binds the session \(BEGIN/);
    // pg_temp.scratch is a temporary table without the word TEMP: the main session's own report says so.
    const temporary = await bothWays(
      Buffer.from(
        [
          'CREATE TABLE public.c (id int);',
          'CREATE TABLE pg_temp.scratch (id int);',
          'COPY scratch (id) FROM stdin;',
          '7',
          '\\.',
          'INSERT INTO public.c SELECT id FROM scratch;',
          '',
        ].join('\n'),
      ),
    );
    assert.equal(temporary.result.errorCount, 0, temporary.result.errors.join('\n'));
    assert.equal(temporary.result.load.copyBlocksInPlace, 1);
    assert.equal(temporary.result.load.inPlaceReason, 'the dump created temporary objects');
    assert.deepEqual(temporary.rows['public.c']![0]!.split('|')[0], '1');
  });

  // A COPY that fails at its start (its table was never created) makes psql read the rows after it as SQL: a COPY
  // connection given that slice would swallow the marker after it and never answer. Bounded, so that it fails, not hangs.
  it('a COPY into a table that was not created loads in place, as plain psql would, and the load ends', { timeout: 120_000 }, async () => {
    const { result, rows } = await bothWays(
      Buffer.from(
        [
          'CREATE TABLE public.broken (x no_such_type);',
          'CREATE TABLE public.fine (id int);',
          'COPY public.broken (x) FROM stdin;',
          "7\tit's",
          '\\.',
          'COPY public.fine (id) FROM stdin;',
          '1',
          '2',
          '\\.',
          'SELECT 1;',
          '',
        ].join('\n'),
      ),
    );
    assert.ok(result.errorCount > 0, 'the failed CREATE TABLE and COPY are errors');
    assert.equal(result.load.copyBlocksShared, 0);
    assert.match(result.load.inPlaceReason ?? '', /public\.broken/);
    assert.deepEqual(Object.keys(rows), ['public.fine']);
  });

  // A COPY that fails at its start for a reason the table check does not foresee (here a column its table lacks) made
  // the COPY connection read its rows as SQL: the quote in a row swallowed the marker after it, and the load hung until
  // the run's deadline. The COPY connections stop at their first error now, and the load ends, failed. Bounded.
  it('a shared COPY that fails at its start (a column its table lacks) stops the load, failed, and leaves no psql running', { timeout: 120_000 }, async () => {
    const db = await throwaway();
    const sql = Buffer.from(
      [
        'CREATE TABLE public.t (a int);',
        'CREATE TABLE public.after (id int);',
        'COPY public.t (a, b) FROM stdin;',
        "7\tit's",
        '8\tno quote here',
        '\\.',
        'COPY public.after (id) FROM stdin;',
        '1',
        '\\.',
        'SELECT 1;',
        '',
      ].join('\n'),
    );
    const result = await restoreSqlDump(Readable.from([sql]), db.target, { copyConnections: 2 });
    assert.equal(result.load.copyBlocksShared >= 1, true);
    assert.ok(
      result.errors.some((e) => /column "b" of relation "t" does not exist/.test(e)),
      result.errors.join('\n'),
    );
    assert.ok(result.errorCount > result.privilegedRefusals, 'an error the restore counts against the dump');
    assert.match(result.load.stopped ?? '', /a COPY connection stopped at an error/);
    assert.deepEqual(await psqlChildren(), []);
  });
});
