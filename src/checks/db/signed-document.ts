import { messages, text } from '../messages.js';
import { CONTROLS, defineCheck, storageSlots } from '../types.js';
import type { Evidence } from '../../vocabulary.js';

type Where = { container: string; account: string };
const whereEn = (w: Where) => `container ${w.container} of storage account ${w.account}`;
const whereFr = (w: Where) => `le conteneur ${w.container} du compte de stockage ${w.account}`;

const t = messages('signed-document', {
  notConfigured: text(
    () => 'no database.signedDocument query configured',
    () => 'aucune requête database.signedDocument configurée',
  ),
  skipped: text(
    () => 'Not evaluated: no database.signedDocument query configured.',
    () => 'Non évalué : aucune requête database.signedDocument configurée.',
  ),
  noRow: text(
    () => 'No signed document found: the configured query returned no row.',
    () => 'Aucun document signé trouvé : la requête configurée n’a renvoyé aucune ligne.',
  ),
  notProbed: text<{ blobName: string; sha256: string | null; section: string }>(
    (p) =>
      `The database names signed document ${p.blobName}${p.sha256 ? ` (SHA-256 ${p.sha256.slice(0, 12)}…)` : ''}; its blob ` +
      `was not probed (no ${p.section} configured).`,
    (p) =>
      `La base désigne le document signé ${p.blobName}${p.sha256 ? ` (SHA-256 ${p.sha256.slice(0, 12)}…)` : ''} ; son blob ` +
      `n’a pas été vérifié (aucune section ${p.section} configurée).`,
  ),
  missing: text<{ blobName: string; where: Where; noContainer: boolean }>(
    (p) =>
      `Signed document ${p.blobName} is recorded in the database but its blob is missing: ` +
      `${p.noContainer ? `the container ${p.where.container} does not exist in storage account ${p.where.account}` : `it is not in ${whereEn(p.where)}`}; ` +
      'expected an existing, non-empty blob.',
    (p) =>
      `Le document signé ${p.blobName} est enregistré dans la base mais son blob est absent : ` +
      `${p.noContainer ? `le conteneur ${p.where.container} n’existe pas dans le compte de stockage ${p.where.account}` : `il n’est pas dans ${whereFr(p.where)}`} ; ` +
      'un blob existant et non vide est attendu.',
  ),
  empty: text<{ blobName: string; where: Where }>(
    (p) => `Signed document ${p.blobName} in ${whereEn(p.where)} is empty (0 bytes); expected the signed file.`,
    (p) => `Le document signé ${p.blobName} dans ${whereFr(p.where)} est vide (0 octet) ; le fichier signé est attendu.`,
  ),
  hashDiffers: text<{ blobName: string; where: Where; actual: string; expected: string }>(
    (p) => `Signed document ${p.blobName} in ${whereEn(p.where)} has SHA-256 ${p.actual}; the database records ${p.expected}.`,
    (p) => `Le document signé ${p.blobName} dans ${whereFr(p.where)} a le SHA-256 ${p.actual} ; la base enregistre ${p.expected}.`,
  ),
  intact: text<{ blobName: string; where: Where; size: number; lastModified: string | null; compared: boolean }>(
    (p) =>
      `Signed document ${p.blobName} exists in ${whereEn(p.where)} (${p.size} bytes, last ` +
      `modified ${p.lastModified ?? 'unknown'})${p.compared ? ' and its SHA-256 matches the database' : '; the database stores no SHA-256 to compare with'}.`,
    (p) =>
      `Le document signé ${p.blobName} existe dans ${whereFr(p.where)} (${p.size} octets, dernière ` +
      `modification ${p.lastModified ?? 'inconnue'})${p.compared ? ' et son SHA-256 correspond à la base' : ' ; la base ne stocke aucun SHA-256 à comparer'}.`,
  ),
});

