import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LABELS, LABELS_BY_LANGUAGE, labelsFor, SEVERITY_WORDS, STATUS_WORDS } from '../../src/report/labels.js';

// Labels that are the same word in French (product names, technical terms an auditor reads as is).
const SAME_IN_FRENCH = new Set(['ciProvider', 'workflow', 'commit', 'postgresServer', 'archive', 'dateUtc', 'provider']);

test('the French table translates every plain English label (only product names and technical terms stay)', () => {
  const en = LABELS_BY_LANGUAGE.en as Record<string, unknown>;
  const fr = LABELS_BY_LANGUAGE.fr as Record<string, unknown>;
  assert.deepEqual(Object.keys(fr).sort(), Object.keys(en).sort());
  for (const [key, value] of Object.entries(en)) {
    if (SAME_IN_FRENCH.has(key)) continue;
    if (typeof value === 'string') assert.notEqual(fr[key], value, `label ${key} is still English`);
    if (typeof value === 'object' && value) {
      for (const [sub, word] of Object.entries(value)) assert.notEqual((fr[key] as Record<string, string>)[sub], word, `label ${key}.${sub} is still English`);
    }
  }
});

test('the functions agree in French (plural, names filled in)', () => {
  const fr = labelsFor('fr');
  assert.equal(fr.summaryHeading(1), 'Synthèse : 1 contrôle');
  assert.equal(fr.summaryHeading(3), 'Synthèse : 3 contrôles');
  assert.equal(fr.databaseValue('app', 'db.example', 5432, 'auditor'), 'app sur db.example:5432 en tant que auditor');
  assert.equal(labelsFor(undefined), LABELS);
});

test('statuses and severities have French words an auditor expects', () => {
  assert.equal(STATUS_WORDS.fr.pass, 'CONFORME');
  assert.equal(STATUS_WORDS.fr.fail, 'NON CONFORME');
  assert.equal(SEVERITY_WORDS.fr.critical, 'critique');
  assert.deepEqual(Object.keys(STATUS_WORDS.fr), Object.keys(STATUS_WORDS.en));
});

test('the console report in French: French statuses, labels and check messages; the JSON does not change with the language', async () => {
  const { reporters } = await import('../../src/report/index.js');
  const { checkReport } = await import('../helpers/report-fixtures.js');
  const result = checkReport();
  const fr = reporters.console.render(result, { color: false, language: 'fr' });
  const en = reporters.console.render(result, { color: false });
  assert.notEqual(fr, en);
  assert.match(fr, /NON CONFORME|CONFORME/);
  assert.ok(fr.includes('résultat NON CONFORME (sortie 1)'), fr);
  assert.ok(fr.includes('Exigences non satisfaites'), fr);
  assert.doesNotMatch(fr, /\bfix: /);
  assert.doesNotMatch(fr, /\b(PASS|FAIL|SKIP)\b/);
  assert.equal(reporters.json.render(result, { color: false, language: 'fr' }), reporters.json.render(result, { color: false }));
});

test('the Markdown report (and job summary) in French matches its golden file', async () => {
  const { existsSync, readFileSync, writeFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { reporters } = await import('../../src/report/index.js');
  const { checkReport } = await import('../helpers/report-fixtures.js');
  const fr = reporters.markdown.render(checkReport(), { color: false, language: 'fr' });
  const path = join(import.meta.dirname, '../fixtures/golden/check-report.fr.md');
  if (process.env.UPDATE_GOLDEN === '1' || !existsSync(path)) writeFileSync(path, fr);
  assert.equal(fr, readFileSync(path, 'utf8'));
  assert.match(fr, /Liste de contrôle mensuelle/);
  assert.match(fr, /NON CONFORME, critique|NON CONFORME, élevée/);
  assert.doesNotMatch(fr, /Monthly checklist|Remediation:|Evidence:|\(FAIL,|\(PASS,/);
});

test('JUnit in French: French labels and remediation, still valid against the JUnit XSD; golden check-report.fr.xml', async () => {
  const { existsSync, readFileSync, writeFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { reporters } = await import('../../src/report/index.js');
  const { checkReport } = await import('../helpers/report-fixtures.js');
  const { xmllintText } = await import('../helpers/xmllint.js');
  const xml = reporters.junit.render(checkReport(), { color: false, language: 'fr' });
  assert.match(xml, /Remédiation: /);
  assert.match(xml, /CONFORME db-connectivity/);
  assert.doesNotMatch(xml, /Remediation: |PASS db-connectivity/);
  const lint = xmllintText(xml);
  assert.ok(lint.ok, lint.stderr);
  const path = join(import.meta.dirname, '../fixtures/golden/check-report.fr.xml');
  if (process.env.UPDATE_GOLDEN === '1' || !existsSync(path)) writeFileSync(path, xml);
  assert.equal(xml, readFileSync(path, 'utf8'));
});

test('the HTML report (so the PDF) in French: lang="fr", French labels and statuses, no English label left; golden check-report.fr.html', async () => {
  const { existsSync, readFileSync, writeFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { reporters } = await import('../../src/report/index.js');
  const { checkReport, reportHistory } = await import('../helpers/report-fixtures.js');
  const html = reporters.html.render({ ...checkReport(), previousReportSha256: 'a'.repeat(64) }, { color: false, history: reportHistory(), language: 'fr' });
  assert.match(html, /<html lang="fr">/);
  for (const french of ['Vue d’ensemble des contrôles', 'Détails et preuves', 'NON CONFORME', 'Remédiation', 'Tendances'])
    assert.ok(html.includes(french), french);
  // Every plain English label of the reporters' table is absent (a few words are the same in both languages).
  const same = new Set(['CI', 'Workflow', 'Commit', 'Flexible Server', 'Archive', 'Date (UTC)', 'restorecheck report']);
  for (const [key, label] of Object.entries(LABELS)) {
    if (typeof label !== 'string' || same.has(label) || label.length < 4) continue;
    assert.ok(!html.includes(`>${label}<`) && !html.includes(`>${label}:`), `English label ${key} ("${label}") left in the French HTML`);
  }
  const path = join(import.meta.dirname, '../fixtures/golden/check-report.fr.html');
  if (process.env.UPDATE_GOLDEN === '1' || !existsSync(path)) writeFileSync(path, html);
  assert.equal(html, readFileSync(path, 'utf8'));
});

test('fleet mode counts findings, in French too (plural, resources, shard)', () => {
  const en = labelsFor('en');
  const fr = labelsFor('fr');
  assert.equal(en.findingsOnResources(1, 1), '1 finding on 1 resource');
  assert.equal(en.findingsOnResources(2400, 400), '2400 findings on 400 resources');
  assert.equal(fr.findingsOnResources(1, 1), '1 constat sur 1 ressource');
  assert.equal(fr.findingsOnResources(2400, 400), '2400 constats sur 400 ressources');
  assert.equal(fr.summaryHeadingFleet(8, 3), 'Synthèse : 8 constats sur 3 ressources');
  assert.equal(fr.resourcesCount(0), '0 ressource');
  assert.equal(fr.shardValue(2, 3), '2 sur 3');
});
