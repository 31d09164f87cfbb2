/**
 * issue 15's "done when": `restore-test --archive` proves every component of an archive that `restorecheck backup` made
 * from real services (Debian's PostgreSQL, MariaDB and Redis, a MinIO-shaped volume), each into a throwaway target of
 * its own, and damage to one component fails its own restore check and only it. Each damaged archive is re-packed the
 * way a careless script would (the member replaced, metadata.json's member hash and the sidecar recomputed, so that the
 * archive itself verifies), so that what fails is the restore, not a checksum.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, readdir, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { type PostgresCluster, startCluster } from '../../src/simulator/postgres-cluster.js';
import { writeMongoArchive } from '../fixtures/archive-generator.js';
import { runCli } from '../helpers/cli.js';
import { type MariadbService, type RedisService, mariadbInstalled, redisInstalled, startMariadb, startRedis } from '../helpers/selfhosted-services.js';

const sh = promisify(execFile);
const ready = mariadbInstalled() && redisInstalled();
const RESTORE_CHECKS = ['restore-provision', 'restore-row-counts-match', 'restore-mariadb', 'restore-redis', 'restore-minio', 'restore-mongodb'];

/** The parts of metadata.json the damage edits. */
type Metadata = { members: Record<string, { sha256: string; size: number }>; components: { redis: { keys: number } } };
type Check = { id: string; status: string; message: string; evidence?: Record<string, unknown> };

