import { CONTROLS, type Check, type Evidence } from '../types.js';

export const signedDocument: Check = {
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
    const row = await ctx.gateways.database().querySignedDocument(ctx.config.database!.signedDocument!.query);
    if (!row) return { status: 'fail', message: 'No signed document found: the configured query returned no row.', evidence: { found: false } };
    const evidence: Evidence = { found: true, blobName: row.blobName, sha256: row.sha256 ?? null, blobProbed: false };
    // The blob half needs Blob Storage access (azure.storage); without it the database half is all we can prove.
    return {
      status: 'warn',
      message: `The database names signed document ${row.blobName}${row.sha256 ? ` (SHA-256 ${row.sha256.slice(0, 12)}…)` : ''}; its blob was not probed (no azure.storage configured).`,
      evidence,
    };
  },
};
