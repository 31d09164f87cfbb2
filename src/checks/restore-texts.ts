/**
 * Sentences the restore-* checks share: the label of what the restore is compared with (named by the restore code, in
 * English), and "<what> could not be read: <reason>" for a step that failed (restore/judge.ts). The reason comes from
 * Azure, pg_restore or psql and stays English in both languages.
 */
import type { JsonValue } from '../vocabulary.js';
import { type Language, fromParam, messages, text } from './messages.js';

const SOURCE_FR: Record<string, string> = {
  'the archive metadata': 'les métadonnées de l’archive',
  'the production database': 'la base de production',
};

/** The source's label in a language; a label this version does not know stays as it is. */
export function sourceLabel(label: string, language: Language): string {
  return language === 'fr' ? (SOURCE_FR[label] ?? label) : label;
}

/** The same, capitalised for the start of a French sentence. */
export function sourceLabelStart(label: string, language: Language): string {
  const text = sourceLabel(label, language);
  return language === 'fr' ? text.charAt(0).toUpperCase() + text.slice(1) : text;
}

export const restoreTexts = messages('restore', {
  stepFailed: text<{ what: JsonValue; reason: string }>(
    (p) => `${fromParam(p.what, 'en')}: ${p.reason}.`.replace(/\.\.$/, '.'),
    (p) => `${fromParam(p.what, 'fr')} : ${p.reason}.`.replace(/\.\.$/, '.'),
  ),
  restoreIncomplete: text<{ target: string | null }>(
    (p) => `The restore to ${p.target ?? 'a new target'} did not complete`,
    (p) => `La restauration vers ${p.target ?? 'une nouvelle cible'} n’a pas abouti`,
  ),
  sourceCountsUnread: text<{ label: string }>(
    (p) => `The row counts of ${p.label} could not be read`,
    (p) => `Les nombres de lignes de ${sourceLabel(p.label, 'fr')} n’ont pas pu être lus`,
  ),
  restoredCountsUnread: text(
    () => 'The restored row counts could not be read',
    () => 'Les nombres de lignes restaurés n’ont pas pu être lus',
  ),
  sourceAlembicUnread: text<{ label: string }>(
    (p) => `The Alembic revision of ${p.label} could not be read`,
    (p) => `La révision Alembic de ${sourceLabel(p.label, 'fr')} n’a pas pu être lue`,
  ),
  restoredAlembicUnread: text(
    () => 'The restored Alembic revision could not be read',
    () => 'La révision Alembic restaurée n’a pas pu être lue',
  ),
  probeUnread: text(
    () => 'The signed-document probe could not run on the restored database',
    () => 'La vérification du document signé n’a pas pu s’exécuter sur la base restaurée',
  ),
});
