/**
 * database.auth: entra end to end, as a user runs it: the built binary, the simulator's managed-identity endpoint
 * (IDENTITY_ENDPOINT / IDENTITY_HEADER, the unchanged DefaultAzureCredential) and a real throwaway PostgreSQL.
 *
 * How that PostgreSQL accepts a token: the simulator issues one stable token per (identity, resource) for its
 * lifetime (src/simulator/identity-endpoint.ts), and the test makes it the SCRAM password of the principal's role
 * (pg_hba: scram-sha-256 for TCP). PostgreSQL then accepts exactly the token the simulator issued for the ossrdbms
 * audience, as Azure accepts exactly the tokens Entra issued to the principal; a changed role password stands for a
 * principal the server does not know. The token is the canary: it must appear in no output.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { type PostgresCluster, startCluster } from '../../src/simulator/postgres-cluster.js';
import { type RunningSimulator, startSimulator } from '../../src/simulator/resource-manager.js';
import { parseScenario } from '../../src/simulator/scenario.js';
import { openDatabase } from '../../src/db/postgres.js';
import { runCli, startCli } from '../helpers/cli.js';

// A managed identity's role is named after the identity; '@' and such must be percent-encoded in the URL's user part.
const PRINCIPAL = 'restorecheck-ci-identity';

let sim: RunningSimulator;
let cluster: PostgresCluster;
let dir: string;
let token: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'restorecheck-entra-'));
  const started = await Promise.allSettled([startSimulator({ scenario: parseScenario({}) }).then((s) => (sim = s)), startCluster().then((c) => (cluster = c))]);
  const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  token = sim.databaseToken();
  assert.match(token, /^eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+$/, 'shaped like an Entra access token (a JWT)');
  await cluster.sql(`CREATE ROLE "${PRINCIPAL}" LOGIN PASSWORD '${token}'; GRANT CONNECT ON DATABASE postgres TO "${PRINCIPAL}";`);
});

after(async () => {
  await Promise.allSettled([sim?.stop(), cluster?.stop()]);
  if (dir) await rm(dir, { recursive: true, force: true });
});

let runs = 0;
/** `check --only db-connectivity` with database.auth: entra; every output it wrote, reports included. */
async function check(options: { url?: string; env?: NodeJS.ProcessEnv; azure?: boolean } = {}) {
  const n = ++runs;
  const out = join(dir, `out-${n}`);
  const configPath = join(dir, `config-${n}.json`);
  const config: Record<string, unknown> = {
    environment: 'entra',
    database: { url: options.url ?? `postgres://${PRINCIPAL}@127.0.0.1:${cluster.port}/postgres?sslmode=disable`, auth: 'entra', connectTimeoutMs: 5000 },
  };
  // With an azure section the token comes from the run's one credential (the one the Resource Manager calls use).
  if (options.azure) config.azure = { subscriptionId: sim.subscriptionId, resourceManagerEndpoint: sim.endpoint, requestTimeoutMs: 10_000 };
  await writeFile(configPath, JSON.stringify(config));
  const result = await runCli(['check', '--config', configPath, '--only', 'db-connectivity', '--format', 'json', '--format', 'markdown', '--out-dir', out], {
    env: { ...sim.env, ...options.env },
    timeoutMs: 60_000,
  });
  const files = await readdir(out).catch(() => [] as string[]);
  const reports = await Promise.all(files.map((f) => readFile(join(out, f), 'utf8')));
  const json = files.find((f) => f.endsWith('.json') && !f.includes('record'));
  const report = json
    ? (JSON.parse(reports[files.indexOf(json)]!) as { checks: Array<{ id: string; status: string; message: string; hint?: string }> })
    : undefined;
  const everything = [result.stdout, result.stderr, ...reports].join('\n');
  return { ...result, report, everything, connectivity: report?.checks.find((c) => c.id === 'db-connectivity') };
}

