/**
 * The MariaDB component against a real mariadbd (Debian mariadb-server): the dump is a complete mariadb-dump that the
 * archive verifier accepts and that restores to the counts the facts recorded; the exec prefix, a wrong password and a
 * missing tool.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { createGunzip, gunzipSync } from 'node:zlib';
import { mysqlDumpInspector } from '../../src/archive/dump-inspectors.js';
import { EvaluationError } from '../../src/errors.js';
import { mariadb } from '../../src/selfhosted/mariadb.js';
import { ToolMissingError } from '../../src/selfhosted/tool-process.js';
import { type Workspace, fileDigest, parseSource, withPath, workspace } from '../helpers/component-harness.js';
import { type MariadbService, mariadbInstalled, startMariadb } from '../helpers/selfhosted-services.js';

const run = promisify(execFile);
const skip = mariadbInstalled() ? false : 'mariadb-server is not installed (mariadbd, mariadb, mariadb-dump)';
const APPOINTMENTS = 1234;
const INVOICES = 77;

describe('selfhosted mariadb', { skip }, () => {
  let server: MariadbService;
  let ws: Workspace;

  before(async () => {
    [server, ws] = await Promise.all([startMariadb(), workspace('mariadb-test')]);
    await server.sql(
      `CREATE DATABASE agenda; CREATE DATABASE billing; USE agenda;
       CREATE TABLE agenda.appointments (id BIGINT PRIMARY KEY, practitioner VARCHAR(64), starts_at DATETIME) ENGINE=InnoDB;
       INSERT INTO agenda.appointments SELECT seq, CONCAT('Dr ', seq % 7), '2024-01-01 08:00:00' + INTERVAL seq MINUTE FROM seq_1_to_${APPOINTMENTS};
       CREATE TABLE agenda.empty_table (id INT PRIMARY KEY) ENGINE=InnoDB;
       CREATE VIEW agenda.busy AS SELECT practitioner, COUNT(*) AS n FROM agenda.appointments GROUP BY practitioner;
       CREATE TABLE agenda.audit (id INT, note VARCHAR(32)) WITH SYSTEM VERSIONING;
       INSERT INTO agenda.audit VALUES (1, 'a'), (2, 'b'), (3, 'c');
       CREATE TRIGGER agenda.appointments_guard BEFORE INSERT ON agenda.appointments FOR EACH ROW SET NEW.practitioner = TRIM(NEW.practitioner);
       CREATE PROCEDURE agenda.purge_old() DELETE FROM agenda.appointments WHERE starts_at < '2000-01-01';
       CREATE TABLE billing.invoices (id INT PRIMARY KEY, amount DECIMAL(10,2)) ENGINE=InnoDB;
       INSERT INTO billing.invoices SELECT seq, seq * 1.5 FROM seq_1_to_${INVOICES};`,
    );
  });

  after(async () => {
    await Promise.all([server?.stop(), ws?.remove()]);
  });

  it('dumps every database with its routines and triggers; the facts hold the exact counts; the member restores to them', async () => {
    const source = parseSource('mariadb', { url: server.url });
    const version = await mariadb.toolVersion(source, AbortSignal.timeout(30_000));
    assert.equal(version.name, 'mariadb-dump');
    assert.match(version.version, /mariadb-dump\s+Ver/);

    const ctx = await ws.context();
    const result = await mariadb.backup(source, ctx);
    assert.equal(result.members.length, 1);
    const member = result.members[0]!;
    assert.equal(member.path, 'mariadb_full.sql.gz');
    assert.equal(member.file, join(ctx.spoolDir, 'mariadb_full.sql.gz'));
    assert.deepEqual({ sha256: member.sha256, size: member.size }, await fileDigest(member.file));

    const sql = gunzipSync(await readFile(member.file)).toString('utf8');
    assert.match(sql.split('\n').slice(0, 10).join('\n'), /^-- MariaDB dump \d+\.\d+/m);
    assert.match(sql.trimEnd().split('\n').at(-1)!, /^-- Dump completed on /);
    assert.match(sql, /CREATE DATABASE .*`agenda`/);
    assert.match(sql, /CREATE DATABASE .*`billing`/);
    assert.match(sql, /TRIGGER agenda\.appointments_guard BEFORE INSERT/, 'triggers are dumped');
    assert.match(sql, /PROCEDURE `purge_old`/, 'routines are dumped');
    // The archive verifier's own reading of the member.
    const verdict = await mysqlDumpInspector(createReadStream(member.file).pipe(createGunzip()));
    assert.equal(verdict.problem, undefined);

    assert.equal(result.facts.dump_bytes, Buffer.byteLength(sql));
    assert.match(String(result.facts.server_version), /MariaDB/);
    assert.deepEqual(result.facts.databases, ['agenda', 'billing', 'mysql']);
    assert.deepEqual(result.facts.table_counts, {
      'agenda.appointments': APPOINTMENTS,
      'agenda.audit': 3,
      'agenda.empty_table': 0,
      'billing.invoices': INVOICES,
    });
    assert.equal(result.facts.snapshot_consistent_counts, false);
    assert.match(String(result.facts.counts_snapshot), /snapshot of their own/);
    assert.equal(result.rowCounts, undefined, 'top-level row_counts are PostgreSQL only');
    assert.ok(ctx.progressCalls.length > 0 && ctx.progressCalls.at(-1) === member.size, 'progress ends at the member size');

    // Restore the dump of agenda into an emptied database: what the facts counted comes back.
    await server.sql('DROP DATABASE agenda');
    await run('sh', ['-c', `gunzip -c '${member.file}' | mariadb --no-defaults -S '${server.socket}' -u root`], { timeout: 120_000 });
    const restored = await server.sql('SELECT COUNT(*) FROM agenda.appointments; SELECT COUNT(*) FROM agenda.audit;');
    assert.deepEqual(restored.trim().split('\n').map(Number), [APPOINTMENTS, 3]);
  });

  it('dumps only the configured databases (host/port form), and counts only theirs', async () => {
    const source = parseSource('mariadb', { host: '127.0.0.1', port: server.port, user: 'backup', password: server.password, databases: ['billing'] });
    const result = await mariadb.backup(source, await ws.context());
    const sql = gunzipSync(await readFile(result.members[0]!.file)).toString('utf8');
    assert.match(sql, /CREATE DATABASE .*`billing`/);
    assert.doesNotMatch(sql, /`agenda`/);
    assert.deepEqual(result.facts.databases, ['billing']);
    assert.deepEqual(result.facts.table_counts, { 'billing.invoices': INVOICES });
  });

  it('connects over a Unix socket', async () => {
    const source = parseSource('mariadb', { socket: server.socket, user: 'backup', password: server.password, databases: ['billing'] });
    const result = await mariadb.backup(source, await ws.context());
    assert.deepEqual(result.facts.table_counts, { 'billing.invoices': INVOICES });
  });

  it('says which configured database does not exist, before dumping', async () => {
    const source = parseSource('mariadb', { url: server.url, databases: ['billing', 'nosuchdb'] });
    const ctx = await ws.context();
    await assert.rejects(mariadb.backup(source, ctx), (error: unknown) => {
      assert.ok(error instanceof EvaluationError);
      assert.equal(error.kind, 'not-found');
      assert.match(error.message, /nosuchdb/);
      return true;
    });
  });

  it('runs both tools behind the exec prefix', async () => {
    const wrapper = await ws.wrapper();
    const source = parseSource('mariadb', { url: server.url, exec: wrapper.exec, databases: ['billing'] });
    await mariadb.toolVersion(source, AbortSignal.timeout(30_000));
    const result = await mariadb.backup(source, await ws.context());
    assert.deepEqual(result.facts.table_counts, { 'billing.invoices': INVOICES });
    const calls = await wrapper.calls();
    assert.ok(calls.some((line) => line.startsWith('the-service mariadb-dump --version')));
    assert.ok(calls.some((line) => line.startsWith('the-service mariadb --version')));
    assert.ok(calls.some((line) => line.startsWith('the-service mariadb --host=127.0.0.1') && line.includes(' -N -B -e ')));
    assert.ok(calls.some((line) => line.startsWith('the-service mariadb-dump --host=127.0.0.1') && line.endsWith('--databases billing')));
    for (const line of calls) assert.ok(!line.includes(server.password), 'the password is never on a command line');
    assert.match(mariadb.describe(source), /via .*exec-wrapper\.sh the-service$/);
  });

  it('a wrong password is an error whose message holds no password', async () => {
    const planted = 'Planted-Secret-7f3e9a';
    const source = parseSource('mariadb', { url: `mariadb://backup:${planted}@127.0.0.1:${server.port}` });
    assert.doesNotMatch(mariadb.describe(source), new RegExp(planted));
    const ctx = await ws.context();
    await assert.rejects(mariadb.backup(source, ctx), (error: unknown) => {
      assert.ok(error instanceof EvaluationError, String(error));
      assert.match(error.message, /Access denied for user 'backup'/);
      assert.ok(!`${error.message} ${error.hint}`.includes(planted), error.message);
      return true;
    });
  });

  it('a missing tool is a ToolMissingError naming the Debian package, or the exec prefix', async () => {
    const source = parseSource('mariadb', { url: server.url });
    const empty = join(ws.dir, 'empty-bin');
    await mkdir(empty, { recursive: true });
    await withPath(empty, async () => {
      await assert.rejects(mariadb.toolVersion(source, AbortSignal.timeout(10_000)), (error: unknown) => {
        assert.ok(error instanceof ToolMissingError, String(error));
        assert.match(error.message, /mariadb(-dump)? is not installed/);
        assert.match(error.hint, /apt-get install mariadb-client/);
        return true;
      });
    });

    const viaExec = parseSource('mariadb', { url: server.url, exec: ['/nonexistent/docker', 'compose', 'exec', '-T', 'mariadb'] });
    await assert.rejects(mariadb.toolVersion(viaExec, AbortSignal.timeout(10_000)), (error: unknown) => {
      assert.ok(error instanceof ToolMissingError, String(error));
      assert.match(error.message, /could not be run through \/nonexistent\/docker compose exec -T mariadb/);
      assert.match(error.hint, /selfHosted\.sources\.mariadb\.exec/);
      return true;
    });

    // The exec prefix runs, but the container has no such tool (exit 127 from the shell).
    const wrapper = await ws.wrapper('no-tool');
    await withPath(`${empty}:/usr/bin/env-not-here`, async () => {
      const inContainer = parseSource('mariadb', { url: server.url, exec: wrapper.exec });
      await assert.rejects(mariadb.toolVersion(inContainer, AbortSignal.timeout(10_000)), ToolMissingError);
    });
  });
});
