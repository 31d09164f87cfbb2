/**
 * The `.sig` format of self-hosted archives (src/archive/archive-signature.ts): what signArchive writes, and the strict
 * parser and verdicts of checkArchiveSignature, with real Ed25519 keys (node:crypto) and the real signing module.
 */
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  ARCHIVE_SIGNATURE_FORMAT,
  type ActualArchive,
  MAX_SIGNATURE_BYTES,
  checkArchiveSignature,
  parseArchiveSignature,
  signArchive,
} from '../../src/archive/archive-signature.js';
import { verifyArchive } from '../../src/archive/verify-archive.js';
import { canonicalJson, loadPublicKey, loadSigningKey } from '../../src/evidence/signing.js';

const work = mkdtempSync(join(tmpdir(), 'restorecheck-sigformat-'));
after(() => rmSync(work, { recursive: true, force: true }));

function keyPair(label: string) {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  writeFileSync(join(work, `${label}.pem`), privateKey.export({ type: 'pkcs8', format: 'pem' }));
  writeFileSync(join(work, `${label}.pub.pem`), publicKey.export({ type: 'spki', format: 'pem' }));
  return { signer: loadSigningKey(join(work, `${label}.pem`), 'selfHosted.signingKey'), verifier: loadPublicKey(join(work, `${label}.pub.pem`)) };
}

const key = keyPair('a');
const FILE = 'medicapp_production_20261121_030000.tar.gz';
const SHA = createHash('sha256').update('the archive').digest('hex');
const METADATA = Buffer.from('{"environment":"production"}\n');
const METADATA_SHA = createHash('sha256').update(METADATA).digest('hex');
const text = signArchive({ fileName: FILE, sha256: SHA, metadataBytes: METADATA }, key.signer);
const actual: ActualArchive = { fileName: FILE, actualSha256: SHA, metadataSha256: METADATA_SHA };

function problemOf(content: string | Uint8Array): string {
  const parsed = parseArchiveSignature(content);
  assert.equal(parsed.ok, false, `should be refused: ${String(content).slice(0, 200)}`);
  return parsed.ok ? '' : parsed.problem;
}

describe('signArchive', () => {
  it('writes one JSON object and a newline, with the fields of the format in order', () => {
    assert.ok(text.endsWith('}\n'));
    assert.equal(text.split('\n').length, 2);
    const record = JSON.parse(text) as Record<string, string>;
    assert.deepEqual(Object.keys(record), ['format', 'archive', 'sha256', 'metadataSha256', 'algorithm', 'keyId', 'signature']);
    assert.equal(record.format, ARCHIVE_SIGNATURE_FORMAT);
    assert.equal(record.archive, FILE);
    assert.equal(record.sha256, SHA);
    assert.equal(record.metadataSha256, METADATA_SHA);
    assert.equal(record.algorithm, 'Ed25519');
    assert.equal(record.keyId, key.signer.keyId);
  });

  it('signs every other field in canonical JSON for purpose archive (anyone can check it with the public key)', () => {
    const { signature, ...fields } = JSON.parse(text) as Record<string, string>;
    assert.equal(key.verifier.verify('archive', canonicalJson(fields), signature!), true);
    // Domain separation: the same bytes are not a report's signature.
    assert.equal(key.verifier.verify('report', canonicalJson(fields), signature!), false);
  });
});

describe('parseArchiveSignature', () => {
  it('accepts what signArchive writes', () => {
    const parsed = parseArchiveSignature(Buffer.from(text));
    assert.equal(parsed.ok, true);
  });

  it('refuses CRLF, a BOM, a missing newline, a second line, and an empty file', () => {
    assert.match(problemOf(text.replace('\n', '\r\n')), /carriage return/);
    assert.match(problemOf(`\uFEFF${text}`), /byte order mark/);
    assert.match(problemOf(text.slice(0, -1)), /does not end with a newline/);
    assert.match(problemOf(`${text}${text}`), /more than one line/);
    assert.match(problemOf(''), /empty/);
  });

  it('refuses a file larger than the cap, and bytes that are not UTF-8', () => {
    assert.match(problemOf(Buffer.alloc(MAX_SIGNATURE_BYTES + 1, 0x20)), new RegExp(`larger than ${MAX_SIGNATURE_BYTES} bytes`));
    assert.match(problemOf(Buffer.from([0x7b, 0xff, 0xfe, 0x7d, 0x0a])), /not UTF-8/);
  });

  it('refuses a repeated key (a JSON reader would keep only the last one)', () => {
    const twice = text.replace('"sha256":', `"sha256":"${'0'.repeat(64)}","sha256":`);
    assert.match(problemOf(twice), /holds the key "sha256" more than once/);
  });

  it('refuses an unknown format, an unknown key, and a field of the wrong shape', () => {
    assert.match(problemOf(text.replace(ARCHIVE_SIGNATURE_FORMAT, 'restorecheck-archive-signature-v2')), /format is "restorecheck-archive-signature-v2", not/);
    assert.match(problemOf(text.replace('{', '{"comment":"x",')), /Unrecognized key/i);
    assert.match(problemOf(text.replace(SHA, SHA.toUpperCase())), /sha256: must be 64 lower-case hexadecimal digits/);
    assert.match(problemOf(text.replace('"Ed25519"', '"RSA"')), /algorithm: must be "Ed25519"/);
    assert.match(problemOf('[1,2]\n'), /not a JSON object/);
    assert.match(problemOf('{"format":\n'), /not JSON/);
  });
});

