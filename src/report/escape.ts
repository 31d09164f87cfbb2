/**
 * Making untrusted text harmless in each output format. Names, messages and evidence come from
 * databases, Azure and stored reports: a table called `<script>`, a message with ANSI escapes or a
 * pipe must be shown, never obeyed (architecture rule 7's cousin for injection).
 */
import { stripVTControlCharacters } from 'node:util';

// C0/C1 controls, and the bidirectional overrides/isolates that can disguise text ("Trojan source").
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\ufffe\uffff]/g;
const CONTROL_EXCEPT_NEWLINE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\ufffe\uffff]/g;

function codeOf(c: string): string {
  const code = c.charCodeAt(0);
  return code > 0xff ? `\\u${code.toString(16).padStart(4, '0')}` : `\\x${code.toString(16).padStart(2, '0')}`;
}

/**
 * One line of visible text: ANSI sequences removed, other controls shown as `\xNN`, a newline as ` ⏎ `.
 * Text from a check or a resource name must not steer a terminal or break a line-based format.
 */
export function printable(text: string): string {
  return stripVTControlCharacters(text).replace(CONTROL, (c) => (c === '\n' ? ' ⏎ ' : codeOf(c)));
}

/** Like `printable`, but keeps newlines (for blocks shown with preserved line breaks). */
export function printableBlock(text: string): string {
  return stripVTControlCharacters(text).replace(/\r\n?/g, '\n').replace(CONTROL_EXCEPT_NEWLINE, codeOf);
}

const HTML_ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** For HTML and XML text and attribute values alike (quotes included), newlines kept. */
export function escapeMarkup(text: string): string {
  return printableBlock(text).replace(/[&<>"']/g, (c) => HTML_ENTITIES[c]!);
}

/** For an XML attribute value: as escapeMarkup, and newlines as character references so they survive normalisation. */
export function escapeXmlAttribute(text: string): string {
  return escapeMarkup(text).replace(/\n/g, '&#10;');
}

/**
 * Inline Markdown (GitHub flavour): one line, with every character that could open markup
 * (emphasis, code, links, tables, raw HTML, math, strikethrough) backslash-escaped, so the text reads as typed.
 */
export function escapeMarkdown(text: string): string {
  return printable(text).replace(/[\\`*_[\]<>#|~&$]/g, (c) => `\\${c}`);
}

/**
 * Inline Markdown code: the text as typed (no escape works inside a code span), fenced by one more backtick than its
 * longest run of backticks, padded when it starts or ends with one. Newlines and controls are made printable first.
 */
export function markdownCode(text: string): string {
  const body = printable(text);
  const longest = Math.max(0, ...[...body.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  const pad = body.startsWith('`') || body.endsWith('`') || (body.startsWith(' ') && body.endsWith(' ') && body.trim() !== '') ? ' ' : '';
  return `${fence}${pad}${body}${pad}${fence}`;
}