function assertNoSecrets(everything: string) {
  assert.ok(!everything.includes(token), 'the token appears in an output');
  assert.ok(!everything.includes(token.split('.')[2]!), 'the token signature appears in an output');
  assert.ok(!everything.includes(sim.identityHeader), 'the identity header appears in an output');
}

describe('the PostgreSQL gateway with a password provider', () => {
  it('asks the provider for every new connection, and uses its answer as the password', async () => {
    let calls = 0;
    const db = openDatabase(`postgres://${PRINCIPAL}@127.0.0.1:${cluster.port}/postgres?sslmode=disable`, {
      statementTimeoutMs: 5000,
      connectTimeoutMs: 5000,
      password: async () => {
        calls++;
        return token;
      },
    });
    try {
      // Three probes at once take three pooled connections: three sign-ins (plus the one asked before the first connection).
      const probes = await Promise.all([db.probe(), db.probe(), db.probe()]);
      assert.equal(probes[0]?.role.name, PRINCIPAL);
      assert.ok(calls >= 3, `${calls} token requests for three connections`);
    } finally {
      await db.close();
    }
  });

  it('names a token the server does not accept as an Entra failure, not a wrong password', async () => {
    const db = openDatabase(`postgres://${PRINCIPAL}@127.0.0.1:${cluster.port}/postgres?sslmode=disable`, {
      statementTimeoutMs: 5000,
      connectTimeoutMs: 5000,
      password: async () => 'eyJhbGciOiJub25lIn0.eyJhdWQiOiJ4In0.wrong',
    });
    try {
      await assert.rejects(db.probe(), (error: Error) => /Microsoft Entra authentication failed/.test(error.message));
    } finally {
      await db.close();
    }
  });
});

describe('start-up', () => {
  // A resolve hook in the child records every @azure/* import: the Azure SDKs cost a third of a second to load.
  async function azureImports(auth: 'password' | 'entra'): Promise<string[]> {
    const hooks = join(dir, 'hooks');
    const log = join(dir, `azure-imports-${auth}.log`);
    await mkdir(hooks, { recursive: true });
    await writeFile(join(hooks, 'register.mjs'), "import { register } from 'node:module';\nregister('./hooks.mjs', import.meta.url);\n");
    await writeFile(
      join(hooks, 'hooks.mjs'),
      // The binary is a bundle: the SDKs are inside its chunks, so every module loaded is logged by its resolved URL.
      "import { appendFileSync } from 'node:fs';\nexport async function resolve(specifier, context, next) {\n" +
        "  const resolved = await next(specifier, context);\n  appendFileSync(process.env.AZURE_IMPORTS_LOG, resolved.url + '\\n');\n  return resolved;\n}\n",
    );
    const configPath = join(dir, `startup-${auth}.json`);
    // Nothing listens on port 9: the run ends in error (exit 2) either way; only what it loaded on the way matters here.
    await writeFile(configPath, JSON.stringify({ environment: 'x', database: { url: `postgres://${PRINCIPAL}@127.0.0.1:9/db?sslmode=disable`, auth } }));
    const result = await startCli(['check', '--config', configPath, '--only', 'db-connectivity', '--format', 'json'], {
      env: { ...sim.env, AZURE_IMPORTS_LOG: log, NODE_OPTIONS: `--import ${join(hooks, 'register.mjs')}` },
    }).result;
    assert.equal(result.code, 2, result.stderr);
    const urls = (await readFile(log, 'utf8').catch(() => '')).split('\n').filter((url) => url.startsWith('file:'));
    // The modules that hold Azure SDK code: a bundle chunk or a node_modules/@azure file (an unbundled build).
    const azure: string[] = [];
    for (const url of new Set(urls)) {
      const path = fileURLToPath(url);
      if (path.includes('/node_modules/@azure/')) azure.push(path);
      else if ((await readFile(path, 'utf8').catch(() => '')).includes('DefaultAzureCredential')) azure.push(path);
    }
    return azure;
  }

  it('a password run loads no Azure SDK; an entra run loads @azure/identity for its token', async () => {
    assert.deepEqual(await azureImports('password'), []);
    assert.ok((await azureImports('entra')).length > 0, 'the probe sees an entra run load the credential');
  });
});

