import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { base, branched, cluster, project, readerUrl, run, useDbCheckCluster } from '../../helpers/db-check-harness.js';

useDbCheckCluster({ alembic: true });

describe('db-alembic-version', () => {
  it('passes when the database is at the head computed from the real migration scripts', async () => {
    const c = (await run(base(readerUrl('clinic'), '  alembic:\n    migrationsDir: app/migrations/versions\n')))['db-alembic-version']!;
    assert.equal(c.status, 'pass', c.message);
    assert.deepEqual([c.evidence.current], await project.current());
    assert.deepEqual([c.evidence.expected], await project.heads());
  });

  it('fails when the database is behind the expected head', async () => {
    const c = (await run(base(readerUrl('clinic'), '  alembic:\n    expectedHead: ffff0000\n')))['db-alembic-version']!;
    assert.equal(c.status, 'fail');
    assert.equal(c.evidence.current, 'd0000001');
    assert.equal(c.evidence.expected, 'ffff0000');
  });

  it('is error when expectedHead and the scripts disagree', async () => {
    const c = (await run(base(readerUrl('clinic'), '  alembic:\n    expectedHead: ffff0000\n    migrationsDir: app/migrations/versions\n')))[
      'db-alembic-version'
    ]!;
    assert.equal(c.status, 'error');
    assert.match(c.message, /expectedHead is ffff0000 but the migration scripts .* have head d0000001/);
  });

  it('passes a two-base project upgraded with `alembic upgrade heads`: the rows equal the heads', async () => {
    const c = (await run(base(readerUrl('branched'), '  alembic:\n    migrationsDir: branchy/migrations/versions\n')))['db-alembic-version']!;
    assert.equal(c.status, 'pass', c.message);
    assert.deepEqual(c.evidence.current, await branched.current());
    assert.deepEqual(c.evidence.expected, await branched.heads());
    assert.deepEqual(c.evidence.expected, ['e0000001', 'f0000001']);
  });

  it('fails naming the missing and the extra revisions when the rows differ from the heads', async () => {
    const c = (await run(base(readerUrl('clinic'), '  alembic:\n    migrationsDir: branchy/migrations/versions\n')))['db-alembic-version']!;
    assert.equal(c.status, 'fail');
    assert.match(c.message, /missing e0000001, f0000001/);
    assert.match(c.message, /not a head: d0000001/);
    const one = (await run(base(readerUrl('branched'), '  alembic:\n    expectedHead: e0000001\n')))['db-alembic-version']!;
    assert.equal(one.status, 'fail');
    assert.deepEqual(one.evidence.current, await branched.current());
    assert.match(one.message, /not a head: f0000001/);
    const list = (await run(base(readerUrl('branched'), '  alembic:\n    expectedHead: [f0000001, e0000001]\n')))['db-alembic-version']!;
    assert.equal(list.status, 'pass', list.message);
  });

  it('is skipped with the reason when no expected head is configured', async () => {
    const none = (await run(base(readerUrl('empty'))))['db-alembic-version']!;
    assert.equal(none.status, 'skipped');
    assert.match(none.message, /database\.alembic\.expectedHead or migrationsDir/);
    const tableOnly = (await run(base(readerUrl('empty'), '  alembic:\n    table: alembic_version\n')))['db-alembic-version']!;
    assert.equal(tableOnly.status, 'skipped');
  });

  it('follows database.alembic.recursive for scripts in a subfolder of versions/', async () => {
    const { mkdir, writeFile } = await import('node:fs/promises');
    await mkdir(join(branched.versionsDir, 'archive'), { recursive: true });
    await writeFile(join(branched.versionsDir, 'archive', 'g0_later.py'), "revision = 'g0000001'\ndown_revision = 'e0000001'\n");
    try {
      // Alembic (without recursive_version_locations) ignores the subfolder: the database is still at its heads.
      assert.deepEqual(await branched.heads(), ['e0000001', 'f0000001']);
      const flat = (await run(base(readerUrl('branched'), '  alembic:\n    migrationsDir: branchy/migrations/versions\n')))['db-alembic-version']!;
      assert.equal(flat.status, 'pass', flat.message);
      const deep = (await run(base(readerUrl('branched'), '  alembic:\n    migrationsDir: branchy/migrations/versions\n    recursive: true\n')))[
        'db-alembic-version'
      ]!;
      assert.equal(deep.status, 'fail');
      assert.match(deep.message, /missing g0000001/);
    } finally {
      const { rm: remove } = await import('node:fs/promises');
      await remove(join(branched.versionsDir, 'archive'), { recursive: true, force: true });
    }
  });

  it('tells a missing table from an empty one', async () => {
    const missing = (await run(base(readerUrl('empty'), '  alembic:\n    expectedHead: d0000001\n')))['db-alembic-version']!;
    assert.equal(missing.status, 'fail');
    assert.match(missing.message, /does not exist/);
    const empty = (await run(base(readerUrl('clinic'), '  alembic:\n    table: empty_table\n    expectedHead: d0000001\n')))['db-alembic-version']!;
    assert.equal(empty.status, 'error', 'a table without version_num cannot be read');
    await cluster.sql('CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY); GRANT SELECT ON alembic_version TO reader', 'empty');
    const emptied = (await run(base(readerUrl('empty'), '  alembic:\n    expectedHead: d0000001\n')))['db-alembic-version']!;
    assert.equal(emptied.status, 'fail');
    assert.match(emptied.message, /is empty/);
    await cluster.sql('DROP TABLE alembic_version', 'empty');
  });

  it('reads a schema-qualified table', async () => {
    const c = (await run(base(readerUrl('clinic'), '  alembic:\n    table: public.alembic_version\n    expectedHead: d0000001\n')))['db-alembic-version']!;
    assert.equal(c.status, 'pass');
  });
});
