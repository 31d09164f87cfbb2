/**
 * The CLI's only door to the terminal. Every byte written goes through the redactor, so a secret
 * that slipped into a message (a library's error text, say) is masked on the way out.
 */
import type { Logger } from '../vocabulary.js';
import { UsageError } from '../errors.js';
import { Redactor, registerEnvironmentSecrets } from '../secrets/redact.js';

export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

export class Output {
  redactor: Redactor;
  exitCode = 0;
  verbose = false;

  constructor(private readonly io: CliIo) {
    this.redactor = new Redactor();
    registerEnvironmentSecrets(this.redactor, io.env);
  }

  get env(): NodeJS.ProcessEnv {
    return this.io.env;
  }

  /** Colour and progress only for a person at a terminal (contract: NO_COLOR, non-TTY, CI=true → plain). */
  get interactive(): boolean {
    const env = this.io.env;
    return Boolean(this.io.stdout.isTTY) && !env.NO_COLOR && env.CI !== 'true' && env.CI !== '1' && env.TERM !== 'dumb';
  }

  get stderrInteractive(): boolean {
    const env = this.io.env;
    return Boolean(this.io.stderr.isTTY) && !env.NO_COLOR && env.CI !== 'true' && env.CI !== '1' && env.TERM !== 'dumb';
  }

  /** Adopts the secrets a loaded configuration knows about. */
  useRedactor(redactor: Redactor): void {
    registerEnvironmentSecrets(redactor, this.io.env);
    this.redactor = redactor;
  }

  out(text: string): void {
    this.io.stdout.write(this.redactor.redact(text));
  }

  /**
   * Bytes as they are (a PDF): they cannot be redacted, so only pass what was rendered from redacted
   * text. Refused on a terminal, where binary output would only garble the screen.
   */
  outBytes(data: Uint8Array): void {
    if (this.io.stdout.isTTY)
      throw new UsageError('binary output (pdf) is not written to a terminal', 'redirect standard output to a file, or use --out-dir DIR');
    this.io.stdout.write(data);
  }

  /** Raw text to stderr without a newline (a progress bar redrawing its line with `\r`). */
  errRaw(text: string): void {
    this.io.stderr.write(this.redactor.redact(text));
  }

  err(text: string): void {
    this.io.stderr.write(this.redactor.redact(text.endsWith('\n') ? text : `${text}\n`));
  }

  logger(): Logger {
    return {
      info: (message) => this.err(message),
      debug: (message) => {
        if (this.verbose) this.err(`debug: ${message}`);
      },
    };
  }
}
