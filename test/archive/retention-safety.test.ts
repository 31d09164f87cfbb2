/**
 * Safety backups in the retention plan (restore's `<name>-safety_…` archives): kept max(safetyKeepDays, the policy's
 * days), and never counted among the newest N, so that a few restores cannot push a real backup out of that protection.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { listArchiveDirectory } from '../../src/archive/archive-directory.js';
import { planRetention } from '../../src/archive/retention.js';
import { archivesConfigOrDefault } from '../../src/config/schema.js';
import { archiveFileName } from '../fixtures/archive-generator.js';

const DAY = 86_400_000;
const now = new Date(Math.floor(Date.now() / 1000) * 1000);
let dir: string;

async function place(name: string, ageDays: number): Promise<string> {
  const file = archiveFileName(name, 'production', new Date(now.getTime() - ageDays * DAY));
  await writeFile(join(dir, file), 'x');
  await writeFile(join(dir, `${file}.sha256`), `${'0'.repeat(64)}  ${file}\n`);
  return file;
}

describe('retention of safety backups', () => {
  const files: Record<string, string> = {};
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'restorecheck-retention-safety-'));
    // Three recent safety backups, newer than every regular backup, and one old one.
    files.s1 = await place('medicapp-safety', 0.5);
    files.s2 = await place('medicapp-safety', 1);
    files.s3 = await place('medicapp-safety', 40);
    files.s4 = await place('medicapp-safety', 70);
    // Regular production backups, all past the 30 days: only the newest 3 of them are protected.
    files.r1 = await place('medicapp', 35);
    files.r2 = await place('medicapp', 36);
    files.r3 = await place('medicapp', 37);
    files.r4 = await place('medicapp', 38);
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function plan(safetyKeepDays?: number) {
    const listing = await listArchiveDirectory(dir);
    const p = planRetention(listing, archivesConfigOrDefault(undefined), now, safetyKeepDays === undefined ? {} : { safetyKeepDays });
    return Object.fromEntries(p.decisions.map((d) => [basename(d.archive.path), d]));
  }

  it('does not count safety backups among the newest N: the three newest regular backups stay protected', async () => {
    const d = await plan();
    for (const k of ['r1', 'r2', 'r3']) assert.equal(d[files[k]!]!.action, 'keep', `${k}: ${d[files[k]!]!.reason}`);
    assert.equal(d[files.r4!]!.action, 'expire');
  });

  it('keeps a safety backup 30 days by default (the policy’s own days when longer), then lets it expire', async () => {
    const d = await plan();
    assert.equal(d[files.s1!]!.action, 'keep');
    assert.match(d[files.s1!]!.reason, /a safety backup taken before a restore, kept 30 days/);
    assert.equal(d[files.s3!]!.action, 'expire', d[files.s3!]!.reason);
    assert.equal(d[files.s4!]!.action, 'expire');
  });

  it('keeps it as long as safetyKeepDays says', async () => {
    const d = await plan(60);
    assert.equal(d[files.s3!]!.action, 'keep', d[files.s3!]!.reason);
    assert.match(d[files.s3!]!.reason, /kept 60 days/);
    assert.equal(d[files.s4!]!.action, 'expire');
  });
});
