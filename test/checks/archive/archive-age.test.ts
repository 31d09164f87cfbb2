import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { archiveAge } from '../../../src/checks/archive/archive-age.js';
import { EvaluationError } from '../../../src/errors.js';
import { ARCHIVED_AT, FILE_NAME, NOW, verification } from '../../helpers/archive-verification.js';
import { runCheck } from '../../helpers/run-check.js';

const hoursAfter = (hours: number) => new Date(ARCHIVED_AT.getTime() + hours * 3_600_000);
/** Paris winter time: the script stamped the name 04:00 for a 03:00 UTC backup. */
const LOCAL_NAME = 'medicapp_production_20261121_040000.tar.gz';
const localTimeArchive = () => verification({ fileName: LOCAL_NAME, meta: { timestamp: '2026-11-21T03:00:00Z' } });

describe('archive-age', () => {
  it('passes for an archive younger than the default 26 hours, dated by its file name', async () => {
    const result = await runCheck(archiveAge);
    assert.equal(result.status, 'pass', result.message);
    assert.equal(result.message, `${FILE_NAME} is 2 hours old, within 26 hours for production.`);
    assert.equal(result.evidence.source, 'file name');
    assert.equal(result.evidence.timestamp, ARCHIVED_AT.toISOString());
    assert.equal(result.evidence.ageHours, 2);
    assert.equal(result.evidence.maxAgeHours, 26);
    assert.equal(result.evidence.clockSkewSeconds, 300);
    assert.equal(result.evidence.nameLooksLikeLocalTime, undefined);
  });

  it('fails for an archive older than maxAgeHours, naming its age and the limit', async () => {
    const result = await runCheck(archiveAge, { now: hoursAfter(30) });
    assert.equal(result.status, 'fail');
    assert.equal(result.message, `${FILE_NAME} is 30 hours old; expected at most 26 hours for production.`);
    assert.equal(result.evidence.ageHours, 30);
  });

  it('passes at exactly maxAgeHours and fails just past it', async () => {
    const at = await runCheck(archiveAge, { now: hoursAfter(26) });
    assert.equal(at.status, 'pass', at.message);
    assert.equal(at.evidence.ageHours, 26);
    const past = await runCheck(archiveAge, { now: hoursAfter(26.01) });
    assert.equal(past.status, 'fail', past.message);
    assert.match(past.message, /is 26\.01 hours old; expected at most 26 hours/);
  });

  it('takes maxAgeHours from the environment, then from archives.defaults', async () => {
    const own = await runCheck(archiveAge, { now: hoursAfter(30), config: { archives: { environments: { production: { maxAgeHours: 48 } } } } });
    assert.equal(own.status, 'pass', own.message);
    assert.match(own.message, /is 30 hours old, within 48 hours for production\./);
    const staging = verification({ fileName: 'medicapp_staging_20261121_030000.tar.gz' });
    const general = await runCheck(archiveAge, { archive: staging, now: hoursAfter(13), config: { archives: { defaults: { maxAgeHours: 12 } } } });
    assert.equal(general.status, 'fail');
    assert.match(general.message, /is 13 hours old; expected at most 12 hours for staging\./);
    assert.equal(general.evidence.environment, 'staging');
  });

  it('dates an archive whose name has no timestamp by metadata.json, in the configured environment', async () => {
    const archive = verification({ fileName: 'nightly.tar.gz', meta: { timestamp: '2026-11-20T23:00:00Z' } });
    const result = await runCheck(archiveAge, { archive, config: { environment: 'staging' } });
    assert.equal(result.status, 'pass', result.message);
    assert.equal(result.message, 'nightly.tar.gz is 6 hours old, within 26 hours for staging.');
    assert.equal(result.evidence.source, 'metadata.json');
    assert.equal(result.evidence.timestamp, '2026-11-20T23:00:00.000Z');
  });

  it('is an error when neither the name nor a readable metadata.json carries a timestamp', async () => {
    for (const metadata of [{ present: false }, { present: true, problem: 'metadata.json is invalid: timestamp: must be an ISO 8601 UTC timestamp' }]) {
      const result = await runCheck(archiveAge, { archive: verification({ fileName: 'nightly.tar.gz', metadata }) });
      assert.equal(result.status, 'error', result.message);
      assert.equal(result.errorKind, 'invalid-response');
      assert.match(result.message, /^Not evaluated: nightly\.tar\.gz carries no timestamp/);
      assert.match(result.hint ?? '', /<name>_<env>_<YYYYMMDD>_<HHMMSS>\.tar\.gz/);
    }
  });

  it('fails for a timestamp in the future beyond the clock skew, naming each one and how far ahead', async () => {
    const result = await runCheck(archiveAge, { now: hoursAfter(-1) });
    assert.equal(result.status, 'fail');
    assert.ok(result.message.startsWith(`${FILE_NAME} (file name) is dated 2026-11-21T03:00:00.000Z, 1 hours after this machine's clock`), result.message);
    assert.match(result.message, /\(metadata\.json\) is dated 2026-11-21T03:00:00\.000Z, 1 hours after/);
    assert.deepEqual(result.evidence.futureTimestamps, [ARCHIVED_AT.toISOString(), ARCHIVED_AT.toISOString()]);
    assert.equal(result.evidence.ageHours, 0);
  });

  it('fails for a future metadata.json timestamp even when the name is in the past', async () => {
    const archive = verification({ meta: { timestamp: '2026-11-21T07:00:00Z' } });
    const result = await runCheck(archiveAge, { archive });
    assert.equal(result.status, 'fail');
    assert.match(result.message, /\(metadata\.json\) is dated 2026-11-21T07:00:00\.000Z, 2 hours after this machine's clock/);
    assert.doesNotMatch(result.message, /\(file name\) is dated/);
    assert.deepEqual(result.evidence.futureTimestamps, ['2026-11-21T07:00:00.000Z']);
  });

  it('counts a timestamp within limits.clockSkewSeconds ahead as now (age 0), and one just beyond it as future', async () => {
    const within = await runCheck(archiveAge, { now: hoursAfter(-300 / 3600) });
    assert.equal(within.status, 'pass', within.message);
    assert.equal(within.message, `${FILE_NAME} is 0 hours old, within 26 hours for production.`);
    const beyond = await runCheck(archiveAge, { now: hoursAfter(-301 / 3600) });
    assert.equal(beyond.status, 'fail', beyond.message);
    assert.match(beyond.message, /a clock or data anomaly/);
  });

  it('follows limits.clockSkewSeconds from the configuration', async () => {
    const twoMinutesAhead = hoursAfter(-2 / 60);
    const strict = await runCheck(archiveAge, { now: twoMinutesAhead, config: { limits: { clockSkewSeconds: 0 } } });
    assert.equal(strict.status, 'fail', strict.message);
    assert.equal(strict.evidence.clockSkewSeconds, 0);
    assert.match(strict.message, /is dated 2026-11-21T03:00:00\.000Z, 0 hours after this machine's clock/);
    const eightMinutesAhead = hoursAfter(-8 / 60);
    assert.equal((await runCheck(archiveAge, { now: eightMinutesAhead })).status, 'fail');
    const lenient = await runCheck(archiveAge, { now: eightMinutesAhead, config: { limits: { clockSkewSeconds: 600 } } });
    assert.equal(lenient.status, 'pass', lenient.message);
    assert.equal(lenient.evidence.clockSkewSeconds, 600);
  });

  it('dates a local-time name by metadata.json and says so', async () => {
    const result = await runCheck(archiveAge, { archive: localTimeArchive() });
    assert.equal(result.status, 'pass', result.message);
    assert.match(result.message, /_040000\.tar\.gz is 2 hours old, within 26 hours for production; the file name looks like local time \(UTC\+1\)/);
    assert.equal(result.evidence.source, 'metadata.json');
    assert.equal(result.evidence.nameLooksLikeLocalTime, true);
    assert.equal(result.evidence.nameOffsetMinutes, 60);
  });

  it('does not take a local-time name for a future timestamp', async () => {
    // 03:30 UTC: the name (04:00) is ahead of the clock, the UTC moment it stands for (03:00) is not.
    const result = await runCheck(archiveAge, { archive: localTimeArchive(), now: hoursAfter(0.5) });
    assert.equal(result.status, 'pass', result.message);
    assert.equal(result.evidence.ageHours, 0.5);
  });

  it('fails an old local-time archive with the note in the message', async () => {
    const result = await runCheck(archiveAge, { archive: localTimeArchive(), now: hoursAfter(30) });
    assert.equal(result.status, 'fail');
    assert.match(result.message, /is 30 hours old; expected at most 26 hours for production; the file name looks like local time \(UTC\+1\)/);
  });

  it('is skipped without an archive, and an error when the archive cannot be read', async () => {
    const skipped = await runCheck(archiveAge, { archive: null });
    assert.equal(skipped.status, 'skipped');
    assert.equal(skipped.message, 'Not evaluated: no archive to verify.');
    const denied = new EvaluationError('not-found', `cannot read the archive ${FILE_NAME} (EACCES)`, 'check the path and the file permissions');
    const unreadable = () => Promise.reject(denied);
    const error = await runCheck(archiveAge, { archive: unreadable, now: NOW });
    assert.equal(error.status, 'error');
    assert.equal(error.errorKind, 'not-found');
    assert.equal(error.message, `Not evaluated: cannot read the archive ${FILE_NAME} (EACCES).`);
  });
});
