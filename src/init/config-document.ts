/**
 * The `restorecheck.yaml` that `init` writes: built as data, thresholds taken from the schema's own
 * defaults (written out, so the policy an auditor reads is in the file), commented, and then read
 * back through the real configuration loader before anyone sees it. A generated file that would
 * not pass `validate-config` is a bug here, and fails here.
 */
import { generateKeyPairSync } from 'node:crypto';
import { parseConfigText } from '../config/load.js';
import { azureSchema, configSchema, discoverSchema } from '../config/schema.js';
import { ConfigError } from '../errors.js';
import { TOOL_VERSION } from '../version.js';
import { CommentedYaml } from './commented-yaml.js';
import type { InitAnswers } from './init-answers.js';

export const CONFIG_FILE = 'restorecheck.yaml';

/** The runner's public IPv4 address, exported by the CI files `init` writes (ci-commands.ts) for restoreTest.clientIp. */
export const CLIENT_IP_VARIABLE = 'RESTORECHECK_CLIENT_IP';

/** Where the CI steps write the reports (--out-dir; ci-commands.ts), and report.dir beside a report store. */
export const REPORTS_DIR = 'reports';

/** The variable report.signingKey reads (`--sign`), and the CI secret the CI files pass into it. */
export const SIGNING_KEY_VARIABLE = 'REPORT_SIGNING_KEY';
export const SIGNING_KEY_SECRET = 'RESTORECHECK_SIGNING_KEY';
/** The key files the next steps tell the user to make; init never writes a key. */
export const SIGNING_KEY_FILE = 'restorecheck-signing.pem';
export const PUBLIC_KEY_FILE = 'restorecheck-signing.pub.pem';

/** `--report-store ACCOUNT/CONTAINER` (validated) as its two names. */
export function reportStoreOf(answers: InitAnswers): { account: string; container: string } | undefined {
  if (!answers.reportStore) return undefined;
  const [account = '', container = ''] = answers.reportStore.split('/');
  return { account, container };
}

/** A stand-in database URL, only for reading the generated text back through the loader. */
const PLACEHOLDER_DATABASE_URL = 'postgres://restorecheck@localhost:5432/postgres';

/** The configuration as data (before `${VAR}` interpolation). */
export function configData(answers: InitAnswers): Record<string, unknown> {
  // The schema fills in its defaults; we copy the thresholds out of it rather than repeat the numbers.
  const azure = azureSchema.parse({
    subscriptionId: answers.subscriptionId,
    postgres: { resourceGroup: answers.resourceGroup, server: answers.server },
    storage: { resourceGroup: answers.storageResourceGroup, account: answers.storageAccount },
  });
  const { postgres, storage } = azure as Required<typeof azure>;
  const discoverDefaults = discoverSchema.parse({ subscriptions: [answers.subscriptionId] });
  const defaults = configSchema.parse({ environment: answers.environment });
  const restoreTest = defaults.restoreTest;
  // The schema's report defaults (report itself is optional, so it is parsed empty).
  const reportDefaults = configSchema.shape.report.unwrap().parse({});
  const store = reportStoreOf(answers);
  const sign = answers.sign === 'yes';
  // report.dir only with a store: the store refills it each run, so restore-test-freshness sees the stored restore tests
  // (without a store a CI job would only ever see its own run, README). --out-dir names the same directory.
  const report = {
    ...(store ? { dir: REPORTS_DIR, store, minRetentionDays: reportDefaults.minRetentionDays } : {}),
    ...(sign ? { signingKey: `\${${SIGNING_KEY_VARIABLE}}` } : {}),
  };
  return {
    environment: answers.environment,
    database: {
      url: `\${${answers.databaseUrlEnv}}`,
      alembic: { table: 'alembic_version' },
      coreTables: [],
    },
    azure: {
      subscriptionId: answers.subscriptionId,
      // Fleet mode (--fleet): the subscription's tagged servers and accounts, with the schema's default tag.
      ...(answers.fleet === 'yes' ? { discover: { subscriptions: [answers.subscriptionId], tag: discoverDefaults.tag } } : {}),
      postgres: {
        resourceGroup: postgres.resourceGroup,
        server: postgres.server,
        minRetentionDays: postgres.minRetentionDays,
        maxBackupAgeHours: postgres.maxBackupAgeHours,
        requireGeoRedundantBackup: postgres.requireGeoRedundantBackup,
      },
      storage: {
        resourceGroup: storage.resourceGroup,
        account: storage.account,
        ...(answers.container ? { container: answers.container } : {}),
        minSoftDeleteDays: storage.minSoftDeleteDays,
        requireVersioning: storage.requireVersioning,
      },
    },
    ...(store || sign ? { report } : {}),
    restoreTest: {
      maxRestoreTestAgeDays: restoreTest.maxRestoreTestAgeDays,
      rowCountTolerancePercent: restoreTest.rowCountTolerancePercent,
    },
  };
}

