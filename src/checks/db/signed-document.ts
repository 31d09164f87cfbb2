import { CONTROLS, defineCheck } from '../types.js';
import type { Evidence } from '../../vocabulary.js';

export const signedDocument = defineCheck({
  id: 'signed-document',
  title: 'The newest signed document is recorded in the database and intact in Blob Storage',
  severity: 'high',
  description:
    'Runs database.signedDocument.query (read-only) to find the newest signed document, then checks that its blob exists, is non-empty and matches the stored SHA-256.',
  risk: 'Signed documents (consents, prescriptions) are legal evidence: a record whose file is missing or altered cannot be produced when asked.',
  remediation: 'Find out why the blob is missing or altered; restore it from blob versioning or soft delete (`az storage blob undelete`), or from backup.',
  controls: [CONTROLS.backup, CONTROLS.hdsIntegrity],
  needs: ['database'],
  command: 'check',
  notApplicable: (config) => (config.database?.signedDocument ? undefined : 'no database.signedDocument query configured'),
  async run(ctx) {
    // notApplicable skips the check without it; the restore test calls run() directly, so say the same here.
    const document = ctx.config.database.signedDocument;
    if (!document) return { status: 'skipped', message: 'Not evaluated: no database.signedDocument query configured.' };
    const row = await ctx.gateways.database().querySignedDocument(document.query);
    if (!row) return { status: 'fail', message: 'No signed document found: the configured query returned no row.', evidence: { found: false } };
    const evidence: Evidence = { found: true, blobName: row.blobName, sha256: row.sha256 ?? null, blobProbed: false };
    const storage = ctx.config.azure?.storage;
    // The blob half needs Blob Storage access (azure.storage with a container); without it the database half is all we can prove.
    if (!storage?.container) {
      return {
        status: 'warn',
        message:
          `The database names signed document ${row.blobName}${row.sha256 ? ` (SHA-256 ${row.sha256.slice(0, 12)}…)` : ''}; its blob ` +
          `was not probed (no azure.storage${storage ? '.container' : ''} configured).`,
        evidence,
      };
    }
    const probe = await ctx.gateways.azureStorage().probeBlob(storage.container, row.blobName, ctx.signal);
    const where = `container ${storage.container} of storage account ${storage.account}`;
    evidence.container = storage.container;
    evidence.blobProbed = true;
    if (!probe.exists) {
      evidence.blobExists = false;
      const why =
        probe.reason === 'container-not-found'
          ? `the container ${storage.container} does not exist in storage account ${storage.account}`
          : `it is not in ${where}`;
      return {
        status: 'fail',
        message: `Signed document ${row.blobName} is recorded in the database but its blob is missing: ${why}; expected an existing, non-empty blob.`,
        evidence,
      };
    }
    Object.assign(evidence, { blobExists: true, size: probe.size, lastModified: probe.lastModified ?? null, blobSha256: probe.sha256 });
    if (probe.size === 0) {
      return { status: 'fail', message: `Signed document ${row.blobName} in ${where} is empty (0 bytes); expected the signed file.`, evidence };
    }
    const expected = row.sha256?.trim().toLowerCase();
    if (expected && expected !== probe.sha256) {
      evidence.sha256Match = false;
      return {
        status: 'fail',
        message: `Signed document ${row.blobName} in ${where} has SHA-256 ${probe.sha256}; the database records ${expected}.`,
        evidence,
      };
    }
    if (expected) evidence.sha256Match = true;
    return {
      status: 'pass',
      message:
        `Signed document ${row.blobName} exists in ${where} (${probe.size} bytes, last ` +
        `modified ${probe.lastModified ?? 'unknown'})${expected ? ' and its SHA-256 matches the database' : '; the database stores no SHA-256 to compare with'}.`,
      evidence,
    };
  },
});
