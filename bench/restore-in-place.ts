/**
 * bench/restore-in-place: `restorecheck restore` (issue 16) against the manual restore it replaces, on the same archive
 * of a real stack (a PostgreSQL cluster, MariaDB and a daemonized Redis: test/helpers/restore-stack.ts), filled with
 * data that does not compress to nothing (md5 text), so that the archive is ≥ 200 MB:
 *
 *   (a) manual, what restore-backup.sh does: `tar xzf` the archive, `dropdb` + `createdb` + `gunzip -c
 *       postgres_full.sql.gz | psql -q`, `gunzip -c mariadb_full.sql.gz | mariadb`, and Redis `SHUTDOWN NOSAVE`, the RDB
 *       copied over its dump.rdb, `redis-server <conf>`, PING. No verification, no guard, no comparison, no way back.
 *   (b) `restorecheck restore … --yes --no-safety-backup`, from the process spawn to its exit: the verification read,
 *       preflight, the second read restoring each component (guards, sandbox, aside-and-swap), the comparisons and the
 *       database health.
 *   (c) the same with its safety backup (the default): (c) − (b) is what the way back costs.
 *
 * Each round runs (a), (b), (c) in a rotating order on the same targets (a restore puts back the archive's content, so
 * every round starts from the same data). Prints each round, restorecheck's own step timings, and the median ratios
 * b/a and c/b. Setup (filling the servers, the backup) is not timed.
 *
 *   npm run bench:restore-in-place [-- --rounds 3 --pg-rows 2600000 --maria-rows 300000 --redis-keys 100000]
 *
 * Not part of `npm test`: timings on a shared machine are noisy, hence ratios of interleaved runs.
 */
import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdtemp, readdir, rm, stat, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { createGunzip } from 'node:zlib';
import { type RestoreStack, startRestoreStack } from '../test/helpers/restore-stack.js';
import { BIN, log, median } from './bench-timing.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    'pg-rows': { type: 'string', default: '2600000' },
    'maria-rows': { type: 'string', default: '300000' },
    'redis-keys': { type: 'string', default: '100000' },
  },
});
const rounds = Number(values.rounds);
const MB = 1e6;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const secondsSince = (t: number) => (performance.now() - t) / 1000;

/** Runs a command to its end; stdin from a file (gunzipped when asked), a deadline; throws with its stderr. */
function exec(argv: string[], options: { env?: NodeJS.ProcessEnv; stdinGz?: string } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { env: options.env ?? process.env, stdio: [options.stdinGz ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.stderr?.on('data', (c: Buffer) => {
      err = (err + c.toString()).slice(-4000);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 30 * 60_000);
    if (options.stdinGz) {
      pipeline(createReadStream(options.stdinGz), createGunzip(), child.stdin!).catch((e: unknown) => reject(e));
    }
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`${argv.join(' ')} exited ${code}: ${err}`));
    });
  });
}

async function fill(stack: RestoreStack): Promise<void> {
  log(`filling PostgreSQL with ${values['pg-rows']} rows, MariaDB with ${values['maria-rows']}, Redis with ${values['redis-keys']} keys…`);
  await stack.pg.sql(
    `CREATE TABLE bulk AS SELECT g AS id, md5(g::text) || md5((g * 7)::text) || md5((g * 13)::text) || md5(random()::text) AS payload
       FROM generate_series(1, ${Number(values['pg-rows'])}) g; ALTER TABLE bulk ADD PRIMARY KEY (id);`,
    'medicapp',
  );
  await stack.maria.sql(
    `USE agenda;
     CREATE TABLE agenda.bulk (id INT PRIMARY KEY, payload VARCHAR(140)) ENGINE=InnoDB;
     INSERT INTO agenda.bulk SELECT seq, CONCAT(MD5(seq), MD5(seq * 7), MD5(RAND())) FROM seq_1_to_${Number(values['maria-rows'])};`,
    30 * 60_000,
  );
  // Not DEBUG POPULATE: Redis 7 refuses DEBUG unless enable-debug-command is set (the reply is an error, not keys).
  await stack.redis.cli(
    'EVAL',
    "for i = 1, tonumber(ARGV[1]) do redis.call('SET', 'bulk:' .. i, string.rep('x', 512)) end return 1",
    '0',
    values['redis-keys']!,
  );
  const keys = Number((await stack.redis.cli('DBSIZE')).trim());
  if (keys < Number(values['redis-keys'])) throw new Error(`Redis holds ${keys} keys after the fill, not ${values['redis-keys']}`);
}

