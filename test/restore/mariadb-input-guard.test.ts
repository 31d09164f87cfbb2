/**
 * The mariadb client-command guard: a real mariadb-dump passes byte for byte whatever the chunking; client commands are
 * refused wherever the client would run them, and only there — checked against the real client itself, which runs the
 * same input (non-binary, no sandbox: the most command-eager way) and creates a marker exactly when the guard refused.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { pipeline } from 'node:stream/promises';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { ClientCommandRefused, MariadbInputGuard, databaseNamed } from '../../src/restore/mariadb-input-guard.js';
import { type ThrowawayMariadb, startThrowawayMariadb } from '../../src/selfhosted/throwaway-mariadb.js';
import { mariadbInstalled } from '../helpers/selfhosted-services.js';

const skip = mariadbInstalled() ? false : 'mariadb-server is not installed';
/** The start of a statement longer than the head the guard keeps (2 KiB): what follows goes through its fast path. */
const LONG = `SELECT ${'1, '.repeat(1200)}`;

/** Feeds `input` in chunks of `size` bytes (where a chunk ends must not matter). */
async function guard(input: string | Buffer, size = 7, hooks = {}): Promise<{ out: Buffer; guard: MariadbInputGuard }> {
  const buf = Buffer.isBuffer(input) ? input : Buffer.from(input);
  const chunks = Array.from({ length: Math.ceil(buf.length / size) }, (_, i) => buf.subarray(i * size, (i + 1) * size));
  const g = new MariadbInputGuard(hooks);
  const collected: Buffer[] = [];
  g.on('data', (chunk: Buffer) => collected.push(chunk));
  await pipeline(Readable.from(chunks), g);
  return { out: Buffer.concat(collected), guard: g };
}

async function refusal(input: string | Buffer, size = 7): Promise<ClientCommandRefused | undefined> {
  try {
    await guard(input, size);
    return undefined;
  } catch (error) {
    if (error instanceof ClientCommandRefused) return error;
    throw error;
  }
}