// A.5.33 (signed documents are records: protected from loss and falsification) and A.8.13 (their blob can be restored).
export const signedDocument = defineCheck({
  id: 'signed-document',
  title: 'The newest signed document is recorded in the database and intact in Blob Storage',
  severity: 'high',
  description:
    'Runs database.signedDocument.query (read-only) to find the newest signed document, then checks that its blob exists, is non-empty and matches the stored SHA-256.',
  risk: 'Signed documents (consents, prescriptions) are legal evidence: a record whose file is missing or altered cannot be produced when asked.',
  // `az storage blob undelete` brings back a soft-deleted blob; with versioning on, a deleted or overwritten blob comes back by copying
  // an earlier version over it (undelete does not restore versions).
  remediation:
    'Find out why the blob is missing or altered; with soft delete, restore it (`az storage blob undelete --account-name <account> -c <container> -n <blob> --auth-mode login`); ' +
    'with versioning, copy its last good version over it (`az storage blob list --account-name <account> -c <container> --prefix <blob> --include v --auth-mode login`, then ' +
    '`az storage blob copy start`); otherwise restore it from backup.',
  fr: {
    title: 'Le dernier document signé est enregistré dans la base et intact dans Blob Storage',
    description:
      'Exécute database.signedDocument.query (en lecture seule) pour trouver le dernier document signé, puis vérifie que son blob existe, n’est pas vide ' +
      'et correspond au SHA-256 enregistré.',
    risk:
      'Les documents signés (consentements, ordonnances) ont valeur de preuve : un enregistrement dont le fichier est absent ou altéré ne peut pas être ' +
      'produit quand on le demande.',
    remediation:
      'Chercher pourquoi le blob est absent ou altéré ; avec la suppression réversible, le restaurer (`az storage blob undelete --account-name <account> -c <container> -n <blob> --auth-mode login`) ; ' +
      'avec la gestion des versions, recopier sa dernière version saine par-dessus (`az storage blob list --account-name <account> -c <container> --prefix <blob> --include v --auth-mode login`, puis ' +
      '`az storage blob copy start`) ; sinon, le restaurer depuis une sauvegarde.',
  },
  slots: storageSlots,
  controls: [CONTROLS.records, CONTROLS.backup],
  needs: ['database'],
  command: 'check',
  notApplicable: (config) => (config.database?.signedDocument ? undefined : t.notConfigured({})),
  async run(ctx) {
    // notApplicable skips the check without it; the restore test calls run() directly, so say the same here.
    const document = ctx.config.database.signedDocument;
    if (!document) return { status: 'skipped', message: t.skipped({}) };
    const row = await ctx.gateways.database().querySignedDocument(document.query);
    if (!row) return { status: 'fail', message: t.noRow({}), evidence: { found: false } };
    const evidence: Evidence = { found: true, blobName: row.blobName, sha256: row.sha256 ?? null, blobProbed: false };
    const storage = ctx.config.azure?.storage;
    // The blob half needs Blob Storage access (azure.storage with a container); without it the database half is all we can prove.
    if (!storage?.container) {
      const section = `azure.storage${storage ? '.container' : ''}`;
      return { status: 'warn', message: t.notProbed({ blobName: row.blobName, sha256: row.sha256 ?? null, section }), evidence };
    }
    const probe = await ctx.gateways.azureStorage().probeBlob(storage.container, row.blobName, ctx.signal);
    const where = { container: storage.container, account: storage.account };
    evidence.container = storage.container;
    evidence.blobProbed = true;
    if (!probe.exists) {
      evidence.blobExists = false;
      return {
        status: 'fail',
        message: t.missing({ blobName: row.blobName, where, noContainer: probe.reason === 'container-not-found' }),
        evidence,
      };
    }
    Object.assign(evidence, { blobExists: true, size: probe.size, lastModified: probe.lastModified ?? null, blobSha256: probe.sha256 });
    if (probe.size === 0) {
      return { status: 'fail', message: t.empty({ blobName: row.blobName, where }), evidence };
    }
    const expected = row.sha256?.trim().toLowerCase();
    if (expected && expected !== probe.sha256) {
      evidence.sha256Match = false;
      return { status: 'fail', message: t.hashDiffers({ blobName: row.blobName, where, actual: probe.sha256, expected }), evidence };
    }
    if (expected) evidence.sha256Match = true;
    const intact = { blobName: row.blobName, where, size: probe.size, lastModified: probe.lastModified ?? null, compared: Boolean(expected) };
    return { status: 'pass', message: t.intact(intact), evidence };
  },
});
