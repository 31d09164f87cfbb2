import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { signArchive } from '../../../src/archive/archive-signature.js';
import { archiveSignature } from '../../../src/checks/archive/archive-signature.js';
import { localizedMessage } from '../../../src/checks/localize.js';
import { loadSigningKey } from '../../../src/evidence/signing.js';
import { BACKUP_DIR, FILE_NAME, fakeSha256, verification } from '../../helpers/archive-verification.js';
import { runCheck } from '../../helpers/run-check.js';

const work = mkdtempSync(join(tmpdir(), 'restorecheck-sigcheck-'));
after(() => rmSync(work, { recursive: true, force: true }));

/** A key pair on disk: the private key as a Signer, the public key's path for archives.publicKey. */
function keyPair(label: string) {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const privatePath = join(work, `${label}.pem`);
  const publicPath = join(work, `${label}.pub.pem`);
  writeFileSync(privatePath, privateKey.export({ type: 'pkcs8', format: 'pem' }));
  writeFileSync(publicPath, publicKey.export({ type: 'spki', format: 'pem' }));
  return { signer: loadSigningKey(privatePath, 'selfHosted.signingKey'), publicPath };
}

const backup = keyPair('backup');
const other = keyPair('other');
const SIG = `${BACKUP_DIR}/${FILE_NAME}.sig`;
const METADATA = Buffer.from('{"environment":"production","timestamp":"2026-11-21T03:00:00Z"}\n');

/** A verification whose .sig is `text` and whose metadata.json bytes are METADATA (unless `metadataSha256` says otherwise). */
function signed(text: string | null, metadataSha256: string | undefined = sha256Of(METADATA)) {
  const v = verification();
  return { ...v, signature: { path: SIG, content: text === null ? null : Buffer.from(text) }, metadata: { ...v.metadata, sha256: metadataSha256 } };
}

function sha256Of(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

const withKey = (path = backup.publicPath) => ({ archives: { publicKey: path } });
const sigOf = (signer = backup.signer, sha256 = verification().sha256, fileName = FILE_NAME) =>
  signArchive({ fileName, sha256, metadataBytes: METADATA }, signer);

describe('archive-signature', () => {
  it('passes for a .sig by the configured key over the archive’s SHA-256 and metadata.json, naming the key id', async () => {
    const archive = signed(sigOf());
    const result = await runCheck(archiveSignature, { archive, config: withKey() });
    assert.equal(result.status, 'pass', result.message);
    assert.equal(
      result.message,
      `${FILE_NAME} is signed with key id ${backup.signer.keyId}: the signature covers its SHA-256 ${archive.sha256} and its metadata.json, as read from the archive.`,
    );
    assert.equal(result.evidence.keyId, backup.signer.keyId);
    assert.equal(result.evidence.signatureFile, SIG);
    assert.equal(result.evidence.actualSha256, archive.sha256);
    assert.match(localizedMessage(result, 'fr'), /est signé avec la clé d’identifiant [0-9a-f]{64}/);
  });

  it('is skipped without a public key, whatever the archive holds', async () => {
    const result = await runCheck(archiveSignature, { archive: signed(null) });
    assert.equal(result.status, 'skipped');
    assert.match(result.message, /No public key configured \(archives\.publicKey or verify --public-key\)/);
    assert.match(localizedMessage(result, 'fr'), /Aucune clé publique configurée/);
  });

  it('fails without a .sig once a key is configured', async () => {
    const result = await runCheck(archiveSignature, { archive: signed(null), config: withKey() });
    assert.equal(result.status, 'fail');
    assert.equal(result.message, `${FILE_NAME} has no signature ${SIG}, but a public key is configured: every archive must be signed.`);
  });

  it('fails when metadata.json changed after signing (the sidecar regenerated does not help)', async () => {
    const result = await runCheck(archiveSignature, { archive: signed(sigOf(), fakeSha256('another metadata.json')), config: withKey() });
    assert.equal(result.status, 'fail');
    assert.match(
      result.message,
      /^metadata\.json in .* has SHA-256 [0-9a-f]{64}, but the signed one is [0-9a-f]{64}: the manifest was changed after signing\.$/,
    );
    assert.equal(result.evidence.signedMetadataSha256, sha256Of(METADATA));
  });

  it('names every signed value that differs: a rebuilt archive with a changed manifest, in both languages', async () => {
    const v = signed(sigOf(backup.signer, fakeSha256('the archive as signed')), fakeSha256('another metadata.json'));
    const result = await runCheck(archiveSignature, { archive: v, config: withKey() });
    assert.equal(result.status, 'fail');
    assert.match(result.message, /the manifest was changed after signing\. The SHA-256 of .* is [0-9a-f]{64}, but the signed one is [0-9a-f]{64}: the archive/);
    assert.match(localizedMessage(result, 'fr'), /le manifeste a été modifié après la signature\. Le SHA-256 de .* mais celui qui a été signé est/);
    assert.equal(result.evidence.signedSha256, fakeSha256('the archive as signed'));
  });

  it('fails when the archive’s SHA-256 is not the signed one', async () => {
    const result = await runCheck(archiveSignature, { archive: signed(sigOf(backup.signer, fakeSha256('the archive before'))), config: withKey() });
    assert.equal(result.status, 'fail');
    assert.match(result.message, /is not the one that was signed\.$/);
  });

  it('fails when the .sig signs another archive’s name', async () => {
    const result = await runCheck(archiveSignature, {
      archive: signed(sigOf(backup.signer, verification().sha256, 'medicapp_production_20261120_030000.tar.gz')),
      config: withKey(),
    });
    assert.equal(result.status, 'fail');
    assert.equal(result.message, `${SIG} signs the archive medicapp_production_20261120_030000.tar.gz, not ${FILE_NAME}.`);
  });

  it('fails for a .sig by another key, naming both key ids', async () => {
    const result = await runCheck(archiveSignature, { archive: signed(sigOf(other.signer)), config: withKey() });
    assert.equal(result.status, 'fail');
    assert.equal(result.message, `${SIG} is signed with key id ${other.signer.keyId}, not with the configured public key (key id ${backup.signer.keyId}).`);
  });

  it('fails for a forged signature that claims the configured key id', async () => {
    const forged = JSON.parse(sigOf(other.signer)) as Record<string, string>;
    forged.keyId = backup.signer.keyId;
    const result = await runCheck(archiveSignature, { archive: signed(`${JSON.stringify(forged)}\n`), config: withKey() });
    assert.equal(result.status, 'fail');
    assert.match(result.message, /does not verify with the public key [0-9a-f]{64}: the file was altered or forged\.$/);
  });

  it('fails for a malformed .sig, naming the problem', async () => {
    const result = await runCheck(archiveSignature, { archive: signed('not a signature\n'), config: withKey() });
    assert.equal(result.status, 'fail');
    assert.match(result.message, new RegExp(`^The signature file ${SIG.replace(/\./g, '\\.')} is malformed: it is not JSON`));
  });

  it('is an error, not a pass, when the key file vanished after the configuration was read', async () => {
    const result = await runCheck(archiveSignature, { archive: signed(sigOf()), config: withKey(join(work, 'gone.pub.pem')) });
    assert.equal(result.status, 'error');
  });
});