async function restorecheck(config: string, archive: string, safety: boolean): Promise<{ seconds: number; steps: { name: string; seconds: number }[] }> {
  const t = performance.now();
  const out = await exec(
    [
      process.execPath,
      BIN,
      'restore',
      '--config',
      config,
      '--environment',
      'staging',
      archive,
      '--yes',
      '--format',
      'json',
      ...(safety ? [] : ['--no-safety-backup']),
    ],
    { env: { ...process.env, CI: 'true' } },
  );
  const seconds = secondsSince(t);
  const report = JSON.parse(out) as { outcome: string; checks: { id: string; status: string; evidence?: { steps?: { name: string; seconds: number }[] } }[] };
  if (report.outcome !== 'pass' && report.outcome !== 'warn') {
    throw new Error(`restorecheck restore did not pass: ${JSON.stringify(report.checks.map((c) => [c.id, c.status]))}`);
  }
  const steps = report.checks.find((c) => c.id === 'restore-rto')?.evidence?.steps ?? [];
  return { seconds, steps };
}

async function manual(stack: RestoreStack, archive: string): Promise<{ seconds: number; parts: Record<string, number> }> {
  const parts: Record<string, number> = {};
  const t0 = performance.now();
  const dir = await mkdtemp(join(tmpdir(), 'restorecheck-bench-manual-'));
  try {
    let t = performance.now();
    await exec(['tar', 'xzf', archive, '-C', dir]);
    const [top] = await readdir(dir);
    const member = (m: string) => join(dir, top!, m);
    parts.extract = secondsSince(t);

    t = performance.now();
    const pgEnv = { ...process.env, PGPASSWORD: stack.pg.password, PGHOST: stack.pg.host, PGPORT: String(stack.pg.port), PGUSER: stack.pg.superuser };
    const bin = stack.pg.clientBinDir;
    await exec([join(bin, 'dropdb'), '--force', 'medicapp'], { env: pgEnv });
    await exec([join(bin, 'createdb'), 'medicapp'], { env: pgEnv });
    await exec([join(bin, 'psql'), '-q', '-X', '-d', 'medicapp', '-v', 'ON_ERROR_STOP=0', '-o', '/dev/null'], {
      env: pgEnv,
      stdinGz: member('postgres_full.sql.gz'),
    });
    parts.postgres = secondsSince(t);

    t = performance.now();
    await exec(['mariadb', '--no-defaults', '-S', stack.maria.socket, '-u', 'root'], { stdinGz: member('mariadb_full.sql.gz') });
    parts.mariadb = secondsSince(t);

    t = performance.now();
    await stack.redis.cli('SHUTDOWN', 'NOSAVE').catch(() => '');
    for (let i = 0; i < 300 && (await stack.redis.cli('PING').catch(() => '')).trim() === 'PONG'; i++) await sleep(50);
    await exec(['cp', member('redis_dump.rdb'), join(stack.redis.dir, stack.redis.dbfilename)]);
    await exec(stack.redis.startCommand);
    for (let i = 0; i < 3000; i++) {
      const info = await stack.redis.cli('INFO', 'persistence').catch(() => '');
      if (/loading:0/.test(info)) break;
      await sleep(50);
    }
    parts.redis = secondsSince(t);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return { seconds: secondsSince(t0), parts };
}

async function main(): Promise<void> {
  const stack = await startRestoreStack();
  const stop = async () => {
    await stack.stop().catch(() => undefined);
  };
  process.once('SIGINT', () => {
    void stop().then(() => process.exit(130));
  });
  try {
    await fill(stack);
    const config = await stack.writeConfig([]);
    log('backing up (not timed)…');
    await exec([process.execPath, BIN, 'backup', '--config', config, '--environment', 'staging', '--format', 'json']);
    const name = (await stack.archives()).find((a) => a.includes('_staging_'))!;
    const archive = join(stack.backupDir, name);
    const size = (await stat(archive)).size;
    const metadata = JSON.parse(await exec(['sh', '-c', 'tar xzf "$1" --to-stdout --wildcards "*/metadata.json"', 'sh', archive])) as {
      members: Record<string, { size: number }>;
    };
    // What the dumps hold uncompressed (what psql and mariadb read).
    const sqlBytes = async (m: string) =>
      Number((await exec(['sh', '-c', 'tar xzf "$1" --to-stdout --wildcards "*/$2" | gzip -dc | wc -c', 'sh', archive, m])).trim());
    const pgSql = await sqlBytes('postgres_full.sql.gz');
    const mariaSql = await sqlBytes('mariadb_full.sql.gz');
    log(`uncompressed: PostgreSQL SQL ${(pgSql / MB).toFixed(1)} MB, MariaDB SQL ${(mariaSql / MB).toFixed(1)} MB`);
    log(
      `archive ${name}: ${(size / MB).toFixed(1)} MB; members ${Object.entries(metadata.members)
        .map(([m, v]) => `${m} ${(v.size / MB).toFixed(1)} MB`)
        .join(', ')}`,
    );

    const ratios: { ba: number; cb: number }[] = [];
    for (let round = 1; round <= rounds; round++) {
      const order = ['a', 'b', 'c'].map((_, i, all) => all[(i + round - 1) % all.length]!);
      const result: Record<string, number> = {};
      let manualParts: Record<string, number> = {};
      let steps: { name: string; seconds: number }[] = [];
      let safetyBytes = 0;
      for (const which of order) {
        if (which === 'a') {
          const m = await manual(stack, archive);
          result.a = m.seconds;
          manualParts = m.parts;
        } else if (which === 'b') {
          const r = await restorecheck(config, archive, false);
          result.b = r.seconds;
          steps = r.steps;
        } else {
          const before = new Set(await stack.archives());
          const r = await restorecheck(config, archive, true);
          result.c = r.seconds;
          for (const f of (await readdir(stack.backupDir)).filter((f) => f.startsWith('medicapp-safety_') && !before.has(f))) {
            if (f.endsWith('.tar.gz')) safetyBytes = (await stat(join(stack.backupDir, f)).catch(() => ({ size: 0 }))).size;
            await unlink(join(stack.backupDir, f)).catch(() => undefined);
          }
        }
      }
      const ba = result.b! / result.a!;
      const cb = result.c! / result.b!;
      ratios.push({ ba, cb });
      log(
        `round ${round} (${order.join(',')}): manual ${result.a!.toFixed(1)} s (${Object.entries(manualParts)
          .map(([k, v]) => `${k} ${v.toFixed(1)}`)
          .join(
            ', ',
          )}); restorecheck ${result.b!.toFixed(1)} s (${steps.map((s) => `${s.name} ${s.seconds}`).join(', ')}); with safety backup ${result.c!.toFixed(1)} s (+${(result.c! - result.b!).toFixed(1)} s, safety archive ${(safetyBytes / MB).toFixed(1)} MB); b/a ${ba.toFixed(3)}, c/b ${cb.toFixed(3)}`,
      );
    }
    const summary = `median over ${rounds} round(s): restorecheck/manual ${median(ratios.map((r) => r.ba)).toFixed(3)}, with safety backup/without ${median(ratios.map((r) => r.cb)).toFixed(3)} (archive ${(size / MB).toFixed(1)} MB)`;
    log(summary);
    process.stdout.write(`${summary}\n`);
  } finally {
    await stop();
  }
}

await main();
