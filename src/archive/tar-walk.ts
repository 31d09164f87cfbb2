/**
 * Walks a tar stream with tar-stream (header checksums, GNU long names, pax), adding the two things
 * it does not check: that the archive ends with its end-of-archive blocks (tar-stream accepts a
 * stream cut exactly between two members), and that nothing but zeros follows them.
 * Backpressure: the source is pulled only as fast as the entry handler consumes each entry.
 */
import { extract, type Header } from 'tar-stream';
import type { PaxGlobal } from './tar-entry.js';

/** A tar block. */
export const BLOCK = 512;

export interface TarWalkSummary {
  /** Bytes of tar data seen (decompressed). */
  tarBytes: number;
  entries: number;
  /** Why the tar structure is not complete and valid; undefined when it is. */
  problem?: string;
  /** Set when the walk stopped at the entry-count limit (then `problem` says so too). */
  limitExceeded?: string;
}

export interface WalkOptions {
  /** Past this many entries the walk stops with a problem: an archive of the format holds a handful. */
  maxEntries?: number;
  /** Names the limit's setting in the message. */
  limitName?: string;
}

/** The per-entry context tar-stream keeps to itself. */
export interface EntryContext {
  /** The last pax global header (`g`) seen before this entry, if any. */
  paxGlobal?: PaxGlobal;
}

export interface TarEntryBody extends AsyncIterable<Uint8Array> {}

/**
 * Runs `onEntry` for each entry in order; it must consume the body (or throw). Resolves with a
 * summary; structural problems are reported in it, not thrown. Rejects only when the source does
 * (the caller decides what a failing source means) or when `onEntry` throws something unexpected.
 */
export async function walkTar(
  source: AsyncIterable<Uint8Array>,
  onEntry: (header: Header, body: TarEntryBody, context: EntryContext) => Promise<void>,
  options: WalkOptions = {},
): Promise<TarWalkSummary> {
  const parser = extract();
  // tar-stream decodes pax global headers but exposes them only merged into a following per-entry pax header
  // (tar-stream 3.2, extract.js `_paxGlobal`). GNU tar applies them to every later member, so we read it here.
  const internals = parser as unknown as { _paxGlobal?: PaxGlobal | null };
  let limitExceeded: string | undefined;
  let entries = 0;
  let lastEntryEnd = 0;
  let tarBytes = 0;
  let trailingZeros = 0;
  let parseError: Error | undefined;
  let handlerError: unknown;
  // The handler of the current entry: awaited before returning, so no entry is still being read.
  let pending: Promise<void> = Promise.resolve();

  parser.on('entry', (header, stream, next) => {
    entries++;
    if (options.maxEntries !== undefined && entries > options.maxEntries) {
      entries--;
      limitExceeded ??= `more than ${options.maxEntries} tar entries (${options.limitName ?? 'maxEntries'}); the walk stopped there`;
      // The entry nobody reads is destroyed with this error: without a listener it would be an uncaught exception.
      stream.on('error', () => undefined);
      next(new Error(limitExceeded));
      return;
    }
    const paxGlobal = internals._paxGlobal ?? undefined;
    const padded = Math.ceil(header.size / BLOCK) * BLOCK;
    lastEntryEnd = stream.offset + BLOCK + (header.type === 'directory' ? 0 : padded);
    pending = onEntry(header, bytesOf(stream), paxGlobal ? { paxGlobal } : {}).then(
      () => next(),
      (error: unknown) => {
        handlerError = error;
        next(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
  const closed = new Promise<void>((resolve) => {
    parser.on('error', (error: Error) => {
      parseError ??= error;
    });
    parser.on('close', () => resolve());
  });

  try {
    for await (const chunk of source) {
      if (parser.destroyed) break;
      tarBytes += chunk.length;
      trailingZeros = updateTrailingZeros(trailingZeros, chunk);
      if (!parser.write(chunk)) await drainedOrClosed(parser);
    }
  } catch (error) {
    parser.destroy(error instanceof Error ? error : new Error(String(error)));
    await closed;
    await pending;
    throw error;
  }
  if (!parser.destroyed) parser.end(undefined);
  await closed;
  await pending;
  if (handlerError !== undefined && !(parseError && handlerError === parseError)) throw handlerError;

  const summary: TarWalkSummary = { tarBytes, entries };
  if (limitExceeded) {
    summary.problem = `verification stopped: ${limitExceeded}`;
    summary.limitExceeded = limitExceeded;
  } else if (parseError) {
    summary.problem = describeTarError(parseError, tarBytes);
  } else if (tarBytes - lastEntryEnd < 2 * BLOCK) {
    summary.problem = `the tar stream ends after ${tarBytes} bytes without its two end-of-archive blocks (truncated between members)`;
  } else if (trailingZeros < tarBytes - lastEntryEnd) {
    summary.problem = 'non-zero data follows the end of the tar archive';
  }
  return summary;
}

function describeTarError(error: Error, tarBytes: number): string {
  if (/Unexpected end of data/i.test(error.message)) return `the tar stream is truncated (it ends inside a member, after ${tarBytes} bytes)`;
  if (/Invalid tar header/i.test(error.message)) return `a tar header is corrupt (${error.message.replace(/\. Maybe.*$/, '')})`;
  return `the tar structure is invalid: ${error.message}`;
}

/** Length of the run of zero bytes at the end of everything seen so far. */
function updateTrailingZeros(previous: number, chunk: Uint8Array): number {
  for (let i = chunk.length - 1; i >= 0; i--) {
    if (chunk[i] !== 0) return chunk.length - 1 - i;
  }
  return previous + chunk.length;
}

function drainedOrClosed(stream: { once(event: string, fn: () => void): unknown; off(event: string, fn: () => void): unknown }): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off('drain', done);
      stream.off('close', done);
      resolve();
    };
    stream.once('drain', done);
    stream.once('close', done);
  });
}

/**
 * Narrows a stream's chunks to bytes (streamx types them as unknown). Never break out of it early: that destroys the
 * whole parser. The stream's iterator is made at once, not at the first read: it is what listens for the entry's
 * error, and a handler that awaits something before reading (the MinIO extraction opens its file first) would otherwise
 * leave the error of a tar cut inside this entry without a listener, an uncaught exception. The read then rejects.
 */
function bytesOf(stream: AsyncIterable<unknown>): AsyncGenerator<Uint8Array> {
  const iterator = stream[Symbol.asyncIterator]();
  return (async function* () {
    let finished = false;
    try {
      for (;;) {
        const { value, done } = await iterator.next();
        if (done) break;
        if (!(value instanceof Uint8Array)) throw new TypeError('tar entry yielded a non-byte chunk');
        yield value;
      }
      finished = true;
    } finally {
      if (!finished) await iterator.return?.();
    }
  })();
}

/** Consumes a body to its end, discarding it. */
export async function drain(body: TarEntryBody): Promise<void> {
  for await (const _chunk of body) {
    // discard
  }
}
