/**
 * bench/restore-archive: `restorecheck restore-test --archive` against the procedure it replaces, on
 * the same pg_dump of at least 200 MB of SQL (from a real database, test/fixtures/archive-generator.ts):
 *
 *   (a) baseline: `createdb` of a fresh database in a running PostgreSQL, then
 *       `gunzip -c postgres_full.sql.gz | psql` into it (and `dropdb` afterwards, not timed)
 *   (b) `restorecheck restore-test --archive ARCHIVE` (the built binary): verification of the whole
 *       archive, a new throwaway cluster, the guarded restore as a non-superuser, the database checks,
 *       the comparison with metadata.json, and the removal of everything
 *
 * run alternately for several rounds; prints each round (with how many psql connections restorecheck loaded over: one
 * below three CPUs, sql-restore.ts), the median ratio b/a (target ≤ 1.0) and restorecheck's peak
 * RSS (GNU time's maximum resident set size: of restorecheck or of any process it waited for, psql, and also the
 * throwaway server's, which restorecheck starts and waits for itself (throwaway-cluster.ts), where the baseline's
 * running server is not counted). Target ≤ 200 MB.
 * The baseline's server is a throwaway cluster like restorecheck's (fsync off and so on: no disk
 * flushes on either side), but without the settings restorecheck adds for its one-off bulk load
 * (minimal WAL, rare checkpoints, more maintenance memory, no autovacuum): those are part of what
 * restorecheck does differently, and a team's usual restore target has none of them.
 *
 *   npm run build && npm run bench:restore-archive [-- --rounds 3 --rows 1600000 --dir DIR --clean]
 *
 * Not part of `npm test`: timings on a shared machine are noisy, hence a ratio of interleaved runs.
 */
import { existsSync } from 'node:fs';
import { readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startCluster } from '../src/simulator/postgres-cluster.js';
import { assembleArchive, generateParts } from '../test/fixtures/archive-generator.js';
import { BIN, log, median, run, timed } from './bench-timing.js';

const MB = 1e6;

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    rows: { type: 'string', default: '1600000' },
    dir: { type: 'string', default: join(tmpdir(), 'restorecheck-bench-restore') },
    clean: { type: 'boolean', default: false },
  },
});
const rounds = Number(values.rounds);
const dir = values.dir!;

async function ensureArchive(): Promise<{ archive: string; dump: string; sqlBytes: number }> {
  const dump = join(dir, 'parts', 'postgres_full.sql.gz');
  const existing = existsSync(dir) ? (await readdir(dir)).find((f) => f.endsWith('.tar.gz')) : undefined;
  if (!existing || !existsSync(dump)) {
    await rm(dir, { recursive: true, force: true });
    log(`generating a dump of ${values.rows} patients (≥ 200 MB of SQL) and its archive in ${dir}…`);
    const parts = await generateParts({
      dir: join(dir, 'parts'),
      postgresRows: Number(values.rows),
      mariadbRows: 0,
      redisKeys: 100,
      mongoDocuments: 100,
      minioObjects: 2,
      log: (m) => log(`  ${m}`),
    });
    await assembleArchive(parts, { outDir: dir });
  }
  const archive = join(dir, (await readdir(dir)).find((f) => f.endsWith('.tar.gz'))!);
  const { stdout } = await run('bash', ['-o', 'pipefail', '-c', 'gunzip -c "$1" | wc -c', 'size', dump]);
  const sqlBytes = Number(stdout.trim());
  if (sqlBytes < 200 * MB) throw new Error(`the dump holds ${(sqlBytes / MB).toFixed(0)} MB of SQL; run again with more --rows`);
  return { archive, dump, sqlBytes };
}

/** restore-provision's `load` evidence in restorecheck's JSON report. */
function loadOf(report: string): { copyConnections: number; copySlices: number } {
  const parsed = JSON.parse(report) as { checks: { id: string; evidence?: { load?: { copyConnections: number; copySlices: number } } }[] };
  const load = parsed.checks.find((c) => c.id === 'restore-provision')?.evidence?.load;
  if (!load) throw new Error('the report has no restore-provision load evidence: did the restore fail?');
  return load;
}

async function main(): Promise<void> {
  if (!existsSync(BIN)) throw new Error('dist/ is missing: run `npm run build` first');
  if (!existsSync('/usr/bin/time')) throw new Error('GNU time is missing: apt-get install time');
  const { archive, dump, sqlBytes } = await ensureArchive();
  log(`archive: ${archive} (${((await stat(archive)).size / MB).toFixed(0)} MB), dump: ${(sqlBytes / MB).toFixed(0)} MB of SQL`);
  const cluster = await startCluster();
  const env = { ...process.env, PGPASSWORD: cluster.password };
  const pg = (tool: string) => join(cluster.binDir, tool);
  const connection = ['-h', cluster.host, '-p', String(cluster.port), '-U', 'postgres'];
  const ratios: number[] = [];
  const peaks: number[] = [];
  try {
    for (let round = 1; round <= rounds; round++) {
      const db = `baseline_${round}`;
      const script = `set -euo pipefail\n"$1" ${connection.join(' ')} "$3"\ngunzip -c "$4" | "$2" -X -q ${connection.join(' ')} -d "$3" > /dev/null`;
      const a = await timed(['bash', '-c', script, 'baseline', pg('createdb'), pg('psql'), db, dump], { env });
      await run(pg('dropdb'), [...connection, db], { env });
      const b = await timed([process.execPath, BIN, 'restore-test', '--archive', archive, '--format', 'json']);
      ratios.push(b.seconds / a.seconds);
      peaks.push((b.maxRssKb ?? 0) / 1024);
      // How restorecheck loaded the dump (one connection and one transaction, or COPY shared out: by the CPUs it has).
      const load = loadOf(b.stdout);
      log(
        `round ${round}: baseline ${a.seconds.toFixed(2)} s, restorecheck restore-test ` +
          `--archive ${b.seconds.toFixed(2)} s, ratio ${(b.seconds / a.seconds).toFixed(3)}, peak RSS ${((b.maxRssKb ?? 0) / 1024).toFixed(0)} MiB, ` +
          `loaded over ${1 + load.copyConnections} psql connection(s)${load.copyConnections ? ` (${load.copySlices} COPY slices)` : ''}`,
      );
    }
  } finally {
    await cluster.stop();
  }
  const ratio = median(ratios);
  const peak = Math.max(...peaks);
  const summary = {
    sqlBytes,
    rounds,
    ratios: ratios.map((r) => Number(r.toFixed(3))),
    medianRatio: Number(ratio.toFixed(3)),
    peakRssMiB: peaks.map((p) => Math.round(p)),
    target: ratio <= 1.0 && peak <= 200,
  };
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  process.stdout.write(
    `bench/restore-archive: median ratio b/a ${summary.medianRatio} (target ≤ 1.0), peak RSS ${Math.round(peak)} MiB (target ≤ 200), ` +
      `${(sqlBytes / MB).toFixed(0)} MB of SQL\n`,
  );
  if (values.clean) await rm(dir, { recursive: true, force: true });
}

main().catch((error: unknown) => {
  process.stderr.write(`bench/restore-archive: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
