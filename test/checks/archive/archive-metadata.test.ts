import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { archiveMetadata } from '../../../src/checks/archive/archive-metadata.js';
import { EvaluationError } from '../../../src/errors.js';
import { FILE_NAME, defaultEntries, defaultMetadata, fakeSha256, verification } from '../../helpers/archive-verification.js';
import { runCheck } from '../../helpers/run-check.js';

const TOP = FILE_NAME.slice(0, -'.tar.gz'.length);
const MEMBERS = defaultMetadata().members!;
/** The default metadata.json's member list with one member's claim changed. */
const claiming = (path: string, claim: Partial<{ sha256: string; size: number }>) => ({ ...MEMBERS, [path]: { ...MEMBERS[path]!, ...claim } });
/** An archive whose name says `hhmmss` (a local time) while its metadata.json says 03:00 UTC. */
const DISAGREES = `${FILE_NAME}: metadata.json disagrees with the archive:`;
const localName = (hhmmss: string) => verification({ fileName: `medicapp_production_20261121_${hhmmss}.tar.gz`, meta: { timestamp: '2026-11-21T03:00:00Z' } });

describe('archive-metadata', () => {
  it('passes when environment, timestamp and every listed member agree with the archive', async () => {
    const result = await runCheck(archiveMetadata);
    assert.equal(result.status, 'pass', result.message);
    const agreement = 'environment production and timestamp 2026-11-21T03:00:00Z agree with the file name';
    assert.equal(result.message, `${FILE_NAME}: metadata.json is valid; ${agreement}, and the sizes and SHA-256 of its 4 listed members match.`);
    assert.deepEqual(result.evidence, {
      archive: FILE_NAME,
      environment: 'production',
      timestamp: '2026-11-21T03:00:00Z',
      fileEnvironment: 'production',
      fileTimestamp: '2026-11-21T03:00:00.000Z',
      gitCommit: '4f2c9a1e7b3d',
      hostname: 'backup-01',
      membersChecked: 4,
    });
  });

  it('passes without a member list, saying nothing of members', async () => {
    const result = await runCheck(archiveMetadata, { archive: verification({ meta: { members: undefined, git_commit: undefined, hostname: undefined } }) });
    assert.equal(result.status, 'pass', result.message);
    assert.match(result.message, /agree with the file name\.$/);
    assert.equal(result.evidence.membersChecked, 0);
    assert.equal('gitCommit' in result.evidence, false);
  });

  it('fails without metadata.json, naming where it was expected', async () => {
    const result = await runCheck(archiveMetadata, { archive: verification({ metadata: { present: false } }) });
    assert.equal(result.status, 'fail');
    assert.equal(result.message, `${FILE_NAME} has no ${TOP}/metadata.json; expected one with environment and timestamp.`);
    assert.deepEqual(result.evidence, { archive: FILE_NAME });
  });

  it('fails for an invalid metadata.json with the parser’s reason', async () => {
    const problem = 'metadata.json is invalid: timestamp: must be an ISO 8601 UTC timestamp such as 2026-11-21T03:00:00Z';
    const result = await runCheck(archiveMetadata, { archive: verification({ metadata: { present: true, problem } }) });
    assert.equal(result.status, 'fail');
    assert.equal(result.message, `${FILE_NAME}: ${problem}.`);
    assert.equal(result.evidence.problem, problem);
  });

  it('fails when the file name does not follow the convention, so nothing can be compared', async () => {
    const result = await runCheck(archiveMetadata, { archive: verification({ fileName: 'nightly.tar.gz' }) });
    assert.equal(result.status, 'fail');
    assert.match(result.message, /^nightly\.tar\.gz: metadata\.json disagrees with the archive: the file name does not follow /);
    assert.match(result.message, / <name>_<environment>_<YYYYMMDD>_<HHMMSS>\.tar\.gz, so environment and timestamp cannot be compared\.$/);
    assert.equal('fileEnvironment' in result.evidence, false);
  });

  it('fails when the environment differs from the file name’s, naming both', async () => {
    const result = await runCheck(archiveMetadata, { archive: verification({ meta: { environment: 'staging' } }) });
    assert.equal(result.status, 'fail');
    assert.equal(result.message, `${DISAGREES} its environment is "staging" but the file name says "production".`);
    assert.equal(result.evidence.environment, 'staging');
    assert.equal(result.evidence.fileEnvironment, 'production');
  });

  it('fails when the timestamp is beyond the tolerance from the name’s and no time zone explains it', async () => {
    const result = await runCheck(archiveMetadata, { archive: verification({ meta: { timestamp: '2026-11-20T23:17:00Z' } }) });
    assert.equal(result.status, 'fail');
    const gap = "its timestamp 2026-11-20T23:17:00Z is 223 minutes from the file name's 2026-11-21T03:00:00.000Z (tolerance 60)";
    assert.equal(result.message, `${DISAGREES} ${gap}.`);
  });

  it('follows archives.metadataToleranceMinutes: within passes, just beyond fails', async () => {
    const config = { archives: { metadataToleranceMinutes: 20 } };
    const within = await runCheck(archiveMetadata, { archive: verification({ meta: { timestamp: '2026-11-21T02:40:00Z' } }), config });
    assert.equal(within.status, 'pass', within.message);
    const beyond = await runCheck(archiveMetadata, { archive: verification({ meta: { timestamp: '2026-11-21T02:39:00Z' } }), config });
    assert.equal(beyond.status, 'fail');
    assert.match(beyond.message, /its timestamp 2026-11-21T02:39:00Z is 21 minutes from the file name's 2026-11-21T03:00:00\.000Z \(tolerance 20\)/);
    const defaultTolerance = await runCheck(archiveMetadata, { archive: verification({ meta: { timestamp: '2026-11-21T02:39:00Z' } }) });
    assert.equal(defaultTolerance.status, 'pass', defaultTolerance.message);
  });

  it('warns when the name is local time that metadata.json’s UTC timestamp explains', async () => {
    const winter = await runCheck(archiveMetadata, { archive: localName('040000') });
    assert.equal(winter.status, 'warn', winter.message);
    assert.match(winter.message, /: metadata\.json is valid, but the file name looks like local time \(UTC\+1\), not UTC as the archive format asks/);
    assert.match(winter.message, /its timestamp 2026-11-21T03:00:00Z agrees with the file name read as UTC\+1, /);
    assert.match(winter.message, /, and the sizes and SHA-256 of its 4 listed members match\. /);
    assert.match(winter.message, /Stamp the name with `date -u \+%Y%m%d_%H%M%S`\.$/);
    assert.equal(winter.evidence.nameLooksLikeLocalTime, true);
    assert.equal(winter.evidence.nameOffsetMinutes, 60);
    // Two hours apart is beyond the tolerance, but a zone (Paris in summer) explains it.
    const summer = await runCheck(archiveMetadata, { archive: localName('050000') });
    assert.equal(summer.status, 'warn', summer.message);
    assert.equal(summer.evidence.nameOffsetMinutes, 120);
  });

  it('refuses the local-time explanation when metadata.json’s timestamp is in the future beyond limits.clockSkewSeconds', async () => {
    const future = await runCheck(archiveMetadata, { archive: localName('050000'), now: new Date('2026-11-21T02:00:00Z') });
    assert.equal(future.status, 'fail', future.message);
    assert.match(future.message, /its timestamp 2026-11-21T03:00:00Z is 120 minutes from the file name's 2026-11-21T05:00:00\.000Z \(tolerance 60\)/);
    const twoMinutesAhead = new Date('2026-11-21T02:58:00Z');
    const withinSkew = await runCheck(archiveMetadata, { archive: localName('050000'), now: twoMinutesAhead });
    assert.equal(withinSkew.status, 'warn', withinSkew.message);
    const noSkew = await runCheck(archiveMetadata, { archive: localName('050000'), now: twoMinutesAhead, config: { limits: { clockSkewSeconds: 0 } } });
    assert.equal(noSkew.status, 'fail', noSkew.message);
    assert.match(noSkew.message, /is 120 minutes from the file name's/);
  });

  it('fails for a listed member the archive does not hold as a file', async () => {
    const members = { ...MEMBERS, 'mariadb_full.sql.gz': { sha256: fakeSha256('mariadb'), size: 4096 }, mongodb: { sha256: fakeSha256('dir'), size: 0 } };
    const result = await runCheck(archiveMetadata, { archive: verification({ meta: { members } }) });
    assert.equal(result.status, 'fail');
    const absent = ['mariadb_full.sql.gz', 'mongodb'].map((member) => `it lists ${member}, which the archive does not hold`);
    assert.equal(result.message, `${DISAGREES} ${absent.join('; ')}.`);
    assert.equal(result.evidence.membersChecked, 4);
  });

  it('fails for a member whose size differs, naming both sizes', async () => {
    const result = await runCheck(archiveMetadata, { archive: verification({ meta: { members: claiming('postgres_full.sql.gz', { size: 1_482_112 }) } }) });
    assert.equal(result.status, 'fail');
    assert.equal(result.message, `${DISAGREES} postgres_full.sql.gz is 1482113 bytes, metadata says 1482112.`);
  });

  it('fails for a member whose SHA-256 differs, naming both hashes; the claim’s case does not matter', async () => {
    const claimed = fakeSha256('tampered');
    const result = await runCheck(archiveMetadata, { archive: verification({ meta: { members: claiming('redis_dump.rdb', { sha256: claimed }) } }) });
    assert.equal(result.status, 'fail');
    assert.equal(result.message, `${DISAGREES} redis_dump.rdb has SHA-256 ${fakeSha256('redis_dump.rdb')}, metadata says ${claimed}.`);
    const upper = claiming('redis_dump.rdb', { sha256: fakeSha256('redis_dump.rdb').toUpperCase() });
    const upperCase = await runCheck(archiveMetadata, { archive: verification({ meta: { members: upper } }) });
    assert.equal(upperCase.status, 'pass', upperCase.message);
  });

  it('leaves out a member that could not be read to its end (archive-integrity says why)', async () => {
    const entries = defaultEntries().map((e) => (e.path === 'minio/data.tar.gz' ? { ...e, sha256: undefined, readBytes: undefined, incomplete: true } : e));
    const result = await runCheck(archiveMetadata, { archive: verification({ entries }) });
    assert.equal(result.status, 'pass', result.message);
    assert.match(result.message, /of its 3 listed members match\.$/);
    assert.equal(result.evidence.membersChecked, 3);
  });

  it('names every disagreement at once', async () => {
    const archive = verification({ meta: { environment: 'staging', members: claiming('postgres_full.sql.gz', { size: 1 }) } });
    const result = await runCheck(archiveMetadata, { archive });
    assert.equal(result.status, 'fail');
    const both = ['its environment is "staging" but the file name says "production"', 'postgres_full.sql.gz is 1482113 bytes, metadata says 1'];
    assert.equal(result.message, `${DISAGREES} ${both.join('; ')}.`);
  });

  it('is skipped without an archive, and an error when the archive cannot be read', async () => {
    const skipped = await runCheck(archiveMetadata, { archive: null });
    assert.equal(skipped.status, 'skipped');
    assert.equal(skipped.message, 'Not evaluated: no archive to verify.');
    const absent = new EvaluationError('not-found', `cannot read the archive ${FILE_NAME} (ENOENT)`, 'check the path and the file permissions');
    const unreadable = () => Promise.reject(absent);
    const error = await runCheck(archiveMetadata, { archive: unreadable });
    assert.equal(error.status, 'error');
    assert.equal(error.message, `Not evaluated: cannot read the archive ${FILE_NAME} (ENOENT).`);
    assert.equal(error.hint, 'check the path and the file permissions');
  });
});
