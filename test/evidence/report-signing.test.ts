/**
 * Issue 13, item 3 ("Signatures, not only hashes") through the built CLI: rendered files are covered by
 * the JSON's renderedFiles, report.signingKey signs reports and audit lines, and `report verify
 * --public-key` tells authentic from forged. The first two cases passed `report verify` before the change.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { appendFileSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { appendAuditEvent } from '../../src/evidence/audit-log.js';
import { auditSigning } from '../../src/evidence/signing.js';
import { runCli } from '../helpers/cli.js';
import { forgeNewestReport } from '../helpers/report-forger.js';
import { makeWorkspace, runCheck, type Workspace } from '../helpers/report-workspace.js';

function keyPair(type: 'ed25519' | 'rsa' = 'ed25519'): { privatePem: string; publicPem: string } {
  const { privateKey, publicKey } = type === 'ed25519' ? generateKeyPairSync('ed25519') : generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

/** The PEM's base64 body, as one string per line: none may appear anywhere. */
const bodyLines = (pem: string) => pem.split('\n').filter((l) => l.length > 0 && !l.startsWith('-----'));

/** A workspace whose configuration signs with `signingKey` (a path relative to the config, or ${VAR}). */
function signingWorkspace(signingKey: string | undefined, files: Record<string, string> = {}): Workspace {
  const ws = makeWorkspace();
  for (const [name, text] of Object.entries(files)) writeFileSync(join(ws.root, name), text);
  if (signingKey !== undefined) appendFileSync(ws.config, `report:\n  signingKey: ${JSON.stringify(signingKey)}\n`);
  return ws;
}

