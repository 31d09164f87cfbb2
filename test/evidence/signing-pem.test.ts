/**
 * report.signingKey from an Azure DevOps secret variable: such variables are one line, so the PEM arrives with its line
 * breaks turned into spaces, or removed. It must still load, sign the same as the original, and never be echoed.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { ConfigError } from '../../src/errors.js';
import { loadSigningKey, rewrapPem } from '../../src/evidence/signing.js';

const { privateKey } = generateKeyPairSync('ed25519');
const PEM = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

describe('a signing key whose PEM lost its line breaks', () => {
  for (const [what, value] of [
    ['breaks turned into spaces', PEM.trimEnd().replaceAll('\n', ' ')],
    ['breaks removed', PEM.replaceAll('\n', '')],
    ['CRLF breaks', PEM.replaceAll('\n', '\r\n')],
  ] as const) {
    it(`loads with ${what}, as the same key`, () => {
      assert.equal(loadSigningKey(value).keyId, loadSigningKey(PEM).keyId);
    });
  }

  it('leaves a well-formed PEM as it is', () => {
    assert.equal(rewrapPem(PEM), PEM);
  });

  it('still refuses a damaged key, without quoting it', () => {
    // Half of the base64 body: no longer a PKCS#8 structure.
    const body = PEM.split('\n')[1] ?? '';
    const damaged = PEM.replace(body, body.slice(0, 24)).replaceAll('\n', ' ');
    assert.throws(
      () => loadSigningKey(damaged),
      (error: unknown) => error instanceof ConfigError && !error.message.includes(body.slice(0, 24)),
    );
  });
});