describe('database.auth: entra', () => {
  it('signs in with a token from the managed identity, no password anywhere, and prints neither token nor identity header', async () => {
    const r = await check();
    assert.ok(r.connectivity, `no db-connectivity in the report (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
    assert.equal(r.connectivity.status, 'pass', `${r.connectivity.message}\n${r.stderr}`);
    assert.equal(r.code, 0, r.stderr);
    // The token was asked for the PostgreSQL audience, through the standard managed-identity protocol.
    const asked = sim.requests.filter((q) => q.path === '/msi/token');
    assert.ok(asked.length >= 1, 'the identity endpoint was asked for a token');
    assertNoSecrets(r.everything);
  });

  it('takes the token from the credential of the Azure calls when the configuration has an azure section', async () => {
    const r = await check({ azure: true });
    assert.equal(r.connectivity?.status, 'pass', `${r.connectivity?.message}\n${r.stderr}`);
    assertNoSecrets(r.everything);
  });

  it('names Microsoft Entra, not a wrong password, when PostgreSQL rejects the token (the principal is unknown to the server)', async () => {
    await cluster.sql(`ALTER ROLE "${PRINCIPAL}" PASSWORD 'not-the-token'`);
    try {
      const r = await check();
      assert.equal(r.connectivity?.status, 'error', r.stderr);
      assert.equal(r.code, 2);
      assert.match(r.connectivity.message, /Microsoft Entra authentication failed for user "restorecheck-ci-identity"/);
      assert.doesNotMatch(r.connectivity.message, /password authentication failed/);
      assert.match(r.connectivity.hint ?? '', /pgaadauth_create_principal/);
      assertNoSecrets(r.everything);
    } finally {
      await cluster.sql(`ALTER ROLE "${PRINCIPAL}" PASSWORD '${token}'`);
    }
  });

  it('without any credential says there is no Entra token and how to sign in', async () => {
    // No managed identity, no environment credential, no `az login` (an empty Azure CLI profile).
    const r = await check({ env: { IDENTITY_ENDPOINT: undefined, IDENTITY_HEADER: undefined, AZURE_CONFIG_DIR: join(dir, 'no-az') } });
    assert.equal(r.connectivity?.status, 'error', r.stderr);
    assert.match(r.connectivity.message, /no Microsoft Entra token for Azure Database for PostgreSQL \(database\.auth: entra/);
    assert.match(r.connectivity.hint ?? '', /az login.*managed identity.*OIDC/);
    assertNoSecrets(r.everything);
  });

  it('with an identity endpoint that cannot be reached names it, with the same ways to sign in', async () => {
    // A port nothing listens on: the managed identity of this "runner" is gone.
    const r = await check({ env: { IDENTITY_ENDPOINT: 'http://127.0.0.1:9/msi/token', AZURE_CONFIG_DIR: join(dir, 'no-az') } });
    assert.equal(r.connectivity?.status, 'error', r.stderr);
    assert.match(r.connectivity.message, /no Azure token: the managed-identity endpoint http:\/\/127\.0\.0\.1:9\/msi\/token/);
    assert.match(r.connectivity.hint ?? '', /az login/);
    assertNoSecrets(r.everything);
  });

  it('refuses a password in the URL with auth: entra, before connecting (configuration error)', async () => {
    const r = await check({ url: `postgres://${PRINCIPAL}:canary-Pw-entra@127.0.0.1:${cluster.port}/postgres` });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /database\.url: with auth: entra the URL carries no password/);
    assert.ok(!r.everything.includes('canary-Pw-entra'), 'the refused password is echoed');
    assert.equal(r.report, undefined, 'no report: nothing ran');
  });
});
