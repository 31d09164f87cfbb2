import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { pipeline } from 'node:stream/promises';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { createParallelGzip } from '../../src/selfhosted/parallel-gzip.js';

const run = promisify(execFile);
let dir: string;

/** Compresses `input` (fed in uneven chunks) and returns the gzip bytes. */
async function compress(input: Buffer, blockBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for (let i = 0; i < input.length; ) {
    const n = 1 + ((i * 7919) % 100_000);
    chunks.push(input.subarray(i, i + n));
    i += n;
  }
  const gz = createParallelGzip({ blockBytes, parallel: 3 });
  const out = buffer(gz);
  await pipeline(Readable.from(chunks), gz);
  return out;
}

describe('parallel gzip', () => {
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'restorecheck-pgzip-'));
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  for (const [label, size, block] of [
    ['empty', 0, 1024],
    ['one byte', 1, 1024],
    ['exactly one block', 64 * 1024, 64 * 1024],
    ['many blocks, in order', 3 * 1024 * 1024 + 17, 64 * 1024],
  ] as const) {
    it(`${label}: GNU gzip -t accepts it, and gunzip gives the input back`, async () => {
      // Text-like (compressible) and random parts, so that blocks finish out of order on the thread pool.
      const input = Buffer.concat([Buffer.from("INSERT INTO patients VALUES (1, 'Martin');\n".repeat(Math.ceil(size / 90))), randomBytes(size)]).subarray(
        0,
        size,
      );
      const gz = await compress(input, block);
      const file = join(dir, `${label.replace(/\W+/g, '-')}.gz`);
      await writeFile(file, gz);
      await run('gzip', ['-t', file]);
      const { stdout } = await run('gunzip', ['-c', file], { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 });
      assert.equal(createHash('sha256').update(stdout).digest('hex'), createHash('sha256').update(input).digest('hex'));
      if (size > 0 && size / block > 2) assert.ok(gz.length < input.length, 'compressed');
    });
  }

  it('passes a compression error on (the pipeline fails, nothing hangs)', async () => {
    const gz = createParallelGzip({ level: 42 });
    await assert.rejects(
      pipeline(Readable.from([Buffer.alloc(10)]), gz, async function* (source) {
        for await (const chunk of source) yield chunk;
      }),
    );
  });
});
