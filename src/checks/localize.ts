/**
 * What the reporters call to render a report in another language, from the report alone (a stored JSON included):
 *  - localizedMessage(result, lang): the finding's message, from its messageKey and messageParams;
 *  - localizedRemediation(result, lang): the remediation, the finding's own or the check's, with the run's names filled in;
 *  - localizedCheckText(id, lang): a check's title, description, risk and remediation (placeholders unfilled);
 *  - localizedControlTitle(control, lang): the short title of a requirement.
 * Each falls back to the English the report holds when it does not know the key or the check (an old report, a check
 * of another version), so a report always renders.
 */
import type { CheckResult } from '../run/result.js';
import type { ControlRef, JsonValue } from '../vocabulary.js';
import { checks } from './index.js';
// The fleet runner's sentences are not a check's: registered here so that a stored fleet report renders in French too.
import './fleet-texts.js';
import { type Language, renderKey } from './messages.js';
import { CONTROL_TITLES_FR, type CheckTexts, fillRemediation } from './types.js';

export type { Language } from './messages.js';

type MessageOf = Pick<CheckResult, 'message' | 'messageKey' | 'messageParams'>;

export function localizedMessage(result: MessageOf, language: Language): string {
  if (language === 'en' || !result.messageKey) return result.message;
  return renderKey(result.messageKey, result.messageParams ?? {}, language) ?? result.message;
}

/** A check's texts in a language; undefined for an id this version does not know. */
export function localizedCheckText(id: string, language: Language): CheckTexts | undefined {
  const check = checks.find((c) => c.id === id);
  if (!check) return undefined;
  if (language === 'fr') return check.fr;
  return { title: check.title, description: check.description, risk: check.risk, remediation: check.remediation };
}

type RemediationOf = Pick<CheckResult, 'id' | 'remediation' | 'remediationKey' | 'remediationParams'>;

export function localizedRemediation(result: RemediationOf, language: Language): string {
  if (language === 'en') return result.remediation;
  if (result.remediationKey) return renderKey(result.remediationKey, result.remediationParams ?? {}, language) ?? result.remediation;
  const texts = localizedCheckText(result.id, language);
  if (!texts) return result.remediation;
  return fillRemediation(texts.remediation, slotValues(result.remediationParams));
}

export function localizedControlTitle(control: ControlRef, language: Language): string | undefined {
  if (language === 'fr') return CONTROL_TITLES_FR[`${control.framework} ${control.control}`] ?? control.title;
  return control.title;
}

function slotValues(params: Record<string, JsonValue> | undefined): Record<string, string | number> | undefined {
  if (!params) return undefined;
  const values: Record<string, string | number> = {};
  for (const [name, value] of Object.entries(params)) if (typeof value === 'string' || typeof value === 'number') values[name] = value;
  return values;
}
