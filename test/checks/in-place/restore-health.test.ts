/** restore-health: the health URL's last answer after the restore; skipped without a URL, error when not reached. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { judgeInPlace, restoredOutcome } from '../../helpers/in-place-judge.js';

const ID = 'restore-health';
const URL = '  healthUrl: https://medicapp.internal/health\n';

describe(ID, () => {
  it('passes on a 2xx answer, with the attempts and the time', async () => {
    const o = restoredOutcome();
    o.health.url = { url: 'https://medicapp.internal/health', status: 204, ok: true, seconds: 3.1, attempts: 3 };
    const r = (await judgeInPlace(o, URL))[ID]!;
    assert.equal(r.status, 'pass', r.message);
    assert.match(r.message, /https:\/\/medicapp\.internal\/health answered 204 after the restore \(3 attempt\(s\), 3\.1 s\)/);
  });

  it('fails on a non-2xx answer, and when nothing answered, saying the last thing it got', async () => {
    const o = restoredOutcome();
    o.health.url = { url: 'https://medicapp.internal/health', status: 500, ok: false, seconds: 60, attempts: 31 };
    const r500 = (await judgeInPlace(o, URL))[ID]!;
    assert.equal(r500.status, 'fail');
    assert.match(r500.message, /did not answer 2xx within 60 s after the restore \(31 attempt\(s\); last: HTTP 500\)/);
    o.health.url = { url: 'https://medicapp.internal/health', status: null, ok: false, seconds: 60, attempts: 30, error: 'connect ECONNREFUSED 10.0.0.4:443' };
    const none = (await judgeInPlace(o, URL))[ID]!;
    assert.equal(none.status, 'fail');
    assert.match(none.message, /last: connect ECONNREFUSED 10\.0\.0\.4:443/);
  });

  it('is skipped without selfHosted.healthUrl, and an error when one is configured but the restore never asked it', async () => {
    const o = restoredOutcome();
    const skipped = (await judgeInPlace(o))[ID]!;
    assert.equal(skipped.status, 'skipped');
    assert.match(skipped.message, /No selfHosted\.healthUrl configured/);
    o.interrupted = true;
    const notAsked = (await judgeInPlace(o, URL))[ID]!;
    assert.equal(notAsked.status, 'error');
    assert.match(notAsked.message, /did not reach the health check of https:\/\/medicapp\.internal\/health \(interrupted\)/);
  });
});
