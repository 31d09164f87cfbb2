/**
 * The four database checks through the real engine and the real gateway, against a throwaway
 * PostgreSQL cluster (TLS on) whose Alembic state is made by the real Alembic.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { checksFor } from '../../src/checks/index.js';
import { countToJson } from '../../src/checks/db/db-core-row-counts.js';
import { parseConfigText } from '../../src/config/load.js';
import { X509Certificate } from 'node:crypto';
import { rootCertificates } from 'node:tls';
import pg from 'pg';
import { effectiveSslMode, isLocalHost, openDatabase, parsePostgresUrl } from '../../src/db/postgres.js';
import { LiveGateways } from '../../src/run/gateways.js';
import type { CheckResult } from '../../src/run/result.js';
import { runChecks } from '../../src/run/runner.js';
import { type PostgresCluster, freePort, startCluster } from '../../src/simulator/postgres-cluster.js';
import { type AlembicProject, createAlembicProject } from '../helpers/alembic.js';

const CANARY_PASSWORD = 'canary-Pw-7f3a9c';

let cluster: PostgresCluster;
let work: string;
let project: AlembicProject;
let branched: AlembicProject;

async function run(configYaml: string, env: Record<string, string> = {}): Promise<Record<string, CheckResult>> {
  const { config } = parseConfigText(configYaml, join(work, 'restorecheck.yaml'), env);
  const gateways = new LiveGateways(config);
  try {
    const result = await runChecks({ command: 'check', checks: checksFor('check'), config, gateways });
    for (const check of result.checks) assert.ok(!JSON.stringify(check).includes(CANARY_PASSWORD), `password leaked in ${check.id}`);
    return Object.fromEntries(result.checks.map((c) => [c.id, c]));
  } finally {
    await gateways.close();
  }
}

const readerUrl = (database: string, params: Record<string, string> = { sslmode: 'disable' }) => cluster.url({ user: 'reader', password: CANARY_PASSWORD, database, params });

before(async () => {
  cluster = await startCluster({ tls: true, settings: { log_statement: 'all' } });
  work = await mkdtemp(join(tmpdir(), 'restorecheck-dbchecks-'));
  await cluster.sql('CREATE DATABASE clinic');
  await cluster.sql('CREATE DATABASE branched');
  await cluster.sql('CREATE DATABASE empty');
  await cluster.sql(`CREATE ROLE reader LOGIN PASSWORD '${CANARY_PASSWORD}'`);
  await cluster.sql(`
    CREATE TABLE patients (id serial PRIMARY KEY, name text);
    INSERT INTO patients (name) SELECT 'p' || g FROM generate_series(1, 5) g;
    CREATE TABLE documents (id serial PRIMARY KEY, blob_name text, sha256 text, signed_at timestamptz);
    INSERT INTO documents (blob_name, sha256, signed_at) VALUES
      ('2026/11/consent-1.pdf', '${'ab'.repeat(32)}', now() - interval '2 days'),
      ('2026/11/consent-2.pdf', '${'CD'.repeat(32)}', now() - interval '1 day'),
      ('2026/11/unsigned.pdf', NULL, NULL);
    CREATE TABLE canary (id int); INSERT INTO canary VALUES (1);
    CREATE SCHEMA audit; CREATE TABLE audit."Event Log" (id int); INSERT INTO audit."Event Log" VALUES (1), (2);
    CREATE TABLE empty_table (id int);
    GRANT USAGE ON SCHEMA audit TO reader;
    GRANT SELECT ON ALL TABLES IN SCHEMA public, audit TO reader;`, 'clinic');
  await cluster.sql('GRANT SELECT ON ALL TABLES IN SCHEMA public TO reader', 'empty');
  for (const role of ['su SUPERUSER', 'writeall', 'tableowner', 'granted']) await cluster.sql(`CREATE ROLE ${role} LOGIN PASSWORD '${CANARY_PASSWORD}'`);
  await cluster.sql(`
    GRANT pg_write_all_data TO writeall;
    CREATE TABLE owned_by_tableowner (id int); ALTER TABLE owned_by_tableowner OWNER TO tableowner;
    GRANT SELECT, UPDATE ON patients TO granted;`, 'clinic');

  // Real Alembic: a history with a branch label and a merge, upgraded to its head.
  const sqlalchemyUrl = (db: string) => `postgresql+psycopg2://postgres:${cluster.password}@127.0.0.1:${cluster.port}/${db}`;
  const dirA = join(work, 'app');
  const dirB = join(work, 'branchy');
  await Promise.all([mkdirp(dirA), mkdirp(dirB)]);
  project = await createAlembicProject(dirA, sqlalchemyUrl('clinic'));
  await project.revision('a0000001', 'create patients');
  await project.revision('b0000001', 'audit', { head: 'base', branchLabel: 'audit' });
  await project.alembic('merge', '-m', 'merge', '--rev-id', 'c0000001', 'heads');
  await project.revision('d0000001', 'documents');
  await project.alembic('upgrade', 'head');
  await cluster.sql('GRANT SELECT ON alembic_version TO reader', 'clinic');
  // A database left on two unmerged branches.
  branched = await createAlembicProject(dirB, sqlalchemyUrl('branched'));
  await branched.revision('e0000001', 'main');
  await branched.revision('f0000001', 'side', { head: 'base', branchLabel: 'side' });
  await branched.alembic('upgrade', 'heads');
  await cluster.sql('GRANT SELECT ON alembic_version TO reader', 'branched');
});

after(async () => {
  await cluster?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

async function mkdirp(dir: string) {
  const { mkdir } = await import('node:fs/promises');
  await mkdir(dir, { recursive: true });
}

const base = (url: string, extra = '') => `environment: test\ndatabase:\n  url: "${url}"\n  connectTimeoutMs: 3000\n${extra}`;

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
      assert.match(c.message, new RegExp(`sslmode=${mode} encrypts but does not check the server certificate: a man in the middle can read patient data; use sslmode=verify-full`));
    }
    const plain = (await run(base(remoteLooking('clinic', { sslmode: 'disable' }))))['db-connectivity']!;
    assert.equal(plain.status, 'warn');
    assert.match(plain.message, /not encrypted \(sslmode=disable\).*use sslmode=verify-full/);
  });

  it('keeps sslrootcert and verify-full working for a host the certificate names', async () => {
    const url = cluster.url({ user: 'reader', password: CANARY_PASSWORD, database: 'clinic', params: { sslrootcert: cluster.caFile! } }).replace('127.0.0.1', 'localhost');
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
      const c = (await run(`environment: test\ndatabase:\n  url: postgres://reader:x@127.0.0.1:${port}/clinic?sslmode=disable\n  connectTimeoutMs: 500\n`))['db-connectivity']!;
      assert.equal(c.status, 'error');
      assert.equal(c.errorKind, 'timeout');
      assert.ok(performance.now() - t0 < 5_000);
    } finally {
      for (const s of sockets) s.destroy();
      silent.close();
    }
  });
});

describe('db-alembic-version', () => {
  it('passes when the database is at the head computed from the real migration scripts', async () => {
    const c = (await run(base(readerUrl('clinic'), '  alembic:\n    migrationsDir: app/migrations/versions\n')))['db-alembic-version']!;
    assert.equal(c.status, 'pass', c.message);
    assert.deepEqual([c.evidence.current], await project.current());
    assert.deepEqual([c.evidence.expected], await project.heads());
  });

  it('fails when the database is behind the expected head', async () => {
    const c = (await run(base(readerUrl('clinic'), '  alembic:\n    expectedHead: ffff0000\n')))['db-alembic-version']!;
    assert.equal(c.status, 'fail');
    assert.equal(c.evidence.current, 'd0000001');
    assert.equal(c.evidence.expected, 'ffff0000');
  });

  it('is error when expectedHead and the scripts disagree', async () => {
    const c = (await run(base(readerUrl('clinic'), '  alembic:\n    expectedHead: ffff0000\n    migrationsDir: app/migrations/versions\n')))['db-alembic-version']!;
    assert.equal(c.status, 'error');
    assert.match(c.message, /expectedHead is ffff0000 but the migration scripts .* have head d0000001/);
  });

  it('passes a two-base project upgraded with `alembic upgrade heads`: the rows equal the heads', async () => {
    const c = (await run(base(readerUrl('branched'), '  alembic:\n    migrationsDir: branchy/migrations/versions\n')))['db-alembic-version']!;
    assert.equal(c.status, 'pass', c.message);
    assert.deepEqual(c.evidence.current, await branched.current());
    assert.deepEqual(c.evidence.expected, await branched.heads());
    assert.deepEqual(c.evidence.expected, ['e0000001', 'f0000001']);
  });

  it('fails naming the missing and the extra revisions when the rows differ from the heads', async () => {
    const c = (await run(base(readerUrl('clinic'), '  alembic:\n    migrationsDir: branchy/migrations/versions\n')))['db-alembic-version']!;
    assert.equal(c.status, 'fail');
    assert.match(c.message, /missing e0000001, f0000001/);
    assert.match(c.message, /not a head: d0000001/);
    const one = (await run(base(readerUrl('branched'), '  alembic:\n    expectedHead: e0000001\n')))['db-alembic-version']!;
    assert.equal(one.status, 'fail');
    assert.deepEqual(one.evidence.current, await branched.current());
    assert.match(one.message, /not a head: f0000001/);
    const list = (await run(base(readerUrl('branched'), '  alembic:\n    expectedHead: [f0000001, e0000001]\n')))['db-alembic-version']!;
    assert.equal(list.status, 'pass', list.message);
  });

  it('is skipped with the reason when no expected head is configured', async () => {
    const none = (await run(base(readerUrl('empty'))))['db-alembic-version']!;
    assert.equal(none.status, 'skipped');
    assert.match(none.message, /database\.alembic\.expectedHead or migrationsDir/);
    const tableOnly = (await run(base(readerUrl('empty'), '  alembic:\n    table: alembic_version\n')))['db-alembic-version']!;
    assert.equal(tableOnly.status, 'skipped');
  });

  it('follows database.alembic.recursive for scripts in a subfolder of versions/', async () => {
    const { mkdir, writeFile } = await import('node:fs/promises');
    await mkdir(join(branched.versionsDir, 'archive'), { recursive: true });
    await writeFile(join(branched.versionsDir, 'archive', 'g0_later.py'), "revision = 'g0000001'\ndown_revision = 'e0000001'\n");
    try {
      // Alembic (without recursive_version_locations) ignores the subfolder: the database is still at its heads.
      assert.deepEqual(await branched.heads(), ['e0000001', 'f0000001']);
      const flat = (await run(base(readerUrl('branched'), '  alembic:\n    migrationsDir: branchy/migrations/versions\n')))['db-alembic-version']!;
      assert.equal(flat.status, 'pass', flat.message);
      const deep = (await run(base(readerUrl('branched'), '  alembic:\n    migrationsDir: branchy/migrations/versions\n    recursive: true\n')))['db-alembic-version']!;
      assert.equal(deep.status, 'fail');
      assert.match(deep.message, /missing g0000001/);
    } finally {
      const { rm: remove } = await import('node:fs/promises');
      await remove(join(branched.versionsDir, 'archive'), { recursive: true, force: true });
    }
  });

  it('tells a missing table from an empty one', async () => {
    const missing = (await run(base(readerUrl('empty'), '  alembic:\n    expectedHead: d0000001\n')))['db-alembic-version']!;
    assert.equal(missing.status, 'fail');
    assert.match(missing.message, /does not exist/);
    const empty = (await run(base(readerUrl('clinic'), '  alembic:\n    table: empty_table\n    expectedHead: d0000001\n')))['db-alembic-version']!;
    assert.equal(empty.status, 'error', 'a table without version_num cannot be read');
    await cluster.sql('CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY); GRANT SELECT ON alembic_version TO reader', 'empty');
    const emptied = (await run(base(readerUrl('empty'), '  alembic:\n    expectedHead: d0000001\n')))['db-alembic-version']!;
    assert.equal(emptied.status, 'fail');
    assert.match(emptied.message, /is empty/);
    await cluster.sql('DROP TABLE alembic_version', 'empty');
  });

  it('reads a schema-qualified table', async () => {
    const c = (await run(base(readerUrl('clinic'), '  alembic:\n    table: public.alembic_version\n    expectedHead: d0000001\n')))['db-alembic-version']!;
    assert.equal(c.status, 'pass');
  });
});

describe('the effective sslmode', () => {
  it('treats loopback names, addresses and socket paths as local, anything else as remote', () => {
    for (const h of ['localhost', 'LOCALHOST', '127.0.0.1', '127.8.9.10', '::1', '[::1]', '::ffff:127.0.0.1', '/var/run/postgresql', '@abstract', '']) {
      assert.equal(isLocalHost(h), true, h);
    }
    for (const h of ['db.example', 'medicappdb.postgres.database.azure.com', '10.0.0.4', '128.0.0.1', '::2', 'localhost.evil.example', '127.1']) {
      assert.equal(isLocalHost(h), false, h);
    }
  });

  it('is verify-full for a remote host without sslmode, prefer for a local one, and the user\'s choice otherwise', () => {
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

  it('has the roots Azure Database for PostgreSQL chains to in Node\'s default CA store', () => {
    const subjects = rootCertificates.map((pem) => new X509Certificate(pem).subject);
    for (const cn of ['DigiCert Global Root G2', 'Microsoft RSA Root Certificate Authority 2017', 'DigiCert Global Root CA']) {
      assert.ok(subjects.some((s) => s.split('\n').includes(`CN=${cn}`)), cn);
    }
  });
});

describe('db-core-row-counts', () => {
  /** Another session holding ACCESS EXCLUSIVE on the given tables (as a migration would) while `work` runs. */
  async function whileLocked<T>(tables: string[], work: () => Promise<T>): Promise<T> {
    const locker = new pg.Client({ connectionString: cluster.url({ database: 'clinic', params: { sslmode: 'disable' } }) });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query(`LOCK TABLE ${tables.join(', ')} IN ACCESS EXCLUSIVE MODE`);
      return await work();
    } finally {
      await locker.query('ROLLBACK').catch(() => undefined);
      await locker.end();
    }
  }
  const lockConfig = '  statementTimeoutMs: 1500\n  coreTables:\n    - { name: patients, minRows: 5 }\n    - { name: documents }\n    - { name: \'audit."Event Log"\', minRows: 2 }\n';

  it('counts the other tables when one is locked, and names the locked one (warn, never pass)', async () => {
    const c = await whileLocked(['documents'], async () => (await run(base(readerUrl('clinic'), lockConfig)))['db-core-row-counts']!);
    assert.equal(c.status, 'warn', c.message);
    assert.deepEqual(c.evidence.counts, { patients: 5, documents: null, 'audit."Event Log"': 2 });
    const notCounted = c.evidence.notCounted as Record<string, { reason: string; kind: string }>;
    assert.deepEqual(Object.keys(notCounted), ['documents']);
    assert.equal(notCounted.documents!.kind, 'timeout');
    assert.match(notCounted.documents!.reason, /table "documents" is locked by another session: no lock within 750 ms/);
    assert.match(c.message, /2 of 3 core tables counted .*not counted: table "documents" is locked/);
  });

  it('is error when no table can be counted, naming each lock', async () => {
    const c = await whileLocked(['patients', 'documents', 'audit."Event Log"'], async () => (await run(base(readerUrl('clinic'), lockConfig)))['db-core-row-counts']!);
    assert.equal(c.status, 'error', c.message);
    assert.equal(c.errorKind, 'timeout');
    assert.match(c.message, /"patients" is locked.*"documents" is locked.*"audit\."Event Log"" is locked/);
  });

  it('fails for a short table and still names the locked one', async () => {
    const cfg = '  statementTimeoutMs: 1500\n  coreTables:\n    - { name: patients, minRows: 6 }\n    - { name: documents }\n';
    const c = await whileLocked(['documents'], async () => (await run(base(readerUrl('clinic'), cfg)))['db-core-row-counts']!);
    assert.equal(c.status, 'fail', c.message);
    assert.match(c.message, /"patients" has 5 \(minimum 6\); not counted: table "documents" is locked/);
  });

  it('passes with exact counts keyed by the configured names', async () => {
    const c = (await run(base(readerUrl('clinic'), '  coreTables:\n    - { name: patients, minRows: 5 }\n    - { name: public.documents }\n    - { name: \'audit."Event Log"\', minRows: 2 }\n')))['db-core-row-counts']!;
    assert.equal(c.status, 'pass', c.message);
    assert.deepEqual(c.evidence.counts, { patients: 5, 'public.documents': 3, 'audit."Event Log"': 2 });
  });

  it('fails naming a table below its minRows and a missing table', async () => {
    const c = (await run(base(readerUrl('clinic'), '  coreTables:\n    - { name: patients, minRows: 6 }\n    - { name: prescriptions }\n')))['db-core-row-counts']!;
    assert.equal(c.status, 'fail');
    assert.match(c.message, /missing table "prescriptions"/);
    assert.match(c.message, /"patients" has 5 \(minimum 6\)/);
  });

  it('executes nothing from a table name that is an SQL injection attempt', async () => {
    // As the table's owner, so that only restorecheck's own care stands between the name and the DROP.
    const owner = cluster.url({ database: 'clinic', params: { sslmode: 'disable' } });
    const c = (await run(base(owner, '  coreTables:\n    - { name: "patients; DROP TABLE canary; --" }\n    - { name: "canary\\" WHERE 1=0 UNION SELECT 1; --" }\n')))['db-core-row-counts']!;
    assert.equal(c.status, 'fail');
    assert.match(c.message, /missing tables "patients; DROP TABLE canary; --", "canary" WHERE/);
    assert.equal((await cluster.sql('SELECT count(*) FROM canary', 'clinic')).trim(), '1', 'the canary table survives');
    // The server saw the names only as bind parameters, never as statement text.
    // Entries start with the log_line_prefix timestamp; a statement's text continues on the next lines.
    const executed = (await cluster.log()).split(/\n(?=\d{4}-\d\d-\d\d )/).filter((l) => /LOG:\s+(statement|execute)/.test(l));
    assert.ok(executed.some((l) => l.includes('to_regclass($1)')), 'the lookup ran');
    assert.deepEqual(executed.filter((l) => /DROP TABLE canary|UNION SELECT/.test(l)), []);
  });

  it('is skipped when no core table is configured', async () => {
    const c = (await run(base(readerUrl('clinic'))))['db-core-row-counts']!;
    assert.equal(c.status, 'skipped');
    assert.match(c.message, /no database\.coreTables configured/);
  });

  it('keeps counts past 2^53 exact, as strings', () => {
    assert.equal(countToJson(5n), 5);
    assert.equal(countToJson(9007199254740993n), '9007199254740993');
  });
});