describe('mariadb input guard', () => {
  it('refuses client commands wherever the client reads them, naming the command and its line', async () => {
    const cases: [string, string, number][] = [
      ['SELECT 1; \\! id\n', '\\!', 1],
      ['SELECT 1;\n\\! id\n', '\\!', 2],
      ['SELECT 1;\nsystem id\n', 'system', 2],
      ['SELECT 1;\n  SYSTEM id;\n', 'SYSTEM', 2],
      ['/* a comment */ system id;\n', 'system', 1],
      ['/*!40101 \\! id */;\n', '\\!', 1],
      ['\\. /etc/passwd\n', '\\.', 1],
      ['source /etc/passwd\n', 'source', 1],
      ['\\T /tmp/out\n', '\\T', 1],
      ['tee /tmp/out\n', 'tee', 1],
      ['pager less\n', 'pager', 1],
      ['SELECT 1 \\P less\n', '\\P', 1],
      ['connect other db.example\n', 'connect', 1],
      ['\\r other db.example\n', '\\r', 1],
      ['\\C gbk\n', '\\C', 1],
      ['charset gbk\n', 'charset', 1],
      ['SELECT 5 --\\! id\n;\n', '\\!', 1],
      ['SELECT `a\\` \\! id\n', '\\!', 1],
      ['/* a /*M! b */ \\! id\n', '\\!', 1],
      ['DELIMITER //\nSELECT 1; \\! id\n//\n', '\\!', 2],
      ['SELECT 1; DELIMITER ;;\n', '"DELIMITER"', 1],
      ['delimiterX ;;\n', '"delimiterX"', 1],
      ['DELIMITER \\\\\n', 'DELIMITER', 1],
      [`${LONG}1 \\! id\n;\n`, '\\!', 1],
      [`${LONG}'a' \\! id;\n`, '\\!', 1],
      [`${LONG}"a\\"" \\! id;\n`, '\\!', 1],
      [`${LONG}'a''b' \\! id;\n`, '\\!', 1],
      [`${LONG}'a\nb' \\! id;\n`, '\\!', 2],
    ];
    for (const [input, command, line] of cases) {
      for (const size of [1, 5, 4096]) {
        const refused = await refusal(input, size);
        assert.ok(refused, `${JSON.stringify(input)} (chunks of ${size}) was not refused`);
        assert.equal(refused.command, command, JSON.stringify(input));
        assert.equal(refused.line, line, JSON.stringify(input));
        assert.match(
          refused.message,
          /the dump contains the mariadb client command .* at line \d+.*; restorecheck refuses to run a dump that can execute commands/,
        );
      }
    }
    // latin1_swedish_ci, in which the client compares command names, takes 0xC9 (É) for E.
    assert.ok(await refusal(Buffer.concat([Buffer.from('syst'), Buffer.from([0xc9]), Buffer.from('m id\n')])));
  });

  it('passes what only looks like a command: literals, identifiers, comments, \\N, the sandbox line', async () => {
    const inputs = [
      "SELECT 'it\\'s \\! id', \"a \\\" \\! id\", 'x'' \\! id';\n",
      'SELECT 1 AS `\\! id`;\n',
      '-- \\! id\n# \\! id\n/* \\! id */ SELECT 1;\n/*+ \\! id */ SELECT 2;\n',
      '--\\! id at the start of a statement is a comment\nSELECT 3;\n',
      "SELECT 'multi\n\\! id\nline';\n",
      'INSERT INTO t VALUES (\\N, 1);\n',
      '/*!999999\\- enable the sandbox mode */ \n-- MariaDB dump 10.19\nSELECT 1;\n',
      'sys/**/tem id;\n',
      // `/*!` inside a plain comment: its `*/` ends only the `/*!`, the comment goes on (the client's ss_comment).
      '/* a /*! b */ \\! id\n*/ SELECT 1;\n',
      'DELIMITER ;;\nCREATE PROCEDURE p() BEGIN SELECT 1; SELECT "\\\\! x"; END ;;\nDELIMITER ;\n',
      'SELECT 1;\r\nDELIMITER ;;\r\nSELECT 2;;\r\nDELIMITER ;\r\n',
      'USE `shop`;\n',
      `${LONG}'x \\! id', "y \\! id", 'it\\'s \\! id', 'a''b \\! id', 'multi\nline \\! id' -- \\! id\n/* \\! id */;\n`,
    ];
    for (const input of inputs) {
      for (const size of [1, 3, 4096]) {
        const { out } = await guard(input, size);
        assert.equal(out.toString('latin1'), input, `${JSON.stringify(input)} in chunks of ${size}`);
      }
    }
  });

  it('names the schemas a statement creates or uses, before the client receives it', async () => {
    assert.deepEqual(databaseNamed('CREATE DATABASE /*!32312 IF NOT EXISTS*/ `agenda` /*!40100 DEFAULT CHARACTER SET utf8mb4 */'), {
      name: 'agenda',
      statement: 'create',
    });
    assert.deepEqual(databaseNamed('USE `odd``name`'), { name: 'odd`name', statement: 'use' });
    assert.deepEqual(databaseNamed('create schema if not exists shop'), { name: 'shop', statement: 'create' });
    assert.equal(databaseNamed('CREATE TABLE t (id int)'), undefined);
    const seen: string[] = [];
    const { out, guard: g } = await guard('CREATE DATABASE a;\nUSE `a`;\nCREATE TABLE t (v TEXT);\n-- Dump completed on 2026-01-01\n', 3, {
      database: async (name: string, statement: string) => {
        seen.push(`${statement} ${name}`);
      },
    });
    assert.deepEqual(seen, ['create a', 'use a']);
    assert.equal(g.statements, 3);
    assert.equal(g.dumpCompleted, true);
    assert.match(out.toString(), /^CREATE DATABASE a;/);
  });

  it('streams a 64 MB line without holding it (only a few bytes are carried between chunks)', async () => {
    const row = `(1,'${'x'.repeat(1000)}'),`;
    const big = `INSERT INTO t VALUES ${row.repeat(64_000)}(2,'y');\n`;
    const started = performance.now();
    const g = new MariadbInputGuard();
    let bytes = 0;
    g.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
    });
    const chunks = Array.from({ length: Math.ceil(big.length / 65536) }, (_, i) => Buffer.from(big.slice(i * 65536, (i + 1) * 65536)));
    await pipeline(Readable.from(chunks), g);
    assert.equal(bytes, Buffer.byteLength(big));
    assert.ok(performance.now() - started < 30_000, 'linear, not quadratic');
  });
});

