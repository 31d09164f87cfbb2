/**
 * bench/restore-mariadb: the MariaDB restore test's load (mariadb.ts `restoreTest`: a throwaway mariadbd as the sandbox
 * user, the client-command guard in front of `mariadb --binary-mode --sandbox --force` as an unprivileged account, the
 * grants as the dump names its schemas, every error read and classified) against what a person would do, on the same
 * mariadb-dump of a table of `--rows` rows (200 000 by default, some 30 MB of SQL):
 *
 *   (a) ordinary: `mariadb < dump` as root into an ordinary throwaway mariadbd (test/helpers/selfhosted-services.ts:
 *       the defaults, a 64 MB buffer pool: what a team's own restore target looks like)
 *   (b) same server: `mariadb < dump` as the server's administrator into restorecheck's own throwaway server (its bulk
 *       load settings), without the guard, the sandbox or the restore account: (c) minus (b) is what the safety costs
 *   (c) restorecheck: `session.load()` of the same SQL, streamed as the archive tap hands it over
 *
 * Each round starts fresh servers (not timed) and times the loads alone, alternately; the session's start (the
 * bootstrap, ~2 s) and compare() are printed apart. Prints each round and the median ratios c/a and c/b.
 *
 *   npm run bench:restore-mariadb [-- --rounds 5 --rows 200000]
 *
 * Not part of `npm test`: timings on a shared machine are noisy, hence ratios of interleaved runs.
 */
import { spawn } from 'node:child_process';
import { createReadStream, openSync, closeSync } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseConfigText } from '../src/config/load.js';
import { mariadb } from '../src/selfhosted/mariadb.js';
import { type ThrowawayMariadb, startThrowawayMariadb } from '../src/selfhosted/throwaway-mariadb.js';
import { SILENT_LOGGER } from '../src/vocabulary.js';
import { startMariadb } from '../test/helpers/selfhosted-services.js';
import { log, median } from './bench-timing.js';

const MB = 1e6;
const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    rows: { type: 'string', default: '200000' },
  },
});
const rounds = Number(values.rounds);
const rows = Number(values.rows);
const { config } = parseConfigText('environment: bench\n', 'restorecheck.yaml', {});

/** Runs `file args` with `input` as its stdin (a file), as `as` (uid/gid, env, cwd) when given; resolves with the seconds it took. */
function timedRun(
  file: string,
  args: string[],
  input: string,
  as: { env?: NodeJS.ProcessEnv; cwd?: string; uid?: number; gid?: number } = {},
): Promise<number> {
  return new Promise((resolve, reject) => {
    const fd = openSync(input, 'r');
    const started = performance.now();
    const child = spawn(file, args, { stdio: [fd, 'ignore', 'pipe'], timeout: 30 * 60_000, ...as });
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (t: string) => {
      stderr = (stderr + t).slice(-4000);
    });
    child.once('error', reject);
    child.once('close', (code) => {
      closeSync(fd);
      if (code !== 0) reject(new Error(`${file} exited ${code}: ${stderr}`));
      else resolve((performance.now() - started) / 1000);
    });
  });
}

/** The dump: a table of `rows` rows in a throwaway server, through mariadb-dump (as its administrator). */
async function makeDump(file: string): Promise<void> {
  const server = await startThrowawayMariadb();
  try {
    await server.sql(
      `CREATE DATABASE clinic; USE clinic; CREATE TABLE clinic.patients (id BIGINT PRIMARY KEY, uuid CHAR(36) NOT NULL, family_name VARCHAR(64), given_name VARCHAR(64),
         city VARCHAR(64), note TEXT, created_at DATETIME NOT NULL, KEY (family_name)) ENGINE=InnoDB;
       INSERT INTO clinic.patients SELECT seq, UUID(), ELT(1 + seq % 8, 'Martin', 'Bernard', 'Dubois', 'Thomas', 'Robert', 'Richard', 'Petit', 'Durand'),
         ELT(1 + seq % 9, 'Camille', 'Louise', 'Léa', 'Hugo', 'Lucas', 'Chloé', 'Jules', 'Emma', 'Adam'),
         ELT(1 + seq % 6, 'Paris', 'Lyon', 'Marseille', 'Toulouse', 'Nantes', 'Lille'),
         CONCAT('consultation ', MD5(seq * 31), ' suivi ''', seq % 97, ''''), '2020-01-01 00:00:00' + INTERVAL (seq * 37) SECOND FROM seq_1_to_${rows};
       CREATE TABLE clinic.visits (id BIGINT PRIMARY KEY, patient_id BIGINT, at DATETIME) ENGINE=InnoDB;
       INSERT INTO clinic.visits SELECT seq, 1 + seq % ${rows}, '2024-01-01' + INTERVAL seq MINUTE FROM seq_1_to_${Math.ceil(rows / 2)};`,
      { timeoutMs: 30 * 60_000 },
    );
    const invocation = server.client(server.adminUser, undefined, []);
    await new Promise<void>((resolve, reject) => {
      const fd = openSync(file, 'w');
      const child = spawn(
        'mariadb-dump',
        [
          '--no-defaults',
          `--socket=${server.socket}`,
          `--user=${server.adminUser}`,
          '--single-transaction',
          '--routines',
          '--events',
          '--triggers',
          '--databases',
          'clinic',
        ],
        {
          stdio: ['ignore', fd, 'inherit'],
          env: invocation.env,
          cwd: invocation.cwd,
          ...(invocation.uid !== undefined ? { uid: invocation.uid, gid: invocation.gid } : {}),
        },
      );
      child.once('error', reject);
      child.once('close', (code) => {
        closeSync(fd);
        if (code === 0) resolve();
        else reject(new Error(`mariadb-dump exited ${code}`));
      });
    });
  } finally {
    await server.stop();
  }
}

