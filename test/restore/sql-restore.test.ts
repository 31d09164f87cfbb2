/** A real pg_dump restored through the guard into a throwaway database, and malicious dumps contained. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { MetaCommandRefused } from '../../src/restore/psql-input-guard.js';
import { defaultCopyConnections, majorVersion, restoreSqlDump, versionMismatch } from '../../src/restore/sql-restore.js';
import { createThrowawayDatabase, type ThrowawayDatabase } from '../../src/restore/throwaway-database.js';
import { type PostgresCluster, startCluster } from '../../src/simulator/postgres-cluster.js';

const run = promisify(execFile);

async function readProc(pid: string): Promise<{ uid: number; home: string; cmdline: string[] } | undefined> {
  const { readFile } = await import('node:fs/promises');
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const environ = await readFile(`/proc/${pid}/environ`, 'utf8');
    const cmdline = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
    return { uid: Number(/^Uid:\s+(\d+)/m.exec(status)?.[1]), home: /(?:^|\0)HOME=([^\0]*)/.exec(environ)?.[1] ?? '', cmdline };
  } catch {
    return undefined; // gone already
  }
}

describe('restoring a dump into a throwaway database', () => {
  let source: PostgresCluster;
  let dump: string;
  let work: string;
  const created: ThrowawayDatabase[] = [];
  const throwaway = async () => {
    const db = await createThrowawayDatabase();
    created.push(db);
    return db;
  };

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'restorecheck-sqlrestore-'));
    source = await startCluster();
    await source.sql('CREATE ROLE app LOGIN');
    await source.sql('CREATE DATABASE clinic OWNER app');
    await source.sql(
      String.raw`
      SET ROLE app;
      CREATE TABLE patients (id serial PRIMARY KEY, name text, note text);
      INSERT INTO patients (name, note) SELECT 'p' || g, CASE WHEN g % 3 = 0 THEN NULL ELSE E'a\\b' END FROM generate_series(1, 1000) g;
      CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY); INSERT INTO alembic_version VALUES ('4b2d9c1e7f00');
      CREATE FUNCTION touch() RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN 1; END $$;`,
      'clinic',
    );
    dump = (
      await run(`${source.binDir}/pg_dump`, ['-h', '127.0.0.1', '-p', String(source.port), '-U', 'postgres', 'clinic'], {
        env: { ...process.env, PGPASSWORD: source.password },
        maxBuffer: 1 << 26,
      })
    ).stdout;
  });

  after(async () => {
    for (const db of created) await db.drop();
    await source?.stop();
    await rm(work, { recursive: true, force: true });
    for (const db of created) assert.equal(db.exists(), false, 'every throwaway cluster is gone');
  });

  it('psql itself runs as an unprivileged OS user with an empty HOME, never as root (seen in /proc while it reads)', async () => {
    const db = await throwaway();
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    // A dump that stops half way until we have looked at the psql reading it.
    const sql = Readable.from(
      (async function* () {
        yield Buffer.from('SELECT 1;\n');
        await held;
        yield Buffer.from('SELECT 2;\n');
      })(),
    );
    const restoring = restoreSqlDump(sql, db.target);
    let seen: { uid: number; home: string } | undefined;
    for (let attempt = 0; attempt < 600 && !seen; attempt++) {
      const { stdout } = await run('ps', ['-o', 'pid=,comm=', '--ppid', String(process.pid)]);
      const pid = /^\s*(\d+)\s+psql$/m.exec(stdout)?.[1];
      // The restoring psql (`-f -`), not the short-lived `psql --version` run before it.
      const proc = pid ? await readProc(pid) : undefined;
      if (proc?.cmdline.includes('-f')) seen = proc;
      else await new Promise((r) => setTimeout(r, 50));
    }
    release();
    const result = await restoring;
    assert.ok(seen, 'psql was seen running');
    assert.notEqual(seen.uid, 0, 'psql ran as root');
    assert.equal(seen.uid, process.getuid?.() === 0 ? Number((await run('id', ['-u', 'postgres'])).stdout.trim()) : process.getuid?.());
    assert.equal(seen.home, db.target.home, 'HOME is the fresh directory of the throwaway cluster');
    assert.notEqual(result.psqlOsUser, 'root');
  });

  it('restores a real pg_dump as a non-superuser, ownership errors counted, data intact', async () => {
    const db = await throwaway();
    const result = await restoreSqlDump(Readable.from([dump]), db.target);
    assert.equal(result.bytes, Buffer.byteLength(dump));
    assert.match(result.dumpedBy ?? '', /^\d+\.\d+/);
    assert.equal(result.errorCount, result.privilegedRefusals, `only privilege errors: ${result.errors.join(' | ')}`);
    const restoredCluster = {
      sql: async (q: string) =>
        (
          await run(
            `${db.target.binDir}/psql`,
            ['-X', '-A', '-t', '-h', db.target.host, '-p', String(db.target.port), '-U', db.target.user, '-d', db.target.database, '-c', q],
            { env: { ...process.env, PGPASSWORD: db.target.password } },
          )
        ).stdout.trim(),
    };
    assert.equal(await restoredCluster.sql('SELECT count(*) FROM patients'), '1000');
    assert.equal(await restoredCluster.sql('SELECT count(*) FROM patients WHERE note IS NULL'), '333');
    assert.equal(await restoredCluster.sql('SELECT version_num FROM alembic_version'), '4b2d9c1e7f00');
  });

  it('refuses a dump with a shell escape before psql runs it: the sentinel is never created', async () => {
    const db = await throwaway();
    const sentinel = join(work, 'SENTINEL');
    const evil = dump.replace('SET statement_timeout = 0;', `SET statement_timeout = 0;\n\\! touch ${sentinel}`);
    await assert.rejects(
      restoreSqlDump(Readable.from([evil]), db.target),
      (e: unknown) => e instanceof MetaCommandRefused && /meta-command \\! at line \d+/.test(e.message),
    );
    assert.equal(existsSync(sentinel), false);
  });

  it('contains a dump that tries to create a superuser or run a program', async () => {
    const db = await throwaway();
    const before = await db.roles();
    const evil = `${dump}\nCREATE ROLE evil SUPERUSER LOGIN PASSWORD 'x';\nALTER ROLE ${db.target.user} SUPERUSER;\nCOPY patients (name) FROM PROGRAM 'touch ${join(work, 'SENTINEL2')}';\n`;
    const result = await restoreSqlDump(Readable.from([evil]), db.target);
    assert.ok(result.privilegedRefusals >= 3, result.errors.join(' | '));
    assert.deepEqual(await db.roles(), before, 'no role created');
    assert.equal(existsSync(join(work, 'SENTINEL2')), false);
  });

  it('shares COPY out from three CPUs on (one CPU reads the archive), over at most four more connections', () => {
    assert.deepEqual(
      [1, 2, 3, 4, 5, 16].map((cpus) => defaultCopyConnections(cpus)),
      [0, 0, 2, 3, 4, 4],
    );
  });

  it('names a version mismatch between the dump and the server', () => {
    assert.equal(majorVersion('15.18 (Debian 15.18-0+deb12u1)'), 15);
    assert.equal(majorVersion('9.6.24'), 9.6);
    assert.match(versionMismatch('17.2', '15.18') ?? '', /pg_dump 17\.2, newer than the PostgreSQL 15\.18 .*install postgresql-17/);
    assert.equal(versionMismatch('15.4', '16.1'), undefined);
  });
});