describe('signed-document (database half)', () => {
  const query = (sql: string) => `  signedDocument:\n    query: "${sql}"\n`;

  it('finds the newest signed document and says its blob was not probed', async () => {
    const c = (await run(base(readerUrl('clinic'), query('SELECT blob_name, sha256 FROM documents WHERE signed_at IS NOT NULL ORDER BY signed_at DESC LIMIT 1'))))['signed-document']!;
    assert.equal(c.status, 'warn');
    assert.equal(c.evidence.blobName, '2026/11/consent-2.pdf');
    assert.equal(c.evidence.sha256, 'cd'.repeat(32));
    assert.equal(c.evidence.blobProbed, false);
  });

  it('fails when no signed document is found', async () => {
    const c = (await run(base(readerUrl('clinic'), query("SELECT blob_name FROM documents WHERE blob_name = 'none'"))))['signed-document']!;
    assert.equal(c.status, 'fail');
    assert.match(c.message, /No signed document found/);
  });

  it('is error on a query error, and a write attempt never runs', async () => {
    const bad = (await run(base(readerUrl('clinic'), query('SELECT nope FROM documents'))))['signed-document']!;
    assert.equal(bad.status, 'error');
    assert.equal(bad.errorKind, 'query');
    const write = (await run(base(cluster.url({ database: 'clinic', params: { sslmode: 'disable' } }), query("DELETE FROM canary RETURNING 'x' AS blob_name"))))['signed-document']!;
    assert.equal(write.status, 'error');
    assert.match(write.message, /read-only/);
    const multi = (await run(base(cluster.url({ database: 'clinic', params: { sslmode: 'disable' } }), query("SELECT 'a' AS blob_name; DROP TABLE canary"))))['signed-document']!;
    assert.equal(multi.status, 'error');
    assert.equal((await cluster.sql('SELECT count(*) FROM canary', 'clinic')).trim(), '1');
  });

  it('is skipped when no query is configured', async () => {
    assert.equal((await run(base(readerUrl('clinic'))))['signed-document']!.status, 'skipped');
  });
});

describe('the database session', () => {
  it('is read-only even for the superuser', async () => {
    const db = openDatabase(cluster.url({ database: 'clinic', params: { sslmode: 'disable' } }), { statementTimeoutMs: 2000, connectTimeoutMs: 2000 });
    try {
      const probe = await db.probe();
      assert.equal(probe.readOnly, true);
      await assert.rejects(db.querySignedDocument("UPDATE canary SET id = 2 RETURNING 'x' AS blob_name"), /read-only/);
    } finally {
      await db.close();
    }
    assert.equal((await cluster.sql('SELECT id FROM canary', 'clinic')).trim(), '1');
  });

  it('cancels a query past statement_timeout', async () => {
    const db = openDatabase(cluster.url({ database: 'clinic', params: { sslmode: 'disable' } }), { statementTimeoutMs: 300, connectTimeoutMs: 2000 });
    try {
      await assert.rejects(db.querySignedDocument("SELECT 'x' AS blob_name FROM pg_sleep(3)"), /statement_timeout \(300 ms\)/);
    } finally {
      await db.close();
    }
  });
});
