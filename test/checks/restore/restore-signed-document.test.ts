/**
 * restore-signed-document carries the signed-document probe's verdict on the RESTORED database. (Written with the
 * per-check split: until then only its `skipped` on a healthy restore was tested at unit level, in
 * restore-checks-together.test.ts; the probe itself is tested in test/checks/db/signed-document.test.ts.)
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RestoreOutcome } from '../../../src/restore/outcome.js';
import { healthy, judge } from '../../helpers/restore-judge.js';

const probed = (signedDocument: NonNullable<RestoreOutcome['restored']>['signedDocument']): RestoreOutcome => {
  const o = healthy();
  o.restored!.signedDocument = signedDocument;
  return o;
};

describe('restore-signed-document', () => {
  it("gives the probe's verdict and evidence, saying it was the restored database", async () => {
    const evidence = { blobName: '2026/11/consent-2.pdf', sha256Match: true };
    const found = { status: 'pass' as const, message: 'consent-2.pdf exists and matches.', evidence };
    const pass = (await judge(probed({ ok: true, value: found })))['restore-signed-document']!;
    assert.equal(pass.status, 'pass', pass.message);
    assert.equal(pass.message, 'On the restored database: consent-2.pdf exists and matches.');
    assert.deepEqual(pass.evidence, evidence);
    const fail = (await judge(probed({ ok: true, value: { status: 'fail', message: 'No signed document found.', evidence: {} } })))['restore-signed-document']!;
    assert.equal(fail.status, 'fail');
    assert.match(fail.message, /^On the restored database: No signed document found/);
  });

  it('is error, never pass, when the probe could not run or nothing was restored', async () => {
    const failure = { kind: 'query' as const, message: 'column "nope" does not exist', hint: 'fix database.signedDocument.query' };
    const broken = (await judge(probed({ ok: false, failure })))['restore-signed-document']!;
    assert.equal(broken.status, 'error');
    assert.equal(broken.errorKind, 'query');
    assert.match(broken.message, /column "nope" does not exist/);
    const notRestored = healthy();
    delete notRestored.restored;
    const none = (await judge(notRestored))['restore-signed-document']!;
    assert.equal(none.status, 'error');
    assert.match(none.message, /restored database could not be read/);
  });
});
