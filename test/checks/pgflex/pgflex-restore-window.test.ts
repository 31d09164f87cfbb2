import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HEALTHY_SERVER, hoursAgo, run, unknown } from '../../helpers/azure-world.js';

describe('pgflex-restore-window', () => {
  it('passes when the window reaches back the retention less the slack', async () => {
    assert.equal((await run('pgflex-restore-window', { server: { ...HEALTHY_SERVER, earliestRestoreDate: hoursAgo(29 * 24 + 1) } })).status, 'pass');
  });
  it('fails when it does not', async () => {
    const r = await run('pgflex-restore-window', { server: { ...HEALTHY_SERVER, earliestRestoreDate: hoursAgo(10 * 24) } });
    assert.equal(r.status, 'fail');
    assert.equal(r.evidence.requiredDays, 29);
  });
  it('fails an earliest restore point in the future as a clock or data anomaly', async () => {
    const r = await run('pgflex-restore-window', { server: { ...HEALTHY_SERVER, earliestRestoreDate: hoursAgo(-72) } });
    assert.equal(r.status, 'fail');
    assert.match(r.message, /clock or data anomaly/);
  });
  it('is an error when not returned', async () =>
    unknown(await run('pgflex-restore-window', { server: { ...HEALTHY_SERVER, earliestRestoreDate: undefined } })));
});
