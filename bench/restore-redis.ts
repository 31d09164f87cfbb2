/**
 * bench/restore-redis: the Redis restore test's load of an RDB (throwaway-redis.ts: the RDB written from the stream
 * the archive walk hands over, redis-server started as the sandbox user with its hardened configuration, `loading:0`
 * awaited) against what it replaces: a bare `redis-server` started on the same RDB file, until INFO persistence says
 * `loading:0`.
 *
 *   (a) baseline: `redis-server --port 0 --unixsocket … --dir … --dbfilename …` on the RDB file, polled for loading:0
 *   (b) the session: start() + load() fed the RDB file as a stream (writing it, starting, waiting), then dispose()
 *
 * The ratio is of wall times (spawn to loading:0); Redis's own "DB loaded from disk" time of each is compared too.
 *
 * run alternately for several rounds; prints each round and the median ratio b/a. The RDB (default 500,000 keys:
 * strings from DEBUG POPULATE and one key in ten a small hash, which `sanitize-dump-payload yes` checks as it loads)
 * is made once by a scratch redis-server under $TMPDIR, removed at the end. Both sides are polled the same way (a wait
 * of 5 % of the time so far, 5–250 ms). Not part of `npm test`: timings on a shared machine are noisy, which is why the
 * figure is a ratio of runs interleaved in the same process.
 *
 *   npm run bench:restore-redis [-- --rounds 5 --keys 500000]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createReadStream, existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseConfigText } from '../src/config/load.js';
import { redisRestoreTest } from '../src/selfhosted/throwaway-redis.js';
import { SILENT_LOGGER } from '../src/vocabulary.js';
import { log, median, run } from './bench-timing.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    keys: { type: 'string', default: '500000' },
  },
});
const rounds = Number(values.rounds);
const keys = Number(values.keys);
const { config } = parseConfigText('environment: bench\n', 'restorecheck.yaml', {});

const cli = (socket: string, ...args: string[]) => run('redis-cli', ['-s', socket, ...args], { timeout: 600_000, maxBuffer: 64 * 1024 * 1024 });

async function started(child: ChildProcess, socket: string): Promise<void> {
  const t0 = performance.now();
  for (;;) {
    if (child.exitCode !== null) throw new Error(`redis-server exited (${child.exitCode})`);
    if (existsSync(socket)) {
      const info = await cli(socket, 'INFO', 'persistence').then(
        (r) => r.stdout,
        () => '',
      );
      if (/^loading:0\r?$/m.test(info)) return;
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(250, Math.max(5, (performance.now() - t0) / 20))));
  }
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

/** The RDB: `keys` keys, one in ten a 5-field hash, the rest strings; SAVEd by a scratch server. */
async function makeRdb(work: string): Promise<string> {
  const socket = join(work, 'make.sock');
  const child = spawn(
    'redis-server',
    ['--port', '0', '--unixsocket', socket, '--dir', work, '--dbfilename', 'bench.rdb', '--save', '', '--appendonly', 'no', '--enable-debug-command', 'local'],
    { stdio: 'ignore' },
  );
  try {
    await started(child, socket);
    const hashes = Math.floor(keys / 10);
    await cli(socket, 'DEBUG', 'POPULATE', String(keys - hashes), 'patient', '64');
    const commands = join(work, 'hashes.txt');
    const lines: string[] = [];
    for (let i = 0; i < hashes; i++) lines.push(`HSET consent:${i} patient ${i} scope care granted 2026-11-21 by nurse:${i % 97} channel app`);
    await writeFile(commands, `${lines.join('\n')}\n`);
    await run('sh', ['-c', `redis-cli -s "$1" --pipe < "$2" > /dev/null`, 'pipe', socket, commands], { timeout: 600_000 });
    await cli(socket, 'SAVE');
    const count = /^db0:keys=(\d+)/m.exec((await cli(socket, 'INFO', 'keyspace')).stdout)?.[1];
    log(`RDB: ${count} keys, ${((await stat(join(work, 'bench.rdb'))).size / 1e6).toFixed(1)} MB`);
  } finally {
    await stop(child);
  }
  return join(work, 'bench.rdb');
}

/** Redis's own "DB loaded from disk: N seconds". */
const ownLoadSeconds = (log: string) => Number(/DB loaded from disk: ([\d.]+) seconds/.exec(log)?.[1] ?? Number.NaN);

async function bare(work: string, round: number): Promise<{ total: number; server: number }> {
  const socket = join(work, `bare-${round}.sock`);
  const logFile = join(work, `bare-${round}.log`);
  const t0 = performance.now();
  const child = spawn(
    'redis-server',
    ['--port', '0', '--unixsocket', socket, '--dir', work, '--dbfilename', 'bench.rdb', '--save', '', '--appendonly', 'no', '--logfile', logFile],
    { stdio: 'ignore' },
  );
  try {
    await started(child, socket);
    const total = (performance.now() - t0) / 1000;
    return { total, server: ownLoadSeconds(await readFile(logFile, 'utf8')) };
  } finally {
    await stop(child);
  }
}

async function session(rdb: string): Promise<{ total: number; server: number }> {
  const t0 = performance.now();
  const s = await redisRestoreTest.start({ runId: 'bench', signal: AbortSignal.timeout(3600_000), log: SILENT_LOGGER, config });
  try {
    await s.load('redis_dump.rdb', createReadStream(rdb, { highWaterMark: 1024 * 1024 }));
    const total = (performance.now() - t0) / 1000;
    const { restored } = await s.compare(undefined);
    if (restored.keys !== keys) throw new Error(`the session loaded ${restored.keys} keys, not ${keys}`);
    return { total, server: Number(restored.server_load_seconds) };
  } finally {
    await s.dispose();
  }
}

async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'restorecheck-bench-redis-'));
  try {
    log(`making an RDB of ${keys} keys…`);
    const rdb = await makeRdb(work);
    const ratios: number[] = [];
    const serverRatios: number[] = [];
    const rows: { bare: number; session: number }[] = [];
    for (let round = 1; round <= rounds; round++) {
      // Alternate which goes first: the page cache and the CPU are shared.
      let a: { total: number; server: number };
      let b: { total: number; server: number };
      if (round % 2) {
        a = await bare(work, round);
        b = await session(rdb);
      } else {
        b = await session(rdb);
        a = await bare(work, round);
      }
      ratios.push(b.total / a.total);
      serverRatios.push(b.server / a.server);
      rows.push({ bare: a.total, session: b.total });
      log(
        `round ${round}: bare redis-server ${a.total.toFixed(3)} s (its load ${a.server.toFixed(3)} s), restore session ${b.total.toFixed(3)} s ` +
          `(its load ${b.server.toFixed(3)} s), ratio ${(b.total / a.total).toFixed(3)}`,
      );
    }
    const summary = {
      keys,
      rdbMB: Number(((await stat(rdb)).size / 1e6).toFixed(1)),
      bareSeconds: Number(median(rows.map((r) => r.bare)).toFixed(3)),
      sessionSeconds: Number(median(rows.map((r) => r.session)).toFixed(3)),
      ratios: ratios.map((r) => Number(r.toFixed(3))),
      medianRatio: Number(median(ratios).toFixed(3)),
      // Redis's own load time (sanitize-dump-payload and the rest of the hardened configuration, without start and polling).
      medianServerLoadRatio: Number(median(serverRatios).toFixed(3)),
    };
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  log(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exit(1);
});
