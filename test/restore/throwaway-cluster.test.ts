/** The throwaway cluster's launcher: who it runs as, where it may live, and what it leaves behind. */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { EvaluationError } from '../../src/errors.js';
import { hasCve202618408Fix } from '../../src/restore/sandbox-user.js';
import { CLUSTER_PREFIX, findPostgresBinDir, startCluster, sweepAbandonedClusters } from '../../src/restore/throwaway-cluster.js';
import { createThrowawayDatabase } from '../../src/restore/throwaway-database.js';

describe('throwaway cluster launcher', () => {
  let work: string;
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'restorecheck-launcher-'));
  });
  after(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('as root, a TMPDIR the sandbox user cannot traverse gives a clear error naming TMPDIR and the fix, not a raw runuser failure', {
    skip: process.getuid?.() !== 0 && 'needs root (the sandbox user is only switched to as root)',
  }, async () => {
    const closed = join(work, 'closed');
    await import('node:fs/promises').then((fs) => fs.mkdir(closed));
    await chmod(closed, 0o700); // root's, and only root may enter
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = closed;
    try {
      await assert.rejects(startCluster(), (error: unknown) => {
        assert.ok(error instanceof EvaluationError, String(error));
        assert.match(error.message, new RegExp(`TMPDIR ${closed} cannot be entered by the "postgres" user`));
        assert.match(error.hint, /TMPDIR=\/var\/tmp|chmod o\+x/);
        assert.doesNotMatch(error.message, /runuser|Permission denied/);
        return true;
      });
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
    }
    const { readdir } = await import('node:fs/promises');
    assert.deepEqual(await readdir(closed), [], 'the refused cluster directory was removed');
  });

  it('runs the server as a non-root user with a fresh, empty HOME', async () => {
    const cluster = await startCluster();
    try {
      assert.notEqual(cluster.osUser, 'root');
      const pid = Number((await readFile(join(cluster.dir, 'data', 'postmaster.pid'), 'utf8')).split('\n')[0]);
      const status = await readFile(`/proc/${pid}/status`, 'utf8');
      assert.notEqual(Number(/^Uid:\s+(\d+)/m.exec(status)?.[1]), 0);
      const environ = await readFile(`/proc/${pid}/environ`, 'utf8');
      assert.match(environ, new RegExp(`(^|\\0)HOME=${cluster.home}(\\0|$)`));
    } finally {
      await cluster.stop();
    }
    assert.equal(existsSync(cluster.dir), false);
  });

  it('a server that refuses its settings at start is an error naming what its log says, at once (not after the start timeout)', {
    timeout: 30_000,
  }, async () => {
    const before = new Set((await readdir(tmpdir())).filter((e) => e.startsWith(CLUSTER_PREFIX)));
    await assert.rejects(startCluster({ settings: { shared_buffers: 'plenty' } }), (error: unknown) => {
      assert.ok(error instanceof EvaluationError, String(error));
      assert.match(error.message, /exited as it started: .*shared_buffers/);
      return true;
    });
    // Nothing of it is left (other test files' clusters, each in a process of its own, come and go meanwhile).
    const ours: string[] = [];
    for (const e of (await readdir(tmpdir())).filter((e) => e.startsWith(CLUSTER_PREFIX) && !before.has(e))) {
      const owner = await readFile(join(tmpdir(), e, 'owner.json'), 'utf8').catch(() => '');
      if (owner.includes(`"pid":${process.pid},`)) ours.push(e);
    }
    assert.deepEqual(ours, []);
  });

  it('stop() removes the directory even when nothing else keeps the process alive (the server process is not waited on by default)', async () => {
    // A process of its own, whose only work is the cluster: it must not end while stop() is still waiting for the server.
    const script = [
      "import { existsSync } from 'node:fs';",
      `import { startCluster } from ${JSON.stringify(join(process.cwd(), 'src/restore/throwaway-cluster.ts'))};`,
      'const cluster = await startCluster();',
      'process.stdout.write(`dir ${cluster.dir}\\n`);',
      'await cluster.stop({ immediate: true });',
      'process.stdout.write(`stopped ${existsSync(cluster.dir)}\\n`);',
    ].join('\n');
    const file = join(work, 'stop-alone.mts');
    await writeFile(file, script);
    const child = spawnSync(process.execPath, ['--import', 'tsx', file], { encoding: 'utf8', timeout: 120_000 });
    const dir = /^dir (.+)$/m.exec(child.stdout)?.[1];
    assert.ok(dir, `the cluster started (${child.stderr})`);
    try {
      assert.match(child.stdout, /^stopped false$/m, `stop() finished and removed ${dir} (exit ${child.status}, ${child.stderr})`);
      assert.equal(existsSync(dir), false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("never puts a password on a command line (every local user can read them), neither the superuser's nor the restore role's", async () => {
    // psql, as the cluster's tools run it, behind a wrapper that writes down each command line.
    const bin = join(work, 'psql-recorder');
    await mkdir(bin, { recursive: true });
    const argv = join(bin, 'argv.log');
    await writeFile(argv, '');
    await chmod(argv, 0o666);
    const realBin = findPostgresBinDir();
    await writeFile(join(bin, 'psql'), `#!/bin/sh\nprintf '%s\\n' "$*" >> ${argv}\nexec ${join(realBin, 'psql')} "$@"\n`);
    await chmod(join(bin, 'psql'), 0o755);
    await chmod(bin, 0o755);
    await chmod(work, 0o755);
    const db = await createThrowawayDatabase({ server: { binDir: realBin, clientBinDir: bin, version: "the machine's", major: 15, origin: 'machine' } });
    try {
      const lines = (await readFile(argv, 'utf8')).split('\n').filter(Boolean);
      assert.ok(lines.length > 0, 'the wrapper saw psql run');
      assert.ok(db.target.password.length > 10);
      for (const line of lines) {
        assert.ok(!line.includes(db.target.password), `the restore role's password on a command line: ${line.replace(db.target.password, '<password>')}`);
        assert.doesNotMatch(line, /PASSWORD/i);
      }
      // And the password set that way works: the restore role logs in over TCP with it.
      const login = spawnSync(
        join(realBin, 'psql'),
        ['-X', '-At', '-h', db.target.host, '-p', String(db.target.port), '-U', db.target.user, '-d', db.target.database, '-c', 'select current_user'],
        { encoding: 'utf8', env: { PATH: process.env.PATH ?? '/usr/bin:/bin', PGPASSWORD: db.target.password }, timeout: 30_000 },
      );
      assert.equal(login.stdout.trim(), 'restorecheck_restore', login.stderr);
    } finally {
      await db.drop();
    }
  });

  it("the sweep removes only what is ours and abandoned: not a live owner's cluster, nor a directory someone else could write", async () => {
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const deadPid = Number(dead.stdout);
    const make = async (name: string, mode: number, pid: number) => {
      const dir = join(work, `restorecheck-pg-${name}`);
      await mkdir(dir);
      await chmod(dir, mode);
      await writeFile(join(dir, 'owner.json'), JSON.stringify({ pid, startTime: null, binDir: '/nonexistent', user: 'x', host: hostname() }));
      return dir;
    };
    const foreign = await make('foreign', 0o777, deadPid);
    const alive = await make('alive', 0o700, process.pid);
    const abandoned = await make('abandoned', 0o700, deadPid);
    const swept = await sweepAbandonedClusters(work);
    assert.deepEqual(
      swept.map((c) => c.dir),
      [abandoned],
    );
    assert.equal(swept[0]!.removed, true);
    assert.equal(existsSync(abandoned), false);
    assert.equal(existsSync(foreign), true, 'a world-writable directory is not known to be ours');
    assert.equal(existsSync(alive), true, "a live owner's cluster is never touched");
  });

  it('a cluster whose owner.json names a bin directory restorecheck would not run: the sweep never runs its pg_ctl', async () => {
    await chmod(work, 0o755); // the sandbox user runs pg_ctl (as root): it must reach the drop box below
    const drop = join(work, 'drop');
    await mkdir(drop);
    await chmod(drop, 0o1777);
    const evil = join(work, 'evil-bin');
    await mkdir(evil);
    const marker = join(drop, 'evil-ran');
    for (const tool of ['initdb', 'pg_ctl', 'postgres']) await writeFile(join(evil, tool), `#!/bin/sh\ntouch ${marker}\n`, { mode: 0o755 });
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const dir = join(work, 'restorecheck-pg-planted');
    await mkdir(join(dir, 'data'), { recursive: true });
    await chmod(dir, 0o700);
    await writeFile(join(dir, 'owner.json'), JSON.stringify({ pid: Number(dead.stdout), startTime: null, binDir: evil, user: 'x', host: hostname() }));
    // A postmaster.pid (of a process long gone): what makes the sweep reach for a pg_ctl at all.
    await writeFile(join(dir, 'data', 'postmaster.pid'), `${Number(dead.stdout)}\n${join(dir, 'data')}\n`);
    const swept = await sweepAbandonedClusters(work);
    const entry = swept.find((c) => c.dir === dir);
    assert.ok(entry, JSON.stringify(swept));
    assert.notEqual(entry.pgCtl, join(evil, 'pg_ctl'));
    assert.match(entry.pgCtl ?? '', /\/usr\/lib\/postgresql\/\d+\/bin\/pg_ctl$|^$/);
    assert.equal(entry.removed, true);
    assert.equal(existsSync(marker), false, 'the planted pg_ctl ran');
  });

  it('knows which psql versions carry the CVE-2026-18408 fix, and is conservative about the rest', () => {
    assert.equal(hasCve202618408Fix('15.18'), false);
    assert.equal(hasCve202618408Fix('15.19'), true);
    assert.equal(hasCve202618408Fix('16.10'), false);
    assert.equal(hasCve202618408Fix('16.11'), true);
    assert.equal(hasCve202618408Fix('17.7'), true);
    assert.equal(hasCve202618408Fix('18.0'), false);
    assert.equal(hasCve202618408Fix('18.1'), true);
    assert.equal(hasCve202618408Fix('14.30'), false, 'a major we know no fixed release of is unfixed');
    assert.equal(hasCve202618408Fix(undefined), undefined);
  });
});
