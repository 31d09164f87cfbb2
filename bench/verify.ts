/**
 * bench/verify: `restorecheck verify` against the procedure it replaces, on an archive of at least
 * 1 GiB generated from real tools (test/fixtures/archive-generator.ts).
 *
 *   (a) baseline: `sha256sum -c`, then `tar -tzf`, then extraction to a temp dir and `gzip -t` of
 *       each compressed dump (and removal of the temp copy)
 *   (b) `restorecheck verify ARCHIVE` (the built binary)
 *
 * run alternately for several rounds on the same machine; prints each round, the median ratio b/a,
 * restorecheck's peak RSS and the bytes it wrote to disk (both from GNU time: %M and %O, i.e.
 * getrusage's ru_maxrss and ru_oublock, which counts every block written by the process).
 * Targets: ratio ≤ 0.5, peak RSS ≤ 200 MB, zero bytes written.
 *
 *   npm run build && npm run bench:verify [-- --rounds 3 --scale 1 --dir /var/tmp/x --clean]
 *
 * The archive is kept in --dir (default $TMPDIR/restorecheck-bench-verify) for the next run: it takes
 * minutes to generate. --clean removes it afterwards. Not part of `npm test`: timings on a shared
 * machine are noisy, which is why the figure is a ratio of runs interleaved in the same process.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { assembleArchive, generateParts } from '../test/fixtures/archive-generator.js';
import { BIN, log, median, run, timed, type Timed } from './bench-timing.js';

const GIB = 1024 ** 3;

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    scale: { type: 'string', default: '1' },
    dir: { type: 'string', default: join(tmpdir(), 'restorecheck-bench-verify') },
    clean: { type: 'boolean', default: false },
  },
});
const rounds = Number(values.rounds);
const scale = Number(values.scale);
const dir = values.dir!;

async function findArchive(): Promise<string | undefined> {
  if (!existsSync(dir)) return undefined;
  const name = (await readdir(dir)).find((f) => f.endsWith('.tar.gz'));
  return name && existsSync(join(dir, `${name}.sha256`)) ? join(dir, name) : undefined;
}

async function ensureArchive(): Promise<string> {
  const existing = await findArchive();
  if (existing && (await stat(existing)).size >= GIB) return existing;
  await rm(dir, { recursive: true, force: true });
  log(`generating a ≥ 1 GiB archive in ${dir} from real tools (several minutes)…`);
  const t0 = performance.now();
  const parts = await generateParts({
    dir: join(dir, 'parts'),
    postgresRows: Math.round(16_000_000 * scale),
    mariadbRows: Math.round(4_000_000 * scale),
    redisKeys: Math.round(1_000_000 * scale),
    mongoDocuments: Math.round(400_000 * scale),
    minioObjects: Math.round(150 * scale),
    minioObjectBytes: 1024 * 1024,
    log: (m) => log(`  ${m}`),
  });
  for (const note of parts.notes) log(`  note: ${note}`);
  const archive = await assembleArchive(parts, { outDir: dir });
  await rm(join(dir, 'parts'), { recursive: true, force: true });
  const size = (await stat(archive.path)).size;
  log(`  ${archive.fileName}: ${(size / GIB).toFixed(2)} GiB in ${Math.round((performance.now() - t0) / 1000)} s`);
  if (size < GIB) throw new Error(`the archive is ${(size / GIB).toFixed(2)} GiB; run again with a larger --scale`);
  return archive.path;
}

async function baseline(archive: string): Promise<Timed> {
  const extractTo = await mkdtemp(join(tmpdir(), 'restorecheck-bench-extract-'));
  const name = archive.slice(archive.lastIndexOf('/') + 1);
  const script = [
    'set -euo pipefail',
    `cd "$(dirname "$1")"`,
    `sha256sum -c --quiet "$2.sha256"`,
    `tar -tzf "$2" > /dev/null`,
    `tar -xzf "$2" -C "$3"`,
    `find "$3" -name '*.gz' -type f -print0 | xargs -0 -n1 gzip -t`,
    `rm -rf "$3"`,
  ].join('\n');
  try {
    return await timed(['bash', '-c', script, 'baseline', archive, name, extractTo]);
  } finally {
    await rm(extractTo, { recursive: true, force: true });
  }
}

async function restorecheck(archive: string): Promise<Timed> {
  return timed([process.execPath, BIN, 'verify', archive, '--format', 'json', '--max-age-hours', '100000']);
}

async function main(): Promise<void> {
  if (!existsSync(BIN)) throw new Error('dist/ is missing: run `npm run build` first');
  if (!existsSync('/usr/bin/time')) throw new Error('GNU time is missing: apt-get install time');
  const archive = await ensureArchive();
  const size = (await stat(archive)).size;
  log(`archive: ${archive} (${(size / GIB).toFixed(2)} GiB, ${size} bytes)`);
  await run('bash', ['-c', 'cat "$1" > /dev/null', 'warm', archive]); // page cache warm for both sides alike
  const ratios: number[] = [];
  let peakRssKb = 0;
  let outBlocks = 0;
  for (let round = 1; round <= rounds; round++) {
    const a = await baseline(archive);
    const b = await restorecheck(archive);
    ratios.push(b.seconds / a.seconds);
    peakRssKb = Math.max(peakRssKb, b.maxRssKb ?? 0);
    outBlocks = Math.max(outBlocks, b.outBlocks ?? 0);
    log(
      `round ${round}: baseline ${a.seconds.toFixed(2)} s, restorecheck ` +
        `verify ${b.seconds.toFixed(2)} s, ratio ${(b.seconds / a.seconds).toFixed(3)}, peak RSS ${((b.maxRssKb ?? 0) / 1024).toFixed(0)} MiB, blocks written ${b.outBlocks}`,
    );
  }
  const ratio = median(ratios);
  const rssMb = (peakRssKb * 1024) / 1e6;
  const writtenBytes = outBlocks * 512;
  const summary = {
    archiveBytes: size,
    rounds,
    medianRatio: Number(ratio.toFixed(3)),
    peakRssMB: Number(rssMb.toFixed(1)),
    bytesWritten: writtenBytes,
    targets: { ratio: ratio <= 0.5, peakRss: rssMb <= 200, bytesWritten: writtenBytes === 0 },
  };
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  process.stdout.write(
    `bench/verify: median ratio b/a ${summary.medianRatio} (target ≤ 0.5), peak RSS ${summary.peakRssMB} MB (≤ 200), bytes written ${writtenBytes} (0), archive ${(size / GIB).toFixed(2)} GiB\n`,
  );
  if (values.clean) await rm(dir, { recursive: true, force: true });
}

main().catch((error: unknown) => {
  process.stderr.write(`bench/verify: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
