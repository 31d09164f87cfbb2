/**
 * The MariaDB restore test against real servers (Debian mariadb-server): a dump made by the backup module restores into
 * a throwaway mariadbd and its exact counts match the facts; a dump of another tool (no facts) is restored and counted;
 * a cut dump and a dump with smuggled client commands fail, and the commands never run; the server runs as the sandbox
 * user; a SIGKILLed owner's server is swept.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { parseConfigText } from '../../src/config/load.js';
import { RestoreFailedError } from '../../src/errors.js';
import { sandboxUser } from '../../src/restore/sandbox-user.js';
import type { ComponentBackup, RestoreComparison, RestoreSession } from '../../src/selfhosted/component.js';
import { mariadb } from '../../src/selfhosted/mariadb.js';
import { MARIADB_DIR_PREFIX, startThrowawayMariadb, sweepAbandonedMariadb } from '../../src/selfhosted/throwaway-mariadb.js';
import { type JsonValue, SILENT_LOGGER } from '../../src/vocabulary.js';
import { writeMariadbDump } from '../fixtures/archive-generator.js';
import { type Workspace, parseSource, workspace } from '../helpers/component-harness.js';
import { type MariadbService, mariadbInstalled, startMariadb } from '../helpers/selfhosted-services.js';

const skip = mariadbInstalled() ? false : 'mariadb-server is not installed (mariadbd, mariadb-install-db, mariadb)';
const { config } = parseConfigText('environment: test\n', 'restorecheck.yaml', {});
const APPOINTMENTS = 1234;
const INVOICES = 77;
const restoreTest = mariadb.restoreTest!;

const context = () => ({ runId: 'test', signal: AbortSignal.timeout(600_000), log: SILENT_LOGGER, config });

/** One restore: start, load (the SQL as a stream, as verify-archive hands it over), compare, dispose. */
async function restore(
  sql: Buffer,
  recorded: Record<string, JsonValue> | undefined,
): Promise<{ comparison: RestoreComparison; loadError?: unknown; disposed: { removed: string[]; leftover: string[] }; session: RestoreSession }> {
  const session = await restoreTest.start(context());
  try {
    let loadError: unknown;
    // Small chunks: the guard and the header reader must not care where a chunk ends.
    const chunks = Array.from({ length: Math.ceil(sql.length / 4093) }, (_, i) => sql.subarray(i * 4093, (i + 1) * 4093));
    await session.load('mariadb_full.sql.gz', Readable.from(chunks)).catch((error: unknown) => {
      loadError = error;
    });
    const comparison = await session.compare(recorded);
    return { comparison, ...(loadError !== undefined ? { loadError } : {}), disposed: await session.dispose(), session };
  } catch (error) {
    await session.dispose();
    throw error;
  }
}

