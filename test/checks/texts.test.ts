/**
 * The checks' texts in both languages (issue 13): every check has its French, every message key renders in both
 * languages, the remediation's commands and placeholders are the same in both, the runner fills the run's names in,
 * and a reporter gets French back from a result alone (localize.ts), English for what it does not know.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checks } from '../../src/checks/index.js';
import { localizedCheckText, localizedControlTitle, localizedMessage, localizedRemediation } from '../../src/checks/localize.js';
import { catalogEntry, catalogKeys } from '../../src/checks/messages.js';
import { CONTROLS, CONTROL_TITLES_FR } from '../../src/checks/types.js';
import { reportSchema } from '../../src/report/report-schema.js';
import { HEALTHY_BLOB, HEALTHY_SERVER, run } from '../helpers/azure-world.js';
import { runCheck } from '../helpers/run-check.js';
import { verification } from '../helpers/archive-verification.js';

const spans = (text: string) => [...text.matchAll(/`[^`]+`/g)].map((m) => m[0]);
const placeholders = (text: string) => [...new Set([...text.matchAll(/<([a-z][a-z0-9-]*)>/g)].map((m) => m[1]))].sort();

describe('check texts in English and French', () => {
  it('every check has its French title, description, risk and remediation', () => {
    for (const check of checks) {
      for (const key of ['title', 'description', 'risk', 'remediation'] as const) {
        assert.ok(check.fr[key].length > 10, `${check.id}.fr.${key}`);
        assert.notEqual(check.fr[key], check[key], `${check.id}.fr.${key} is translated`);
      }
      assert.deepEqual(localizedCheckText(check.id, 'fr'), check.fr);
    }
  });

  it('the French remediation has the same commands and placeholders as the English', () => {
    for (const check of checks) {
      assert.deepEqual(spans(check.fr.remediation), spans(check.remediation), `${check.id}: commands`);
      assert.deepEqual(placeholders(check.fr.remediation), placeholders(check.remediation), `${check.id}: placeholders`);
    }
  });

  it('no remediation keeps the old RG/SERVER/DAYS placeholders', () => {
    for (const check of checks) assert.doesNotMatch(check.remediation, /\b(RG|SERVER|DAYS|ACCOUNT|NEW|ISO|REPORT_DIR)\b/, check.id);
  });

  it('every message key renders in both languages (every check registers its messages)', () => {
    const keys = catalogKeys();
    assert.ok(keys.length > 80, `${keys.length} keys`);
    for (const key of keys) {
      const entry = catalogEntry(key);
      assert.equal(typeof entry?.en, 'function', `${key}.en`);
      assert.equal(typeof entry?.fr, 'function', `${key}.fr`);
    }
    const namespaces = new Set(keys.map((k) => k.split('/')[0]));
    for (const check of checks) assert.ok(namespaces.has(check.id), `${check.id} has catalog messages`);
  });

  it('cites requirements with titles, in both languages, and HDS only by a verified number', () => {
    for (const control of Object.values(CONTROLS)) {
      assert.ok(control.title.length > 3);
      assert.ok(CONTROL_TITLES_FR[`${control.framework} ${control.control}`], `${control.control} in French`);
    }
    assert.equal(localizedControlTitle(CONTROLS.hdsLocation, 'fr'), 'Hébergement des données de santé dans l’EEE');
    const hds = checks.flatMap((c) => c.controls.filter((r) => r.framework.startsWith('HDS')).map((r) => `${c.id} ${r.control}`));
    assert.deepEqual(hds.sort(), ['pgflex-data-residency EXI 28', 'storage-data-residency EXI 28']);
  });
});

describe('localized findings', () => {
  it('renders a real Azure finding in French, and keeps the English message as it was', async () => {
    const r = await run('pgflex-backup-retention', { server: { ...HEALTHY_SERVER, backupRetentionDays: 7 } });
    assert.equal(r.status, 'fail');
    assert.equal(r.message, 'Flexible Server db keeps backups 7 days; expected at least 30.');
    assert.equal(r.messageKey, 'pgflex-backup-retention/tooShort');
    assert.deepEqual(r.messageParams, { server: 'db', days: 7, min: 30 });
    assert.equal(localizedMessage(r, 'fr'), 'Le Flexible Server db conserve ses sauvegardes 7 jours ; au moins 30 attendus.');
    assert.equal(localizedMessage(r, 'en'), r.message);
    // The remediation carries the run's names, in both languages.
    assert.equal(
      r.remediation,
      'Raise the retention: `az postgres flexible-server update -g rg -n db --backup-retention 30` (7 to 35 days; longer needs long-term retention).',
    );
    assert.match(localizedRemediation(r, 'fr'), /^Allonger la rétention : `az postgres flexible-server update -g rg -n db --backup-retention 30`/);
    // The fields are part of the report's schema.
    assert.ok(reportSchema.shape.checks.element.safeParse(r).success);
  });

  it('renders a storage finding with its account name and soft-delete days', async () => {
    const r = await run('blob-soft-delete', { blob: { ...HEALTHY_BLOB, deleteRetentionPolicy: { enabled: false } } });
    assert.equal(r.status, 'fail');
    assert.match(
      localizedMessage(r, 'fr'),
      /^La suppression réversible \(soft delete\) des blobs est désactivée sur le compte de stockage acct ; activée pour au moins 7 jours attendue\.$/,
    );
    assert.match(r.remediation, /`az storage account blob-service-properties update -g rg -n acct --enable-delete-retention true --delete-retention-days 7`/);
  });

  it('renders an archive finding in French (through the runner and an archive verification)', async () => {
    const v = verification();
    const r = await runCheck(checks.find((c) => c.id === 'archive-checksum')!, { archive: { ...v, sidecar: { ...v.sidecar, state: 'missing' } } });
    assert.equal(r.status, 'fail');
    assert.match(localizedMessage(r, 'fr'), /n’a pas de fichier d’empreinte .*\.sha256 ; un fichier au format sha256sum est attendu\.$/);
    const age = await runCheck(checks.find((c) => c.id === 'archive-age')!);
    assert.match(localizedMessage(age, 'fr'), /date de 2 heures, dans la limite de 26 heures pour production\.$/);
  });

  it('renders the runner’s skip reasons in French, a check’s own reason included', async () => {
    const r = await runCheck(checks.find((c) => c.id === 'archive-age')!, { archive: null });
    assert.equal(r.status, 'skipped');
    assert.equal(r.message, 'Not evaluated: no archive to verify.');
    assert.equal(localizedMessage(r, 'fr'), 'Non évalué : aucune archive à vérifier.');
    const own = await run('blob-versioning', {}, (c) => Object.assign(c.azure.storage, { requireVersioning: false }));
    assert.equal(own.message, 'Not evaluated: azure.storage.requireVersioning is false.');
    assert.equal(localizedMessage(own, 'fr'), 'Non évalué : azure.storage.requireVersioning vaut false.');
  });

  it('falls back to the stored English for a key or a check this version does not know (an old report)', () => {
    const old = { id: 'gone-check', message: 'Something old.', remediation: 'Do the old thing.' };
    assert.equal(localizedMessage(old, 'fr'), 'Something old.');
    assert.equal(localizedMessage({ ...old, messageKey: 'gone-check/x', messageParams: {} }, 'fr'), 'Something old.');
    assert.equal(localizedRemediation(old, 'fr'), 'Do the old thing.');
    assert.equal(localizedCheckText('gone-check', 'fr'), undefined);
    // A known key with parameters of another shape still renders something, never throws.
    assert.equal(typeof localizedMessage({ ...old, messageKey: 'pgflex-recent-backup/stopped', messageParams: {} }, 'fr'), 'string');
  });
});
