/**
 * The French of the sentence fragments the archive-* checks share (archive/archive-subject.ts, archive/archive-time.ts
 * write the English). The reason of a damaged archive or dump (a gzip, tar or dump problem) comes from the verifier and
 * stays English in both languages.
 */
import { formatOffset } from '../archive/archive-time.js';

/** The English is archive-subject.ts incompleteNote's, for the checks that render it from a parameter. */
export const INCOMPLETE_EN = ' (the archive could not be read to its end, so this is what was seen before the damage)';
export const INCOMPLETE_FR = ' (l’archive n’a pas pu être lue jusqu’au bout : voici ce qui a été vu avant le dommage)';

export function listedFr(items: string[], max = 6): string {
  const shown = items.slice(0, max).join(', ');
  return items.length > max ? `${shown} et ${items.length - max} de plus` : shown;
}

export function localTimeNoteFr(offsetMinutes: number): string {
  return (
    `le nom du fichier semble être en heure locale (${formatOffset(offsetMinutes)}), et non en UTC comme le demande le format d’archive ; ` +
    'l’horodatage UTC de metadata.json est utilisé'
  );
}

/** A list in a message parameter: its first `max` items and how many there were (listed() shows the same). */
export type Bounded<T> = { items: T[]; count: number };

export function bounded<T>(items: T[], max = 6): Bounded<T> {
  return { items: items.slice(0, max), count: items.length };
}

/** listed()'s English for a bounded list. */
export function boundedEn(list: Bounded<string>): string {
  const shown = list.items.join(', ');
  return list.count > list.items.length ? `${shown} and ${list.count - list.items.length} more` : shown;
}

export function boundedFr(list: Bounded<string>): string {
  const shown = list.items.join(', ');
  return list.count > list.items.length ? `${shown} et ${list.count - list.items.length} de plus` : shown;
}
