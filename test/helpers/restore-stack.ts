/**
 * A real "production" stack for the `restorecheck restore` tests: PostgreSQL (a throwaway cluster), MariaDB and Redis
 * (test/helpers/selfhosted-services.ts), each with the seed procedure's `test_table`, a configuration naming them in
 * selfHosted.sources, and a fingerprint of everything they hold, to prove a refused restore changed nothing.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type PostgresCluster, startCluster } from '../../src/simulator/postgres-cluster.js';
import { type MariadbService, freePort, startMariadb } from './selfhosted-services.js';

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A production-like Redis: daemonized from a configuration file (as a service manager runs it), so that a restore can
 * stop it (SHUTDOWN NOSAVE) and start it again with `startCommand`, as `selfHosted.sources.redis.restore.start`.
 */
export interface DaemonRedis {
  url: string;
  port: number;
  password: string;
  dir: string;
  dbfilename: string;
  /** `[redis-server, <conf>]`: daemonizes and returns once it listens. */
  startCommand: string[];
  cli(...args: string[]): Promise<string>;
  stop(): Promise<void>;
}

export async function startDaemonRedis(): Promise<DaemonRedis> {
  const dir = await mkdtemp(join(tmpdir(), 'restorecheck-svc-redisd-'));
  const password = `rds${randomBytes(9).toString('hex')}`;
  const port = await freePort();
  const conf = join(dir, 'redis.conf');
  const pidfile = join(dir, 'redis.pid');
  await writeFile(
    conf,
    [
      `port ${port}`,
      'bind 127.0.0.1',
      `requirepass "${password}"`,
      `dir "${dir}"`,
      'dbfilename "dump.rdb"',
      'save ""',
      'appendonly no',
      'daemonize yes',
      `pidfile "${pidfile}"`,
      `logfile "${join(dir, 'redis.log')}"`,
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  const cli = async (...args: string[]): Promise<string> =>
    (await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], { timeout: 60_000, env: { ...process.env, REDISCLI_AUTH: password } })).stdout;
  await run('redis-server', [conf], { timeout: 30_000 });
  for (let i = 0; i < 300; i++) {
    if ((await cli('PING').catch(() => '')).trim() === 'PONG') break;
    await sleep(100);
  }
  return {
    url: `redis://:${password}@127.0.0.1:${port}/0`,
    port,
    password,
    dir,
    dbfilename: 'dump.rdb',
    startCommand: ['redis-server', conf],
    cli,
    async stop() {
      const pid = Number((await readFile(pidfile, 'utf8').catch(() => '')).trim());
      if (pid > 0) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface RestoreStack {
  work: string;
  backupDir: string;
  pg: PostgresCluster;
  maria: MariadbService;
  redis: DaemonRedis;
  /** Writes the configuration (with extra selfHosted lines, e.g. `  stop: [[touch, /tmp/x]]`) and returns its path. */
  writeConfig(
    extra?: string[],
    options?: {
      redisRestore?: boolean;
      postgresRestore?: { stop?: string[][]; start?: string[][] };
      mariadbRestore?: { stop?: string[][]; start?: string[][] };
    },
  ): Promise<string>;
  /** Everything the three servers hold, as one comparable text. */
  fingerprint(): Promise<string>;
  /** The archives in the backup directory. */
  archives(): Promise<string[]>;
  stop(): Promise<void>;
}

/** The seed procedure's data: Alembic, test_table and patients in PostgreSQL, agenda in MariaDB, 50 Redis keys. */
async function seed(pg: PostgresCluster, maria: MariadbService, redis: DaemonRedis): Promise<void> {
  await pg.sql('CREATE DATABASE medicapp');
  await pg.sql(
    `CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY); INSERT INTO alembic_version VALUES ('4b2d9c1e7f00');
     CREATE TABLE test_table (id int PRIMARY KEY); INSERT INTO test_table SELECT g FROM generate_series(1, 120) g;
     CREATE TABLE patients (id int PRIMARY KEY, name text); INSERT INTO patients SELECT g, 'p' || g FROM generate_series(1, 300) g;`,
    'medicapp',
  );
  await maria.sql(
    `CREATE DATABASE agenda; USE agenda; CREATE TABLE agenda.test_table (id INT PRIMARY KEY); INSERT INTO agenda.test_table SELECT seq FROM seq_1_to_80;
     CREATE TABLE agenda.appointments (id INT PRIMARY KEY, room VARCHAR(8)); INSERT INTO agenda.appointments SELECT seq, CONCAT('R', seq % 9) FROM seq_1_to_140;`,
  );
  for (let i = 0; i < 50; i++) await redis.cli('SET', `session:${i}`, `v${i}`);
}

export async function startRestoreStack(): Promise<RestoreStack> {
  const work = await mkdtemp(join(tmpdir(), 'restorecheck-restore-stack-'));
  const backupDir = join(work, 'backups');
  // A server that started is stopped again when another did not, or when the seeding fails: nothing is left running.
  const started = await Promise.allSettled([startCluster(), startMariadb(), startDaemonRedis()]);
  const stopAll = async () => {
    const [p, m, r] = started;
    await Promise.allSettled([
      p.status === 'fulfilled' ? p.value.stop({ immediate: true }) : undefined,
      m.status === 'fulfilled' ? m.value.stop() : undefined,
      r.status === 'fulfilled' ? r.value.stop() : undefined,
    ]);
    await rm(work, { recursive: true, force: true });
  };
  const failed = started.find((r) => r.status === 'rejected');
  if (failed) {
    await stopAll();
    throw failed.reason;
  }
  const [pg, maria, redis] = started.map((r) => (r as PromiseFulfilledResult<unknown>).value) as [PostgresCluster, MariadbService, DaemonRedis];
  try {
    await seed(pg, maria, redis);
  } catch (error) {
    await stopAll();
    throw error;
  }

  const stack: RestoreStack = {
    work,
    backupDir,
    pg,
    maria,
    redis,
    async writeConfig(extra = [], options = {}) {
      const config = join(work, 'restorecheck.yaml');
      await writeFile(
        config,
        [
          'environment: production',
          'selfHosted:',
          '  name: medicapp',
          `  backupDir: ${backupDir}`,
          ...extra,
          '  sources:',
          `    postgres: { url: ${JSON.stringify(pg.url({ database: 'medicapp' }))}, coreTables: [patients, test_table]${options.postgresRestore ? `, restore: ${JSON.stringify(options.postgresRestore)}` : ''} }`,
          `    mariadb: { url: ${JSON.stringify(maria.url)}, databases: [agenda]${options.mariadbRestore ? `, restore: ${JSON.stringify(options.mariadbRestore)}` : ''} }`,
          options.redisRestore === false
            ? `    redis: { url: ${JSON.stringify(redis.url)} }`
            : `    redis: { url: ${JSON.stringify(redis.url)}, dataDir: ${JSON.stringify(redis.dir)}, restore: { start: ${JSON.stringify([redis.startCommand])} } }`,
          '',
        ].join('\n'),
      );
      return config;
    },
    async fingerprint() {
      const pgState = await pg.sql(
        `SELECT (SELECT oid FROM pg_database WHERE datname = current_database()) || ' ' ||
                (SELECT string_agg(relname, ',' ORDER BY relname) FROM pg_class WHERE relnamespace = 'public'::regnamespace) || ' ' ||
                (SELECT string_agg(id::text, ',' ORDER BY id) FROM test_table) || ' ' ||
                (SELECT md5(string_agg(id || name, ',' ORDER BY id)) FROM patients)`,
        'medicapp',
      );
      const mariaState = await maria.sql(
        "SELECT GROUP_CONCAT(table_name ORDER BY table_name) FROM information_schema.tables WHERE table_schema = 'agenda'; CHECKSUM TABLE agenda.test_table, agenda.appointments EXTENDED;",
      );
      const keys = (await redis.cli('KEYS', '*')).trim().split('\n').sort();
      const values = await Promise.all(keys.map((k) => redis.cli('GET', k)));
      return JSON.stringify({ pg: pgState.trim(), maria: mariaState.trim(), redis: keys.map((k, i) => `${k}=${values[i]!.trim()}`) });
    },
    async archives() {
      return (await readdir(backupDir).catch(() => [])).filter((f) => f.endsWith('.tar.gz')).sort();
    },
    async stop() {
      await Promise.all([pg.stop({ immediate: true }), maria.stop(), redis.stop()]);
      await rm(work, { recursive: true, force: true });
    },
  };
  return stack;
}
