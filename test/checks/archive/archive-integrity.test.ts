import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { archiveIntegrity } from '../../../src/checks/archive/archive-integrity.js';
import { EvaluationError } from '../../../src/errors.js';
import { FILE_NAME, verification } from '../../helpers/archive-verification.js';
import { runCheck } from '../../helpers/run-check.js';

describe('archive-integrity', () => {
  it('passes for a complete gzip stream and tar, naming entries and tar bytes', async () => {
    const archive = verification();
    const result = await runCheck(archiveIntegrity, { archive });
    assert.equal(result.status, 'pass', result.message);
    const sizes = `8 entries, ${archive.container.tarBytes} bytes of tar`;
    assert.equal(result.message, `${FILE_NAME}: the gzip stream and the tar structure are complete and valid (${sizes}).`);
    assert.deepEqual(result.evidence, { archive: FILE_NAME, compressedBytes: archive.sizeBytes, tarBytes: archive.container.tarBytes, entries: 8 });
  });

  it('fails for a damaged gzip stream, naming the damage and the layer', async () => {
    const problem = 'the gzip CRC-32 does not match the data (incorrect data check)';
    const archive = verification({ container: { problem, layer: 'gzip', tarBytes: 1_048_576, entries: 3 } });
    const result = await runCheck(archiveIntegrity, { archive });
    assert.equal(result.status, 'fail');
    assert.equal(result.message, `${FILE_NAME} is not a complete, valid tar.gz: the gzip CRC-32 does not match the data (incorrect data check).`);
    assert.equal(result.evidence.layer, 'gzip');
    assert.equal(result.evidence.entries, 3);
    assert.equal(result.evidence.tarBytes, 1_048_576);
  });

  it('fails for a broken tar structure', async () => {
    const problem = 'the end-of-archive blocks are missing (truncated tar)';
    const archive = verification({ container: { problem, layer: 'tar', tarBytes: 4_194_304, entries: 8 } });
    const result = await runCheck(archiveIntegrity, { archive });
    assert.equal(result.status, 'fail');
    assert.match(result.message, /is not a complete, valid tar\.gz: the end-of-archive blocks are missing \(truncated tar\)\.$/);
    assert.equal(result.evidence.layer, 'tar');
  });

  it('fails when a decompression limit stopped the read', async () => {
    const problem = 'decompression stopped: the archive: more than 1000000 decompressed bytes in total (limits.maxTotalBytes)';
    const archive = verification({
      container: { problem, layer: 'limit', tarBytes: 1_000_000, entries: 2 },
      limitExceeded: { where: 'the archive', detail: problem },
    });
    const result = await runCheck(archiveIntegrity, { archive });
    assert.equal(result.status, 'fail');
    assert.match(result.message, /limits\.maxTotalBytes\)\.$/);
    assert.equal(result.evidence.layer, 'limit');
  });

  it('fails for an empty file', async () => {
    const container = { problem: 'the file is empty', layer: 'gzip' as const, tarBytes: 0, entries: 0 };
    const archive = verification({ sizeBytes: 0, bytesRead: 0, entries: [], dumps: [], container });
    const result = await runCheck(archiveIntegrity, { archive });
    assert.equal(result.status, 'fail');
    assert.equal(result.message, `${FILE_NAME} is not a complete, valid tar.gz: the file is empty.`);
    assert.equal(result.evidence.compressedBytes, 0);
  });

  it('is skipped without an archive, and an error when the archive cannot be read', async () => {
    const skipped = await runCheck(archiveIntegrity, { archive: null });
    assert.equal(skipped.status, 'skipped');
    assert.equal(skipped.message, 'Not evaluated: no archive to verify.');
    const eio = new EvaluationError('not-found', `reading ${FILE_NAME} failed after 65536 bytes (EIO)`, 'check the disk and the file; run verify again');
    const failedRead = () => Promise.reject(eio);
    const error = await runCheck(archiveIntegrity, { archive: failedRead });
    assert.equal(error.status, 'error');
    assert.equal(error.message, `Not evaluated: reading ${FILE_NAME} failed after 65536 bytes (EIO).`);
  });
});
