/**
 * `restorecheck retention DIR` through the built binary: the kept and expired sets per environment,
 * sidecar flags, exit codes, and `--apply` deleting exactly the expired archives with their sidecars.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { archiveFileName } from '../fixtures/archive-generator.js';
import { runCli } from '../helpers/cli.js';

const DAY = 86_400_000;
let dir: string;
const now = Math.floor(Date.now() / 1000) * 1000;

interface Row {
  file: string;
  action: string;
  sidecar: boolean;
  deleted?: boolean;
}

async function place(environment: string, ageDays: number, sidecar = true): Promise<string> {
  const name = archiveFileName('medicapp', environment, new Date(now - ageDays * DAY));
  await writeFile(join(dir, name), 'not inspected by retention');
  if (sidecar) await writeFile(join(dir, `${name}.sha256`), `${'0'.repeat(64)}  ${name}\n`);
  return name;
}

describe('retention', () => {
  const names: Record<string, string> = {};
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'restorecheck-retention-'));
    // production: 30 days, newest 3 always kept
    names.p1 = await place('production', 40);
    names.p2 = await place('production', 45);
    names.p3 = await place('production', 50);
    names.p4 = await place('production', 60); // 4th newest and old: expired
    names.p5 = await place('production', 31);
    names.p0 = await place('production', 1);
    // staging: 7 days
    names.s1 = await place('staging', 2, false); // kept, no sidecar
    names.s2 = await place('staging', 8);
    // dev: 7 days
    names.d1 = await place('dev', 6.9);
    names.d2 = await place('dev', 7.5);
    await writeFile(join(dir, 'random.tar.gz'), 'x');
    await writeFile(join(dir, `medicapp_dev_20200101_000000.tar.gz.sha256`), 'orphan');
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reports kept and expired per environment, flags a kept archive without sidecar, and exits 1', async () => {
    const result = await runCli(['retention', dir, '--format', 'json']);
    assert.equal(result.code, 1, result.stderr);
    const doc = JSON.parse(result.stdout) as { archives: Row[]; unrecognised: string[]; orphanSidecars: string[]; summary: Record<string, number> };
    const expired = doc.archives
      .filter((a) => a.action === 'expire')
      .map((a) => a.file)
      .sort();
    assert.deepEqual(expired, [names.p2, names.p3, names.p4, names.s2, names.d2].sort());
    // p0 (1 day), p5 (31 days but among newest 3) and p1 (40 days, 3rd newest) are kept
    const kept = doc.archives
      .filter((a) => a.action === 'keep')
      .map((a) => a.file)
      .sort();
    assert.deepEqual(kept, [names.p0, names.p5, names.p1, names.s1, names.d1].sort());
    assert.deepEqual(
      doc.archives.filter((a) => a.action === 'keep' && !a.sidecar).map((a) => a.file),
      [names.s1],
    );
    assert.deepEqual(doc.unrecognised, ['random.tar.gz']);
    assert.equal(doc.orphanSidecars.length, 1);
    const text = await runCli(['retention', dir]);
    assert.match(text.stdout, /no sidecar/);
    assert.match(text.stdout, /--apply/);
    assert.ok(existsSync(join(dir, names.p4!)), 'nothing deleted without --apply');
  });

  it('--apply deletes exactly the expired archives and their sidecars', async () => {
    const before = new Set(await readdir(dir));
    const result = await runCli(['retention', dir, '--apply', '--format', 'json']);
    const after = new Set(await readdir(dir));
    const removed = [...before].filter((f) => !after.has(f)).sort();
    const expected = [names.p2, names.p3, names.p4, names.s2, names.d2].flatMap((n) => [n!, `${n}.sha256`]).sort();
    assert.deepEqual(removed, expected);
    // Each deletion is recorded in the audit log beside the archives (no report.dir configured).
    const audit = (await readFile(join(dir, 'audit.log.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { action: string; command: string; details: { archive: string } });
    assert.deepEqual(
      audit.map((a) => `${a.action} ${a.command}`),
      Array(5).fill('delete retention'),
    );
    assert.deepEqual(audit.map((a) => basename(a.details.archive)).sort(), [names.p2, names.p3, names.p4, names.s2, names.d2].sort());
    assert.match(result.stderr, /5 deletion\(s\) recorded in .*audit\.log\.jsonl/);
    // still 1: a kept staging archive lacks its sidecar
    assert.equal(result.code, 1);
    await writeFile(join(dir, `${names.s1}.sha256`), `${'0'.repeat(64)}  ${names.s1}\n`);
    const clean = await runCli(['retention', dir]);
    assert.equal(clean.code, 0, clean.stdout);
    assert.match(clean.stdout, /policy satisfied/);
  });

  it('takes the policy from the configuration, and exits 2 on a missing directory', async () => {
    const config = join(dir, 'policy.yaml');
    await writeFile(config, 'environment: production\narchives:\n  environments:\n    dev:\n      retentionDays: 1\n');
    const result = await runCli(['retention', dir, '--config', config, '--format', 'json']);
    const doc = JSON.parse(result.stdout) as { archives: Row[] };
    assert.equal(doc.archives.find((a) => a.file === names.d1)?.action, 'expire');
    assert.equal(result.code, 1);
    const missing = await runCli(['retention', join(dir, 'nope')]);
    assert.equal(missing.code, 2);
  });

  it('keeps a safety backup as long as selfHosted.safetyBackupKeepDays says', async () => {
    const own = await mkdtemp(join(tmpdir(), 'restorecheck-retention-safety-'));
    try {
      const name = archiveFileName('medicapp-safety', 'production', new Date(now - 45 * DAY));
      await writeFile(join(own, name), 'not inspected by retention');
      await writeFile(join(own, `${name}.sha256`), `${'0'.repeat(64)}  ${name}\n`);
      const config = join(own, 'restorecheck.yaml');
      await writeFile(config, `environment: production\nselfHosted:\n  name: medicapp\n  backupDir: ${own}\n  safetyBackupKeepDays: 60\n`);
      const kept = await runCli(['retention', own, '--config', config, '--format', 'json']);
      assert.equal((JSON.parse(kept.stdout) as { archives: Row[] }).archives.find((a) => a.file === name)?.action, 'keep', kept.stdout);
      // Without the configuration, the default 30 days: it has expired.
      const bare = await runCli(['retention', own, '--format', 'json']);
      assert.equal((JSON.parse(bare.stdout) as { archives: Row[] }).archives.find((a) => a.file === name)?.action, 'expire', bare.stdout);
    } finally {
      await rm(own, { recursive: true, force: true });
    }
  });
});