describe('restore-test --archive restores every component', {
  timeout: 900_000,
  skip: !ready && 'mariadb-server and redis-server are installed by .ci/run',
}, () => {
  let work: string;
  let pg: PostgresCluster;
  let maria: MariadbService;
  let redis: RedisService;
  let config: string;
  let archive: string;
  let stem: string;
  let cases = 0;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'restorecheck-rt-stack-'));
    await chmod(work, 0o755); // the per-run temp dirs inside it are entered by the sandbox user
    [pg, maria, redis] = await Promise.all([startCluster(), startMariadb(), startRedis()]);
    await pg.sql('CREATE DATABASE medicapp');
    await pg.sql(
      `CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY); INSERT INTO alembic_version VALUES ('4b2d9c1e7f00');
       CREATE TABLE patients (id int PRIMARY KEY, name text); INSERT INTO patients SELECT g, 'p' || g FROM generate_series(1, 300) g;`,
      'medicapp',
    );
    await maria.sql(
      `CREATE DATABASE agenda; USE agenda; CREATE TABLE agenda.appointments (id INT PRIMARY KEY, room VARCHAR(8));
       INSERT INTO agenda.appointments SELECT seq, CONCAT('R', seq % 9) FROM seq_1_to_1400;
       CREATE TABLE agenda.rooms (id INT PRIMARY KEY); INSERT INTO agenda.rooms VALUES (1), (2), (3);`,
    );
    for (let i = 0; i < 20; i++) await redis.cli('SET', `session:${i}`, `user-${i}`);
    const minioDir = join(work, 'minio-data');
    await mkdir(join(minioDir, '.minio.sys'), { recursive: true });
    await writeFile(join(minioDir, '.minio.sys', 'format.json'), JSON.stringify({ version: '1', format: 'xl-single', id: 'f3e1' }));
    for (let i = 0; i < 4; i++) {
      const object = join(minioDir, 'documents', 'patients', String(i), `report-${i}.pdf`);
      await mkdir(join(object, 'part-dir'), { recursive: true });
      await writeFile(join(object, 'xl.meta'), Buffer.from(`xl2 meta ${i}`));
      await writeFile(join(object, 'part-dir', 'part.1'), randomBytes(1000 + i));
    }
    config = join(work, 'restorecheck.yaml');
    await writeFile(
      config,
      [
        'environment: production',
        'selfHosted:',
        '  name: medicapp',
        `  backupDir: ${join(work, 'backups')}`,
        '  sources:',
        `    postgres: { url: ${JSON.stringify(pg.url({ database: 'medicapp' }))}, coreTables: [patients] }`,
        `    mariadb: { url: ${JSON.stringify(maria.url)}, databases: [agenda] }`,
        `    redis: { url: ${JSON.stringify(redis.url)} }`,
        `    minio: { dataDir: ${JSON.stringify(minioDir)} }`,
        '',
      ].join('\n'),
    );
    const r = await runCli(['backup', '--config', config, '--format', 'json'], { timeoutMs: 300_000 });
    assert.equal(r.code, 0, r.stderr);
    const name = (await readdir(join(work, 'backups'))).find((f) => f.endsWith('.tar.gz'))!;
    archive = join(work, 'backups', name);
    stem = name.slice(0, -'.tar.gz'.length);
  });
  after(async () => {
    await Promise.all([pg?.stop(), maria?.stop(), redis?.stop()]);
    await rm(work, { recursive: true, force: true });
  });

  /** Runs restore-test with a temp dir of its own (traversable by the sandbox user), so that what it leaves is seen. */
  async function restoreTest(path: string): Promise<{ code: number | null; checks: Record<string, Check>; stderr: string; tmp: string }> {
    const tmp = join(work, `tmp-${++cases}`);
    await mkdir(tmp, { mode: 0o755 });
    await chmod(tmp, 0o755);
    const r = await runCli(['restore-test', '--archive', path, '--config', config, '--format', 'json'], { timeoutMs: 300_000, env: { TMPDIR: tmp } });
    const report = JSON.parse(r.stdout) as { checks: Check[] };
    return { code: r.code, checks: Object.fromEntries(report.checks.map((c) => [c.id, c])), stderr: r.stderr, tmp };
  }

  const statuses = (checks: Record<string, Check>) => Object.fromEntries(RESTORE_CHECKS.map((id) => [id, checks[id]?.status]));

  /** Extracts the archive, lets `damage` change the members, then re-packs it with metadata.json's hashes and the sidecar recomputed. */
  async function repacked(damage: (dir: string, metadata: Metadata) => Promise<void>): Promise<string> {
    const dir = join(work, `case-${++cases}`);
    await mkdir(join(dir, 'out'), { recursive: true });
    await sh('tar', ['-xzf', archive, '-C', dir]);
    const top = join(dir, stem);
    const metadata = JSON.parse(await readFile(join(top, 'metadata.json'), 'utf8'));
    await damage(top, metadata);
    for (const member of await memberPaths(top)) {
      if (member === 'metadata.json') continue;
      const bytes = await readFile(join(top, member));
      metadata.members[member] = { sha256: createHash('sha256').update(bytes).digest('hex'), size: bytes.length };
    }
    for (const member of Object.keys(metadata.members)) if (!(await memberPaths(top)).includes(member)) delete metadata.members[member];
    await writeFile(join(top, 'metadata.json'), JSON.stringify(metadata, null, 2));
    const members = ['metadata.json', ...(await memberPaths(top)).filter((m) => m !== 'metadata.json')].map((m) => `${stem}/${m}`);
    await sh('tar', ['-czf', join(dir, 'out', `${stem}.tar.gz`), '-C', dir, ...members]);
    await sh('sh', ['-c', `sha256sum ${stem}.tar.gz > ${stem}.tar.gz.sha256`], { cwd: join(dir, 'out') });
    return join(dir, 'out', `${stem}.tar.gz`);
  }

  async function memberPaths(top: string): Promise<string[]> {
    const found: string[] = [];
    const walk = async (rel: string) => {
      for (const entry of await readdir(join(top, rel), { withFileTypes: true })) {
        const path = rel ? `${rel}/${entry.name}` : entry.name;
        if (entry.isDirectory()) await walk(path);
        else found.push(path);
      }
    };
    await walk('');
    return found.sort();
  }

  it('a whole archive: PostgreSQL, MariaDB, Redis and MinIO each restored and equal to the metadata; MongoDB absent is skipped', async () => {
    const r = await restoreTest(archive);
    assert.deepEqual(statuses(r.checks), {
      'restore-provision': 'pass',
      'restore-row-counts-match': 'pass',
      'restore-mariadb': 'pass',
      'restore-redis': 'pass',
      'restore-minio': 'pass',
      'restore-mongodb': 'skipped',
    });
    const notPassing = Object.values(r.checks).filter((c) => c.status === 'fail' || c.status === 'error' || c.status === 'warn');
    assert.deepEqual(
      notPassing.map((c) => `${c.id}: ${c.message}`),
      [],
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.checks['restore-mariadb']!.message, /agenda\.appointments/);
    assert.match(r.checks['restore-redis']!.message, /keys/);
    assert.match(r.checks['restore-mongodb']!.message, /holds no mongodb\/dump\.archive\.gz/);
    for (const id of ['restore-mariadb', 'restore-redis', 'restore-minio']) {
      const evidence = r.checks[id]!.evidence!;
      assert.deepEqual(evidence.differences, [], id);
      assert.ok((evidence.cleanup as { removed: string[] }).removed.length > 0, `${id} removed what it made`);
      assert.equal(typeof evidence.restoreSeconds, 'number');
    }
    // nothing of them is left in the temp dir of the run
    assert.deepEqual(await readdir(r.tmp), []);
  });

  it('a MariaDB dump truncated before "-- Dump completed" (re-gzipped, re-hashed) fails restore-mariadb, and only it', async () => {
    const path = await repacked(async (top) => {
      const sql = (await sh('sh', ['-c', `gunzip -c ${join(top, 'mariadb_full.sql.gz')}`], { maxBuffer: 64 * 1024 * 1024 })).stdout;
      const cut = sql.slice(0, sql.indexOf('INSERT INTO `appointments`') + 2000);
      await writeFile(join(top, 'mariadb_full.sql.gz'), gzipSync(cut));
    });
    const r = await restoreTest(path);
    assert.deepEqual(statuses(r.checks), { ...wholeArchive(), 'restore-mariadb': 'fail' });
    assert.match(r.checks['restore-mariadb']!.message, /mariadb_full\.sql\.gz/);
  });

  it('an empty RDB while the metadata records 200 keys fails restore-redis, and only it', async () => {
    const empty = await startRedis();
    try {
      await empty.cli('SAVE');
      const path = await repacked(async (top, metadata) => {
        await writeFile(join(top, 'redis_dump.rdb'), await readFile(join(empty.dir, empty.dbfilename)));
        metadata.components.redis.keys = 200;
      });
      const r = await restoreTest(path);
      assert.deepEqual(statuses(r.checks), { ...wholeArchive(), 'restore-redis': 'fail' });
      assert.match(r.checks['restore-redis']!.message, /200/);
    } finally {
      await empty.stop();
    }
  });

  it('MinIO with one object missing fails restore-minio, and only it', async () => {
    const path = await repacked(async (top) => {
      const volume = join(top, 'minio-volume');
      await mkdir(volume);
      await sh('tar', ['-xzf', join(top, 'minio', 'data.tar.gz'), '-C', volume]);
      await rm(join(volume, 'documents', 'patients', '2'), { recursive: true });
      await sh('tar', ['-czf', join(top, 'minio', 'data.tar.gz'), '-C', volume, '.']);
      await rm(volume, { recursive: true });
    });
    const r = await restoreTest(path);
    assert.deepEqual(statuses(r.checks), { ...wholeArchive(), 'restore-minio': 'fail' });
    assert.match(r.checks['restore-minio']!.message, /4|3/);
  });

  it('a MongoDB archive on a machine without mongod/mongorestore is skipped with that reason, and the rest still passes', async () => {
    const path = await repacked(async (top) => {
      await mkdir(join(top, 'mongodb'));
      const raw = join(top, 'mongodb', 'raw');
      await writeMongoArchive(raw, 50);
      await writeFile(join(top, 'mongodb', 'dump.archive.gz'), gzipSync(await readFile(raw)));
      await rm(raw);
    });
    const r = await restoreTest(path);
    assert.deepEqual(statuses(r.checks), wholeArchive());
    assert.match(r.checks['restore-mongodb']!.message, /mongod\/mongorestore not installed/);
  });

  it('a damaged PostgreSQL dump fails the PostgreSQL restore checks and leaves the others passing', async () => {
    const path = await repacked(async (top) => {
      const file = join(top, 'postgres_full.sql.gz');
      await truncate(file, (await stat(file)).size - 200);
    });
    const r = await restoreTest(path);
    assert.equal(r.checks['restore-provision']!.status, 'fail');
    for (const id of ['restore-mariadb', 'restore-redis', 'restore-minio']) assert.equal(r.checks[id]!.status, 'pass', `${id}: ${r.checks[id]!.message}`);
  });
});

/** The verdicts of the whole archive (MongoDB: skipped, whatever the reason). */
function wholeArchive(): Record<string, string> {
  return {
    'restore-provision': 'pass',
    'restore-row-counts-match': 'pass',
    'restore-mariadb': 'pass',
    'restore-redis': 'pass',
    'restore-minio': 'pass',
    'restore-mongodb': 'skipped',
  };
}
