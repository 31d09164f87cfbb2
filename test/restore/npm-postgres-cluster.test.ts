/**
 * A throwaway cluster from the npm registry's PostgreSQL 17 (the shared test cache: downloaded once per run): it runs as
 * the sandbox user, restores a dump that only PostgreSQL 17 or newer accepts, and is swept, with its own pg_ctl, after a
 * SIGKILL of the process that held it.
 *
 * The dump is made by a real pg_dump 17: PGlite's WebAssembly build (@electric-sql/pglite-tools 0.2.20, pg_dump 17.5,
 * dumping a PGlite 0.3.15 database, itself PostgreSQL 17.5). No native pg_dump 17 is available here: Debian 12 ships
 * 15, and the npm server packages hold no pg_dump. Its header says `Dumped by pg_dump version 17.5`, and it holds a
 * JSON_TABLE view (new in 17) and `SET transaction_timeout` (a setting new in 17).
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { PostgresServer } from '../../src/restore/postgres-binaries.js';
import { restoreSqlDump } from '../../src/restore/sql-restore.js';
import { startCluster, sweepAbandonedClusters } from '../../src/restore/throwaway-cluster.js';
import { createThrowawayDatabase } from '../../src/restore/throwaway-database.js';
import { npmServerFor, sharedPostgresCache } from '../helpers/npm-postgres-cache.js';

const run = promisify(execFile);

interface PgDumpModule {
  pgDump(options: { pg: unknown; args?: string[] }): Promise<{ text(): Promise<string> }>;
}
interface PGliteModule {
  PGlite: { create(): Promise<{ exec(sql: string): Promise<unknown>; close(): Promise<void> }> };
}

/** A plain dump made by pg_dump 17.5 (WebAssembly) of a PGlite 17.5 database holding a JSON_TABLE view. */
async function dumpFromPgDump17(): Promise<string> {
  // Named through variables: until the devDependencies are installed, the rest of the suite still type-checks.
  const pgliteName = '@electric-sql/pglite';
  const toolsName = '@electric-sql/pglite-tools/pg_dump';
  let pglite: PGliteModule;
  let tools: PgDumpModule;
  try {
    pglite = (await import(pgliteName)) as PGliteModule;
    tools = (await import(toolsName)) as PgDumpModule;
  } catch (error) {
    throw new Error(
      `this test needs the devDependencies @electric-sql/pglite@0.3.15 and @electric-sql/pglite-tools@0.2.20 (npm install): ${(error as Error).message}`,
    );
  }
  const pg = await pglite.PGlite.create();
  try {
    await pg.exec(`
      CREATE TABLE visits (id integer PRIMARY KEY, doc jsonb NOT NULL);
      INSERT INTO visits VALUES
        (1, '{"acts":[{"code":"A1","qty":2},{"code":"B2","qty":3}]}'),
        (2, '{"acts":[{"code":"C3","qty":1}]}');
      CREATE VIEW visit_acts AS
        SELECT v.id, jt.code, jt.qty
        FROM visits v, JSON_TABLE(v.doc, '$.acts[*]' COLUMNS (code text PATH '$.code', qty integer PATH '$.qty')) AS jt;
    `);
    return await (await tools.pgDump({ pg, args: ['--no-owner', '--no-privileges'] })).text();
  } finally {
    await pg.close();
  }
}

