import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProgressBar } from '../../src/cli/progress-bar.js';

describe('progress bar', () => {
  it('draws bytes read, percentage, rate and ETA on one redrawn line, and clears it at the end', () => {
    const written: string[] = [];
    // A clock of our own: 50 ms after the process's start (the first draw must not wait for 200 ms of uptime), then
    // 100 ms later (throttled), then 10 s later. With the real clock this test raced the machine's speed.
    let clock = 50;
    const bar = new ProgressBar(
      (text) => written.push(text),
      'verifying x.tar.gz',
      10,
      () => clock,
    );
    bar.update(0, 1_000_000_000);
    clock += 100;
    bar.update(500_000_000, 1_000_000_000); // throttled: within 200 ms of the first draw
    assert.equal(written.length, 1);
    clock += 10_000;
    bar.update(800_000_000, 1_000_000_000);
    assert.equal(written.length, 2);
    assert.match(written[1]!, /80%\s+800\.0 MB\/1000\.0 MB\s+79\.2 MB\/s\s+ETA 0:03/);
    bar.update(1_000_000_000, 1_000_000_000); // the last one is always drawn, however soon
    assert.equal(written.length, 3);
    assert.match(written[0]!, /^\rverifying x\.tar\.gz ░{10}\s+0%\s+0\.0 MB\/1000\.0 MB/);
    assert.match(written[2]!, /█{10} 100%\s+1000\.0 MB\/1000\.0 MB\s+[\d.]+ MB\/s\s+ETA 0:00/);
    bar.finish();
    assert.equal(written.at(-1), '\r\u001b[K');
  });
});
