/**
 * `restorecheck verify --public-key` (and archives.publicKey) on archives built from real tools (archive-generator) and
 * signed with signArchive and real Ed25519 keys, through the built binary. The case that matters most: a byte of
 * metadata.json changed and the sidecar regenerated passes archive-checksum, and only archive-signature catches it.
 */
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { signArchive } from '../../src/archive/archive-signature.js';
import { type Signer, loadSigningKey } from '../../src/evidence/signing.js';
import { editTar, memberNamed } from '../fixtures/archive-corruption.js';
import { type ArchiveParts, type BuiltArchive, assembleArchive, generateParts } from '../fixtures/archive-generator.js';
import { runCli } from '../helpers/cli.js';
import type { Report } from '../helpers/report-types.js';

let work: string;
let parts: ArchiveParts;
let counter = 0;
let backup: { signer: Signer; publicPath: string; privatePath: string };
let other: { signer: Signer; publicPath: string; privatePath: string };

async function keyPair(label: string) {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const privatePath = join(work, `${label}.pem`);
  const publicPath = join(work, `${label}.pub.pem`);
  await writeFile(privatePath, privateKey.export({ type: 'pkcs8', format: 'pem' }));
  await writeFile(publicPath, publicKey.export({ type: 'spki', format: 'pem' }));
  return { signer: loadSigningKey(privatePath, 'selfHosted.signingKey'), publicPath, privatePath };
}

/** The archive's SHA-256 and its metadata.json bytes, read from the file as the backup command has them. */
async function contentOf(path: string): Promise<{ sha256: string; metadataBytes: Buffer }> {
  const bytes = await readFile(path);
  const tar = gunzipSync(bytes);
  const m = memberNamed(tar, '/metadata.json');
  return { sha256: createHash('sha256').update(bytes).digest('hex'), metadataBytes: tar.subarray(m.dataOffset, m.dataOffset + m.size) };
}

async function signedArchive(signer: Signer = backup.signer): Promise<BuiltArchive> {
  const archive = await assembleArchive(parts, { outDir: join(work, `case-${++counter}`) });
  await writeFile(`${archive.path}.sig`, signArchive({ fileName: archive.fileName, ...(await contentOf(archive.path)) }, signer));
  return archive;
}

async function verify(args: string[]) {
  const result = await runCli(['verify', ...args, '--format', 'json'], { timeoutMs: 120_000 });
  let report: Report | undefined;
  try {
    report = JSON.parse(result.stdout) as Report;
  } catch {
    report = undefined;
  }
  assert.doesNotMatch(result.stderr, /\n\s+at .*\(.*:\d+:\d+\)/, 'no stack trace');
  const byId = new Map((report?.checks ?? []).map((c) => [c.id, c]));
  const detail = `code ${result.code}\nstderr: ${result.stderr}\n${(report?.checks ?? []).map((c) => `${c.status} ${c.id}: ${c.message}`).join('\n')}`;
  return { ...result, report, byId, detail };
}

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'restorecheck-signature-cli-'));
  parts = await generateParts({ dir: join(work, 'parts'), postgresRows: 200, redisKeys: 50, mongoDocuments: 50, minioObjects: 2, mariadbRows: 0 });
  backup = await keyPair('backup-signing');
  other = await keyPair('other-signing');
});

