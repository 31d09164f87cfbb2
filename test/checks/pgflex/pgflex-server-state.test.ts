import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EvaluationError } from '../../../src/errors.js';
import { HEALTHY_SERVER, run, unknown } from '../../helpers/azure-world.js';

describe('pgflex-server-state', () => {
  it('passes when Ready', async () => assert.equal((await run('pgflex-server-state', {})).status, 'pass'));
  it('fails when Stopped', async () => {
    const r = await run('pgflex-server-state', { server: { ...HEALTHY_SERVER, state: 'Stopped' } });
    assert.equal(r.status, 'fail');
    assert.match(r.message, /Stopped; expected Ready/);
  });
  // The spec: Updating is e.g. a firewall rule being added, "which doesn't cause any unavailability"; Starting and Restarting end by themselves.
  for (const state of ['Updating', 'Starting', 'Restarting']) {
    it(`warns, naming the state, when ${state} (transient)`, async () => {
      const r = await run('pgflex-server-state', { server: { ...HEALTHY_SERVER, state } });
      assert.equal(r.status, 'warn', r.message);
      assert.match(r.message, new RegExp(`Flexible Server db is ${state} `));
      assert.equal(r.evidence.state, state);
      assert.equal(r.evidence.transient, true);
    });
  }
  for (const state of ['Stopped', 'Stopping', 'Disabled', 'Inaccessible', 'Dropping', 'Provisioning', 'SomethingNew']) {
    it(`fails when ${state}`, async () => {
      const r = await run('pgflex-server-state', { server: { ...HEALTHY_SERVER, state } });
      assert.equal(r.status, 'fail', r.message);
      assert.match(r.message, new RegExp(`${state}; expected Ready`));
    });
  }
  it('fails when the server does not exist', async () => {
    const r = await run('pgflex-server-state', { server: new EvaluationError('not-found', 'gone', 'hint') });
    assert.equal(r.status, 'fail');
    assert.equal(r.evidence.exists, false);
  });
  it('is an error when the state is not returned', async () => unknown(await run('pgflex-server-state', { server: { ...HEALTHY_SERVER, state: undefined } })));
  it('is an error, with the request id, when Azure refuses', async () => {
    const r = await run('pgflex-server-state', { server: new EvaluationError('permission', '403 on GET', 'needs Reader', { requestId: 'req-1' }) });
    assert.equal(r.status, 'error');
    assert.equal(r.requestId, 'req-1');
    assert.equal(r.errorKind, 'permission');
  });
});
