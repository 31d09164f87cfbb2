/**
 * Asks, on a terminal, every question the flags did not answer. The terminal is injected (a prompt
 * writer and a line reader), so the CLI decides where the bytes go and a test can play the user.
 */
import { UsageError } from '../errors.js';
import { type RawAnswers, INIT_QUESTIONS, applies, checkAnswer } from './init-answers.js';

export interface Terminal {
  /** Writes a prompt (no newline added). */
  prompt(text: string): void;
  /** The next line typed, without its newline; undefined at end of input (Ctrl-D). */
  readLine(): Promise<string | undefined>;
}

/** A wrong answer is asked again, this many times at most, then init stops. */
const MAX_ATTEMPTS = 3;

/** Returns the given answers completed by the user's; each typed answer is already checked. */
export async function askAnswers(given: RawAnswers, terminal: Terminal): Promise<RawAnswers> {
  const answers: RawAnswers = { ...given };
  for (const question of INIT_QUESTIONS) {
    if (answers[question.key] !== undefined || !applies(question, answers)) continue;
    const fallback = question.defaultFor?.(answers);
    for (let attempt = 1; ; attempt++) {
      terminal.prompt(`${question.prompt}${fallback !== undefined ? ` [${fallback}]` : ''}: `);
      const line = await terminal.readLine();
      if (line === undefined)
        throw new UsageError('init stopped: no more input', `answer the questions, or pass every answer as a flag (restorecheck init --help)`);
      const typed = line.trim();
      const value = typed === '' ? fallback : typed;
      if (value === undefined) {
        if (!question.required) break; // left out
        terminal.prompt(`  an answer is needed (or pass ${question.flag})\n`);
      } else {
        const checked = checkAnswer(question.key, value);
        if (checked.ok) {
          answers[question.key] = checked.value;
          break;
        }
        terminal.prompt(`  ${checked.problem}\n`);
      }
      if (attempt >= MAX_ATTEMPTS)
        throw new UsageError(`init stopped: no valid answer for ${question.flag} after ${MAX_ATTEMPTS} tries`, `pass it as a flag: ${question.flag} VALUE`);
    }
  }
  return answers;
}
