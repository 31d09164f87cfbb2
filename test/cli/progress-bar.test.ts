import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProgressBar } from '../../src/cli/progress-bar.js';

describe('progress bar', () => {
  it('draws bytes read, percentage, rate and ETA on one redrawn line, and clears it at the end', () => {
    const written: string[] = [];
    const bar = new ProgressBar((text) => written.push(text), 'verifying x.tar.gz', 10);
    bar.update(0, 1_000_000_000);
    bar.update(500_000_000, 1_000_000_000); // throttled: within 200 ms of the first draw
    bar.update(1_000_000_000, 1_000_000_000); // the last one is always drawn
    assert.equal(written.length, 2);
    assert.match(written[0]!, /^\rverifying x\.tar\.gz ░{10}\s+0%\s+0\.0 MB\/1000\.0 MB/);
    assert.match(written[1]!, /█{10} 100%\s+1000\.0 MB\/1000\.0 MB\s+[\d.]+ MB\/s\s+ETA 0:00/);
    bar.finish();
    assert.equal(written.at(-1), '\r\u001b[K');
  });
});