describe('mariadb input guard against the real client', { skip }, () => {
  let server: ThrowawayMariadb;
  let markers: string;
  before(async () => {
    [server, markers] = await Promise.all([startThrowawayMariadb(), mkdtemp(join(tmpdir(), 'restorecheck-guard-markers-'))]);
    // Writable by the sandbox user the client runs as: a command that runs leaves its marker.
    await chmod(markers, 0o777);
  });
  after(async () => {
    await Promise.all([server?.stop(), markers && rm(markers, { recursive: true, force: true })]);
  });

  /** Runs `sql` through the real client as the sandbox user; true when the marker appeared (a command ran). */
  async function clientRuns(sql: string, marker: string, flags: string[]): Promise<boolean> {
    const invocation = server.client(server.adminUser, undefined, ['--force', ...flags]);
    const child = spawn(invocation.file, invocation.args, {
      env: invocation.env,
      cwd: invocation.cwd,
      stdio: ['pipe', 'ignore', 'ignore'],
      timeout: 60_000,
      ...(invocation.uid !== undefined ? { uid: invocation.uid, gid: invocation.gid } : {}),
    });
    const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
    child.stdin.end(sql);
    await closed;
    const ran = existsSync(marker);
    await rm(marker, { force: true });
    return ran;
  }

  it('refuses exactly what the client (non-binary, no sandbox) runs; the client as the restore runs it (binary, sandbox) runs nothing', async () => {
    const contexts: ((x: string) => string)[] = [
      (x) => `SELECT 'x'; ${x}\n`,
      (x) => `SELECT '${x}';\n`,
      (x) => `SELECT "${x}";\n`,
      (x) => `SELECT 1 AS \`${x}\`;\n`,
      (x) => `-- ${x}\nSELECT 1;\n`,
      (x) => `# ${x}\nSELECT 1;\n`,
      (x) => `/* ${x} */ SELECT 1;\n`,
      (x) => `/*!40101 ${x} */;\n`,
      (x) => `SELECT 1 --${x}\n;\n`,
      (x) => `--${x}\nSELECT 1;\n`,
      (x) => `SELECT 'it\\'s ${x}';\n`,
      (x) => `SELECT 'a'' ${x}';\n`,
      (x) => `/* a /*! b */ ${x}\nSELECT 1;\n`,
      (x) => `/* a /*M! b */ ${x}\nSELECT 1;\n`,
      (x) => `SELECT 1;\n  ${x}\n`,
      (x) => `/*!40101 SET @a = 1 /* c */ */; ${x}\n`,
      (x) => `/*+ ${x} */ SELECT 1;\n`,
      (x) => `SELECT 'a\n${x}\n';\n`,
      (x) => `SELECT "a\\" ${x}";\n`,
      (x) => `SELECT \`a\\\` ${x}\n;\n`,
      (x) => `DELIMITER //\nSELECT '${x}'//\n${x}\n`,
      (x) => `DELIMITER //\nSELECT 1; ${x}\n//\n`,
      // Inside a statement longer than the head the guard keeps (its fast path).
      (x) => `${LONG}'it\\'s ${x}', "b\\" ${x}", 'c'' ${x}';\n`,
      (x) => `${LONG}'a' ${x}\n;\n`,
      (x) => `${LONG}"a\\"" ${x}\n;\n`,
      (x) => `${LONG}/* ${x} */ 1;\n`,
      (x) => `${LONG}1 -- ${x}\n;\n`,
    ];
    const shellCommands: ((marker: string) => string)[] = [(marker) => `\\! touch ${marker}`, (marker) => `system touch ${marker}`];
    let ran = 0;
    let n = 0;
    for (const context of contexts) {
      for (const command of shellCommands) {
        const marker = join(markers, `m${++n}`);
        const sql = context(command(marker));
        const refused = (await refusal(sql, 11)) !== undefined;
        const eager = await clientRuns(sql, marker, []);
        // `system …` after other text on a line is no command for the client: the guard may refuse more, never less.
        if (eager) assert.equal(refused, true, `the client ran it, the guard let it through: ${JSON.stringify(sql)}`);
        if (command === shellCommands[0])
          assert.equal(refused, eager, `guard ${refused ? 'refused' : 'passed'}, the client ${eager ? 'ran' : 'did not run'}: ${JSON.stringify(sql)}`);
        assert.equal(await clientRuns(sql, marker, ['--binary-mode', '--sandbox']), false, `the restore's client ran ${JSON.stringify(sql)}`);
        if (eager) ran++;
      }
    }
    assert.ok(ran >= 8, `the unguarded client ran only ${ran} commands: the cases prove nothing`);
  });

  it('passes a real mariadb-dump (routines, triggers, views, events, tricky literals) byte for byte, whatever the chunking', async () => {
    await server.sql(
      String.raw`CREATE DATABASE shop; CREATE TABLE shop.t (id INT PRIMARY KEY, s TEXT, b BLOB);
        INSERT INTO shop.t VALUES (1, 'it''s \\! id -- x /* y */ # z', UNHEX('005C2127225C0A0D1A60')), (2, 'a;b;;c\\\\', NULL), (3, '\\N', 'system id');
        CREATE VIEW shop.v AS SELECT id, s FROM shop.t; CREATE TRIGGER shop.tr BEFORE INSERT ON shop.t FOR EACH ROW SET NEW.s = TRIM(NEW.s);
        CREATE EVENT shop.e ON SCHEDULE EVERY 1 DAY DO DELETE FROM shop.t WHERE id < 0;`,
    );
    await server.sql("DELIMITER //\nCREATE PROCEDURE shop.p() BEGIN SELECT ';'; SELECT '\\\\! x'; END//\nDELIMITER ;");
    // As the sandbox user: the administrator account is that OS user over the socket.
    const invocation = server.client(server.adminUser, undefined, []);
    const { stdout: dump } = await promisify(execFile)(
      'mariadb-dump',
      ['--no-defaults', `--socket=${server.socket}`, `--user=${server.adminUser}`, '--routines', '--events', '--triggers', '--databases', 'shop'],
      {
        encoding: 'buffer',
        maxBuffer: 64 * 1024 * 1024,
        timeout: 60_000,
        env: invocation.env,
        cwd: invocation.cwd,
        ...(invocation.uid !== undefined ? { uid: invocation.uid, gid: invocation.gid } : {}),
      },
    );
    assert.match(dump.toString('latin1'), /^DELIMITER ;;$/m);
    assert.match(dump.toString('latin1'), /^\/\*M?!999999\\- enable the sandbox mode \*\//);
    for (const size of [1, 7, 4096]) {
      const seen: string[] = [];
      const { out, guard: g } = await guard(dump, size, { database: async (name: string, statement: string) => void seen.push(`${statement} ${name}`) });
      assert.ok(out.equals(dump), `chunks of ${size}`);
      assert.equal(seen[0], 'create shop');
      assert.ok(seen.length > 1 && seen.slice(1).every((s) => s === 'use shop'), seen.join(', '));
      assert.equal(g.dumpCompleted, true);
    }
    // The text itself through the guard's consumer, as a string.
    const g = new MariadbInputGuard();
    const [, out] = await Promise.all([pipeline(Readable.from([dump]), g), text(g)]);
    assert.equal(out, dump.toString('utf8'));
  });
});
