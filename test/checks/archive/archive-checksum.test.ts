import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { archiveChecksum } from '../../../src/checks/archive/archive-checksum.js';
import { EvaluationError } from '../../../src/errors.js';
import { BACKUP_DIR, FILE_NAME, fakeSha256, verification } from '../../helpers/archive-verification.js';
import { runCheck } from '../../helpers/run-check.js';

const SIDECAR = `${BACKUP_DIR}/${FILE_NAME}.sha256`;

describe('archive-checksum', () => {
  it('passes when the sidecar holds the archive’s SHA-256, naming size and hash', async () => {
    const archive = verification();
    const result = await runCheck(archiveChecksum, { archive });
    assert.equal(result.status, 'pass', result.message);
    assert.equal(result.message, `${FILE_NAME} (${archive.sizeBytes} bytes) matches its sidecar: SHA-256 ${archive.sha256}.`);
    assert.deepEqual(result.evidence, { archive: FILE_NAME, sidecar: SIDECAR, actual: archive.sha256, sizeBytes: archive.sizeBytes, expected: archive.sha256 });
  });

  it('fails when the hashes differ, naming both', async () => {
    const other = fakeSha256('another archive');
    const archive = verification({ sidecar: { path: SIDECAR, state: 'ok', sha256: other } });
    const result = await runCheck(archiveChecksum, { archive });
    assert.equal(result.status, 'fail');
    assert.equal(result.message, `The SHA-256 of ${FILE_NAME} is ${archive.sha256}, but its sidecar says ${other}.`);
    assert.equal(result.evidence.actual, archive.sha256);
    assert.equal(result.evidence.expected, other);
  });

  it('fails when the hashes differ in a single digit', async () => {
    const archive = verification();
    const last = archive.sha256.at(-1) === '0' ? '1' : '0';
    const sidecar = { ...archive.sidecar, sha256: `${archive.sha256.slice(0, -1)}${last}` };
    const result = await runCheck(archiveChecksum, { archive: { ...archive, sidecar } });
    assert.equal(result.status, 'fail');
    assert.match(result.message, /but its sidecar says [0-9a-f]{64}\.$/);
  });

  it('fails without a sidecar, naming the file it expected', async () => {
    const archive = verification({ sidecar: { path: SIDECAR, state: 'missing', problem: `no sidecar ${FILE_NAME}.sha256 beside the archive` } });
    const result = await runCheck(archiveChecksum, { archive });
    assert.equal(result.status, 'fail');
    assert.equal(result.message, `${FILE_NAME} has no sidecar ${FILE_NAME}.sha256; expected one in sha256sum format.`);
    assert.equal(result.evidence.sidecar, SIDECAR);
    assert.equal('expected' in result.evidence, false);
  });

  it('fails for a malformed sidecar, naming the problem and the line it expected', async () => {
    const archive = verification({ sidecar: { path: SIDECAR, state: 'invalid', problem: 'it has a carriage return (CRLF line ending)' } });
    const result = await runCheck(archiveChecksum, { archive });
    assert.equal(result.status, 'fail');
    assert.equal(
      result.message,
      `The sidecar of ${FILE_NAME} is malformed: it has a carriage return (CRLF line ending); expected one line "<64 hex>  ${FILE_NAME}".`,
    );
    assert.equal('expected' in result.evidence, false);
  });

  it('is skipped without an archive, and an error when the archive cannot be read', async () => {
    const skipped = await runCheck(archiveChecksum, { archive: null });
    assert.equal(skipped.status, 'skipped');
    assert.equal(skipped.message, 'Not evaluated: no archive to verify.');
    const denied = new EvaluationError('not-found', `cannot read the sidecar ${SIDECAR} (EACCES)`, 'check the file permissions of the backup directory');
    const unreadable = () => Promise.reject(denied);
    const error = await runCheck(archiveChecksum, { archive: unreadable });
    assert.equal(error.status, 'error');
    assert.equal(error.message, `Not evaluated: cannot read the sidecar ${SIDECAR} (EACCES).`);
    assert.equal(error.hint, 'check the file permissions of the backup directory');
  });
});
