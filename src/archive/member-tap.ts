/**
 * Restore while verifying (issue 15): the one pass of verify-archive.ts hands a member's content, as it reads it, to a
 * consumer besides the member's own check, so that a restore test reads and decompresses the archive once.
 *
 * The consumer gets a Readable of the member's content (decompressed when the member is gzip: SQL text, tar bytes; the
 * RDB as stored). The walk waits for it (backpressure), so memory stays bounded. Verification never depends on it: a
 * consumer that throws, or returns before reading everything, is cut off (its stream destroyed, nothing more written to
 * it) and the member is still read to its end and judged. When the member breaks (truncated gzip, a limit, the archive
 * ending inside it), the consumer's stream errors with that reason, so a restore never mistakes a cut member for a whole
 * one.
 */
import { PassThrough, type Readable } from 'node:stream';

/** Consumes one member's content; its rejection is the consumer's own business (verify ignores it). */
export type MemberConsumer = (content: Readable) => Promise<void>;

/** One member on its way to a consumer. */
export class MemberTee {
  private readonly stream = new PassThrough({ highWaterMark: 1024 * 1024 });
  private cut = false;
  /** Settles when the consumer has finished, whatever its outcome (never rejects). */
  readonly settled: Promise<void>;

  constructor(consumer: MemberConsumer) {
    // An error on the stream is the consumer's to read; without a listener it would crash the process.
    this.stream.on('error', () => undefined);
    this.settled = Promise.resolve()
      .then(() => consumer(this.stream))
      .then(
        () => undefined,
        () => undefined,
      )
      .finally(() => {
        // Returned (or failed) before reading everything: cut it off, so that writes stop waiting for it.
        this.cut = true;
        if (!this.stream.destroyed) this.stream.destroy();
      });
  }

  /** Writes a chunk, waiting while the consumer is behind; a no-op once it is cut off. */
  async write(chunk: Uint8Array): Promise<void> {
    if (this.cut || this.stream.destroyed) return;
    if (this.stream.write(chunk)) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        this.stream.off('drain', done);
        this.stream.off('close', done);
        resolve();
      };
      this.stream.on('drain', done);
      this.stream.on('close', done);
      void this.settled.then(done);
    });
  }

  /** The member was read whole: the consumer sees its end. */
  end(): void {
    if (!this.cut && !this.stream.destroyed && !this.stream.writableEnded) this.stream.end();
  }

  /** The member broke: the consumer's stream errors with why. */
  fail(reason: string): void {
    if (!this.stream.destroyed) this.stream.destroy(new Error(reason));
  }
}

/**
 * Passes `source` through unchanged while copying every chunk into `tee`. The tee is ended only when `source` was read
 * to its end; anything else (an error, the reader stopping early) fails it.
 */
export async function* teeing(source: AsyncIterable<Uint8Array>, tee: MemberTee | undefined): AsyncGenerator<Uint8Array> {
  if (!tee) {
    yield* source;
    return;
  }
  let complete = false;
  try {
    for await (const chunk of source) {
      await tee.write(chunk);
      yield chunk;
    }
    complete = true;
  } catch (error) {
    tee.fail(error instanceof Error ? error.message : String(error));
    throw error;
  } finally {
    if (complete) tee.end();
    else tee.fail('the member was not read to its end');
  }
}
