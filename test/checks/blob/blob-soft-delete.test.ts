import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HEALTHY_BLOB, run, unknown } from '../../helpers/azure-world.js';

describe('blob-soft-delete', () => {
  it('passes with enough days', async () =>
    assert.deepEqual((await run('blob-soft-delete', {})).evidence, {
      enabled: true,
      days: 14,
      minSoftDeleteDays: 7,
      allowPermanentDelete: false,
      lifecycleRulesDeletingEarly: [],
    }));
  it('fails when disabled or too short', async () => {
    assert.equal((await run('blob-soft-delete', { blob: { ...HEALTHY_BLOB, deleteRetentionPolicy: { enabled: false } } })).status, 'fail');
    assert.equal((await run('blob-soft-delete', { blob: { ...HEALTHY_BLOB, deleteRetentionPolicy: { enabled: true, days: 3 } } })).status, 'fail');
  });
  // Blob soft delete is off unless someone turns it on (the portal does so explicitly at creation, and then it is returned).
  it('fails, never configured, when Azure leaves the policy out', async () => {
    const r = await run('blob-soft-delete', { blob: { ...HEALTHY_BLOB, deleteRetentionPolicy: undefined } });
    assert.equal(r.status, 'fail', r.message);
    assert.deepEqual(r.evidence, { enabled: false, days: null, minSoftDeleteDays: 7, neverConfigured: true });
    assert.match(r.message, /never configured on storage account acct/);
  });
  it('is an error when the policy does not say whether it is enabled, or an enabled one has no days', async () => {
    unknown(await run('blob-soft-delete', { blob: { ...HEALTHY_BLOB, deleteRetentionPolicy: { days: 14 } } }));
    unknown(await run('blob-soft-delete', { blob: { ...HEALTHY_BLOB, deleteRetentionPolicy: { enabled: true } } }));
  });

  // A setting is not a recovery (issue 18): a purge right and early lifecycle deletes are findings, with the rule's name.
  it('warns when allowPermanentDelete lets anyone purge soft-deleted versions', async () => {
    const r = await run('blob-soft-delete', { blob: { ...HEALTHY_BLOB, deleteRetentionPolicy: { enabled: true, days: 14, allowPermanentDelete: true } } });
    assert.equal(r.status, 'warn', r.message);
    assert.match(r.message, /allowPermanentDelete is on for storage account acct/);
    assert.equal(r.evidence.allowPermanentDelete, true);
  });
  it('fails on a lifecycle rule deleting the documents sooner than the required days, warns on one deleting versions sooner', async () => {
    const base = { enabled: true, prefixMatch: ['documents/'] };
    const r = await run('blob-soft-delete', {
      lifecycle: [
        { ...base, name: 'purge-old', baseBlobDeleteAfterDays: 3, baseBlobDeleteBasis: 'modification' },
        { ...base, name: 'trim-versions', versionDeleteAfterDays: 1 },
      ],
    });
    assert.equal(r.status, 'fail', r.message);
    assert.match(r.message, /Lifecycle rule "purge-old" deletes blobs 3 days after their modification, sooner than the 7 days/);
    assert.match(r.message, /Lifecycle rule "trim-versions" deletes previous versions 1 days after their creation/);
    assert.deepEqual(r.evidence.lifecycleRulesDeletingEarly, [
      { rule: 'purge-old', action: 'baseBlob.delete', days: 3 },
      { rule: 'trim-versions', action: 'version.delete', days: 1 },
    ]);
    const versionsOnly = await run('blob-soft-delete', { lifecycle: [{ ...base, name: 'trim-versions', versionDeleteAfterDays: 1 }] });
    assert.equal(versionsOnly.status, 'warn', versionsOnly.message);
  });
  it('ignores rules that are disabled, reach another container, or delete later than required', async () => {
    const r = await run('blob-soft-delete', {
      lifecycle: [
        { name: 'off', enabled: false, prefixMatch: [], baseBlobDeleteAfterDays: 1 },
        { name: 'logs', enabled: true, prefixMatch: ['logs/'], baseBlobDeleteAfterDays: 1 },
        { name: 'late', enabled: true, prefixMatch: ['documents'], baseBlobDeleteAfterDays: 3650, versionDeleteAfterDays: 30 },
      ],
    });
    assert.equal(r.status, 'pass', r.message);
    // A rule without a prefix reaches every container, the documents' included.
    const everywhere = await run('blob-soft-delete', { lifecycle: [{ name: 'all', enabled: true, prefixMatch: [], snapshotDeleteAfterDays: 2 }] });
    assert.equal(everywhere.status, 'warn', everywhere.message);
    assert.match(everywhere.message, /"all" deletes snapshots 2 days/);
  });
  it('renders its findings in French', async () => {
    const r = await run('blob-soft-delete', { lifecycle: [{ name: 'purge-old', enabled: true, prefixMatch: [], baseBlobDeleteAfterDays: 3 }] });
    assert.equal(r.messageKey, 'blob-soft-delete/several');
    const { renderKey } = await import('../../../src/checks/messages.js');
    assert.match(renderKey(r.messageKey!, r.messageParams as never, 'fr')!, /La règle de cycle de vie « purge-old » supprime les blobs 3 jours/);
  });
});