/** The commented YAML text, already proven to load. Throws (a bug) when it would not. */
export function renderConfig(answers: InitAnswers): string {
  const env = answers.databaseUrlEnv;
  const yaml = new CommentedYaml(configData(answers), [
    `restorecheck configuration for ${answers.environment}, written by \`restorecheck init\` (restorecheck ${TOOL_VERSION}).`,
    'Every key is described in the README, section "Configuration". Unknown keys are errors, so a typo cannot switch a check off.',
    `Check it without contacting anything: ${env}='postgres://…' npx restorecheck validate-config --config ${CONFIG_FILE}`,
    'No secret belongs in this file: secrets come in through ${VARIABLE}, from the environment (CI secrets).',
  ])
    .after(['environment'], 'label shown in every report and used in report file names')
    .above(
      ['database'],
      'The database: connectivity, Alembic revision, core tables, signed document.',
      "Use a role that can only read: CREATE ROLE restorecheck LOGIN PASSWORD '…'; GRANT SELECT ON alembic_version, <core tables> TO restorecheck;",
    )
    .after(['database', 'url'], `postgres://user:password@host:5432/dbname?sslmode=verify-full, from $${env} (a CI secret)`)
    .above(
      ['database', 'alembic'],
      'db-alembic-version warns until it knows the expected head: add one of',
      '  expectedHead: 4b2d9c1e7f00                 # the revision the application expects',
      '  migrationsDir: backend/alembic/versions    # or: computed from the migration scripts (relative to this file)',
    )
    .above(
      ['database', 'coreTables'],
      'The tables whose rows prove the data is there (db-core-row-counts is skipped while this is empty), e.g.',
      '  - { name: patients, minRows: 1 }',
      '  - { name: public.documents }',
      'signed-document is skipped until you add the query that finds the newest signed document:',
      '  signedDocument:',
      '    query: SELECT blob_name, sha256 FROM documents WHERE signed_at IS NOT NULL ORDER BY signed_at DESC LIMIT 1',
    )
    .above(
      ['azure'],
      'Azure, read-only (Resource Manager GET requests). Credentials come from DefaultAzureCredential:',
      'in CI the OIDC login of the workflow (federated credential, no secret); on a laptop `az login`.',
      'The identity needs Reader on both resource groups (README, "Roles the identity needs").',
    )
    .after(['azure', 'postgres', 'minRetentionDays'], 'pgflex-backup-retention, pgflex-restore-window')
    .after(['azure', 'postgres', 'maxBackupAgeHours'], 'pgflex-recent-backup: a daily backup plus slack')
    .after(['azure', 'postgres', 'requireGeoRedundantBackup'], 'pgflex-geo-redundant-backup')
    .after(['azure', 'storage', 'minSoftDeleteDays'], 'blob-soft-delete')
    .after(['azure', 'storage', 'requireVersioning'], 'blob-versioning')
    .above(
      ['restoreTest'],
      'restore-test: a point-in-time restore to a NEW server, compared with the source, then deleted.',
      ...(answers.reportStore
        ? ['restore-test-freshness (in `check`) looks for a successful restore test in report.dir, which the report store fills.']
        : [
            'restore-test-freshness (in `check`) looks for a successful restore test in report.dir. report.dir is',
            'left out on purpose: a CI job starts from a fresh checkout, so it would only ever see its own run;',
            'the scheduled workflow runs restore-test itself every month. Set report.dir where reports persist.',
          ]),
    )
    // clientIp stays a comment: a missing ${VAR} is a configuration error (src/config/load.ts), so an active
    // `clientIp: ${RESTORECHECK_CLIENT_IP}` would stop every command wherever the variable is unset: on a laptop, in a
    // CI run whose address detection failed, and for a private-access source, which needs no firewall rule at all.
    .above(
      ['restoreTest', 'maxRestoreTestAgeDays'],
      'A public-access source (publicNetworkAccess: Enabled): uncomment clientIp, and the restore copy gets a firewall rule',
      `for this job's address (README, "Networking"). The CI files init writes export ${CLIENT_IP_VARIABLE}, the runner's`,
      'public IPv4 address; once the line is active, every command (validate-config and check too) needs it set.',
      `clientIp: \${${CLIENT_IP_VARIABLE}}`,
    )
    .after(['restoreTest', 'maxRestoreTestAgeDays'], 'restore-test-freshness: a monthly test plus slack')
    .after(['restoreTest', 'rowCountTolerancePercent'], 'allowed difference of core-table counts, source vs restore');
  const store = reportStoreOf(answers);
  if (store) {
    const { account, container } = store;
    const rg = answers.storageResourceGroup;
    yaml
      .above(
        ['report'],
        'The record (README, "The report store"). Each run reads what the store holds into report.dir (the runner\'s scratch',
        'copy), chains its report to the newest stored one, then uploads its audit line, JSON record and rendered files;',
        "nothing is ever overwritten or deleted. The CI artifact is only a copy for the run's page: the store is the record.",
        'The CI identity needs Storage Blob Data Contributor on the container, and Reader on its resource group',
        '(README, "Roles the identity needs").',
      )
      .after(['report', 'dir'], 'the --out-dir of the CI steps; restore-test-freshness reads the stored restore tests here')
      .above(
        ['report', 'store', 'account'],
        `resourceGroup: the store account's resource group, for report-store-immutability; default azure.storage.resourceGroup (${rg}).`,
        ...(account === answers.storageAccount ? [] : [`resourceGroup: ${rg}   # uncomment and correct if ${account} is in another resource group`]),
      )
      .above(
        ['report', 'minRetentionDays'],
        'report-store-immutability checks that the container has a locked time-based retention policy of at least this. Once',
        '(locking cannot be undone, which is the point; the etag is in the output of the create):',
        `  az storage container immutability-policy create -g ${rg} --account-name ${account} -c ${container} --period 365`,
        `  az storage container immutability-policy lock -g ${rg} --account-name ${account} -c ${container} --if-match "<etag>"`,
      );
  }
  if (answers.sign === 'yes') {
    yaml.after(
      ['report', 'signingKey'],
      `Ed25519 private key (PKCS#8 PEM) from the CI secret ${SIGNING_KEY_SECRET}; auditor: restorecheck report verify DIR --public-key ${PUBLIC_KEY_FILE}`,
    );
    if (!store) yaml.above(['report'], 'Each JSON report and audit line is signed (README, "History and tamper evidence").');
  }
  if (answers.fleet === 'yes') {
    yaml
      .above(
        ['azure', 'discover'],
        'Fleet mode (restorecheck init --fleet): every Flexible Server and storage account of these subscriptions that carries',
        'the tag below is found through Azure Resource Graph and checked as if it were configured alone; each finding names its',
        'resource. The server and account under postgres and storage are in scope too, tagged or not, and their thresholds',
        "are the fleet's defaults. The CI files run the check in shards (--shard K/N, one CI job each) and merge their reports",
        '(restorecheck report merge). The identity needs Reader on each subscription: Resource Graph only answers with what it can read.',
        'Per-resource thresholds, applied in order (a later match wins key by key), e.g.:',
        '  overrides:',
        '    - { name: "*-dev-*", postgres: { minRetentionDays: 7, requireGeoRedundantBackup: false } }',
        '    - { tag: { tier: archive }, storage: { minSoftDeleteDays: 30 } }',
      )
      .above(['azure', 'discover', 'subscriptions'], 'The subscriptions searched, or `all`: every one the identity can read.')
      .above(
        ['azure', 'discover', 'tag'],
        'A resource is in scope when it carries every tag here (values compared without regard to case); {} takes them all.',
        'Tag one in: az tag update --resource-id <resource id> --operation merge --tags restorecheck=on',
      );
    // Quoted: a YAML 1.1 reader (and a person) takes a bare `on` for a boolean.
    for (const key of Object.keys(discoverSchema.parse({ subscriptions: [answers.subscriptionId] }).tag)) yaml.quoted(['azure', 'discover', 'tag', key]);
  }
  if (answers.container) yaml.after(['azure', 'storage', 'container'], 'where signed documents live (signed-document probes the blob)');
  else yaml.above(['azure', 'storage', 'minSoftDeleteDays'], 'container: documents   # where signed documents live; lets signed-document probe the blob');

  const text = yaml.toString() + (answers.backupBeforeDeploy === 'yes' ? `\n${SELF_HOSTED_SKELETON.map((line) => `# ${line}`.trimEnd()).join('\n')}\n` : '');
  assertLoads(text, env);
  return text;
}

/**
 * The selfHosted section `init --backup-before-deploy` sketches (commented out: init cannot know the stack, and an
 * uncommented ${PGPASSWORD} would make every monthly run need that secret too). Uncommented as it is, it validates
 * (test/init/init-backup-workflow.test.ts).
 */
export const SELF_HOSTED_SKELETON = [
  'selfHosted: what `restorecheck backup` dumps before a deployment (.github/workflows/restorecheck-backup.yml). Uncomment',
  'and fill in; a source left out is not backed up (metadata.json says so). README, "restorecheck backup".',
  'selfHosted:',
  '  name: medicapp                     # the <name> of <name>_<env>_<YYYYMMDD>_<HHMMSS>.tar.gz',
  '  backupDir: /var/backups/medicapp',
  '  gitDir: .                          # the deployed checkout: git_commit in metadata.json',
  '  signingKey: ${BACKUP_SIGNING_KEY}  # Ed25519 PEM: <file>.sig (openssl genpkey -algorithm ed25519)',
  '  sources:',
  '    postgres:',
  '      url: postgres://backup:${PGPASSWORD}@localhost:5432/medicapp',
  '      exec: [docker, compose, exec, -T, -e, PGPASSWORD, postgres]',
  '      coreTables: [patients]',
  '    # mariadb: { url: "mariadb://backup:${MARIADB_PASSWORD}@localhost:3306", exec: [docker, compose, exec, -T, -e, MYSQL_PWD, mariadb] }',
  '    # redis: { url: "redis://:${REDIS_PASSWORD}@localhost:6379", exec: [docker, compose, exec, -T, -e, REDISCLI_AUTH, redis] }',
  '    # mongodb: { url: "mongodb://backup:${MONGO_PASSWORD}@localhost:27017", exec: [docker, compose, exec, -T, mongodb] }',
  '    # minio: { dataDir: /var/lib/docker/volumes/medicapp_minio-data/_data }',
];

function assertLoads(text: string, databaseUrlEnv: string): void {
  try {
    // The loader reads the signing key too: a throwaway key stands in for the secret (kept in memory, never written).
    const standInKey = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    parseConfigText(text, CONFIG_FILE, { [databaseUrlEnv]: PLACEHOLDER_DATABASE_URL, [SIGNING_KEY_VARIABLE]: standInKey });
  } catch (error) {
    const problems = error instanceof ConfigError ? error.problems.join('; ') : String(error);
    throw new Error(`init generated a configuration that does not load (a bug in restorecheck): ${problems}`);
  }
}
