/**
 * report.language / --lang through the built binary: French console, the flag overrides the config.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type PostgresCluster, startCluster } from '../../src/simulator/postgres-cluster.js';
import { type CliResult, runCli } from '../helpers/cli.js';

const CANARY = 'Canary-Secret-91d2e';
let cluster: PostgresCluster;
let dir: string;
let env: Record<string, string>;

/** Every output of every run is checked for the canary and for stack traces. */
async function cli(args: string[], extraEnv: Record<string, string> = {}): Promise<CliResult> {
  const result = await runCli(args, { env: { ...env, ...extraEnv }, cwd: dir });
  for (const [name, text] of [
    ['stdout', result.stdout],
    ['stderr', result.stderr],
  ] as const) {
    assert.ok(!text.includes(CANARY), `the canary password appeared in ${name}:\n${text}`);
    assert.doesNotMatch(text, /\n\s+at .+:\d+:\d+/, `a stack trace in ${name}:\n${text}`);
  }
  return result;
}

async function config(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

const healthy = `environment: production
database:
  url: \${DATABASE_URL}
  alembic:
    expectedHead: 4b2d9c1e7f00
  coreTables:
    - { name: patients, minRows: 2 }
    - { name: public.documents }
`;

before(async () => {
  cluster = await startCluster();
  dir = await mkdtemp(join(tmpdir(), 'restorecheck-cli-'));
  await cluster.sql(`CREATE ROLE app LOGIN PASSWORD '${CANARY}'`);
  await cluster.sql('CREATE DATABASE clinic OWNER app');
  await cluster.sql(
    `
    CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY); INSERT INTO alembic_version VALUES ('4b2d9c1e7f00');
    CREATE TABLE patients (id int); INSERT INTO patients VALUES (1), (2), (3);
    CREATE TABLE documents (id int, blob_name text); INSERT INTO documents VALUES (1, 'a.pdf');
    GRANT SELECT ON ALL TABLES IN SCHEMA public TO app;`,
    'clinic',
  );
  env = { DATABASE_URL: cluster.url({ user: 'app', password: CANARY, database: 'clinic', params: { sslmode: 'disable' } }) };
});

after(async () => {
  await cluster?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('report.language and --lang', () => {
  it('report.language: fr renders the console report in French; --lang en overrides it', async () => {
    const path = await config('fr.yaml', `${healthy}report:\n  language: fr\n`);
    const fr = await cli(['check', '--config', path]);
    assert.equal(fr.code, 0, fr.stderr);
    assert.match(fr.stdout, /CONFORME\s+db-connectivity/);
    assert.match(fr.stdout, /IGNORÉ\s+signed-document/);
    assert.match(fr.stdout, /résultat CONFORME \(sortie 0\)/);
    const en = await cli(['check', '--config', path, '--lang', 'en']);
    assert.equal(en.code, 0, en.stderr);
    assert.match(en.stdout, /PASS\s+db-connectivity/);
    assert.match(en.stdout, /outcome PASS \(exit 0\)/);
  });

  it('--lang fr on an English config, and a bad --lang is a usage error', async () => {
    const path = await config('en.yaml', healthy);
    const fr = await cli(['check', '--config', path, '--lang', 'fr']);
    assert.equal(fr.code, 0, fr.stderr);
    assert.match(fr.stdout, /CONFORME\s+db-connectivity/);
    const bad = await cli(['check', '--config', path, '--lang', 'de']);
    assert.equal(bad.code, 2);
  });

  it('the HTML report in French (lang="fr", French statuses, titles and messages); the JSON is the same in both languages; report render --lang fr', async () => {
    const path = await config('fr-html.yaml', healthy);
    const out = (name: string) => join(dir, name);
    const fr = await cli(['check', '--config', path, '--format', 'json', '--format', 'html', '--out-dir', out('fr'), '--lang', 'fr']);
    const en = await cli(['check', '--config', path, '--format', 'json', '--format', 'html', '--out-dir', out('en')]);
    assert.equal(fr.code, 0, fr.stderr);
    assert.equal(en.code, 0, en.stderr);
    const file = async (sub: string, ext: string) => {
      const name = (await readdir(out(sub))).find((n) => n.endsWith(`.${ext}`));
      assert.ok(name, `${ext} in ${sub}`);
      return readFile(join(out(sub), name), 'utf8');
    };
    const html = await file('fr', 'html');
    assert.match(html, /<html lang="fr">/);
    for (const french of ['Vue d’ensemble des contrôles', 'Détails et preuves', 'Par exigence', 'CONFORME', 'La base de données']) {
      assert.ok(html.includes(french), `the French HTML says ${french}`);
    }
    for (const english of ['Checks at a glance', 'Details and evidence', 'By requirement', '>PASS<', 'Remediation:', 'Information backup']) {
      assert.ok(!html.includes(english), `no English "${english}" in the French HTML`);
    }
    // The record does not depend on the language: the same keys and checks, the English messages.
    type Json = { checks: Array<{ id: string; status: string; message: string; messageKey?: string; title: string; remediation: string }> };
    const jsonFr = JSON.parse(await file('fr', 'json')) as Json;
    const jsonEn = JSON.parse(await file('en', 'json')) as Json;
    // (messages hold timings, so two runs differ there: their keys, titles and remediation must not)
    const shape = (j: Json) => j.checks.map((c) => [c.id, c.status, c.messageKey, c.title, c.remediation]);
    assert.deepEqual(shape(jsonFr), shape(jsonEn));
    assert.match(jsonFr.checks.find((c) => c.id === 'db-connectivity')?.message ?? '', /^Connected to /, 'the record keeps the English message');
    // A stored English record re-rendered in French: the JSON alone is enough.
    const jsonName = (await readdir(out('en'))).find((n) => n.endsWith('.json'))!;
    const rendered = await cli(['report', 'render', join(out('en'), jsonName), '--format', 'markdown', '--lang', 'fr']);
    assert.equal(rendered.code, 0, rendered.stderr);
    assert.match(rendered.stdout, /CONFORME/);
    assert.doesNotMatch(rendered.stdout, /\(PASS,/);
  });
});
