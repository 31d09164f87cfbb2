/**
 * The in-place restore of MariaDB against a real "production" mariadbd (Debian mariadb-server): a real backup of the
 * mariadb module is restored over databases that changed since (a row, a table), which must hold exactly what was
 * dumped afterwards; a dump with a client command (even after its first CREATE DATABASE) and a dump cut short change
 * nothing; preflight refuses an account that may not drop databases.
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
import type { InPlaceContext } from '../../src/selfhosted/component.js';
import { mariadb } from '../../src/selfhosted/mariadb.js';
import type { JsonValue } from '../../src/vocabulary.js';
import { SILENT_LOGGER } from '../../src/vocabulary.js';
import { type Workspace, parseSource, workspace } from '../helpers/component-harness.js';
import { type MariadbService, mariadbInstalled, startMariadb } from '../helpers/selfhosted-services.js';

const skip = mariadbInstalled() ? false : 'mariadb-server is not installed (mariadbd, mariadb, mariadb-dump)';
const { config } = parseConfigText('environment: test\n', 'restorecheck.yaml', {});
const ROWS = 100;
const inPlace = mariadb.inPlace!;

function context(): InPlaceContext {
  return { runId: randomBytes(4).toString('hex'), signal: AbortSignal.timeout(300_000), log: SILENT_LOGGER, config, progress: () => undefined };
}

describe('mariadb in-place restore', { skip, timeout: 600_000 }, () => {
  let server: MariadbService;
  let ws: Workspace;
  let dump: Buffer;
  let recorded: Record<string, JsonValue>;
  let source: ReturnType<typeof parseSource<'mariadb'>>;

  /** Every table of clinic and billing with its rows (ids), and the server's own accounts: what "nothing changed" compares. */
  const state = async () =>
    server.sql(
      `SELECT table_schema, table_name, create_time FROM information_schema.tables WHERE table_schema IN ('clinic', 'billing') ORDER BY 1, 2;
       SELECT GROUP_CONCAT(id ORDER BY id) FROM clinic.test_table;
       SELECT COUNT(*) FROM billing.invoices;
       SELECT COUNT(*) FROM mysql.global_priv;`,
    );

  before(async () => {
    [server, ws] = await Promise.all([startMariadb(), workspace('mariadb-inplace')]);
    await server.sql(
      `CREATE DATABASE clinic; CREATE DATABASE billing; USE clinic;
       CREATE TABLE clinic.test_table (id INT PRIMARY KEY, note VARCHAR(32)) ENGINE=InnoDB;
       INSERT INTO clinic.test_table SELECT seq, CONCAT('row ', seq) FROM seq_1_to_${ROWS};
       CREATE VIEW clinic.big_ids AS SELECT id FROM clinic.test_table WHERE id > 50;
       CREATE PROCEDURE clinic.purge() DELETE FROM clinic.test_table WHERE id > 1000;
       CREATE TABLE billing.invoices (id INT PRIMARY KEY) ENGINE=InnoDB; INSERT INTO billing.invoices SELECT seq FROM seq_1_to_7;`,
    );
    source = parseSource('mariadb', { url: server.url, databases: ['clinic', 'billing'] });
    const backup = await mariadb.backup(source, await ws.context());
    dump = gunzipSync(await readFile(backup.members[0]!.file));
    recorded = backup.facts;
    assert.deepEqual(recorded.table_counts, { 'billing.invoices': 7, 'clinic.test_table': ROWS });
  });

  after(async () => {
    await Promise.all([server?.stop(), ws?.remove()]);
  });

  it('preflight names the target; a restore drops each dumped database before the dump creates it: later rows and tables are gone', async () => {
    await server.sql(
      "INSERT INTO clinic.test_table VALUES (999, 'after the backup'); CREATE TABLE clinic.later_table (x INT); INSERT INTO clinic.later_table VALUES (1);",
    );
    const ctx = context();
    const pre = await inPlace.preflight(source, ctx);
    assert.match(pre.target, /^mariadb:\/\/backup:\*+@127\.0\.0\.1:\d+ \(as backup@%\), 10\.\d+\.\d+-MariaDB/);
    assert.ok(pre.disk && pre.disk.bytes > 0);

    const started = performance.now();
    const result = await inPlace.restore(source, 'mariadb_full.sql.gz', Readable.from([dump]), recorded, ctx);
    console.log(`restore of ${dump.length} bytes: ${((performance.now() - started) / 1000).toFixed(2)} s`);

    assert.equal((await server.sql('SELECT COUNT(*) FROM clinic.test_table WHERE id = 999')).trim(), '0', 'the row inserted after the dump is gone');
    assert.equal((await server.sql('SELECT COUNT(*) FROM clinic.test_table')).trim(), String(ROWS));
    assert.equal(
      (await server.sql("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'clinic' AND table_name = 'later_table'")).trim(),
      '0',
      'the table made after the dump is gone',
    );
    assert.equal((await server.sql('SELECT COUNT(*) FROM clinic.big_ids')).trim(), '50', 'the view came back');
    assert.equal((await server.sql("SELECT COUNT(*) FROM information_schema.routines WHERE routine_schema = 'clinic'")).trim(), '1', 'the procedure came back');
    assert.deepEqual(result.comparison.differences, []);
    assert.deepEqual(result.comparison.notCompared, []);
    assert.ok(result.comparison.matched.includes('table clinic.test_table'));
    assert.ok(result.comparison.matched.includes('table billing.invoices'));
    assert.ok(result.comparison.matched.includes('dump bytes'));
    assert.ok(result.steps.includes('dropped database(s) clinic, billing right before the dump created each again'), result.steps.join('\n'));
    if (process.getuid?.() === 0)
      assert.ok(
        result.steps.some((step) => /^loaded .* as (postgres|nobody) /.test(step)),
        'the client ran as the sandbox user, not root',
      );
  });

  it('an --all-databases dump: the system schema mysql is not dropped (said in the steps), the accounts still work', async () => {
    const all = parseSource('mariadb', { url: server.url });
    const backup = await mariadb.backup(all, await ws.context());
    const allDump = gunzipSync(await readFile(backup.members[0]!.file));
    await server.sql('CREATE TABLE billing.later (x INT)');
    const result = await inPlace.restore(all, 'mariadb_full.sql.gz', Readable.from([allDump]), backup.facts, context());
    assert.ok(
      result.steps.some((s) => /^did not drop the system schema\(s\) mysql/.test(s)),
      result.steps.join('\n'),
    );
    assert.ok(result.steps.some((s) => /^dropped database\(s\) .*billing/.test(s)));
    assert.equal((await server.sql("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'billing' AND table_name = 'later'")).trim(), '0');
    assert.deepEqual(result.comparison.differences, []);
    await inPlace.preflight(source, context());
  });

  it('refuses a dump with a `system` command after its first CREATE DATABASE, and nothing is changed', async () => {
    await server.sql("INSERT INTO clinic.test_table VALUES (999, 'after the backup')");
    const before = await state();
    const marker = join(tmpdir(), `restorecheck-pwned-${randomBytes(4).toString('hex')}`);
    const text = dump.toString('utf8');
    const at = text.indexOf('USE `clinic`;');
    assert.ok(at > 0);
    const evil = Buffer.from(`${text.slice(0, at)}system touch ${marker}\n${text.slice(at)}`);
    await assert.rejects(inPlace.restore(source, 'mariadb_full.sql.gz', Readable.from([evil]), recorded, context()), (error: unknown) => {
      assert.ok(error instanceof RestoreFailedError, String(error));
      assert.match(error.message, /client command system at line \d+/);
      assert.match(error.message, /nothing was changed on the server/);
      return true;
    });
    assert.equal(existsSync(marker), false);
    assert.equal(await state(), before);
  });

  it('a dump cut short (a stream that breaks, or a clean end without "-- Dump completed") fails clearly and changes nothing', async () => {
    const before = await state();
    const half = dump.subarray(0, Math.floor(dump.length * 0.8));
    let sent = false;
    const broken = new Readable({
      read() {
        if (sent) return;
        sent = true;
        this.push(half);
        setTimeout(() => this.destroy(new Error('unexpected end of file')), 200);
      },
    });
    await assert.rejects(inPlace.restore(source, 'mariadb_full.sql.gz', broken, recorded, context()), (error: unknown) => {
      assert.ok(error instanceof EvaluationError, String(error));
      assert.match(error.message, /could not be read to the end: unexpected end of file; nothing was changed on the server/);
      return true;
    });
    const text = half.toString('utf8');
    const clean = Buffer.from(text.slice(0, text.lastIndexOf('\n') + 1));
    await assert.rejects(inPlace.restore(source, 'mariadb_full.sql.gz', Readable.from([clean]), recorded, context()), (error: unknown) => {
      assert.ok(error instanceof RestoreFailedError, String(error));
      assert.match(error.message, /ends without mariadb-dump's closing line "-- Dump completed": it is cut short; nothing was changed on the server/);
      return true;
    });
    assert.equal(await state(), before);
  });

  it('an abort while the dump is still being read changes nothing', async () => {
    const before = await state();
    const controller = new AbortController();
    let sent = false;
    const held = new Readable({
      read() {
        if (sent) return;
        sent = true;
        this.push(dump.subarray(0, Math.floor(dump.length / 2)));
        setTimeout(() => controller.abort(new Error('operator pressed Ctrl-C')), 300);
      },
    });
    await assert.rejects(inPlace.restore(source, 'mariadb_full.sql.gz', held, recorded, { ...context(), signal: controller.signal }), (error: unknown) => {
      assert.ok(error instanceof EvaluationError && error.kind === 'timeout', String(error));
      assert.match(error.message, /interrupted; nothing was changed on the server/);
      return true;
    });
    assert.equal(await state(), before);
  });

  it('a statement the server rejects stops the load at once (no --force) and names what was dropped', async () => {
    const bad = Buffer.from(dump.toString('utf8').replace('CREATE TABLE `invoices`', 'CREATE TABLEX `invoices`'));
    await assert.rejects(inPlace.restore(source, 'mariadb_full.sql.gz', Readable.from([bad]), recorded, context()), (error: unknown) => {
      assert.ok(error instanceof RestoreFailedError, String(error));
      assert.match(
        error.message,
        /does not restore: ERROR 1064 .*; database\(s\) .*billing.* were dropped and are only partly restored: restore the safety backup/,
      );
      return true;
    });
    // The real dump puts it back.
    const result = await inPlace.restore(source, 'mariadb_full.sql.gz', Readable.from([dump]), recorded, context());
    assert.deepEqual(result.comparison.differences, []);
  });

  it('preflight refuses an account that may not drop databases, and a wrong password', async () => {
    await server.sql("CREATE USER 'reader'@'%' IDENTIFIED BY 'reader-pw'; GRANT SELECT, INSERT ON *.* TO 'reader'@'%';");
    const reader = parseSource('mariadb', { url: server.url, restore: { url: `mariadb://reader:reader-pw@127.0.0.1:${server.port}` } });
    await assert.rejects(inPlace.preflight(reader, context()), (error: unknown) => {
      assert.ok(error instanceof EvaluationError && error.kind === 'permission', String(error));
      assert.match(error.message, /the restore user reader@% may not drop, create and load every database: it lacks CREATE, DROP, ALTER, INDEX/);
      return true;
    });
    const wrong = parseSource('mariadb', { url: `mariadb://backup:not-it@127.0.0.1:${server.port}` });
    await assert.rejects(inPlace.preflight(wrong, context()), (error: unknown) => error instanceof EvaluationError && error.kind === 'auth');
  });
});
