/**
 * bench/backup: `restorecheck backup` of a real PostgreSQL database whose plain dump is at least 200 MB, against what
 * it replaces for that component: `pg_dump --format=plain URL | gzip > FILE` alone.
 *
 *   (a) baseline: `pg_dump | gzip -6` into a file (bash -o pipefail)
 *   (b) `restorecheck backup --config … --environment bench` (the built binary): the same dump, gzip and SHA-256 on the
 *       way, the snapshot's row counts, metadata.json, the archive packed and renamed, the sidecar, then the verification
 *       of the archive written (one read)
 *
 * run alternately for several rounds; prints each round, the median ratio b/a (target ≤ 1.15: the manifest and the
 * verification must be nearly free), the throughput (MB of SQL per second) and restorecheck's peak RSS (GNU time %M).
 *
 *   npm run build && npm run bench:backup [-- --rounds 3 --rows 1800000]
 *
 * The database lives in a throwaway cluster under $TMPDIR for the run and is removed at the end. Not part of `npm test`:
 * timings on a shared machine are noisy, which is why the figure is a ratio of runs interleaved in the same process.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startCluster } from '../src/simulator/postgres-cluster.js';
import { BIN, log, median, timed } from './bench-timing.js';

const MB = 1e6;
const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    rows: { type: 'string', default: '1800000' },
  },
});
const rounds = Number(values.rounds);
const rows = Number(values.rows);

async function main(): Promise<void> {
  if (!existsSync(BIN)) throw new Error('dist/ is missing: run `npm run build` first');
  if (!existsSync('/usr/bin/time')) throw new Error('GNU time is missing: apt-get install time');
  const work = await mkdtemp(join(tmpdir(), 'restorecheck-bench-backup-'));
  const cluster = await startCluster();
  try {
    log(`loading ${rows} rows into a throwaway PostgreSQL…`);
    await cluster.sql('CREATE DATABASE medicapp');
    await cluster.sql(
      `CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY); INSERT INTO alembic_version VALUES ('4b2d9c1e7f00');
       CREATE TABLE patients (id bigint PRIMARY KEY, uuid uuid NOT NULL, family_name text, given_name text, city text, note text, created_at timestamptz NOT NULL);
       INSERT INTO patients SELECT g, md5(g::text)::uuid,
              (ARRAY['Martin','Bernard','Dubois','Thomas','Robert','Richard','Petit','Durand'])[1 + g % 8],
              (ARRAY['Camille','Louise','Léa','Hugo','Lucas','Chloé','Jules','Emma','Adam'])[1 + g % 9],
              (ARRAY['Paris','Lyon','Marseille','Toulouse','Nantes','Lille'])[1 + g % 6],
              'consultation ' || md5((g * 31)::text) || ' suivi ' || (g % 97),
              timestamptz '2020-01-01 00:00:00+00' + (g * 37 || ' seconds')::interval
       FROM generate_series(1, ${rows}) AS g;`,
      'medicapp',
    );
    const url = cluster.url({ database: 'medicapp' });
    const backupDir = join(work, 'backups');
    const config = join(work, 'restorecheck.yaml');
    await writeFile(
      config,
      `environment: bench\nselfHosted:\n  name: medicapp\n  backupDir: ${backupDir}\n  sources:\n    postgres:\n      url: ${JSON.stringify(url)}\n      coreTables: [patients]\n`,
    );
    const baselineFile = join(work, 'baseline.sql.gz');
    const pgDump = join(cluster.binDir, 'pg_dump');
    const env = { ...process.env, PGPASSWORD: cluster.password };
    const plain = new URL(url);
    plain.password = '';
    // The SQL size, once: the figure the target is stated on (≥ 200 MB).
    await timed(['bash', '-o', 'pipefail', '-c', `"$1" --format=plain --dbname "$2" | wc -c > "$3"`, 'size', pgDump, plain.toString(), join(work, 'size')], {
      env,
    });
    const sqlBytes = Number((await import('node:fs')).readFileSync(join(work, 'size'), 'utf8').trim());
    log(`plain dump: ${(sqlBytes / MB).toFixed(0)} MB of SQL${sqlBytes < 200 * MB ? ' (below 200 MB: raise --rows)' : ''}`);

    const ratios: number[] = [];
    let peakRssKb = 0;
    let lastBackup = 0;
    for (let round = 1; round <= rounds; round++) {
      const a = await timed(
        ['bash', '-o', 'pipefail', '-c', `"$1" --format=plain --dbname "$2" | gzip -6 > "$3"`, 'baseline', pgDump, plain.toString(), baselineFile],
        { env },
      );
      await rm(backupDir, { recursive: true, force: true });
      // The backup finds pg_dump on PATH: the cluster's own, the same binary as the baseline's.
      const b = await timed([process.execPath, BIN, 'backup', '--config', config, '--format', 'json'], {
        env: { ...process.env, PATH: `${cluster.binDir}:${process.env.PATH}` },
      });
      const archive = (await readdir(backupDir)).find((f) => f.endsWith('.tar.gz'))!;
      lastBackup = (await stat(join(backupDir, archive))).size;
      ratios.push(b.seconds / a.seconds);
      peakRssKb = Math.max(peakRssKb, b.maxRssKb ?? 0);
      log(
        `round ${round}: pg_dump | gzip ${a.seconds.toFixed(2)} s (${(sqlBytes / MB / a.seconds).toFixed(0)} MB/s), restorecheck backup ${b.seconds.toFixed(2)} s ` +
          `(${(sqlBytes / MB / b.seconds).toFixed(0)} MB/s), ratio ${(b.seconds / a.seconds).toFixed(3)}, peak RSS ${((b.maxRssKb ?? 0) / 1024).toFixed(0)} MiB`,
      );
    }
    const ratio = median(ratios);
    const summary = {
      sqlMB: Math.round(sqlBytes / MB),
      archiveMB: Math.round(lastBackup / MB),
      baselineGzipMB: Math.round((await stat(baselineFile)).size / MB),
      ratios: ratios.map((r) => Number(r.toFixed(3))),
      medianRatio: Number(ratio.toFixed(3)),
      peakRssMB: Math.round((peakRssKb * 1024) / MB),
      target: 'ratio ≤ 1.15',
      met: ratio <= 1.15,
    };
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  } finally {
    await cluster.stop({ immediate: true });
    await rm(work, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  log(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exit(1);
});