describe('mariadb restore test', { skip }, () => {
  let source: MariadbService;
  let ws: Workspace;
  let backup: ComponentBackup;
  let dump: Buffer;

  before(async () => {
    [source, ws] = await Promise.all([startMariadb(), workspace('mariadb-restore-test')]);
    // Content that looks like client commands inside literals and comments: data, never commands.
    await source.sql(
      String.raw`CREATE DATABASE agenda; CREATE DATABASE billing; CREATE DATABASE ${'`odd_na%me`'}; USE agenda;
       CREATE TABLE agenda.appointments (id BIGINT PRIMARY KEY, practitioner VARCHAR(64), note TEXT, starts_at DATETIME) ENGINE=InnoDB;
       INSERT INTO agenda.appointments SELECT seq, CONCAT('Dr ', seq % 7), ELT(1 + seq % 6, 'it''s \\! id', 'system id', '-- not a comment', 'a;b;c', 'line\nbreak \\. x', 'tab\there \\N'),
         '2024-01-01 08:00:00' + INTERVAL seq MINUTE FROM seq_1_to_${APPOINTMENTS};
       CREATE TABLE agenda.empty_table (id INT PRIMARY KEY) ENGINE=InnoDB;
       CREATE TABLE agenda.${'`weird ``name`` \\!`'} (v VARCHAR(20)); INSERT INTO agenda.${'`weird ``name`` \\!`'} VALUES ('\\! x'), ('/* y */');
       CREATE VIEW agenda.busy AS SELECT practitioner, COUNT(*) AS n FROM agenda.appointments GROUP BY practitioner;
       CREATE TABLE agenda.audit (id INT, note VARCHAR(32)) WITH SYSTEM VERSIONING;
       INSERT INTO agenda.audit VALUES (1, 'a'), (2, 'b'), (3, 'c');
       CREATE TRIGGER agenda.appointments_guard BEFORE INSERT ON agenda.appointments FOR EACH ROW SET NEW.practitioner = TRIM(NEW.practitioner);
       CREATE EVENT agenda.nightly ON SCHEDULE EVERY 1 DAY DO DELETE FROM agenda.audit WHERE id < 0;
       CREATE TABLE billing.invoices (id INT PRIMARY KEY, amount DECIMAL(10,2)) ENGINE=InnoDB;
       INSERT INTO billing.invoices SELECT seq, seq * 1.5 FROM seq_1_to_${INVOICES};
       CREATE TABLE ${'`odd_na%me`'}.t (id INT); INSERT INTO ${'`odd_na%me`'}.t VALUES (1), (2);`,
    );
    await source.sql(
      String.raw`DELIMITER //
       CREATE PROCEDURE agenda.purge_old() BEGIN DELETE FROM agenda.appointments WHERE starts_at < '2000-01-01'; SELECT 'system id; \! id'; END//
       DELIMITER ;`,
    );
    backup = await mariadb.backup(parseSource('mariadb', { url: source.url }), await ws.context());
    dump = gunzipSync(await readFile(backup.members[0]!.file));
  });

  after(async () => {
    await Promise.all([source?.stop(), ws?.remove()]);
  });

  it("never puts the restore account's password on a command line (every local user can read them): the admin SQL goes on stdin", async () => {
    // The mariadb client, as the throwaway server's tools find it (PATH first), behind a wrapper that writes down each
    // command line; it runs as the sandbox user, so both the wrapper and its log are open to it.
    const bin = await mkdtemp(join(tmpdir(), 'restorecheck-mariadb-argv-'));
    const argv = join(bin, 'argv.log');
    const savedPath = process.env.PATH;
    try {
      await writeFile(argv, '');
      await chmod(argv, 0o666);
      const real =
        (process.env.PATH ?? '')
          .split(':')
          .map((d) => join(d, 'mariadb'))
          .find((f) => existsSync(f)) ?? '/usr/bin/mariadb';
      await writeFile(join(bin, 'mariadb'), `#!/bin/sh\nprintf '%s\\n' "$*" >> ${argv}\nexec ${real} "$@"\n`);
      await chmod(join(bin, 'mariadb'), 0o755);
      await chmod(bin, 0o755);
      process.env.PATH = `${bin}:${savedPath ?? '/usr/bin:/bin'}`;
      const { comparison, loadError } = await restore(dump, backup.facts);
      assert.equal(loadError, undefined, String(loadError));
      assert.deepEqual(comparison.differences, []);
      const lines = (await readFile(argv, 'utf8')).split('\n').filter(Boolean);
      assert.ok(
        lines.some((l) => l.includes('--socket=')),
        `the wrapper saw the admin client run: ${lines.join(' | ')}`,
      );
      for (const line of lines) assert.doesNotMatch(line, /IDENTIFIED BY|PASSWORD/i, `a password on a command line: ${line}`);
    } finally {
      process.env.PATH = savedPath;
      await rm(bin, { recursive: true, force: true });
    }
  });

  it('(a) restores a dump of the backup module into a throwaway server: every table and database matches, nothing differs', async () => {
    assert.match(dump.toString('utf8'), /^DELIMITER ;;$/m, 'the dump has routines between DELIMITER lines');
    assert.match(dump.toString('utf8'), /^USE `mysql`;$/m, 'an --all-databases dump (the mysql schema too)');
    const { comparison, loadError, disposed } = await restore(dump, backup.facts);
    assert.equal(loadError, undefined, String(loadError));
    assert.deepEqual(comparison.differences, []);
    assert.deepEqual(comparison.notCompared, []);
    for (const table of ['agenda.appointments', 'agenda.audit', 'agenda.empty_table', 'agenda.weird `name` \\!', 'billing.invoices', 'odd_na%me.t']) {
      assert.ok(comparison.matched.includes(`table ${table}`), `${table} matched: ${comparison.matched.join(', ')}`);
    }
    assert.ok(comparison.matched.includes('database mysql') && comparison.matched.includes('dump bytes'));
    const restored = comparison.restored;
    assert.deepEqual(restored.table_counts, backup.facts.table_counts);
    assert.match(String(restored.server_version), /MariaDB/);
    assert.equal(typeof restored.restore_seconds, 'number');
    assert.equal(restored.dump_completed, true);
    assert.equal(restored.statements_failed, 0);
    // The definers (root) of the view, trigger, routine and event, and the mysql schema: refused, counted, not failures.
    assert.ok(Number(restored.statements_refused_privileged) > 5, JSON.stringify(restored));
    assert.match(JSON.stringify(restored.refused_examples), /ERROR 1142|ERROR 1227|ERROR 1044/);
    assert.notEqual(restored.os_user, process.getuid?.() === 0 ? 'root' : '');
    assert.equal(disposed.removed.length, 1);
    assert.equal(existsSync(disposed.removed[0]!), false, 'dispose removed the directory');
  });

  it('dispose is idempotent and says what it removed', async () => {
    const session = await restoreTest.start(context());
    const first = await session.dispose();
    const second = await session.dispose();
    assert.equal(first.removed.length, 1);
    assert.match(first.removed[0]!, new RegExp(`${MARIADB_DIR_PREFIX}`));
    assert.deepEqual(second, first);
    assert.match(session.target, /^throwaway mariadbd 10\.\d+\.\d+.*Unix socket only, no network/);
  });

  it('(b) restores a dump made by another tool (mariadb-dump of one database, no facts): counts restored, comparison not made', async () => {
    const file = join(ws.dir, 'generated.sql.gz');
    await writeMariadbDump(file, 321);
    const sql = gunzipSync(await readFile(file));
    assert.doesNotMatch(sql.toString('utf8'), /CREATE DATABASE|^USE /m, 'one database without --databases: no CREATE DATABASE, no USE');
    const { comparison, loadError } = await restore(sql, undefined);
    assert.equal(loadError, undefined, String(loadError));
    assert.deepEqual(comparison.restored.table_counts, { 'agenda.appointments': 321 });
    assert.equal(comparison.restored.default_database, 'agenda');
    assert.deepEqual(comparison.notCompared, ['per-table row counts (the metadata records none)']);
    assert.deepEqual(comparison.differences, []);
  });

  it('(c) a dump cut in the middle of an INSERT fails to load, and the comparison shows what is missing', async () => {
    const text = dump.toString('latin1');
    const insert = text.indexOf('INSERT INTO `appointments` VALUES');
    // mariadb-dump 10.11 writes one row per line: `VALUES\n(1,…),\n(2,…);`.
    const insertEnd = text.indexOf(';\n', insert);
    const middle = Math.floor((insert + insertEnd) / 2);
    const inside = text.indexOf("'Dr ", middle);
    assert.ok(insert > 0 && inside < insertEnd, `the appointments INSERT: ${insert}…${insertEnd}, cut at ${inside}`);
    const cut = Buffer.from(text.slice(0, inside + 3), 'latin1');
    const { comparison, loadError } = await restore(cut, backup.facts);
    assert.ok(loadError instanceof RestoreFailedError, String(loadError));
    assert.match(
      loadError.message,
      /does not restore: 1 statement failed \(the dump ends without mariadb-dump's "-- Dump completed" line: it is cut short\); the first: ERROR 1064/,
    );
    assert.ok(
      comparison.differences.includes('table agenda.appointments: the restore holds 0 rows, the metadata records 1234'),
      comparison.differences.join('\n'),
    );
    assert.ok(comparison.differences.includes('table billing.invoices (77 rows in the metadata) is missing from the restore'));
    assert.ok(comparison.differences.includes(`the dump ends without mariadb-dump's closing line "-- Dump completed": it is cut short`));
    assert.ok(comparison.differences.some((d) => /^the dump holds \d+ bytes of SQL, the metadata records \d+$/.test(d)));
    assert.equal(comparison.restored.statements_failed, 1);

    // Cut right after a whole row: the last statement is valid SQL and loads; only the comparison can tell.
    const rowEnd = text.indexOf('),\n(', middle) + 1;
    assert.ok(rowEnd < insertEnd, JSON.stringify(text.slice(insert, insert + 200)));
    const clean = await restore(Buffer.from(text.slice(0, rowEnd), 'latin1'), backup.facts);
    assert.equal(clean.loadError, undefined, String(clean.loadError));
    const partial = /table agenda\.appointments: the restore holds (\d+) rows, the metadata records 1234/.exec(clean.comparison.differences.join('\n'));
    assert.ok(partial && Number(partial[1]) > 0 && Number(partial[1]) < APPOINTMENTS, clean.comparison.differences.join('\n'));
    assert.ok(clean.comparison.differences.includes(`the dump ends without mariadb-dump's closing line "-- Dump completed": it is cut short`));
  });

  it('(d) refuses a dump with `\\!` or `system` smuggled after a statement: nothing runs', async () => {
    // The marker's folder is writable by the sandbox user: were a command run, the marker would be there.
    const markers = await mkdtemp(join(tmpdir(), 'restorecheck-markers-'));
    await chmod(markers, 0o777);
    try {
      const text = dump.toString('utf8');
      const firstStatement = text.indexOf(';\n') + 2;
      const variants = [
        [`SELECT 1; \\! touch ${markers}/m1\n`, '\\!'],
        [`\\! touch ${markers}/m2\n`, '\\!'],
        [`system touch ${markers}/m3\n`, 'system'],
        [`system touch ${markers}/m4;\n`, 'system'],
        [`/*!40101 \\! touch ${markers}/m5 */;\n`, '\\!'],
      ] as const;
      for (const [smuggled, command] of variants) {
        const sql = Buffer.from(text.slice(0, firstStatement) + smuggled + text.slice(firstStatement));
        const { loadError, comparison } = await restore(sql, backup.facts);
        assert.ok(loadError instanceof RestoreFailedError, `${smuggled}: ${String(loadError)}`);
        assert.match(
          loadError.message,
          new RegExp(`the mariadb client command ${command.replace(/\\/g, '\\\\')} at line \\d+; restorecheck refuses to run a dump that can execute commands`),
        );
        assert.match(loadError.hint, /mariadb-dump never writes client commands/);
        assert.ok(comparison.differences.length > 0, 'nothing of the dump after the command was restored');
      }
      assert.deepEqual(await readdir(markers), [], 'no command ran');
    } finally {
      await rm(markers, { recursive: true, force: true });
    }
  });

  it('(d) a command the guard cannot see (NO_BACKSLASH_ESCAPES changes how the client reads literals) meets the client sandbox', async () => {
    const markers = await mkdtemp(join(tmpdir(), 'restorecheck-markers-'));
    await chmod(markers, 0o777);
    try {
      // The guard reads 'a\'…' as one literal; the client, once the server says NO_BACKSLASH_ESCAPES, ends it at \'.
      const sql = Buffer.from(`SET sql_mode = 'NO_BACKSLASH_ESCAPES';\nSELECT 'a\\'; \\! touch ${markers}/m; SELECT ';\nSELECT 1;\n`);
      const { loadError } = await restore(sql, undefined);
      assert.ok(loadError instanceof RestoreFailedError, String(loadError));
      assert.match(loadError.message, /the mariadb client refused a command of the dump \(ERROR at line 2: Unknown command '\\!'\./);
      assert.deepEqual(await readdir(markers), [], 'no command ran');
    } finally {
      await rm(markers, { recursive: true, force: true });
    }
  });

  it('(e) the throwaway server runs as the sandbox user (never root), socket only, with an empty HOME; the restore account has no global privilege', async () => {
    const server = await startThrowawayMariadb();
    try {
      const status = await readFile(`/proc/${server.pid}/status`, 'utf8');
      const uid = Number(/^Uid:\s+(\d+)/m.exec(status)?.[1]);
      assert.equal(uid, sandboxUser().uid);
      if (process.getuid?.() === 0) assert.notEqual(uid, 0, 'as root, the server is the sandbox user');
      const environ = (await readFile(`/proc/${server.pid}/environ`, 'utf8')).split('\0');
      assert.ok(environ.includes(`HOME=${server.home}`), environ.join(' '));
      assert.deepEqual(await readdir(server.home), []);
      assert.equal((await server.sql('SELECT @@skip_networking, @@port, @@have_symlink, @@local_infile')).trim(), '1\t0\tDISABLED\t0');
      const owner = JSON.parse(await readFile(join(server.dir, 'owner.json'), 'utf8')) as { pid: number };
      assert.equal(owner.pid, process.pid);
    } finally {
      await server.stop();
    }
    assert.equal(existsSync(server.dir), false);

    const session = await restoreTest.start(context());
    try {
      await session.load('mariadb_full.sql.gz', Readable.from([Buffer.from('CREATE DATABASE shop;\nUSE shop;\nCREATE TABLE t (id INT);\nSHOW GRANTS;\n')]));
      const { restored } = await session.compare(undefined);
      assert.deepEqual(restored.table_counts, { 'shop.t': 0 });
    } finally {
      await session.dispose();
    }
  });

  it('(f) a throwaway server whose owner was SIGKILLed is killed and removed by the sweep; a live one is not touched', async () => {
    const tmp = await mkdtemp(join(tmpdir(), 'restorecheck-sweep-'));
    await chmod(tmp, 0o755);
    try {
      const child = spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          '-e',
          `
          const { startThrowawayMariadb } = await import(${JSON.stringify(new URL('../../src/selfhosted/throwaway-mariadb.ts', import.meta.url).href)});
          const s = await startThrowawayMariadb();
          process.stdout.write(JSON.stringify({ dir: s.dir, pid: s.pid }) + '\\n');
          setInterval(() => {}, 1000);`,
        ],
        { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, TMPDIR: tmp } },
      );
      const started = await new Promise<{ dir: string; pid: number }>((resolve, reject) => {
        child.stdout.once('data', (d: Buffer) => resolve(JSON.parse(d.toString()) as { dir: string; pid: number }));
        child.once('exit', (code) => reject(new Error(`the child exited (${code}) before starting a server`)));
      });
      const closed = new Promise<void>((resolve) => child.on('close', () => resolve()));
      child.kill('SIGKILL');
      await closed;
      assert.ok(existsSync(`/proc/${started.pid}`), 'the server outlives its SIGKILLed owner');

      // Beside it: one of this process (alive), one nobody could trust (world-writable), one without owner.json.
      const saved = process.env.TMPDIR;
      process.env.TMPDIR = tmp;
      const alive = await startThrowawayMariadb().finally(() => {
        if (saved === undefined) delete process.env.TMPDIR;
        else process.env.TMPDIR = saved;
      });
      const foreign = join(tmp, `${MARIADB_DIR_PREFIX}foreign`);
      await mkdir(foreign);
      await chmod(foreign, 0o777);
      await writeFile(join(foreign, 'owner.json'), JSON.stringify({ pid: 999999, startTime: null, user: 'x', host: hostname() }));
      const noOwner = join(tmp, `${MARIADB_DIR_PREFIX}noowner`);
      await mkdir(noOwner, { mode: 0o700 });
      try {
        const swept = await sweepAbandonedMariadb(tmp);
        assert.deepEqual(
          swept.map((s) => s.dir),
          [started.dir],
        );
        assert.deepEqual(swept[0]!.killed, [started.pid]);
        assert.equal(swept[0]!.removed, true);
        assert.equal(existsSync(started.dir), false);
        for (let i = 0; i < 50 && existsSync(`/proc/${started.pid}`); i++) await new Promise((r) => setTimeout(r, 100));
        assert.equal(existsSync(`/proc/${started.pid}`), false, 'the abandoned server was killed');
        assert.ok(existsSync(alive.dir) && existsSync(`/proc/${alive.pid}`), 'a live owner’s server is never touched');
        assert.ok(existsSync(foreign) && existsSync(noOwner), 'what is not known to be ours is left alone');
      } finally {
        await alive.stop();
      }
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  });

  it('unavailable() says nothing on a machine with mariadb-server and a client with --sandbox', async () => {
    assert.equal(await restoreTest.unavailable(), undefined);
  });
});