describe('checkArchiveSignature', () => {
  it('is ok, with the key id, for the archive and metadata.json that were signed', () => {
    const verdict = checkArchiveSignature(text, actual, key.verifier);
    assert.equal(verdict.state, 'ok');
    assert.equal(verdict.state === 'ok' && verdict.keyId, key.signer.keyId);
  });

  it('is missing without a file, invalid for garbage', () => {
    assert.deepEqual(checkArchiveSignature(null, actual, key.verifier), { state: 'missing' });
    assert.equal(checkArchiveSignature('garbage\n', actual, key.verifier).state, 'invalid');
  });

  it('is wrong-key for another key’s signature, bad-signature for one altered after signing', () => {
    const other = keyPair('b');
    const verdict = checkArchiveSignature(signArchive({ fileName: FILE, sha256: SHA, metadataBytes: METADATA }, other.signer), actual, key.verifier);
    assert.deepEqual(verdict, { state: 'wrong-key', keyId: other.signer.keyId, expectedKeyId: key.signer.keyId });
    // Someone rewrites the signed hash to that of a changed archive, keeping the signature: the signature no longer verifies.
    const changed = createHash('sha256').update('the changed archive').digest('hex');
    const altered = text.replace(SHA, changed);
    assert.equal(checkArchiveSignature(altered, { ...actual, actualSha256: changed }, key.verifier).state, 'bad-signature');
  });

  it('is mismatch against the archive as read: its SHA-256, its metadata.json, or its name, listing every difference', () => {
    const other = createHash('sha256').update('x').digest('hex');
    assert.deepEqual(checkArchiveSignature(text, { ...actual, actualSha256: other }, key.verifier), {
      state: 'mismatch',
      keyId: key.signer.keyId,
      mismatches: [{ field: 'sha256', signed: SHA, actual: other }],
    });
    const fields = (a: typeof actual) => {
      const verdict = checkArchiveSignature(text, a, key.verifier);
      return verdict.state === 'mismatch' ? verdict.mismatches.map((m) => m.field) : verdict.state;
    };
    assert.deepEqual(fields({ ...actual, metadataSha256: other }), ['metadataSha256']);
    assert.deepEqual(fields({ ...actual, metadataSha256: undefined }), ['metadataSha256']);
    assert.deepEqual(fields({ ...actual, fileName: 'medicapp_production_20261122_030000.tar.gz' }), ['archive']);
    // A changed manifest in a rebuilt archive: both hashes differ, the manifest first.
    assert.deepEqual(fields({ ...actual, metadataSha256: other, actualSha256: other }), ['metadataSha256', 'sha256']);
    assert.equal(fields({ ...actual, actualSha256: SHA.toUpperCase() }), 'ok');
  });
});

describe('verifyArchive reads <archive>.sig beside the archive', () => {
  const limits = { maxExpansionRatio: 200, maxTotalBytes: 2 ** 40, maxEntries: 100_000, maxMinioEntries: 10_000_000 };

  it('with a bound: a huge .sig is read no further than the cap, and refused', async () => {
    const path = join(work, FILE);
    writeFileSync(path, 'not an archive, only hashed here\n');
    writeFileSync(`${path}.sig`, Buffer.alloc(1024 * 1024, 0x7b));
    const v = await verifyArchive(path, { limits });
    assert.equal(v.signature.path, `${path}.sig`);
    assert.equal(v.signature.content?.length, MAX_SIGNATURE_BYTES + 1);
    const verdict = checkArchiveSignature(
      v.signature.content,
      { fileName: v.fileName, actualSha256: v.sha256, metadataSha256: v.metadata.sha256 },
      key.verifier,
    );
    assert.deepEqual(verdict, { state: 'invalid', problem: `it is larger than ${MAX_SIGNATURE_BYTES} bytes` });
  });

  it('null when there is none', async () => {
    const path = join(work, 'other_production_20261121_030000.tar.gz');
    writeFileSync(path, 'x\n');
    const v = await verifyArchive(path, { limits });
    assert.equal(v.signature.content, null);
    assert.equal(v.metadata.sha256, undefined);
  });
});