describe('signatures, not only hashes', () => {
  const keys = keyPair();
  const other = keyPair();
  let signed: Workspace;
  let unsigned: Workspace;
  before(() => {
    signed = signingWorkspace('report-signing.pem', { 'report-signing.pem': keys.privatePem, 'pub.pem': keys.publicPem, 'other.pub.pem': other.publicPem });
    unsigned = signingWorkspace(undefined, { 'pub.pem': keys.publicPem });
  });
  after(() => {
    signed.cleanup();
    unsigned.cleanup();
  });

  it('an HTML edited from ERROR to PASS fails report verify, naming the file', async () => {
    const run = await runCheck(unsigned, ['json', 'html', 'markdown', 'junit'], { outDir: join(unsigned.root, 'edited') });
    assert.equal(run.code, 2, run.stderr);
    const dir = join(unsigned.root, 'edited');
    const json = JSON.parse(readFileSync(join(dir, readdirSync(dir).find((f) => f.endsWith('.json'))!), 'utf8'));
    assert.deepEqual(
      Object.keys(json.renderedFiles)
        .map((f: string) => f.replace(/^.*\./, ''))
        .sort(),
      ['html', 'md', 'xml'],
    );
    assert.equal(json.signedBy, null);
    const htmlName = readdirSync(dir).find((f) => f.endsWith('.html'))!;
    const html = readFileSync(join(dir, htmlName), 'utf8');
    assert.match(html, /Integrity only, not authenticity/);
    assert.match(readFileSync(join(dir, htmlName.replace(/html$/, 'md')), 'utf8'), /Integrity only, not authenticity/);
    assert.equal((await runCli(['report', 'verify', dir])).code, 0);
    assert.ok(html.includes('ERROR'));
    writeFileSync(join(dir, htmlName), html.replaceAll('ERROR', 'PASS'));
    const verify = await runCli(['report', 'verify', dir]);
    assert.equal(verify.code, 1, verify.stdout);
    assert.match(verify.stdout, new RegExp(`FAIL: first broken link: ${htmlName.replace(/\./g, '\\.')} differs from what`));
  });

  it('a rendered file no report lists, and a listed one removed, fail verify', async () => {
    const dir = join(unsigned.root, 'extra');
    await runCheck(unsigned, ['json', 'html'], { outDir: dir });
    const htmlName = readdirSync(dir).find((f) => f.endsWith('.html'))!;
    writeFileSync(join(dir, '20200101T000000Z-production-check.html'), readFileSync(join(dir, htmlName)));
    let verify = await runCli(['report', 'verify', dir]);
    assert.equal(verify.code, 1, verify.stdout);
    assert.match(verify.stdout, /20200101T000000Z-production-check\.html is not listed in any report's renderedFiles/);
    execFileSync('rm', [join(dir, htmlName)]);
    verify = await runCli(['report', 'verify', dir]);
    assert.match(verify.stdout, new RegExp(`${htmlName.replace(/\./g, '\\.')} is missing`));
  });

  it('a correctly signed directory passes --public-key; the same directory passes plain verify as integrity only', async () => {
    await runCheck(signed, ['json', 'html']);
    await runCheck(signed, ['json', 'html']);
    const json = JSON.parse(readFileSync(join(signed.reports, readdirSync(signed.reports).find((f) => f.endsWith('.json'))!), 'utf8'));
    assert.equal(json.signedBy.algorithm, 'Ed25519');
    assert.match(json.signature, /^[A-Za-z0-9+/]+=*$/);
    const html = readFileSync(join(signed.reports, readdirSync(signed.reports).find((f) => f.endsWith('.html'))!), 'utf8');
    assert.match(html, new RegExp(`Signed \\(Ed25519\\) with key id ${json.signedBy.keyId}`));
    const verify = await runCli(['report', 'verify', signed.reports, '--public-key', join(signed.root, 'pub.pem')]);
    assert.equal(verify.code, 0, verify.stdout);
    assert.match(verify.stdout, new RegExp(`authenticity checked: every report and the audit head are signed by key ${json.signedBy.keyId}`));
    const plain = await runCli(['report', 'verify', signed.reports]);
    assert.equal(plain.code, 0, plain.stdout);
    assert.match(plain.stdout, /integrity only, not authenticity: no public key given/);
    // Signed by another key: fails, naming the key ids.
    const wrong = await runCli(['report', 'verify', signed.reports, '--public-key', join(signed.root, 'other.pub.pem')]);
    assert.equal(wrong.code, 1, wrong.stdout);
    assert.match(wrong.stdout, /is signed by another key/);
  });

  it('the ten lines of Python forge a green plain verify but not a --public-key verify', async () => {
    const dir = join(signed.root, 'forged');
    await runCheck(signed, ['json'], { outDir: dir });
    await runCheck(signed, ['json'], { outDir: dir });
    forgeNewestReport(dir);
    const auditLines = readFileSync(join(dir, 'audit.log.jsonl'), 'utf8').trim().split('\n');
    const newest = JSON.parse(auditLines[auditLines.length - 1]!).report.file as string;
    assert.equal(JSON.parse(readFileSync(join(dir, newest), 'utf8')).outcome, 'pass', 'the forgery took');
    const plain = await runCli(['report', 'verify', dir]);
    assert.equal(plain.code, 0, `hashes alone cannot tell: ${plain.stdout}`);
    assert.match(plain.stdout, /integrity only, not authenticity/);
    const keyed = await runCli(['report', 'verify', dir, '--public-key', join(signed.root, 'pub.pem')]);
    assert.equal(keyed.code, 1, keyed.stdout);
    assert.match(keyed.stdout, /signature that does not verify: the report was changed after it was signed/);
    assert.match(keyed.stdout, /audit\.log\.jsonl line 2 has a signature that does not verify/);
  });

  it('a later line from another command (retention, cleanup) is signed too; an unsigned head fails', async () => {
    const dir = join(signed.root, 'later-lines');
    await runCheck(signed, ['json'], { outDir: dir });
    const event = { action: 'delete', command: 'retention', environment: 'production', outcome: 'deleted' };
    await appendAuditEvent(dir, event, auditSigning(join(signed.root, 'report-signing.pem')));
    const pub = join(signed.root, 'pub.pem');
    const ok = await runCli(['report', 'verify', dir, '--public-key', pub]);
    assert.equal(ok.code, 0, ok.stdout);
    await appendAuditEvent(dir, event);
    const head = await runCli(['report', 'verify', dir, '--public-key', pub]);
    assert.equal(head.code, 1, head.stdout);
    assert.match(head.stdout, /audit\.log\.jsonl line 3 is the audit head and is not signed/);
    await appendAuditEvent(dir, event, auditSigning(join(signed.root, 'report-signing.pem')));
    const covered = await runCli(['report', 'verify', dir, '--public-key', pub]);
    assert.equal(covered.code, 0, covered.stdout);
    assert.match(covered.stdout, /1 earlier unsigned audit line is covered by the signed head's links/);
  });

  it('an unsigned directory fails --public-key (reports and the audit head)', async () => {
    const dir = join(unsigned.root, 'plain');
    await runCheck(unsigned, ['json'], { outDir: dir });
    const verify = await runCli(['report', 'verify', dir, '--public-key', join(unsigned.root, 'pub.pem')]);
    assert.equal(verify.code, 1, verify.stdout);
    assert.match(verify.stdout, /is not signed \(integrity only, not authenticity\)/);
    assert.match(verify.stdout, /audit\.log\.jsonl line 1 is the audit head and is not signed/);
  });

  it('a key from an environment variable signs, and its PEM appears in no output or file', async () => {
    const ws = signingWorkspace('${REPORT_SIGNING_KEY}', { 'pub.pem': keys.publicPem });
    try {
      const env = { ...process.env, REPORT_SIGNING_KEY: keys.privatePem };
      const run = await runCheck(ws, ['json', 'html', 'markdown', 'junit', 'console'], { env });
      assert.equal(run.code, 2, run.stderr);
      const verify = await runCli(['report', 'verify', ws.reports, '--public-key', join(ws.root, 'pub.pem')]);
      assert.equal(verify.code, 0, verify.stdout);
      const texts = [run.stdout, run.stderr, ...readdirSync(ws.reports).map((f) => readFileSync(join(ws.reports, f), 'utf8'))];
      for (const line of bodyLines(keys.privatePem)) for (const text of texts) assert.ok(!text.includes(line), 'a line of the private key leaked');
    } finally {
      ws.cleanup();
    }
  });

  for (const [label, setup, pattern] of [
    ['a missing key file', () => signingWorkspace('missing.pem'), /report\.signingKey: cannot read .*missing\.pem \(file not found\)/],
    [
      'an RSA key',
      () => signingWorkspace('rsa.pem', { 'rsa.pem': keyPair('rsa').privatePem }),
      /report\.signingKey: .*rsa\.pem is a key of type rsa; reports are signed with Ed25519/,
    ],
    ['a public key given as the signing key', () => signingWorkspace('pub.pem', { 'pub.pem': keys.publicPem }), /is not an unencrypted private key/],
  ] as const) {
    it(`${label} is a configuration error (exit 2) with the openssl hint, printing no key`, async () => {
      const ws = setup();
      try {
        const run = await runCheck(ws, ['json']);
        assert.equal(run.code, 2, run.stderr);
        assert.match(run.stderr, pattern);
        assert.match(run.stderr, /openssl genpkey -algorithm ed25519 -out report-signing\.pem/);
        const files = readdirSync(ws.root).filter((f) => f.endsWith('.pem'));
        for (const f of files)
          for (const line of bodyLines(readFileSync(join(ws.root, f), 'utf8'))) assert.ok(!run.stderr.includes(line) && !run.stdout.includes(line));
        const validate = await runCli(['validate-config', '--config', ws.config]);
        assert.equal(validate.code, 2, validate.stdout + validate.stderr);
      } finally {
        ws.cleanup();
      }
    });
  }
});