/** True while PID is a live (not zombie) process. */
function running(pid: number): boolean {
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

describe('a throwaway PostgreSQL 17 from the npm registry', () => {
  let server: PostgresServer;
  let work: string;
  const savedCache = process.env.RESTORECHECK_CACHE_DIR;
  before(async () => {
    // The sweep (like `restore-test cleanup --local`) knows the npm servers of the cache configured in its environment.
    process.env.RESTORECHECK_CACHE_DIR = sharedPostgresCache();
    server = await npmServerFor('17.5');
    work = await mkdtemp(join(tmpdir(), 'restorecheck-pg17-'));
    await chmod(work, 0o755);
  });
  after(async () => {
    if (savedCache === undefined) delete process.env.RESTORECHECK_CACHE_DIR;
    else process.env.RESTORECHECK_CACHE_DIR = savedCache;
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('runs the npm package’s server as the sandbox user, with the machine’s psql: SELECT version() says 17', async () => {
    assert.equal(server.origin, 'npm');
    const cluster = await startCluster({ server });
    try {
      assert.match((await cluster.sql('SELECT version()')).trim(), /^PostgreSQL 17\.10 /);
      assert.equal(cluster.binDir, server.binDir);
      assert.equal(cluster.clientBinDir, server.clientBinDir);
      const pid = Number((await readFile(join(cluster.dir, 'data', 'postmaster.pid'), 'utf8')).split('\n')[0]);
      assert.equal(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0], join(server.binDir, 'postgres'));
      assert.notEqual(Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]), 0, 'never root');
    } finally {
      await cluster.stop();
    }
    assert.equal(existsSync(cluster.dir), false);
  });

  it('a dump made by pg_dump 17 restores into it without an error; the machine’s PostgreSQL 15 rejects it', async () => {
    const dump = await dumpFromPgDump17();
    assert.match(dump, /^-- Dumped by pg_dump version 17\.5$/m);
    assert.match(dump, /JSON_TABLE\(/);

    const db = await createThrowawayDatabase({ server });
    try {
      assert.match(db.serverVersion, /^17\.10/);
      const result = await restoreSqlDump(Readable.from([dump]), db.target);
      assert.equal(result.dumpedBy, '17.5');
      assert.equal(result.errorCount, 0, result.errors.join('\n'));
      const { stdout } = await run(
        join(server.clientBinDir, 'psql'),
        ['-X', '-A', '-t', '-d', db.url, '-c', "SELECT string_agg(code || qty, ',' ORDER BY code) FROM visit_acts"],
        {
          timeout: 30_000,
        },
      );
      assert.equal(stdout.trim(), 'A12,B23,C31');
    } finally {
      await db.drop();
    }

    // The same dump into the machine's 15: what the npm server is for.
    const old = await createThrowawayDatabase();
    try {
      const result = await restoreSqlDump(Readable.from([dump]), old.target);
      assert.ok(result.errorCount > 0, 'PostgreSQL 15 accepted a dump only 17 should');
      assert.ok(
        result.errors.some((e) => /transaction_timeout/.test(e)),
        result.errors.join('\n'),
      );
      assert.ok(
        result.errors.some((e) => /syntax error/.test(e)),
        result.errors.join('\n'),
      );
    } finally {
      await old.drop();
    }
  });

  it('SIGKILL of the process holding a 17 cluster: the sweep stops it with 17’s own pg_ctl and removes it', async () => {
    const tmp = join(work, 'tmp-killed');
    await mkdir(tmp, { mode: 0o755 });
    await chmod(tmp, 0o755);
    const binaries = new URL('../../src/restore/postgres-binaries.ts', import.meta.url).href;
    const launcher = new URL('../../src/restore/throwaway-cluster.ts', import.meta.url).href;
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '-e',
        `
      const { resolvePostgresServer } = await import(${JSON.stringify(binaries)});
      const { startCluster } = await import(${JSON.stringify(launcher)});
      const c = await startCluster({ server: await resolvePostgresServer('17.5') });
      process.stdout.write(JSON.stringify({ dir: c.dir }) + '\\n');
      setInterval(() => {}, 1000);`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, TMPDIR: tmp, RESTORECHECK_CACHE_DIR: sharedPostgresCache() } },
    );
    const closed = new Promise<void>((resolve) => child.on('close', () => resolve()));
    try {
      const dir = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('the child never reported its cluster')), 120_000);
        child.stdout.once('data', (d: Buffer) => {
          clearTimeout(timer);
          resolve((JSON.parse(d.toString()) as { dir: string }).dir);
        });
      });
      const postmaster = Number((await readFile(join(dir, 'data', 'postmaster.pid'), 'utf8')).split('\n')[0]);
      child.kill('SIGKILL');
      await closed;
      assert.ok(running(postmaster), 'the killed owner left its 17 server running (the situation to clean up)');

      const swept = await sweepAbandonedClusters(tmp);
      assert.equal(swept.length, 1, JSON.stringify(swept));
      assert.equal(swept[0]!.dir, dir);
      assert.equal(swept[0]!.postmasterPid, postmaster);
      assert.equal(swept[0]!.pgCtl, join(server.binDir, 'pg_ctl'), 'stopped by its own server’s pg_ctl');
      assert.equal(swept[0]!.removed, true);
      assert.equal(existsSync(dir), false);
      for (let i = 0; i < 50 && running(postmaster); i++) await new Promise((r) => setTimeout(r, 100));
      assert.equal(running(postmaster), false, 'the server is stopped');
    } finally {
      child.kill('SIGKILL');
      await closed;
    }
  });
});
