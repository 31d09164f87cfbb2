/**
 * issue 14's "done when": `restorecheck backup --config FILE --environment dev` against real services (Debian's
 * PostgreSQL, MariaDB and Redis, each on a free port with a password, and a MinIO-shaped data folder with nested
 * objects) writes a verified, signed archive that the seed procedure accepts (sha256sum -c, tar -tzf, extract, gzip -t
 * every dump), whose manifest says what each component holds, and that restore-test --archive restores with matching
 * counts. MongoDB is configured in a second run without mongodump (not in Debian): a clear error, no archive.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { type PostgresCluster, startCluster } from '../../src/simulator/postgres-cluster.js';
import { runCli } from '../helpers/cli.js';
import { type MariadbService, type RedisService, mariadbInstalled, redisInstalled, startMariadb, startRedis } from '../helpers/selfhosted-services.js';

const sh = promisify(execFile);
const ready = mariadbInstalled() && redisInstalled();

describe('restorecheck backup of a whole stack', { timeout: 600_000, skip: !ready && 'mariadb-server and redis-server are installed by .ci/run' }, () => {
  let work: string;
  let pg: PostgresCluster;
  let maria: MariadbService;
  let redis: RedisService;
  let minioDir: string;
  let config: string;
  let pubFile: string;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'restorecheck-stack-'));
    [pg, maria, redis] = await Promise.all([startCluster(), startMariadb(), startRedis()]);
    await pg.sql('CREATE DATABASE medicapp');
    await pg.sql(
      `CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY); INSERT INTO alembic_version VALUES ('4b2d9c1e7f00');
       CREATE TABLE patients (id int PRIMARY KEY, name text); INSERT INTO patients SELECT g, 'p' || g FROM generate_series(1, 300) g;`,
      'medicapp',
    );
    await maria.sql(
      `CREATE DATABASE agenda; USE agenda; CREATE TABLE agenda.appointments (id INT PRIMARY KEY, room VARCHAR(8));
       INSERT INTO agenda.appointments SELECT seq, CONCAT('R', seq % 9) FROM seq_1_to_140;
       CREATE TABLE agenda.rooms (id INT PRIMARY KEY); INSERT INTO agenda.rooms VALUES (1), (2), (3);`,
    );
    await redis.cli('SET', 'session:alice', 'nurse');
    await redis.cli('HSET', 'patient:42', 'city', 'Lyon');
    await redis.cli('RPUSH', 'queue:reminders', 'sms:1', 'sms:2');
    // A MinIO xl-single volume: .minio.sys, and each object a folder with its xl.meta (and a part for large ones).
    minioDir = join(work, 'minio-data');
    await mkdir(join(minioDir, '.minio.sys', 'buckets', 'documents'), { recursive: true });
    await writeFile(join(minioDir, '.minio.sys', 'format.json'), JSON.stringify({ version: '1', format: 'xl-single', id: 'f3e1' }));
    for (let i = 0; i < 4; i++) {
      const object = join(minioDir, 'documents', 'patients', String(i), `report-${i}.pdf`);
      await mkdir(join(object, 'part-dir'), { recursive: true });
      await writeFile(join(object, 'xl.meta'), Buffer.from(`xl2 meta ${i}`));
      await writeFile(join(object, 'part-dir', 'part.1'), randomBytes(1000 + i));
    }
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const keyFile = join(work, 'backup-signing.pem');
    pubFile = join(work, 'backup-signing.pub.pem');
    await writeFile(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    await writeFile(pubFile, publicKey.export({ type: 'spki', format: 'pem' }));
    config = join(work, 'restorecheck.yaml');
    await writeFile(
      config,
      [
        'environment: production',
        'selfHosted:',
        '  name: medicapp',
        `  backupDir: ${join(work, 'backups')}`,
        `  signingKey: ${keyFile}`,
        '  sources:',
        `    postgres: { url: ${JSON.stringify(pg.url({ database: 'medicapp' }))}, coreTables: [patients] }`,
        `    mariadb: { url: ${JSON.stringify(maria.url)}, databases: [agenda] }`,
        `    redis: { url: ${JSON.stringify(redis.url)} }`,
        `    minio: { dataDir: ${JSON.stringify(minioDir)} }`,
        '',
      ].join('\n'),
    );
  });
  after(async () => {
    await Promise.all([pg?.stop(), maria?.stop(), redis?.stop()]);
    await rm(work, { recursive: true, force: true });
  });

  it('writes a verified, signed archive of every component that the seed procedure and restore-test accept', async () => {
    const r = await runCli(['backup', '--config', config, '--environment', 'dev', '--format', 'json'], { timeoutMs: 300_000 });
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as { run: { environment: string }; checks: { id: string; status: string; message: string }[] };
    assert.equal(report.run.environment, 'dev');
    const status = Object.fromEntries(report.checks.map((c) => [c.id, c.status]));
    assert.deepEqual(
      {
        postgres: status['backup-postgres'],
        mariadb: status['backup-mariadb'],
        redis: status['backup-redis'],
        minio: status['backup-minio'],
        mongodb: status['backup-mongodb'],
      },
      { postgres: 'pass', mariadb: 'pass', redis: 'pass', minio: 'pass', mongodb: 'skipped' },
    );
    for (const id of ['archive-checksum', 'archive-integrity', 'archive-members', 'archive-dump-integrity', 'archive-metadata', 'archive-signature']) {
      assert.equal(status[id], 'pass', `${id}: ${report.checks.find((c) => c.id === id)?.message}`);
    }
    for (const component of ['postgres', 'mariadb', 'redis', 'minio']) assert.match(r.stderr, new RegExp(`backup: ${component}: \\S+ [\\d.]+ (B|KB|MB) in`));

    const backupDir = join(work, 'backups');
    const archive = (await readdir(backupDir)).find((f) => f.endsWith('.tar.gz'))!;
    assert.match(archive, /^medicapp_dev_\d{8}_\d{6}\.tar\.gz$/);
    const stem = archive.slice(0, -'.tar.gz'.length);
    // The seed procedure, by hand.
    await sh('sha256sum', ['-c', `${archive}.sha256`], { cwd: backupDir });
    const { stdout: listing } = await sh('tar', ['-tzf', join(backupDir, archive)]);
    const members = listing
      .trim()
      .split('\n')
      .filter((e) => !e.endsWith('/'));
    assert.deepEqual(
      members.sort(),
      ['mariadb_full.sql.gz', 'metadata.json', 'minio/data.tar.gz', 'postgres_full.sql.gz', 'redis_dump.rdb'].map((m) => `${stem}/${m}`),
    );
    const extracted = await mkdtemp(join(work, 'extract-'));
    await sh('tar', ['-xzf', join(backupDir, archive), '-C', extracted]);
    for (const gz of ['postgres_full.sql.gz', 'mariadb_full.sql.gz', 'minio/data.tar.gz']) await sh('gzip', ['-t', join(extracted, stem, gz)]);
    const { stdout: minioEntries } = await sh('tar', ['-tzf', join(extracted, stem, 'minio/data.tar.gz')]);
    assert.ok(minioEntries.split('\n').includes('documents/patients/3/report-3.pdf/xl.meta'), minioEntries);
    assert.ok(!minioEntries.split('\n').some((e) => e.startsWith('/') || e.startsWith('./') || e.includes('..')));

    // The manifest says what each component holds.
    const metadata = JSON.parse(await readFile(join(extracted, stem, 'metadata.json'), 'utf8'));
    assert.deepEqual(metadata.row_counts, { patients: 300 });
    assert.deepEqual(metadata.components.mariadb.table_counts, { 'agenda.appointments': 140, 'agenda.rooms': 3 });
    assert.equal(metadata.components.redis.keys, 3);
    assert.equal(metadata.components.minio.objects, 4);
    assert.equal(metadata.components.minio.bytes, 1000 + 1001 + 1002 + 1003 + 4 * 'xl2 meta 0'.length); // the parts and the xl.meta files
    assert.equal(metadata.components.mongodb.backed_up, false);
    for (const tool of ['pg_dump', 'mariadb-dump', 'redis-cli']) assert.ok(metadata.tools[tool], `${tool} version recorded`);

    // verify with the public key, and a real restore of the PostgreSQL dump with matching counts.
    const v = await runCli(['verify', '--config', config, '--public-key', pubFile, join(backupDir, archive)]);
    assert.equal(v.code, 0, v.stdout);
    const rt = await runCli(['restore-test', '--archive', join(backupDir, archive), '--config', config, '--format', 'json'], { timeoutMs: 240_000 });
    const restored = JSON.parse(rt.stdout) as { checks: { id: string; status: string; message: string }[] };
    const counts = restored.checks.find((c) => c.id === 'restore-row-counts-match')!;
    assert.equal(counts.status, 'pass', counts.message);
  });

  it('MongoDB without mongodump (not in Debian): exit 2 naming how to get it, and no archive', async () => {
    const mongoConfig = join(work, 'mongo.yaml');
    const text = await readFile(config, 'utf8');
    await writeFile(
      mongoConfig,
      text
        .replace(`  backupDir: ${join(work, 'backups')}`, `  backupDir: ${join(work, 'backups-mongo')}`)
        .replace('  sources:\n', '  sources:\n    mongodb: { url: "mongodb://backup:Mongo-Canary-Pw-991@127.0.0.1:27017" }\n'),
    );
    const r = await runCli(['backup', '--config', mongoConfig, '--format', 'json'], { timeoutMs: 120_000 });
    assert.equal(r.code, 2, r.stderr);
    const report = JSON.parse(r.stdout) as { checks: { id: string; status: string; message: string; hint?: string }[] };
    const mongo = report.checks.find((c) => c.id === 'backup-mongodb')!;
    assert.equal(mongo.status, 'error');
    assert.match(mongo.message, /mongodump/);
    assert.ok(!(r.stdout + r.stderr).includes('Mongo-Canary-Pw-991'));
    assert.deepEqual(
      (await readdir(join(work, 'backups-mongo'))).filter((f) => !f.startsWith('audit')),
      [],
    );
  });
});
