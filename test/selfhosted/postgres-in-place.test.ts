/**
 * The in-place restore of PostgreSQL against a real "production" cluster (throwaway-cluster.ts): a real backup of the
 * postgres module is restored over a database that changed since (a row, a table), which must be exactly as dumped
 * afterwards; a dump with a meta-command, a dump cut mid-stream and a dump missing its end leave the target as it was
 * (same rows, same database oid, no `__rc_` database); a restore user that may not create databases fails preflight.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { parseConfigText } from '../../src/config/load.js';
import { EvaluationError, RestoreFailedError } from '../../src/errors.js';
import { type PostgresCluster, startCluster } from '../../src/restore/throwaway-cluster.js';
import type { InPlaceContext } from '../../src/selfhosted/component.js';
import { postgres } from '../../src/selfhosted/postgres.js';
import type { JsonValue } from '../../src/vocabulary.js';
import { SILENT_LOGGER } from '../../src/vocabulary.js';
import { type Workspace, parseSource, workspace } from '../helpers/component-harness.js';

const { config } = parseConfigText('environment: test\n', 'restorecheck.yaml', {});
const ROWS = 100;
const inPlace = postgres.inPlace!;

function context(progress: number[] = []): InPlaceContext {
  return {
    runId: randomBytes(4).toString('hex'),
    signal: AbortSignal.timeout(300_000),
    log: SILENT_LOGGER,
    config,
    progress: (bytes) => progress.push(bytes),
  };
}

describe('postgres in-place restore', { timeout: 600_000 }, () => {
  let cluster: PostgresCluster;
  let ws: Workspace;
  let dump: Buffer;
  let recorded: Record<string, JsonValue>;
  let source: ReturnType<typeof parseSource<'postgres'>>;

  const rows = async () => (await cluster.sql("SELECT string_agg(id::text, ',' ORDER BY id) FROM test_table", 'clinic')).trim();
  const oid = async () => (await cluster.sql("SELECT oid FROM pg_database WHERE datname = 'clinic'")).trim();
  const aside = async () => (await cluster.sql("SELECT coalesce(string_agg(datname, ','), '') FROM pg_database WHERE datname LIKE '%\\_\\_rc\\_%'")).trim();

  before(async () => {
    [cluster, ws] = await Promise.all([startCluster(), workspace('pg-inplace')]);
    await cluster.sql('CREATE DATABASE clinic');
    await cluster.sql(
      `CREATE TABLE test_table (id int PRIMARY KEY, note text);
       INSERT INTO test_table SELECT g, 'row ' || g FROM generate_series(1, ${ROWS}) g;
       CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY); INSERT INTO alembic_version VALUES ('4b2d9c1e7f00');
       CREATE FUNCTION touch() RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN 1; END $$;
       CREATE VIEW big_ids AS SELECT id FROM test_table WHERE id > 50;`,
      'clinic',
    );
    // The dump as `restorecheck backup` makes it: the postgres module itself, then the member gunzipped.
    source = parseSource('postgres', { url: cluster.url({ database: 'clinic' }), coreTables: ['test_table'] });
    const backup = await postgres.backup(source, await ws.context());
    dump = gunzipSync(await readFile(backup.members[0]!.file));
    recorded = { ...backup.facts, row_counts: backup.rowCounts ?? {}, ...(backup.alembicRevision ? { alembic_revision: backup.alembicRevision } : {}) };
    assert.deepEqual(backup.rowCounts, { test_table: ROWS });
  });

  after(async () => {
    await Promise.all([cluster?.stop({ immediate: true }), ws?.remove()]);
  });

  it('preflight names the target and the server version; a restore replaces the changed database with exactly the dump', async () => {
    await cluster.sql(
      'INSERT INTO test_table VALUES (999, $$after the backup$$); CREATE TABLE later_table (x int); INSERT INTO later_table VALUES (1);',
      'clinic',
    );
    await cluster.sql('ALTER DATABASE clinic SET work_mem = $$8MB$$');
    const before = await oid();
    const ctx = context();
    const pre = await inPlace.preflight(source, ctx);
    assert.match(pre.target, /^database clinic on 127\.0\.0\.1:\d+ \(as postgres\), PostgreSQL 1\d\./);

    const started = performance.now();
    const result = await inPlace.restore(source, 'postgres_full.sql.gz', Readable.from([dump]), recorded, ctx);
    console.log(`restore of ${dump.length} bytes: ${((performance.now() - started) / 1000).toFixed(2)} s`);

    assert.equal((await cluster.sql('SELECT count(*) FROM test_table WHERE id = 999', 'clinic')).trim(), '0', 'the row inserted after the dump is gone');
    assert.equal((await cluster.sql('SELECT count(*) FROM test_table', 'clinic')).trim(), String(ROWS));
    assert.equal(
      (await cluster.sql("SELECT coalesce(to_regclass('later_table')::text, 'gone')", 'clinic')).trim(),
      'gone',
      'the table made after the dump is gone',
    );
    assert.equal((await cluster.sql('SELECT touch()', 'clinic')).trim(), '1', 'the function came back');
    assert.equal((await cluster.sql('SELECT count(*) FROM big_ids', 'clinic')).trim(), '50', 'the view came back');
    assert.notEqual(await oid(), before, 'a new database took the name');
    assert.equal(await aside(), '', 'neither the new nor the old database is left under its aside name');
    assert.match(
      (
        await cluster.sql(
          "SELECT array_to_string(setconfig, ',') FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase WHERE d.datname = 'clinic'",
        )
      ).trim(),
      /work_mem=8MB/,
      "the replaced database's own settings were carried over",
    );

    assert.deepEqual(result.comparison.differences, []);
    assert.deepEqual(result.comparison.notCompared, []);
    assert.ok(result.comparison.matched.includes('table test_table'));
    assert.ok(result.comparison.matched.includes('Alembic revision'));
    assert.ok(result.comparison.matched.includes('dump bytes'));
    assert.deepEqual(result.comparison.restored.row_counts, { test_table: ROWS });
    assert.equal(result.comparison.restored.alembic_revision, '4b2d9c1e7f00');
    assert.ok(
      result.steps.some((step) => /^renamed clinic to clinic__rc_old_\w+ and clinic__rc_new_\w+ to clinic$/.test(step)),
      result.steps.join('\n'),
    );
    assert.ok(result.steps.some((step) => /^dropped clinic__rc_old_/.test(step)));
    if (process.getuid?.() === 0)
      assert.ok(
        result.steps.some((step) => /with psql as (postgres|nobody),/.test(step)),
        'psql ran as the sandbox user, not root',
      );
  });

  it('through an exec prefix, with restore.stop before the swap and restore.start after it', async () => {
    const wrapper = await ws.wrapper('pg-exec');
    const stopFile = join(ws.dir, 'stopped');
    const startFile = join(ws.dir, 'started');
    const viaExec = parseSource('postgres', {
      url: source.url,
      exec: wrapper.exec,
      coreTables: ['test_table'],
      restore: { stop: [['touch', stopFile]], start: [['touch', startFile]] },
    });
    await cluster.sql('INSERT INTO test_table VALUES (999)', 'clinic');
    const ctx = context();
    await inPlace.preflight(viaExec, ctx);
    const result = await inPlace.restore(viaExec, 'postgres_full.sql.gz', Readable.from([dump]), recorded, ctx);
    assert.equal((await cluster.sql('SELECT count(*) FROM test_table', 'clinic')).trim(), String(ROWS));
    assert.deepEqual(result.comparison.differences, []);
    assert.ok(existsSync(stopFile) && existsSync(startFile));
    const at = (pattern: RegExp) => result.steps.findIndex((step) => pattern.test(step));
    assert.ok(at(/^ran touch .*stopped/) > at(/^counted/), result.steps.join('\n'));
    assert.ok(at(/^renamed clinic/) > at(/^ran touch .*stopped/));
    assert.ok(at(/^ran touch .*started/) > at(/^renamed clinic/));
    assert.ok(result.steps.some((step) => step.includes(`with psql via ${wrapper.exec.join(' ')}`)));
    const calls = await wrapper.calls();
    assert.ok(calls.length >= 5 && calls.every((call) => call.startsWith('the-service psql -X')), calls.join('\n'));
    assert.ok(!calls.some((call) => call.includes(cluster.password)), 'the password never reaches the command line');
  });

  it('an abort while psql reads the dump stops it: nothing committed, the new database dropped, the target unchanged', async () => {
    const [rowsBefore, oidBefore] = [await rows(), await oid()];
    const controller = new AbortController();
    const ctx = { ...context(), signal: controller.signal };
    const text = dump.toString('utf8');
    // Everything up to the end of test_table's rows: psql has loaded them, in the transaction not yet committed.
    const upTo = text.indexOf('\\.\n', text.indexOf('COPY public.test_table')) + 3;
    let sent = false;
    const held = new Readable({
      read() {
        if (sent) return;
        sent = true;
        this.push(dump.subarray(0, Buffer.byteLength(text.slice(0, upTo))));
        // and then nothing more, until the abort
      },
    });
    const restoring = inPlace.restore(source, 'postgres_full.sql.gz', held, recorded, ctx);
    // Wait until the new database holds the loaded (uncommitted) rows' table, seen from pg_stat_activity's open transaction.
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      const busy = (await cluster.sql("SELECT count(*) FROM pg_stat_activity WHERE datname LIKE 'clinic\\_\\_rc\\_new\\_%' AND xact_start IS NOT NULL")).trim();
      if (busy !== '0') break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    controller.abort(new Error('operator pressed Ctrl-C'));
    await assert.rejects(restoring, (error: unknown) => {
      assert.ok(error instanceof EvaluationError && error.kind === 'timeout', String(error));
      assert.match(error.message, /interrupted; the target database clinic was left exactly as it was \(the new database clinic__rc_new_\w+ was dropped\)/);
      return true;
    });
    assert.equal(await rows(), rowsBefore);
    assert.equal(await oid(), oidBefore);
    assert.equal(await aside(), '');
  });

  it('a comparison against other counts names the difference', async () => {
    const result = await inPlace.restore(
      source,
      'postgres_full.sql.gz',
      Readable.from([dump]),
      { ...recorded, row_counts: { test_table: ROWS + 1 } },
      context(),
    );
    assert.deepEqual(result.comparison.differences, [`table test_table: the restored database holds ${ROWS} rows, the metadata records ${ROWS + 1}`]);
  });

  it('refuses a dump with \\! and leaves the target byte for byte as it was (same rows, same oid, no file, no __rc_ database)', async () => {
    await cluster.sql('INSERT INTO test_table VALUES (999, $$after the backup$$)', 'clinic');
    const [rowsBefore, oidBefore] = [await rows(), await oid()];
    const marker = join(tmpdir(), `restorecheck-pwned-${randomBytes(4).toString('hex')}`);
    const text = dump.toString('utf8');
    const at = text.indexOf('CREATE TABLE public.test_table');
    assert.ok(at > 0);
    const evil = Buffer.from(`${text.slice(0, at)}\\! touch ${marker}\n${text.slice(at)}`);
    await assert.rejects(inPlace.restore(source, 'postgres_full.sql.gz', Readable.from([evil]), recorded, context()), (error: unknown) => {
      assert.ok(error instanceof RestoreFailedError, String(error));
      assert.match(error.message, /meta-command \\! at line \d+/);
      assert.match(error.message, /the target database clinic was left exactly as it was \(the new database clinic__rc_new_\w+ was dropped\)/);
      return true;
    });
    assert.equal(existsSync(marker), false, 'the shell command never ran');
    assert.equal(await rows(), rowsBefore);
    assert.equal(await oid(), oidBefore);
    assert.equal(await aside(), '');
  });

  it('a dump whose stream breaks half way leaves the target unchanged and no __rc_ database behind', async () => {
    const [rowsBefore, oidBefore] = [await rows(), await oid()];
    const half = dump.subarray(0, Math.floor(dump.length / 2));
    let sent = false;
    const broken = new Readable({
      read() {
        if (sent) return;
        sent = true;
        this.push(half);
        setTimeout(() => this.destroy(new Error('unexpected end of file')), 200);
      },
    });
    await assert.rejects(inPlace.restore(source, 'postgres_full.sql.gz', broken, recorded, context()), (error: unknown) => {
      assert.ok(error instanceof EvaluationError, String(error));
      assert.match(error.message, /could not be read to the end: unexpected end of file; the target database clinic was left exactly as it was/);
      return true;
    });
    assert.equal(await rows(), rowsBefore);
    assert.equal(await oid(), oidBefore);
    assert.equal(await aside(), '');
  });

  it("a dump that ends cleanly but short of pg_dump's closing line commits nothing", async () => {
    const [rowsBefore, oidBefore] = [await rows(), await oid()];
    const text = dump.toString('utf8');
    const cut = Buffer.from(text.slice(0, text.indexOf('\n', text.indexOf('COPY public.test_table')) + 1 + 20).replace(/[^\n]*$/, ''));
    await assert.rejects(inPlace.restore(source, 'postgres_full.sql.gz', Readable.from([cut]), recorded, context()), (error: unknown) => {
      assert.ok(error instanceof RestoreFailedError, String(error));
      assert.match(error.message, /cut short; the target database clinic was left exactly as it was/);
      return true;
    });
    assert.equal(await rows(), rowsBefore);
    assert.equal(await oid(), oidBefore);
    assert.equal(await aside(), '');
  });

  it('a dump the server rejects fails the restore strictly, target unchanged', async () => {
    const oidBefore = await oid();
    const bad = Buffer.from(
      dump.toString('utf8').replace('CREATE TABLE public.test_table', 'CREATE TABLE public.test_table_x (y int);\nCREATE TABLEX public.test_table'),
    );
    await assert.rejects(inPlace.restore(source, 'postgres_full.sql.gz', Readable.from([bad]), recorded, context()), (error: unknown) => {
      assert.ok(error instanceof RestoreFailedError, String(error));
      assert.match(error.message, /does not restore: ERROR: +syntax error at or near "TABLEX"; the target database clinic was left exactly as it was/);
      return true;
    });
    assert.equal(await oid(), oidBefore);
    assert.equal(await aside(), '');
  });

  it('restores as the database owner with CREATEDB (not a superuser): the real dump needs no privilege it lacks', async () => {
    await cluster.sql("CREATE ROLE app LOGIN CREATEDB PASSWORD 'app-pw'");
    await cluster.sql('CREATE DATABASE agenda OWNER app');
    await cluster.sql('SET ROLE app; CREATE TABLE test_table (id int PRIMARY KEY); INSERT INTO test_table SELECT generate_series(1, 10);', 'agenda');
    const own = parseSource('postgres', { url: cluster.url({ user: 'app', password: 'app-pw', database: 'agenda' }), coreTables: ['test_table'] });
    const backup = await postgres.backup(own, await ws.context());
    const ownDump = gunzipSync(await readFile(backup.members[0]!.file));
    await cluster.sql('INSERT INTO test_table VALUES (999)', 'agenda');
    const ctx = context();
    await inPlace.preflight(own, ctx);
    const result = await inPlace.restore(own, 'postgres_full.sql.gz', Readable.from([ownDump]), { ...backup.facts, row_counts: backup.rowCounts ?? {} }, ctx);
    assert.deepEqual(result.comparison.differences, []);
    assert.equal((await cluster.sql('SELECT count(*) FROM test_table', 'agenda')).trim(), '10');
    assert.equal((await cluster.sql("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'agenda'")).trim(), 'app');
  });

  it('preflight: a user without CREATEDB, a wrong password, a database that does not exist: each a clear error, nothing changed', async () => {
    await cluster.sql("CREATE ROLE weak LOGIN PASSWORD 'weak-pw'");
    await cluster.sql('CREATE DATABASE weakdb OWNER weak');
    const weak = parseSource('postgres', { url: source.url, restore: { url: cluster.url({ user: 'weak', password: 'weak-pw', database: 'weakdb' }) } });
    await assert.rejects(inPlace.preflight(weak, context()), (error: unknown) => {
      assert.ok(error instanceof EvaluationError && error.kind === 'permission', String(error));
      assert.match(error.message, /the restore user weak cannot replace weakdb: it may not create databases \(neither superuser nor CREATEDB\)/);
      assert.match(error.hint, /CREATEDB/);
      return true;
    });
    const other = parseSource('postgres', { url: source.url, restore: { url: cluster.url({ user: 'weak', password: 'weak-pw', database: 'clinic' }) } });
    await assert.rejects(inPlace.preflight(other, context()), /does not own clinic \(owner postgres\)/);
    const wrong = parseSource('postgres', { url: cluster.url({ password: 'not-the-password', database: 'clinic' }) });
    await assert.rejects(inPlace.preflight(wrong, context()), (error: unknown) => error instanceof EvaluationError && error.kind === 'auth');
    const absent = parseSource('postgres', { url: cluster.url({ database: 'nosuchdb' }) });
    await assert.rejects(inPlace.preflight(absent, context()), (error: unknown) => {
      assert.ok(error instanceof EvaluationError && error.kind === 'not-found', String(error));
      assert.match(error.message, /database nosuchdb does not exist/);
      return true;
    });
    const down = parseSource('postgres', { url: `postgres://postgres:x@127.0.0.1:1/clinic` });
    await assert.rejects(inPlace.preflight(down, context()), (error: unknown) => error instanceof EvaluationError && error.kind === 'unreachable');
    // The weak user's failed restore never got as far as creating anything.
    await assert.rejects(inPlace.restore(weak, 'postgres_full.sql.gz', Readable.from([dump]), recorded, context()), /nothing|left exactly as it was/);
    assert.equal(await aside(), '');
  });
});
