/**
 * MinIO's content digest (`content_sha256`, minio-tally.ts): the backup and the restore test meet the files in their own
 * orders, so the digest must not depend on the order, and must change when any file's content or path does.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MinioTally } from '../../src/selfhosted/minio-tally.js';

function digest(files: [name: string, chunks: string[]][]): string {
  const tally = new MinioTally();
  for (const [name, chunks] of files) {
    tally.add(name, 'file', chunks.join('').length);
    for (const chunk of chunks) tally.see(name, Buffer.from(chunk));
  }
  return tally.facts().content_sha256;
}

describe('MinIO content digest', () => {
  const volume: [string, string[]][] = [
    ['documents/a.pdf/xl.meta', ['xl2 ', 'meta a']],
    ['documents/b.pdf/xl.meta', ['xl2 meta b']],
    ['documents/empty', []],
  ];

  it('does not depend on the order of the files nor on how their content is chunked', () => {
    assert.equal(digest(volume), digest([volume[2]!, ['documents/a.pdf/xl.meta', ['x', 'l2 meta a']], volume[1]!]));
  });

  it('changes with one byte of one file, a renamed file, a missing file (also an empty one)', () => {
    const whole = digest(volume);
    assert.notEqual(digest([['documents/a.pdf/xl.meta', ['xl2 meta A']], volume[1]!, volume[2]!]), whole);
    assert.notEqual(digest([['documents/c.pdf/xl.meta', ['xl2 meta a']], volume[1]!, volume[2]!]), whole);
    assert.notEqual(digest([volume[0]!, volume[1]!]), whole);
    assert.equal(new MinioTally().facts().content_files, 0);
  });
});
