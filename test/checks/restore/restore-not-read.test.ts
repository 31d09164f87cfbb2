/**
 * Fleet mode's copies not read on purpose (outcome.notRead, issue 17): the database checks are `skipped` with the reason,
 * in both languages, never a pass nor the "nothing to compare" fail; restore-provision still judges the restore and says
 * why the RPO it was asked for was not measured; a restore that did not complete is still restore-provision's failure.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { restoreTexts } from '../../../src/checks/restore-texts.js';
import { checksFor } from '../../../src/checks/index.js';
import { localizedMessage } from '../../../src/checks/localize.js';
import { parseConfigText } from '../../../src/config/load.js';
import type { RestoreOutcome } from '../../../src/restore/outcome.js';
import type { CheckResult } from '../../../src/run/result.js';
import { runChecks } from '../../../src/run/runner.js';
import { fakeGateways } from '../../helpers/fake-gateways.js';

const { config } = parseConfigText(
  [
    'environment: test',
    'database:',
    '  url: postgres://u:p@db.example:5432/app',
    '  signedDocument: { query: SELECT 1 }',
    'restoreTest:',
    '  rpoMinutes: 60',
    '  freshnessQuery: SELECT max(created_at) FROM appointments',
    '  smoke: [{ name: one, sql: SELECT 1, expect: { returnsRow: true } }]',
    '',
  ].join('\n'),
  'c.yaml',
  {},
);

const passwordUrl = restoreTexts.fleetPasswordUrl({ server: 'db-b', host: 'db-a.postgres.database.azure.com' });

function notReadOutcome(change: Partial<RestoreOutcome> = {}): RestoreOutcome {
  return {
    method: 'azure-point-in-time',
    target: 'rg/db-b-restore-202612010300',
    provision: { ok: true, value: { restoreSeconds: 42, restorePoint: '2026-12-01T03:00:00.000Z', details: {} } },
    source: { label: 'the production database' },
    limits: { rowCountTolerancePercent: 1, rpoMinutes: 60 },
    cleanup: { status: 'deleted', removed: ['Flexible Server rg/db-b-restore-202612010300'], leftover: [] },
    notRead: { database: passwordUrl },
    ...change,
  };
}

async function judge(outcome: RestoreOutcome): Promise<Record<string, CheckResult>> {
  const result = await runChecks({
    command: 'restore-test',
    checks: checksFor('restore-test'),
    config,
    gateways: fakeGateways(),
    inputs: { restore: outcome },
  });
  return Object.fromEntries(result.checks.map((c) => [c.id, c]));
}

describe('a copy not read on purpose (fleet mode)', () => {
  it('skips each database check with the reason, in both languages', async () => {
    const r = await judge(notReadOutcome());
    for (const id of ['restore-alembic-match', 'restore-row-counts-match', 'restore-signed-document', 'restore-smoke']) {
      const c = r[id];
      assert.equal(c?.status, 'skipped', `${id}: ${c?.message}`);
      assert.equal(c.message, passwordUrl.en, id);
      assert.match(localizedMessage(c, 'fr'), /^Non lu : database\.url se connecte avec un mot de passe, qui ne vaut que pour le serveur qu’elle désigne/, id);
    }
    assert.equal(r['restore-cleanup']?.status, 'pass');
  });

  it('restore-provision judges the restore, and says the asked-for RPO was not measured because the copy was not read', async () => {
    const provision = (await judge(notReadOutcome()))['restore-provision'];
    assert.equal(provision?.status, 'warn', provision?.message);
    assert.match(provision.message, /could not be measured: the restored database was not read \(Not read: database\.url signs in with a password/);
    assert.match(localizedMessage(provision, 'fr'), /n’a pas pu être mesuré : la base restaurée n’a pas été lue \(Non lu : database\.url/);
  });

  it('a restore that did not complete is still restore-provision’s failure; the database checks stay skipped', async () => {
    const failed = notReadOutcome({
      provision: { ok: false, failure: { kind: 'restore-failed', message: 'Azure reports the restore as Failed', hint: '' } },
      cleanup: { status: 'deleted', removed: [], leftover: [] },
    });
    const r = await judge(failed);
    assert.equal(r['restore-provision']?.status, 'fail');
    assert.equal(r['restore-row-counts-match']?.status, 'skipped');
  });

  it('skips only the signed-document probe when only the documents are not known', async () => {
    const documents = restoreTexts.fleetSignedDocument({ server: 'db-b' });
    const read = notReadOutcome({
      notRead: { signedDocument: documents },
      source: { label: 'the production database', alembic: { ok: true, value: 'abc' }, counts: { ok: true, value: { patients: 10n } } },
      restored: { alembic: { ok: true, value: 'abc' }, counts: { ok: true, value: { patients: 10n } } },
    });
    const r = await judge(read);
    assert.equal(r['restore-signed-document']?.status, 'skipped');
    assert.match(
      r['restore-signed-document']?.message ?? '',
      /^Not probed: database\.signedDocument and azure\.storage describe the documents of azure\.postgres's server/,
    );
    assert.equal(r['restore-row-counts-match']?.status, 'pass');
    assert.equal(r['restore-alembic-match']?.status, 'pass');
  });
});
