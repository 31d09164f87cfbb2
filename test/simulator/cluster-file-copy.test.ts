/**
 * The simulator's physical copy of a cluster of ours (point-in-time-restore.ts copyClusterFiles, what the demo's
 * point-in-time restores do): the copy starts and holds the source's data, also when the source switched WAL segments
 * and checkpointed while its files were being copied (a checkpoint may recycle the WAL the copy needs to replay).
 * Real PostgreSQL, the machine's.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { copyClusterFiles } from '../../src/simulator/point-in-time-restore.js';
import { type PostgresCluster, startCluster } from '../../src/simulator/postgres-cluster.js';

let source: PostgresCluster;
const copies: PostgresCluster[] = [];

before(async () => {
  source = await startCluster({ settings: { max_wal_size: '32MB', min_wal_size: '32MB' } });
  await source.sql("CREATE TABLE visits (id int PRIMARY KEY, note text); INSERT INTO visits SELECT g, repeat('x', 100) FROM generate_series(1, 5000) g");
});
after(async () => {
  for (const c of copies) await c.stop({ immediate: true });
  await source?.stop({ immediate: true });
});

const copyOf = async (whileCopying?: () => Promise<void>) => {
  const copy = await startCluster({
    host: '127.0.0.3',
    password: source.password,
    server: { binDir: source.binDir, clientBinDir: source.clientBinDir },
    populate: (dataDir) => copyClusterFiles(source, dataDir, new AbortController().signal, whileCopying),
  });
  copies.push(copy);
  return copy;
};

describe('copyClusterFiles', () => {
  it("a copy holds the source's rows and roles, and answers with the source's password", async () => {
    const copy = await copyOf();
    assert.equal((await copy.sql('SELECT count(*), sum(id) FROM visits')).trim(), '5000|12502500');
    assert.equal((await copy.sql("SELECT rolname FROM pg_roles WHERE rolname = 'postgres'")).trim(), 'postgres');
  });

  it('the source switching WAL segments and checkpointing during the copy does not take the WAL the copy replays', { timeout: 120_000 }, async () => {
    const copy = await copyOf(async () => {
      // Several segments written and switched, then a checkpoint: the segments before its redo point may be removed.
      for (let i = 0; i < 4; i++)
        await source.sql(`INSERT INTO visits SELECT g, 'during' FROM generate_series(${10_000 + i * 1000}, ${10_999 + i * 1000}) g; SELECT pg_switch_wal()`);
      await source.sql('CHECKPOINT');
      await source.sql('CHECKPOINT');
    });
    // The rows from before the copy, and those committed while it ran (before pg_backup_stop): the copy replays to there.
    assert.equal((await copy.sql("SELECT count(*), count(*) FILTER (WHERE note = 'during') FROM visits")).trim(), '9000|4000');
  });
});