after(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('verify --public-key: archive-signature', () => {
  it('a signed archive passes archive-signature (with every other check), exit 0, naming the key id', async () => {
    const archive = await signedArchive();
    const r = await verify([archive.path, '--public-key', backup.publicPath]);
    assert.equal(r.code, 0, r.detail);
    const check = r.byId.get('archive-signature');
    assert.equal(check?.status, 'pass', r.detail);
    assert.equal(check?.evidence?.keyId, backup.signer.keyId);
    assert.equal(check?.evidence?.signatureFile, `${archive.path}.sig`);
    assert.equal(
      [...r.byId.values()].every((c) => c.status === 'pass'),
      true,
      r.detail,
    );
  });

  it('a metadata.json byte changed and the sidecar regenerated: archive-checksum passes, archive-signature fails (the gap closed)', async () => {
    const archive = await signedArchive();
    await editTar(archive.path, (tar) => {
      const m = memberNamed(tar, '/metadata.json');
      const data = tar.subarray(m.dataOffset, m.dataOffset + m.size);
      const at = data.indexOf('backup-01');
      assert.ok(at >= 0);
      data[at + 'backup-0'.length] = '2'.charCodeAt(0); // backup-01 → backup-02: still valid JSON, still the same members
      return tar;
    }); // editTar regenerates the sidecar
    const r = await verify([archive.path, '--public-key', backup.publicPath]);
    assert.equal(r.byId.get('archive-checksum')?.status, 'pass', r.detail);
    assert.equal(r.byId.get('archive-metadata')?.status, 'pass', r.detail);
    assert.equal(r.byId.get('archive-signature')?.status, 'fail', r.detail);
    assert.match(r.byId.get('archive-signature')!.message, /^metadata\.json in .* has SHA-256 [0-9a-f]{64}, but the signed one is [0-9a-f]{64}: the manifest/);
    assert.equal(r.code, 1, r.detail);
    // Without a key the same archive passes everything: that was the gap.
    const unsigned = await verify([archive.path]);
    assert.equal(unsigned.code, 0, unsigned.detail);
    assert.equal(unsigned.byId.get('archive-signature')?.status, 'skipped', unsigned.detail);
  });

  it('a missing .sig with a key fails, exit 1; without a key the check is skipped, exit 0', async () => {
    const archive = await signedArchive();
    await rm(`${archive.path}.sig`);
    const r = await verify([archive.path, '--public-key', backup.publicPath]);
    assert.equal(r.code, 1, r.detail);
    assert.equal(r.byId.get('archive-signature')?.status, 'fail', r.detail);
    assert.match(r.byId.get('archive-signature')!.message, /has no signature .*\.sig, but a public key is configured/);
    const skipped = await verify([archive.path]);
    assert.equal(skipped.code, 0, skipped.detail);
    assert.equal(skipped.byId.get('archive-signature')?.status, 'skipped', skipped.detail);
  });

  it('a .sig by another key fails, naming its key id; a garbage .sig fails', async () => {
    const archive = await signedArchive(other.signer);
    const r = await verify([archive.path, '--public-key', backup.publicPath]);
    assert.equal(r.code, 1, r.detail);
    assert.equal(r.byId.get('archive-signature')?.status, 'fail', r.detail);
    assert.ok(r.byId.get('archive-signature')!.message.includes(`signed with key id ${other.signer.keyId}`), r.detail);
    await writeFile(`${archive.path}.sig`, 'this is not a signature\n');
    const garbage = await verify([archive.path, '--public-key', backup.publicPath]);
    assert.equal(garbage.code, 1, garbage.detail);
    assert.match(garbage.byId.get('archive-signature')!.message, /is malformed: it is not JSON/, garbage.detail);
  });

  it('archives.publicKey (relative to the configuration file) checks it too; --public-key overrides it', async () => {
    const archive = await signedArchive();
    const dir = join(work, `config-${++counter}`);
    await mkdir(join(dir, 'keys'), { recursive: true });
    await writeFile(join(dir, 'keys', 'backup.pub.pem'), await readFile(backup.publicPath));
    await writeFile(join(dir, 'restorecheck.yaml'), 'environment: production\narchives:\n  publicKey: keys/backup.pub.pem\n');
    const r = await verify([archive.path, '--config', join(dir, 'restorecheck.yaml')]);
    assert.equal(r.byId.get('archive-signature')?.status, 'pass', r.detail);
    const overridden = await verify([archive.path, '--config', join(dir, 'restorecheck.yaml'), '--public-key', other.publicPath]);
    assert.equal(overridden.byId.get('archive-signature')?.status, 'fail', overridden.detail);
    assert.ok(overridden.byId.get('archive-signature')!.message.includes(`configured public key (key id ${other.signer.keyId})`), overridden.detail);
  });

  it('a bad key is exit 2 with a clear error and no stack trace: missing, private, not Ed25519, bad in the configuration', async () => {
    const archive = await signedArchive();
    const missing = await verify([archive.path, '--public-key', join(work, 'nope.pub.pem')]);
    assert.equal(missing.code, 2, missing.detail);
    assert.match(missing.stderr, /--public-key: cannot read .*nope\.pub\.pem \(file not found\)/);
    const privateKey = await verify([archive.path, '--public-key', backup.privatePath]);
    assert.equal(privateKey.code, 2, privateKey.detail);
    assert.match(privateKey.stderr, /is a private key: pass the public key/);
    assert.doesNotMatch(privateKey.stderr + privateKey.stdout, /PRIVATE KEY|MC4CAQAw/);
    const rsa = join(work, 'rsa.pub.pem');
    await writeFile(rsa, generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'pem' }));
    const notEd25519 = await verify([archive.path, '--public-key', rsa]);
    assert.equal(notEd25519.code, 2, notEd25519.detail);
    assert.match(notEd25519.stderr, /is a key of type rsa, not Ed25519/);
    const dir = join(work, `config-${++counter}`);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'restorecheck.yaml'), 'environment: production\narchives:\n  publicKey: missing.pub.pem\n');
    const config = await verify([archive.path, '--config', join(dir, 'restorecheck.yaml')]);
    assert.equal(config.code, 2, config.detail);
    assert.match(config.stderr, /archives\.publicKey: cannot read .*missing\.pub\.pem \(file not found\)/);
  });

  it('restore-test --archive with archives.publicKey discards what it restored from an archive without a valid signature', async () => {
    const archive = await signedArchive();
    await writeFile(`${archive.path}.sig`, signArchive({ fileName: archive.fileName, ...(await contentOf(archive.path)) }, other.signer));
    const dir = join(work, `config-${++counter}`);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'restorecheck.yaml'), `environment: production\narchives:\n  publicKey: ${backup.publicPath}\n`);
    const r = await runCli(['restore-test', '--archive', archive.path, '--config', join(dir, 'restorecheck.yaml'), '--format', 'json'], {
      timeoutMs: 180_000,
    });
    const report = JSON.parse(r.stdout) as Report;
    const byId = new Map(report.checks.map((c) => [c.id, c]));
    const detail = `code ${r.code}\n${r.stderr}\n${report.checks.map((c) => `${c.status} ${c.id}: ${c.message}`).join('\n')}`;
    assert.equal(r.code, 1, detail);
    assert.equal(byId.get('archive-checksum')?.status, 'pass', detail);
    assert.equal(byId.get('archive-signature')?.status, 'fail', detail);
    // Restored into the sandbox while verified (one read), then discarded: nothing of it counts.
    assert.equal(byId.get('restore-provision')?.status, 'fail', detail);
    assert.match(byId.get('restore-provision')!.message, /then discarded because verification failed: archive-signature failed/, detail);
    assert.notEqual(byId.get('restore-row-counts-match')?.status, 'pass', detail);
    assert.equal(byId.get('restore-cleanup')?.status, 'pass', detail);
  });
});
