/**
 * The demo clinic is "at a real Alembic revision with its migration scripts": the real Alembic,
 * upgrading an empty database with the shipped scripts, must build exactly the tables and columns
 * that the demo's seed creates, at the same revision.
 */
import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { readRevisionGraph, singleHead } from '../../src/alembic/revision-graph.js';
import { DEMO_MIGRATIONS_DIR, EXAMPLES_DIR } from '../../src/simulator/sandbox.js';
import { type PostgresCluster, startCluster } from '../../src/simulator/postgres-cluster.js';
import { createAlembicProject } from '../helpers/alembic.js';

let cluster: PostgresCluster;
let work: string;
before(async () => {
  cluster = await startCluster();
  work = await mkdtemp(join(tmpdir(), 'restorecheck-demo-alembic-'));
});
after(async () => {
  await cluster?.stop();
  await rm(work, { recursive: true, force: true });
});

const columns = (db: string) =>
  cluster.sql(
    `SELECT table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable FROM information_schema.columns WHERE table_schema = 'public' ORDER BY 1`,
    db,
  );

it('the seed and `alembic upgrade head` of the shipped scripts build the same schema, at the same head', async () => {
  await cluster.sql('CREATE DATABASE migrated');
  await cluster.sql('CREATE DATABASE seeded');
  const project = await createAlembicProject(work, `postgresql+psycopg2://postgres:${cluster.password}@127.0.0.1:${cluster.port}/migrated`);
  await cp(DEMO_MIGRATIONS_DIR, project.versionsDir, { recursive: true });
  await project.alembic('upgrade', 'head');
  const seed = (await readFile(join(EXAMPLES_DIR, 'demo', 'seed.sql'), 'utf8')).replace(":'signed_sha256'", `'${'0'.repeat(64)}'`);
  await cluster.sql(seed, 'seeded');
  assert.equal(await columns('seeded'), await columns('migrated'));
  const head = singleHead(await readRevisionGraph(DEMO_MIGRATIONS_DIR));
  assert.deepEqual(await project.current(), [head]);
  assert.equal((await cluster.sql('SELECT version_num FROM alembic_version', 'seeded')).trim(), head);
});