async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'restorecheck-bench-mariadb-'));
  try {
    const dump = join(work, 'dump.sql');
    log(`dumping ${rows} + ${Math.ceil(rows / 2)} rows…`);
    await makeDump(dump);
    const sqlBytes = (await stat(dump)).size;
    log(`the dump: ${(sqlBytes / MB).toFixed(1)} MB of SQL`);
    const restoreTest = mariadb.restoreTest!;
    const vsOrdinary: number[] = [];
    const vsSame: number[] = [];
    for (let round = 1; round <= rounds; round++) {
      // (a) ordinary
      const ordinary = await startMariadb();
      let a: number;
      try {
        a = await timedRun('mariadb', ['--no-defaults', '-S', ordinary.socket, '-u', 'root'], dump);
      } finally {
        await ordinary.stop();
      }
      // (b) restorecheck's server, the plain client as its administrator
      let same: ThrowawayMariadb | undefined;
      let b: number;
      try {
        same = await startThrowawayMariadb();
        const invocation = same.client(same.adminUser, undefined, []);
        b = await timedRun(invocation.file, invocation.args, dump, {
          env: invocation.env,
          cwd: invocation.cwd,
          ...(invocation.uid !== undefined ? { uid: invocation.uid, gid: invocation.gid } : {}),
        });
      } finally {
        await same?.stop();
      }
      // (c) the session
      const t0 = performance.now();
      const session = await restoreTest.start({ runId: 'bench', signal: AbortSignal.timeout(30 * 60_000), log: SILENT_LOGGER, config });
      const startSeconds = (performance.now() - t0) / 1000;
      let c: number;
      let compareSeconds: number;
      try {
        const t1 = performance.now();
        await session.load('mariadb_full.sql.gz', createReadStream(dump));
        c = (performance.now() - t1) / 1000;
        const t2 = performance.now();
        const comparison = await session.compare(undefined);
        compareSeconds = (performance.now() - t2) / 1000;
        const counts = comparison.restored.table_counts as Record<string, number>;
        if (counts['clinic.patients'] !== rows) throw new Error(`restored ${JSON.stringify(counts)}: the bench is broken`);
      } finally {
        await session.dispose();
      }
      vsOrdinary.push(c / a);
      vsSame.push(c / b);
      log(
        `round ${round}: ordinary mariadb < dump ${a.toFixed(2)} s, same server ${b.toFixed(2)} s, restorecheck load ${c.toFixed(2)} s ` +
          `(${(sqlBytes / MB / c).toFixed(0)} MB/s; start ${startSeconds.toFixed(2)} s, compare ${compareSeconds.toFixed(2)} s), ratios ${(c / a).toFixed(3)} / ${(c / b).toFixed(3)}`,
      );
    }
    const summary = {
      rows,
      sqlMB: Number((sqlBytes / MB).toFixed(1)),
      ratiosVsOrdinary: vsOrdinary.map((r) => Number(r.toFixed(3))),
      ratiosVsSameServer: vsSame.map((r) => Number(r.toFixed(3))),
      medianRatioVsOrdinary: Number(median(vsOrdinary).toFixed(3)),
      medianRatioVsSameServer: Number(median(vsSame).toFixed(3)),
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
