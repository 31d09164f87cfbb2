import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { createServer, type Server } from 'node:net';
import { describe, it } from 'node:test';
import { rootCertificates } from 'node:tls';
import { effectiveSslMode, isLocalHost, parsePostgresUrl } from '../../../src/db/postgres.js';
import { freePort } from '../../../src/simulator/postgres-cluster.js';
import { CANARY_PASSWORD, base, cluster, readerUrl, run, useDbCheckCluster } from '../../helpers/db-check-harness.js';

useDbCheckCluster();

describe('db-connectivity', () => {
  it('passes over TLS with verify-full and reports version, TLS and latency', async () => {
    const r = await run(base(readerUrl('clinic', { sslmode: 'verify-full', sslrootcert: cluster.caFile! })));
    const c = r['db-connectivity']!;
    assert.equal(c.status, 'pass', c.message);
    assert.equal(c.evidence.tls, true);
    assert.equal(c.evidence.readOnly, true);
    assert.match(String(c.evidence.serverVersion), /^\d+\.\d+/);
    assert.equal(typeof c.evidence.latencyMs, 'number');
  });

  it('says TLS is off with sslmode=disable (pass on loopback)', async () => {
    const c = (await run(base(readerUrl('clinic'))))['db-connectivity']!;
    assert.equal(c.status, 'pass');
    assert.equal(c.evidence.tls, false);
  });

  it('sslmode=require encrypts without verifying; prefer falls back like libpq', async () => {
    const c = (await run(base(readerUrl('clinic', { sslmode: 'require' }))))['db-connectivity']!;
    assert.equal(c.evidence.tls, true);
    const p = (await run(base(readerUrl('clinic', { sslmode: 'prefer' }))))['db-connectivity']!;
    assert.equal(p.evidence.tls, true);
  });

  // "127.1" is inet_aton shorthand for 127.0.0.1: it reaches the test cluster over loopback, but it is not one of
  // the names restorecheck recognises as local, so it stands for a remote host (tests may use no other network).
  const remoteLooking = (database: string, params: Record<string, string>, user = 'reader', password = CANARY_PASSWORD) =>
    `postgres://${user}:${password}@127.1:${cluster.port}/${database}${Object.keys(params).length ? `?${new URLSearchParams(params)}` : ''}`;

  it('verifies the certificate by default for a remote host (no sslmode means verify-full, not prefer)', async () => {
    const c = (await run(base(remoteLooking('clinic', {}))))['db-connectivity']!;
    assert.equal(c.status, 'error', c.message);
    assert.equal(c.errorKind, 'tls');
    assert.match(c.message, /sslmode=verify-full/);
    assert.match(c.message, /self[- ]signed|certificate/i);
    // The CA alone is not enough either: verify-full checks the host name (the certificate names localhost, 127.0.0.1).
    const named = (await run(base(remoteLooking('clinic', { sslrootcert: cluster.caFile! }))))['db-connectivity']!;
    assert.equal(named.status, 'error', named.message);
    assert.equal(named.errorKind, 'tls');
    assert.match(named.message, /127\.1|altname|host/i);
  });

  it('warns naming the risk and the fix when sslmode=require/prefer/disable is chosen for a remote host', async () => {
    for (const mode of ['require', 'prefer']) {
      const c = (await run(base(remoteLooking('clinic', { sslmode: mode }))))['db-connectivity']!;
      assert.equal(c.status, 'warn', `${mode}: ${c.message}`);
      assert.equal(c.evidence.tls, true);
      assert.equal(c.evidence.sslMode, mode);
      assert.equal(c.evidence.sslModeExplicit, true);
      assert.match(
        c.message,
        new RegExp(`sslmode=${mode} encrypts but does not check the server certificate: a man in the middle can read patient data; use sslmode=verify-full`),
      );
    }
    const plain = (await run(base(remoteLooking('clinic', { sslmode: 'disable' }))))['db-connectivity']!;
    assert.equal(plain.status, 'warn');
    assert.match(plain.message, /not encrypted \(sslmode=disable\).*use sslmode=verify-full/);
  });

  it('keeps sslrootcert and verify-full working for a host the certificate names', async () => {
    const url = cluster
      .url({ user: 'reader', password: CANARY_PASSWORD, database: 'clinic', params: { sslrootcert: cluster.caFile! } })
      .replace('127.0.0.1', 'localhost');
    const c = (await run(base(url)))['db-connectivity']!;
    assert.equal(c.status, 'pass', c.message);
    assert.equal(c.evidence.tls, true);
  });

  it('warns when the role is a superuser, a pg_write_all_data member, a table owner or has write grants', async () => {
    const cases: Array<[string, RegExp]> = [
      ['su', /role "su" is a superuser; a read-only role \(pg_read_all_data, or SELECT-only grants\) is enough/],
      ['writeall', /role "writeall" is a member of pg_write_all_data/],
      ['tableowner', /role "tableowner" can write to 1 table \(public\.owned_by_tableowner\)/],
      ['granted', /role "granted" can write to 1 table \(public\.patients\)/],
    ];
    for (const [user, expected] of cases) {
      const c = (await run(base(readerUrl('clinic').replace('//reader:', `//${user}:`))))['db-connectivity']!;
      assert.equal(c.status, 'warn', `${user}: ${c.message}`);
      assert.match(c.message, expected);
      assert.equal((c.evidence.role as { name: string }).name, user);
    }
    const reader = (await run(base(readerUrl('clinic'))))['db-connectivity']!;
    assert.equal(reader.status, 'pass', reader.message);
    assert.deepEqual(reader.evidence.role, { name: 'reader', superuser: false, writeAllData: false, writableTableCount: 0, writableTables: [] });
  });

  it('is error (tls) when verify-full cannot verify the certificate', async () => {
    const c = (await run(base(readerUrl('clinic', { sslmode: 'verify-full' }))))['db-connectivity']!;
    assert.equal(c.status, 'error');
    assert.equal(c.errorKind, 'tls');
    assert.match(c.hint!, /sslrootcert/);
  });

  it('is error (auth) on a wrong password, without printing it', async () => {
    const url = cluster.url({ user: 'reader', password: `${CANARY_PASSWORD}-wrong`, database: 'clinic', params: { sslmode: 'disable' } });
    const r = await run(base(url, '  alembic:\n    expectedHead: d0000001\n'));
    const c = r['db-connectivity']!;
    assert.equal(c.status, 'error');
    assert.equal(c.errorKind, 'auth');
    assert.match(c.message, /password authentication failed for user "reader"/);
    assert.ok(!JSON.stringify(r).includes('-wrong'));
    // The other database checks are error too, never pass.
    assert.equal(r['db-alembic-version']!.status, 'error');
  });

  it('is error (refused) on a closed port', async () => {
    const port = await freePort();
    const c = (await run(base(`postgres://reader:x@127.0.0.1:${port}/clinic?sslmode=disable`)))['db-connectivity']!;
    assert.equal(c.errorKind, 'refused');
    assert.match(c.message, new RegExp(`connection refused by 127\\.0\\.0\\.1:${port}`));
  });

  it('is error (timeout) within the connect timeout when the server never answers', async () => {
    const sockets: import('node:net').Socket[] = [];
    const silent: Server = createServer((s) => sockets.push(s));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    try {
      const t0 = performance.now();
      const c = (await run(`environment: test\ndatabase:\n  url: postgres://reader:x@127.0.0.1:${port}/clinic?sslmode=disable\n  connectTimeoutMs: 500\n`))[
        'db-connectivity'
      ]!;
      assert.equal(c.status, 'error');
      assert.equal(c.errorKind, 'timeout');
      assert.ok(performance.now() - t0 < 5_000);
    } finally {
      for (const s of sockets) s.destroy();
      silent.close();
    }
  });
});

