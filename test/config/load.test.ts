import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfigFile, parseConfigText } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors.js';

const problemsOf = (fn: () => unknown): string[] => {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected ConfigError, got ${String(error)}`);
    return error.problems;
  }
  assert.fail('expected a ConfigError');
};

const minimal = 'environment: production\ndatabase:\n  url: postgres://app:pw@db.example:5432/app?sslmode=verify-full\n';

describe('configuration', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'restorecheck-config-'));
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  it('applies the contract defaults', () => {
    const { config } = parseConfigText(minimal, 'c.yaml', {});
    assert.equal(config.database?.statementTimeoutMs, 15_000);
    assert.equal(config.database?.alembic.table, 'alembic_version');
    assert.deepEqual(config.database?.coreTables, []);
    assert.equal(config.limits.checkTimeoutMs, 120_000);
  });

  it('reads the full contract example, in YAML and in JSON', async () => {
    const yaml = `
environment: production
database:
  url: \${DATABASE_URL}
  statementTimeoutMs: 15000
  alembic:
    table: alembic_version
    expectedHead: 4b2d9c1e7f00
    migrationsDir: backend/alembic/versions
  coreTables:
    - { name: patients, minRows: 1 }
    - { name: public.documents }
  signedDocument:
    query: SELECT blob_name, sha256 FROM documents WHERE signed_at IS NOT NULL ORDER BY signed_at DESC LIMIT 1
azure:
  subscriptionId: 00000000-0000-0000-0000-000000000000
  resourceManagerEndpoint: https://management.azure.com
  postgres: { resourceGroup: medicapp-rg, server: medicappdbprod, minRetentionDays: 30, maxBackupAgeHours: 26, requireGeoRedundantBackup: true }
  storage:
    resourceGroup: medicapp-rg
    account: medicappstorage
    container: documents
    blobEndpoint: https://medicappstorage.blob.core.windows.net
    connectionString: \${AZURE_STORAGE_CONNECTION_STRING}
    minSoftDeleteDays: 7
    requireVersioning: true
report:
  dir: reports
  formats: [console, json, markdown, html, junit]
`;
    const env = {
      DATABASE_URL: 'postgres://app:s3cret-pw@db:5432/app',
      AZURE_STORAGE_CONNECTION_STRING: 'DefaultEndpointsProtocol=https;AccountName=a;AccountKey=S0meAccountKey==;EndpointSuffix=core.windows.net',
    };
    const fromYaml = parseConfigText(yaml, 'c.yaml', env);
    assert.equal(fromYaml.config.database?.coreTables[1]?.minRows, 1, 'minRows defaults to 1');
    const jsonPath = join(dir, 'c.json');
    await writeFile(jsonPath, JSON.stringify(fromYaml.config));
    const fromJson = await loadConfigFile(jsonPath, env);
    assert.deepEqual(fromJson.config, fromYaml.config);
    // Both secrets are known to the redactor.
    const masked = fromYaml.redactor.redact(`url=${env.DATABASE_URL} cs=${env.AZURE_STORAGE_CONNECTION_STRING}`);
    assert.doesNotMatch(masked, /s3cret-pw|S0meAccountKey/);
  });

  it('names a missing file', async () => {
    await assert.rejects(
      loadConfigFile(join(dir, 'nope.yaml')),
      (e: unknown) => e instanceof ConfigError && /nope\.yaml: cannot read the configuration file \(file not found\)/.test(e.problems[0]!),
    );
  });

  it('reports bad YAML with its line', () => {
    const problems = problemsOf(() => parseConfigText('environment: prod\ndatabase:\n  url: [unclosed\n', 'bad.yaml', {}));
    assert.match(problems[0]!, /bad\.yaml: not valid YAML/);
  });

  it('rejects an unknown key, with a suggestion for a typo', () => {
    const problems = problemsOf(() =>
      parseConfigText(
        'environment: prod\nazure:\n  subscriptionId: 00000000-0000-0000-0000-000000000000\n  postgres:\n    resourceGroup: rg\n    server: s\n    minRetentionDay: 30\n',
        'c.yaml',
        {},
      ),
    );
    assert.deepEqual(problems, ['azure.postgres.minRetentionDay: unknown key (did you mean "minRetentionDays"?)']);
  });

  it('reports a wrong type with the key path', () => {
    const problems = problemsOf(() => parseConfigText(`${minimal}  statementTimeoutMs: fast\n`, 'c.yaml', {}));
    assert.deepEqual(problems, ['database.statementTimeoutMs: expected number, got string "fast"']);
  });

  it('names a missing environment variable', () => {
    const problems = problemsOf(() => parseConfigText('environment: prod\ndatabase:\n  url: ${DATABASE_URL}\n', 'c.yaml', {}));
    assert.deepEqual(problems, ['database.url: environment variable DATABASE_URL is not set']);
  });

  it('reports several problems at once', () => {
    const problems = problemsOf(() =>
      parseConfigText(
        'environment: prod\ndatabase:\n  url: ${NOPE}\n  coreTables:\n    - { name: patients, minRows: -1 }\nazure:\n  subscriptionId: not-a-uuid\n  postgres: { server: s }\nreprot: {}\n',
        'c.yaml',
        {},
      ),
    );
    assert.deepEqual(problems.sort(), [
      'azure.postgres.resourceGroup: required',
      'azure.subscriptionId: must be a subscription id (a UUID such as 00000000-0000-0000-0000-000000000000)',
      'database.coreTables.0.minRows: Too small: expected number to be >=0',
      'database.url: environment variable NOPE is not set',
      'reprot: unknown key (did you mean "report"?)',
    ]);
  });

  it('refuses a database URL that is not postgres://', () => {
    const problems = problemsOf(() => parseConfigText('environment: prod\ndatabase:\n  url: mysql://u:p@h/db\n', 'c.yaml', {}));
    assert.deepEqual(problems, ['database.url: must be a postgres://user:password@host:5432/dbname URL']);
  });

  it('database.auth is password unless it says entra; anything else is refused', () => {
    assert.equal(parseConfigText(minimal, 'c.yaml', {}).config.database?.auth, 'password');
    const entra = 'environment: prod\ndatabase:\n  url: ${DATABASE_URL}\n  auth: entra\n';
    const { config } = parseConfigText(entra, 'c.yaml', { DATABASE_URL: 'postgres://restorecheck-ci@db.postgres.database.azure.com/app' });
    assert.equal(config.database?.auth, 'entra');
    const problems = problemsOf(() => parseConfigText(`${minimal}  auth: token\n`, 'c.yaml', {}));
    assert.equal(problems.length, 1);
    assert.match(problems[0]!, /^database\.auth: .*"password".*"entra"/);
  });

  it('refuses a password in the URL, or no user, with database.auth: entra (the token is the password, the user its principal)', () => {
    const entra = 'environment: prod\ndatabase:\n  url: ${DATABASE_URL}\n  auth: entra\n';
    const withPassword = problemsOf(() => parseConfigText(entra, 'c.yaml', { DATABASE_URL: 'postgres://ci:canary-Pw-1@db.example/app' }));
    assert.deepEqual(withPassword, [
      'database.url: with auth: entra the URL carries no password (postgres://<entra-principal>@host:5432/dbname): the token is the password',
    ]);
    const noUser = problemsOf(() => parseConfigText(entra, 'c.yaml', { DATABASE_URL: 'postgres://db.example/app' }));
    assert.deepEqual(noUser, ['database.url: with auth: entra the URL names the Entra principal as its user (postgres://<entra-principal>@host:5432/dbname)']);
    // With password sign-in the same URL is fine (PGUSER, PGPASSWORD).
    assert.equal(parseConfigText('environment: prod\ndatabase:\n  url: postgres://db.example/app\n', 'c.yaml', {}).config.database?.auth, 'password');
  });

  it('keeps $$ as a literal dollar and registers secret-named variables', () => {
    const { config, redactor } = parseConfigText(
      'environment: prod\ndatabase:\n  url: postgres://app:${DB_PASSWORD}@h/db\n  signedDocument:\n    query: SELECT $$x$$\n',
      'c.yaml',
      { DB_PASSWORD: 'p@ss w0rd!' },
    );
    assert.equal(config.database?.signedDocument?.query, 'SELECT $x$');
    assert.equal(redactor.redact('the password is p@ss w0rd!'), 'the password is ***');
  });
});
