import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BlobProbe } from '../../../src/azure/types.js';
import { openDatabase } from '../../../src/db/postgres.js';
import { hoursAgo, run as runInAzureWorld } from '../../helpers/azure-world.js';
import { base, cluster, readerUrl, run, useDbCheckCluster } from '../../helpers/db-check-harness.js';

useDbCheckCluster();

describe('signed-document (blob half)', () => {
  const run = runInAzureWorld; // the blob half runs in the in-memory Azure world: run(id, world), not the cluster's run(configYaml)
  const sha = 'aa'.repeat(32);
  const probe = (p: Partial<Extract<BlobProbe, { exists: true }>>): BlobProbe => ({
    exists: true,
    container: 'documents',
    blobName: 'doc.pdf',
    size: 10,
    sha256: sha,
    lastModified: hoursAgo(5),
    ...p,
  });
  it('passes when the blob exists, is non-empty and matches', async () => {
    const r = await run('signed-document', { probe: probe({}) });
    assert.equal(r.status, 'pass');
    assert.equal(r.evidence.size, 10);
    assert.equal(r.evidence.lastModified, hoursAgo(5));
    assert.equal(r.evidence.sha256Match, true);
  });
  it('passes without a stored hash, saying so', async () => {
    const r = await run('signed-document', { probe: probe({}), document: { blobName: 'doc.pdf' } });
    assert.equal(r.status, 'pass');
    assert.match(r.message, /stores no SHA-256/);
  });
  it('fails when missing, empty or altered', async () => {
    assert.equal(
      (await run('signed-document', { probe: { exists: false, container: 'documents', blobName: 'doc.pdf', reason: 'blob-not-found' } })).status,
      'fail',
    );
    assert.equal((await run('signed-document', { probe: probe({ size: 0 }) })).status, 'fail');
    const altered = await run('signed-document', { probe: probe({ sha256: 'bb'.repeat(32) }) });
    assert.equal(altered.status, 'fail');
    assert.equal(altered.evidence.sha256Match, false);
  });
  it('keeps the warning when azure.storage is not configured', async () => {
    const r = await run('signed-document', {}, (c) => {
      delete (c as { azure?: unknown }).azure;
    });
    assert.equal(r.status, 'warn');
    assert.match(r.message, /not probed/);
  });
});

describe('signed-document (database half)', () => {
  const query = (sql: string) => `  signedDocument:\n    query: "${sql}"\n`;

  it('finds the newest signed document and says its blob was not probed', async () => {
    const c = (
      await run(base(readerUrl('clinic'), query('SELECT blob_name, sha256 FROM documents WHERE signed_at IS NOT NULL ORDER BY signed_at DESC LIMIT 1')))
    )['signed-document']!;
    assert.equal(c.status, 'warn');
    assert.equal(c.evidence.blobName, '2026/11/consent-2.pdf');
    assert.equal(c.evidence.sha256, 'cd'.repeat(32));
    assert.equal(c.evidence.blobProbed, false);
  });

  it('fails when no signed document is found', async () => {
    const c = (await run(base(readerUrl('clinic'), query("SELECT blob_name FROM documents WHERE blob_name = 'none'"))))['signed-document']!;
    assert.equal(c.status, 'fail');
    assert.match(c.message, /No signed document found/);
  });

  it('is error on a query error, and a write attempt never runs', async () => {
    const bad = (await run(base(readerUrl('clinic'), query('SELECT nope FROM documents'))))['signed-document']!;
    assert.equal(bad.status, 'error');
    assert.equal(bad.errorKind, 'query');
    const write = (
      await run(base(cluster.url({ database: 'clinic', params: { sslmode: 'disable' } }), query("DELETE FROM canary RETURNING 'x' AS blob_name")))
    )['signed-document']!;
    assert.equal(write.status, 'error');
    assert.match(write.message, /read-only/);
    const multi = (await run(base(cluster.url({ database: 'clinic', params: { sslmode: 'disable' } }), query("SELECT 'a' AS blob_name; DROP TABLE canary"))))[
      'signed-document'
    ]!;
    assert.equal(multi.status, 'error');
    assert.equal((await cluster.sql('SELECT count(*) FROM canary', 'clinic')).trim(), '1');
  });

  it('is skipped when no query is configured', async () => {
    assert.equal((await run(base(readerUrl('clinic'))))['signed-document']!.status, 'skipped');
  });
});

// The session the signed-document query runs in: read-only whoever the role is, and cancelled past statement_timeout.
describe('the database session', () => {
  it('is read-only even for the superuser', async () => {
    const db = openDatabase(cluster.url({ database: 'clinic', params: { sslmode: 'disable' } }), { statementTimeoutMs: 2000, connectTimeoutMs: 2000 });
    try {
      const probe = await db.probe();
      assert.equal(probe.readOnly, true);
      await assert.rejects(db.querySignedDocument("UPDATE canary SET id = 2 RETURNING 'x' AS blob_name"), /read-only/);
    } finally {
      await db.close();
    }
    assert.equal((await cluster.sql('SELECT id FROM canary', 'clinic')).trim(), '1');
  });

  it('cancels a query past statement_timeout', async () => {
    const db = openDatabase(cluster.url({ database: 'clinic', params: { sslmode: 'disable' } }), { statementTimeoutMs: 300, connectTimeoutMs: 2000 });
    try {
      await assert.rejects(db.querySignedDocument("SELECT 'x' AS blob_name FROM pg_sleep(3)"), /statement_timeout \(300 ms\)/);
    } finally {
      await db.close();
    }
  });
});
