/**
 * Sentences the restore-* checks share: the label of what the restore is compared with (named by the restore code, in
 * English), and "<what> could not be read: <reason>" for a step that failed (restore/judge.ts). The reason comes from
 * Azure, pg_restore or psql and stays English in both languages.
 */
import type { JsonValue } from '../vocabulary.js';
import { fromParam, messages, text } from './messages.js';

/** The French forms of a source's label: French contracts "de les" and agrees the verb, so each form is written out. */
interface SourceFr {
  /** "la base de production" */
  the: string;
  /** "de la base de production" */
  of: string;
  /** "dans la base de production" */
  in: string;
}

const SOURCE_FR: Record<string, SourceFr> = {
  'the archive metadata': { the: 'les métadonnées de l’archive', of: 'des métadonnées de l’archive', in: 'dans les métadonnées de l’archive' },
  'the production database': { the: 'la base de production', of: 'de la base de production', in: 'dans la base de production' },
};

/** The French forms of a source's label; a label this version does not know stays as it is. */
export function sourceFr(label: string): SourceFr {
  return SOURCE_FR[label] ?? { the: label, of: `de ${label}`, in: `dans ${label}` };
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
    (p) => `Les nombres de lignes ${sourceFr(p.label).of} n’ont pas pu être lus`,
  ),
  restoredCountsUnread: text(
    () => 'The restored row counts could not be read',
    () => 'Les nombres de lignes restaurés n’ont pas pu être lus',
  ),
  sourceAlembicUnread: text<{ label: string }>(
    (p) => `The Alembic revision of ${p.label} could not be read`,
    (p) => `La révision Alembic ${sourceFr(p.label).of} n’a pas pu être lue`,
  ),
  restoredAlembicUnread: text(
    () => 'The restored Alembic revision could not be read',
    () => 'La révision Alembic restaurée n’a pas pu être lue',
  ),
  probeUnread: text(
    () => 'The signed-document probe could not run on the restored database',
    () => 'La vérification du document signé n’a pas pu s’exécuter sur la base restaurée',
  ),
  // Fleet mode (restoreConfigFor, run/fleet-restore-test.ts): why a discovered server's copy, or part of it, is not read.
  fleetPasswordUrl: text<{ server: string; host: string }>(
    (p) =>
      `Not read: database.url signs in with a password, which fits only the server it names (${p.host}), not ${p.server}; ` +
      'with database.auth: entra one identity reads the restored copy of every server of the fleet.',
    (p) =>
      `Non lu : database.url se connecte avec un mot de passe, qui ne vaut que pour le serveur qu’elle désigne (${p.host}), pas pour ${p.server} ; ` +
      'avec database.auth: entra, une seule identité lit la copie restaurée de chaque serveur de la flotte.',
  ),
  fleetNoDatabase: text<{ server: string }>(
    (p) => `Not read: the configuration has no database section, so nothing says how to sign in to the restored copy of ${p.server}.`,
    (p) => `Non lu : la configuration n’a pas de section database, rien ne dit donc comment se connecter à la copie restaurée de ${p.server}.`,
  ),
  fleetSignedDocument: text<{ server: string }>(
    (p) =>
      `Not probed: database.signedDocument and azure.storage describe the documents of azure.postgres's server; which storage holds the documents ` +
      `of the discovered server ${p.server} is not known.`,
    (p) =>
      `Non vérifié : database.signedDocument et azure.storage décrivent les documents du serveur d’azure.postgres ; le stockage qui contient les ` +
      `documents du serveur découvert ${p.server} n’est pas connu.`,
  ),
});