// The rule behind db-connectivity's TLS verdicts: which sslmode a URL gets, and whether its host counts as local.
describe('the effective sslmode', () => {
  it('treats loopback names, addresses and socket paths as local, anything else as remote', () => {
    for (const h of ['localhost', 'LOCALHOST', '127.0.0.1', '127.8.9.10', '::1', '[::1]', '::ffff:127.0.0.1', '/var/run/postgresql', '@abstract', '']) {
      assert.equal(isLocalHost(h), true, h);
    }
    for (const h of ['db.example', 'medicappdb.postgres.database.azure.com', '10.0.0.4', '128.0.0.1', '::2', 'localhost.evil.example', '127.1']) {
      assert.equal(isLocalHost(h), false, h);
    }
  });

  it("is verify-full for a remote host without sslmode, prefer for a local one, and the user's choice otherwise", () => {
    assert.equal(effectiveSslMode(undefined, 'db.example'), 'verify-full');
    assert.equal(effectiveSslMode(null, '127.0.0.1'), 'prefer');
    assert.equal(effectiveSslMode('require', 'db.example'), 'require');
    const remote = parsePostgresUrl('postgres://u:p@prod.postgres.database.azure.com:5432/app');
    assert.equal(remote.sslMode, 'verify-full');
    assert.equal(remote.sslModeExplicit, false);
    assert.equal(remote.localHost, false);
    const socket = parsePostgresUrl('postgres://u@localhost/app?host=/var/run/postgresql');
    assert.equal(socket.sslMode, 'prefer');
    assert.equal(socket.localHost, true);
    const chosen = parsePostgresUrl('postgres://u:p@db.example/app?sslmode=prefer');
    assert.equal(chosen.sslMode, 'prefer');
    assert.equal(chosen.sslModeExplicit, true);
  });

  it("has the roots Azure Database for PostgreSQL chains to in Node's default CA store", () => {
    const subjects = rootCertificates.map((pem) => new X509Certificate(pem).subject);
    for (const cn of ['DigiCert Global Root G2', 'Microsoft RSA Root Certificate Authority 2017', 'DigiCert Global Root CA']) {
      assert.ok(
        subjects.some((s) => s.split('\n').includes(`CN=${cn}`)),
        cn,
      );
    }
  });
});
