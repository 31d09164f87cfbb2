import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pg from 'pg';
import { countToJson } from '../../../src/checks/db/db-core-row-counts.js';
import { base, cluster, readerUrl, run, useDbCheckCluster } from '../../helpers/db-check-harness.js';

useDbCheckCluster();

describe('db-core-row-counts', () => {
  /** Another session holding ACCESS EXCLUSIVE on the given tables (as a migration would) while `work` runs. */
  async function whileLocked<T>(tables: string[], work: () => Promise<T>): Promise<T> {
    const locker = new pg.Client({ connectionString: cluster.url({ database: 'clinic', params: { sslmode: 'disable' } }) });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query(`LOCK TABLE ${tables.join(', ')} IN ACCESS EXCLUSIVE MODE`);
      return await work();
    } finally {
      await locker.query('ROLLBACK').catch(() => undefined);
      await locker.end();
    }
  }
  const lockConfig =
    '  statementTimeoutMs: 1500\n  coreTables:\n    - { name: patients, minRows: 5 }\n    - { name: documents }\n    - { name: \'audit."Event Log"\', minRows: 2 }\n';

  it('counts the other tables when one is locked, and names the locked one (warn, never pass)', async () => {
    const c = await whileLocked(['documents'], async () => (await run(base(readerUrl('clinic'), lockConfig)))['db-core-row-counts']!);
    assert.equal(c.status, 'warn', c.message);
    assert.deepEqual(c.evidence.counts, { patients: 5, documents: null, 'audit."Event Log"': 2 });
    const notCounted = c.evidence.notCounted as Record<string, { reason: string; kind: string }>;
    assert.deepEqual(Object.keys(notCounted), ['documents']);
    assert.equal(notCounted.documents!.kind, 'timeout');
    assert.match(notCounted.documents!.reason, /table "documents" is locked by another session: no lock within 750 ms/);
    assert.match(c.message, /2 of 3 core tables counted .*not counted: table "documents" is locked/);
  });

  it('is error when no table can be counted, naming each lock', async () => {
    const c = await whileLocked(
      ['patients', 'documents', 'audit."Event Log"'],
      async () => (await run(base(readerUrl('clinic'), lockConfig)))['db-core-row-counts']!,
    );
    assert.equal(c.status, 'error', c.message);
    assert.equal(c.errorKind, 'timeout');
    assert.match(c.message, /"patients" is locked.*"documents" is locked.*"audit\."Event Log"" is locked/);
  });

  it('fails for a short table and still names the locked one', async () => {
    const cfg = '  statementTimeoutMs: 1500\n  coreTables:\n    - { name: patients, minRows: 6 }\n    - { name: documents }\n';
    const c = await whileLocked(['documents'], async () => (await run(base(readerUrl('clinic'), cfg)))['db-core-row-counts']!);
    assert.equal(c.status, 'fail', c.message);
    assert.match(c.message, /"patients" has 5 \(minimum 6\); not counted: table "documents" is locked/);
  });

  it('passes with exact counts keyed by the configured names', async () => {
    const c = (
      await run(
        base(
          readerUrl('clinic'),
          '  coreTables:\n    - { name: patients, minRows: 5 }\n    - { name: public.documents }\n    - { name: \'audit."Event Log"\', minRows: 2 }\n',
        ),
      )
    )['db-core-row-counts']!;
    assert.equal(c.status, 'pass', c.message);
    assert.deepEqual(c.evidence.counts, { patients: 5, 'public.documents': 3, 'audit."Event Log"': 2 });
  });

  it('fails naming a table below its minRows and a missing table', async () => {
    const c = (await run(base(readerUrl('clinic'), '  coreTables:\n    - { name: patients, minRows: 6 }\n    - { name: prescriptions }\n')))[
      'db-core-row-counts'
    ]!;
    assert.equal(c.status, 'fail');
    assert.match(c.message, /missing table "prescriptions"/);
    assert.match(c.message, /"patients" has 5 \(minimum 6\)/);
  });

  it('executes nothing from a table name that is an SQL injection attempt', async () => {
    // As the table's owner, so that only restorecheck's own care stands between the name and the DROP.
    const owner = cluster.url({ database: 'clinic', params: { sslmode: 'disable' } });
    const c = (
      await run(base(owner, '  coreTables:\n    - { name: "patients; DROP TABLE canary; --" }\n    - { name: "canary\\" WHERE 1=0 UNION SELECT 1; --" }\n'))
    )['db-core-row-counts']!;
    assert.equal(c.status, 'fail');
    assert.match(c.message, /missing tables "patients; DROP TABLE canary; --", "canary" WHERE/);
    assert.equal((await cluster.sql('SELECT count(*) FROM canary', 'clinic')).trim(), '1', 'the canary table survives');
    // The server saw the names only as bind parameters, never as statement text.
    // Entries start with the log_line_prefix timestamp; a statement's text continues on the next lines.
    const executed = (await cluster.log()).split(/\n(?=\d{4}-\d\d-\d\d )/).filter((l) => /LOG:\s+(statement|execute)/.test(l));
    assert.ok(
      executed.some((l) => l.includes('to_regclass($1)')),
      'the lookup ran',
    );
    assert.deepEqual(
      executed.filter((l) => /DROP TABLE canary|UNION SELECT/.test(l)),
      [],
    );
  });

  it('is skipped when no core table is configured', async () => {
    const c = (await run(base(readerUrl('clinic'))))['db-core-row-counts']!;
    assert.equal(c.status, 'skipped');
    assert.match(c.message, /no database\.coreTables configured/);
  });

  it('keeps counts past 2^53 exact, as strings', () => {
    assert.equal(countToJson(5n), 5);
    assert.equal(countToJson(9007199254740993n), '9007199254740993');
  });
});
