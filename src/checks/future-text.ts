/**
 * The catalog entry of the one clock rule's sentence (clock-rule.ts futureTimestampMessage) for a check: a timestamp
 * from the future is a clock or data anomaly. `what` names the timestamp in each language; the English is
 * futureTimestampMessage's own, byte for byte.
 */
import { futureTimestampMessage } from '../clock-rule.js';
import type { MessageEntry, MessageParams } from './messages.js';

export type FutureParams = { at: string; aheadMs: number };

export function futureText<P extends MessageParams>(what: (params: P) => { en: string; fr: string }): MessageEntry<P & FutureParams> {
  return {
    en: (p) => futureTimestampMessage(what(p).en, new Date(p.at), p.aheadMs),
    fr: (p) => futureTimestampFr(what(p).fr, p.at, p.aheadMs),
  };
}

export function futureTimestampFr(what: string, at: string, aheadMs: number): string {
  const hours = Math.round((aheadMs / 3_600_000) * 10) / 10;
  return (
    `${what} est daté du ${at}, ${hours} heures après l’horloge de cette machine : une anomalie d’horloge ou de données (vérifier l’horloge de cette machine ` +
    'et celle de la source ; un horodatage dans le futur ne compte jamais comme récent).'
  );
}
