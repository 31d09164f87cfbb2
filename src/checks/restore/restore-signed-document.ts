import { restoredOrThrow, valueOr } from '../../restore/judge.js';
import { asParam, fromParam, messages, text } from '../messages.js';
import { restoreTexts } from '../restore-texts.js';
import type { JsonValue } from '../../vocabulary.js';
import { CONTROLS, defineCheck } from '../types.js';

const t = messages('restore-signed-document', {
  notConfigured: text(
    () => 'No signed-document query is configured (database.signedDocument).',
    () => 'Aucune requête de document signé n’est configurée (database.signedDocument).',
  ),
  // signed-document's own message, quoted: its key and parameters, so that it renders in the same language.
  onRestored: text<{ probe: JsonValue }>(
    (p) => `On the restored database: ${fromParam(p.probe, 'en')}`,
    (p) => `Sur la base restaurée : ${fromParam(p.probe, 'fr')}`,
  ),
});

// A.8.13 (the restore brings the records back) and A.5.33 (signed records restored intact).

export const restoreSignedDocument = defineCheck({
  id: 'restore-signed-document',
  title: 'The signed-document probe passes against the restored database',
  severity: 'medium',
  description:
    'Runs the signed-document probe (database.signedDocument) against the restored database: the newest signed document it names must exist and be intact.',
  risk: 'A restore whose document references point at missing or altered files cannot serve as legal evidence.',
  remediation: 'See the signed-document check: restore the blob from versioning or soft delete, or fix the query.',
  fr: {
    title: 'La vérification du document signé réussit sur la base restaurée',
    description:
      'Exécute la vérification du document signé (database.signedDocument) sur la base restaurée : le dernier document signé qu’elle désigne doit exister et être intact.',
    risk: 'Une restauration dont les références de documents pointent vers des fichiers absents ou altérés ne peut pas servir de preuve.',
    remediation: 'Voir le contrôle signed-document : restaurer le blob depuis la gestion des versions ou la suppression réversible, ou corriger la requête.',
  },
  controls: [CONTROLS.backup, CONTROLS.records],
  needs: [],
  uses: ['restore'],
  command: 'restore-test',
  async run(ctx) {
    const outcome = ctx.restore;
    // Fleet mode: the copy, or its signed documents, not read on purpose (a discovered server's documents are not known).
    const notRead = outcome.notRead?.database ?? outcome.notRead?.signedDocument;
    if (notRead) return { status: 'skipped', message: ctx.config.database?.signedDocument ? notRead : t.notConfigured({}) };
    const restored = restoredOrThrow(outcome);
    if (!restored.signedDocument) return { status: 'skipped', message: t.notConfigured({}) };
    const probe = valueOr(restored.signedDocument, restoreTexts.probeUnread({}));
    if ('finding' in probe) return probe.finding;
    return { status: probe.value.status, message: t.onRestored({ probe: asParam(probe.value.message) }), evidence: probe.value.evidence };
  },
});
