/**
 * The initdb template (src/restore/cluster-template.ts), with the machine's real PostgreSQL: the first cluster runs
 * initdb and leaves a template; the next ones are copies of it, each with its own superuser password over TCP; a
 * cluster that ran (and wrote) leaves the template as it was; a template that others could change is never used.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { templatesDir } from '../../src/restore/cluster-template.js';
import { startCluster } from '../../src/restore/throwaway-cluster.js';
import { createThrowawayDatabase } from '../../src/restore/throwaway-database.js';

const run = promisify(execFile);

/** Every file's path, mode and content hash under DIR: what must not change. */
async function fingerprint(dir: string): Promise<string> {
  const hash = createHash('sha256');
  const walk = async (at: string): Promise<void> => {
    for (const entry of (await readdir(at, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(at, entry.name);
      const info = await stat(path);
      hash.update(`${path}\0${info.mode}\0${info.uid}\0`);
      if (entry.isDirectory()) await walk(path);
      else hash.update(await readFile(path));
    }
  };
  await walk(dir);
  return hash.digest('hex');
}

async function tcpUser(cluster: Awaited<ReturnType<typeof startCluster>>): Promise<string> {
  const { stdout } = await run(join(cluster.clientBinDir, 'psql'), ['-X', '-At', cluster.url(), '-c', 'select current_user'], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    timeout: 30_000,
  });
  return stdout.trim();
}

describe('throwaway clusters from an initdb template', () => {
  let cache: string;
  const previous = process.env.RESTORECHECK_CACHE_DIR;

  before(async () => {
    // A cache of our own, traversable by the sandbox user (0755), so that the first cluster of this test runs initdb.
    cache = await mkdtemp(join(tmpdir(), 'restorecheck-template-test-'));
    await chmod(cache, 0o755);
    process.env.RESTORECHECK_CACHE_DIR = cache;
  });
  after(async () => {
    if (previous === undefined) delete process.env.RESTORECHECK_CACHE_DIR;
    else process.env.RESTORECHECK_CACHE_DIR = previous;
    await rm(cache, { recursive: true, force: true });
  });

  it('runs initdb once, then copies; each copy has its own password, and a cluster that wrote leaves the template unchanged', async () => {
    const first = await startCluster();
    try {
      assert.equal(first.initializedFrom, 'initdb');
      assert.equal(await tcpUser(first), 'postgres');
    } finally {
      await first.stop({ immediate: true });
    }
    const [key] = await readdir(templatesDir());
    assert.ok(key, 'initdb left a template');
    const template = join(templatesDir(), key, 'data');
    const before = await fingerprint(template);

    const second = await startCluster();
    const third = await startCluster();
    try {
      assert.equal(second.initializedFrom, 'template');
      assert.equal(third.initializedFrom, 'template');
      assert.notEqual(second.password, third.password);
      // The password set after the start works over TCP (the template's own was random and thrown away)…
      assert.equal(await tcpUser(second), 'postgres');
      // …and only this cluster's: the other's password is refused.
      await assert.rejects(
        run(join(second.clientBinDir, 'psql'), ['-X', '-At', second.url({ password: third.password }), '-c', 'select 1'], { timeout: 30_000 }),
        /password authentication failed/,
      );
      await second.sql('CREATE TABLE planted (x int); INSERT INTO planted VALUES (1)');
      await second.sql('CREATE TABLE planted_in_template1 (x int)', 'template1');
      await second.sql("ALTER SYSTEM SET work_mem = '77MB'");
      assert.equal((await third.sql("SELECT count(*) FROM pg_class WHERE relname LIKE 'planted%'")).trim(), '0');
    } finally {
      await second.stop({ immediate: true });
      await third.stop({ immediate: true });
    }
    assert.equal(await fingerprint(template), before, 'the template is exactly as initdb left it');
    // Owned by this process's user and writable by nobody else: the sandbox user that runs the servers cannot change it.
    const info = await stat(template);
    assert.equal(info.mode & 0o022, 0);
    const fourth = await startCluster();
    try {
      assert.equal((await fourth.sql("SELECT count(*) FROM pg_class WHERE relname LIKE 'planted%'", 'template1')).trim(), '0');
      assert.equal((await fourth.sql('SHOW work_mem')).trim(), '4MB');
    } finally {
      await fourth.stop({ immediate: true });
    }
  });

  it('does not use a template that others can write to, and runs initdb instead', async () => {
    const [key] = await readdir(templatesDir());
    assert.ok(key);
    await chmod(join(templatesDir(), key), 0o777);
    try {
      const cluster = await startCluster();
      try {
        assert.equal(cluster.initializedFrom, 'initdb');
        assert.equal(await tcpUser(cluster), 'postgres');
      } finally {
        await cluster.stop({ immediate: true });
      }
    } finally {
      await chmod(join(templatesDir(), key), 0o755);
    }
  });

  it("prepares a restore cluster's template once: the next ones start with only their scratch database and the restore role, with passwords of their own", async () => {
    const plain = new Set(await readdir(templatesDir()).catch(() => []));
    const first = await createThrowawayDatabase();
    await first.drop();
    // Besides the plain one (made too when this test runs alone, with three databases): the one with only the scratch one.
    const added = (await readdir(templatesDir())).filter((k) => !plain.has(k));
    const prepared: string[] = [];
    for (const k of added) if ((await readdir(join(templatesDir(), k, 'data', 'base'))).length === 1) prepared.push(k);
    assert.equal(prepared.length, 1, `the first restore cluster left a template of its own (new: ${added.join(', ')})`);
    const template = join(templatesDir(), prepared[0]!, 'data');
    const before = await fingerprint(template);

    const [second, third] = [await createThrowawayDatabase(), await createThrowawayDatabase()];
    const asRestoreRole = (db: typeof second, sql: string, password = db.target.password) =>
      run(
        join(db.target.binDir, 'psql'),
        ['-X', '-At', '-h', db.target.host, '-p', String(db.target.port), '-U', db.target.user, '-d', db.target.database, '-c', sql],
        {
          env: { PATH: process.env.PATH ?? '/usr/bin:/bin', PGPASSWORD: password },
          timeout: 30_000,
        },
      );
    try {
      // Its only database: no postgres, template0 or template1 to connect to or to plant something in.
      assert.deepEqual((await asRestoreRole(second, 'SELECT datname FROM pg_database ORDER BY 1')).stdout.trim().split('\n'), ['restorecheck_scratch']);
      assert.equal(second.target.database, 'restorecheck_scratch');
      // The superuser's own statements (the roles a dump left, cluster-template's maintenance) run there too.
      assert.ok((await second.roles()).includes('restorecheck_restore'));
      assert.equal(
        (await asRestoreRole(second, 'SELECT rolsuper, rolcreatedb, rolcreaterole FROM pg_roles WHERE rolname = current_user')).stdout.trim(),
        'f|f|f',
      );
      await asRestoreRole(second, 'CREATE TABLE public.restored (x int); INSERT INTO public.restored VALUES (1)');
      // The other cluster's password is refused.
      await assert.rejects(asRestoreRole(second, 'SELECT 1', third.target.password), /password authentication failed/);
      assert.equal((await asRestoreRole(third, "SELECT count(*) FROM pg_class WHERE relname = 'restored'")).stdout.trim(), '0');
    } finally {
      await second.drop();
      await third.drop();
    }
    assert.equal(await fingerprint(template), before, 'a restore leaves the template unchanged');
  });
});
