/**
 * The message catalog: every sentence a check (or the runner) writes into a report, in English and French.
 *
 * A check declares its messages once, at module level, through `messages(namespace, { key: text(en, fr) })`, and returns
 * `message: t.key(params)`. The value carries `{ key, params, en }`: the runner writes the English into the report's
 * `message` (unchanged, so existing reports and tests stay byte for byte the same) and `messageKey`/`messageParams`
 * beside it, so that a reporter can render the French later from the JSON alone (the JSON stays language-neutral:
 * a key and plain-JSON parameters, no French in it).
 *
 * `text(en, fr)` takes both languages or does not compile: a key cannot exist in one language only. The parameters
 * are plain JSON because they are stored in the report.
 *
 * Imports only the vocabulary: the checks, the runner and the localizing functions (localize.ts) all build on it.
 */
import type { JsonValue } from '../vocabulary.js';

export const LANGUAGES = ['en', 'fr'] as const;
export type Language = (typeof LANGUAGES)[number];

export type MessageParams = Record<string, JsonValue>;

/** A sentence with its catalog key and parameters, and its English rendering (what the report's `message` holds). */
export interface LocalText {
  key: string;
  params: MessageParams;
  en: string;
}

/** One catalog entry: the same parameters rendered in each language. */
export interface MessageEntry<P extends MessageParams> {
  en: (params: P) => string;
  fr: (params: P) => string;
}

/** Both languages of one message; `fr` is typed by `en`'s parameters (NoInfer), so the two cannot drift apart. */
export function text<P extends MessageParams = Record<never, never>>(en: (params: P) => string, fr: (params: NoInfer<P>) => string): MessageEntry<P> {
  return { en, fr };
}

// biome-ignore lint/suspicious/noExplicitAny: the registry holds entries of every parameter type; they are typed where they are declared.
const CATALOG = new Map<string, MessageEntry<any>>();

type Builders<M> = { [K in keyof M]: M[K] extends MessageEntry<infer P> ? (params: P) => LocalText : never };

/**
 * Registers a namespace's messages (a check id, or `runner`) and returns one builder per key. Keys are
 * `<namespace>/<key>`; registering a key twice is a programming error (two checks sharing an id, say).
 */
// biome-ignore lint/suspicious/noExplicitAny: see CATALOG.
export function messages<const M extends Record<string, MessageEntry<any>>>(namespace: string, entries: M): Builders<M> {
  const builders: Record<string, (params: MessageParams) => LocalText> = {};
  for (const [name, entry] of Object.entries(entries)) {
    const key = `${namespace}/${name}`;
    if (CATALOG.has(key)) throw new Error(`message key ${key} is registered twice`);
    CATALOG.set(key, entry);
    builders[name] = (params) => ({ key, params, en: entry.en(params) });
  }
  return builders as Builders<M>;
}

/** Renders a key in a language; undefined for a key this version does not know (an old or newer report). */
export function renderKey(key: string, params: MessageParams, language: Language): string | undefined {
  const entry = CATALOG.get(key);
  if (!entry) return undefined;
  try {
    return entry[language](params);
  } catch {
    // Parameters of another shape (a report written by another version): the caller falls back to the stored English.
    return undefined;
  }
}

/** A LocalText in a language (its stored English when the key is unknown). */
export function localize(value: LocalText, language: Language): string {
  return language === 'en' ? value.en : (renderKey(value.key, value.params, language) ?? value.en);
}

/** Every registered key (the registry test walks them). */
export function catalogKeys(): string[] {
  return [...CATALOG.keys()].sort();
}

/** The entry of a key, for the registry test. */
export function catalogEntry(key: string): MessageEntry<MessageParams> | undefined {
  return CATALOG.get(key);
}

/** A string or a LocalText, as a Finding's message or remediation is: the text as stored in the report (English). */
export function english(value: string | LocalText): string {
  return typeof value === 'string' ? value : value.en;
}

/** A nested LocalText as a plain-JSON parameter (restore-signed-document quotes signed-document's message). */
export function asParam(value: string | LocalText): JsonValue {
  return typeof value === 'string' ? value : { key: value.key, params: value.params, en: value.en };
}

/** The inverse of asParam, inside a French rendering. */
export function fromParam(value: JsonValue, language: Language): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && !Array.isArray(value) && typeof value.key === 'string' && typeof value.en === 'string') {
    const params = value.params && typeof value.params === 'object' && !Array.isArray(value.params) ? value.params : {};
    return language === 'en' ? value.en : (renderKey(value.key, params, language) ?? value.en);
  }
  return String(value);
}
