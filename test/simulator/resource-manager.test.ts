/**
 * The Resource Manager simulator's contract: HTTPS with its own CA, tokens from its managed-identity
 * endpoint required on every call, the official paths and body shapes, nextLink paging with its own
 * URLs, ARM error bodies, fault injection, and long-running restore/delete driven by the real SDK
 * pollers (in a child process that trusts the CA), with the hook the restore tests plug into.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { request } from 'node:https';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ArmOperationError } from '../../src/simulator/long-running-operations.js';
import { type RunningSimulator, type SimulatorHooks, startSimulator } from '../../src/simulator/resource-manager.js';
import { loadScenarioFile } from '../../src/simulator/scenario.js';
import { BIN } from '../helpers/cli.js';

const ROOT = join(import.meta.dirname, '../..');
const SERVER =
  '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/medicapp-rg/providers/Microsoft.DBforPostgreSQL/flexibleServers/medicappdbprod';
const ACCOUNT = '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/medicapp-rg/providers/Microsoft.Storage/storageAccounts/medicappstorage';

let sim: RunningSimulator;
let ca: string;
const hookCalls: string[] = [];
const hooks: SimulatorHooks = {
  async pointInTimeRestore({ source, target, pointInTime }) {
    hookCalls.push(`restore ${source.name} → ${target.name} at ${pointInTime.toISOString()}`);
    await new Promise((resolve) => setTimeout(resolve, 300));
    if (target.name === 'will-fail') throw new ArmOperationError('RestoreFailed', 'the copy could not be made');
    return { fullyQualifiedDomainName: '127.0.0.1' };
  },
  async deleteServer(server) {
    hookCalls.push(`delete ${server.name}`);
  },
};

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json: () => unknown;
}

/** A value inside parsed JSON by dotted path (`error.code`), for assertions. */
function dig(value: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((v, k) => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), value);
}

function call(method: string, url: string, options: { token?: string; headers?: Record<string, string>; body?: unknown } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const target = new URL(url, sim.endpoint);
    const req = request(
      target,
      {
        method,
        ca,
        headers: { ...(options.token ? { authorization: `Bearer ${options.token}` } : {}), 'content-type': 'application/json', ...options.headers },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: () => JSON.parse(body) }));
      },
    );
    req.on('error', reject);
    req.end(options.body === undefined ? undefined : JSON.stringify(options.body));
  });
}

async function token(resource = sim.endpoint): Promise<string> {
  const answer = await call('GET', `/msi/token?api-version=2019-08-01&resource=${encodeURIComponent(resource)}`, {
    headers: { 'x-identity-header': sim.identityHeader },
  });
  assert.equal(answer.status, 200, answer.body);
  return dig(answer.json(), 'access_token') as string;
}

before(async () => {
  sim = await startSimulator({ scenario: await loadScenarioFile(join(ROOT, 'examples/scenarios/healthy.yaml')), hooks });
  ca = await readFile(sim.caFile, 'utf8');
});
after(async () => {
  await sim?.stop();
});

describe('Resource Manager simulator', () => {
  it('issues managed-identity tokens only with the identity header', async () => {
    assert.equal((await call('GET', '/msi/token?api-version=2019-08-01&resource=x')).status, 401);
    assert.equal((await call('GET', '/msi/token?api-version=2019-08-01&resource=x', { headers: { 'x-identity-header': 'wrong' } })).status, 401);
    const answer = await call('GET', `/msi/token?api-version=2019-08-01&resource=${encodeURIComponent(sim.endpoint)}`, {
      headers: { 'x-identity-header': sim.identityHeader },
    });
    const body = answer.json();
    assert.equal(dig(body, 'token_type'), 'Bearer');
    assert.ok(Number(dig(body, 'expires_on')) > Date.now() / 1000);
    assert.equal(String(dig(body, 'access_token')).split('.').length, 3);
  });

  it('answers 401 with the ARM error body without a valid token', async () => {
    for (const t of [undefined, 'forged', await token('https://storage.azure.com')]) {
      const answer = await call('GET', `${SERVER}?api-version=2025-08-01`, { token: t });
      assert.equal(answer.status, 401);
      assert.match(String(dig(answer.json(), 'error.code')), /AuthenticationFailed|InvalidAuthenticationToken/);
      assert.ok(answer.headers['x-ms-request-id']);
    }
  });

  it('serves the server in the shape of the official example', async () => {
    const answer = await call('GET', `${SERVER}?api-version=2025-08-01`, { token: await token() });
    assert.equal(answer.status, 200);
    const body = answer.json();
    assert.equal(dig(body, 'id'), SERVER);
    assert.equal(dig(body, 'type'), 'Microsoft.DBforPostgreSQL/flexibleServers');
    assert.equal(dig(body, 'properties.state'), 'Ready');
    assert.equal(dig(body, 'properties.backup.backupRetentionDays'), 35);
    assert.match(String(dig(body, 'properties.backup.earliestRestoreDate')), /^\d{4}-\d\d-\d\dT.*Z$/);
  });

  it('checks the api-version, the subscription and the resource', async () => {
    const t = await token();
    assert.equal(dig((await call('GET', SERVER, { token: t })).json(), 'error.code'), 'MissingApiVersionParameter');
    assert.equal(dig((await call('GET', `${SERVER}?api-version=1999-01-01`, { token: t })).json(), 'error.code'), 'InvalidApiVersionParameter');
    assert.equal((await call('GET', `${SERVER.replace(/0{8}-/, '11111111-')}?api-version=2025-08-01`, { token: t })).status, 404);
    const missing = await call('GET', `${SERVER}x?api-version=2025-08-01`, { token: t });
    assert.equal(missing.status, 404);
    assert.equal(dig(missing.json(), 'error.code'), 'ResourceNotFound');
  });

  it('pages the backups with nextLinks on its own endpoint', async () => {
    const t = await token();
    let url: string | undefined = `${SERVER}/backups?api-version=2025-08-01`;
    const names: string[] = [];
    let pages = 0;
    while (url) {
      const body = (await call('GET', url, { token: t })).json() as { value: Array<{ name: string }>; nextLink?: string };
      pages++;
      names.push(...body.value.map((b) => b.name));
      if (body.nextLink) assert.ok(body.nextLink.startsWith(`${sim.endpoint}/`), body.nextLink);
      url = body.nextLink;
    }
    assert.equal(pages, 4);
    assert.equal(new Set(names).size, 35);
  });

  it('serves storage account and blob service properties', async () => {
    const t = await token();
    const account = (await call('GET', `${ACCOUNT}?api-version=2025-08-01`, { token: t })).json();
    assert.equal(dig(account, 'properties.primaryLocation'), 'francecentral');
    assert.equal(dig(account, 'properties.secondaryLocation'), 'francesouth');
    assert.equal(dig(account, 'sku.name'), 'Standard_GZRS');
    const blob = (await call('GET', `${ACCOUNT}/blobServices/default?api-version=2025-08-01`, { token: t })).json();
    assert.deepEqual(dig(blob, 'properties.deleteRetentionPolicy'), { enabled: true, days: 14 });
    assert.equal(dig(blob, 'properties.isVersioningEnabled'), true);
  });

  it('injects faults per path, a given number of times', async () => {
    const t = await token();
    sim.inject({ path: '/blobServices/', status: 429, code: 'TooManyRequests', retryAfter: 7, times: 1 });
    const first = await call('GET', `${ACCOUNT}/blobServices/default?api-version=2025-08-01`, { token: t });
    assert.equal(first.status, 429);
    assert.equal(first.headers['retry-after'], '7');
    assert.equal(dig(first.json(), 'error.code'), 'TooManyRequests');
    assert.equal((await call('GET', `${ACCOUNT}/blobServices/default?api-version=2025-08-01`, { token: t })).status, 200);
    assert.equal((await call('GET', `${ACCOUNT}?api-version=2025-08-01`, { token: t })).status, 200, 'other paths untouched');
    sim.clearInjections();
  });

  it('restores and deletes as long-running operations, through the real SDK pollers and the hooks', async () => {
    const run = (targetName: string) =>
      new Promise<{ code: number | null; out: string; err: string }>((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'test/fixtures/sdk-long-running-operations.ts')], {
          cwd: ROOT,
          env: {
            PATH: process.env.PATH,
            HOME: process.env.HOME,
            ...sim.env,
            SIM_ENDPOINT: sim.endpoint,
            SIM_SUBSCRIPTION: sim.subscriptionId,
            SIM_TARGET: targetName,
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        let err = '';
        child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
        child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
        const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
        child.on('error', reject);
        child.on('close', (code) => {
          clearTimeout(timer);
          resolve({ code, out, err });
        });
      });

    sim.requests.length = 0;
    const ok = await run('medicappdbprod-restore-1');
    const result = JSON.parse(ok.out || '{}');
    assert.deepEqual(result.restored, { name: 'medicappdbprod-restore-1', state: 'Ready', fqdn: '127.0.0.1', createMode: 'PointInTimeRestore' }, ok.err);
    assert.equal(result.deleted, true);
    assert.equal(sim.server('medicapp-rg', 'medicappdbprod-restore-1'), undefined, 'deleted');
    assert.ok(hookCalls.some((c) => c.startsWith('restore medicappdbprod → medicappdbprod-restore-1')));
    assert.ok(hookCalls.includes('delete medicappdbprod-restore-1'));
    const paths = sim.requests.map((r) => `${r.method} ${r.path}`);
    assert.ok(paths.some((p) => /^PUT .*flexibleServers\/medicappdbprod-restore-1$/.test(p)));
    assert.ok(
      paths.some((p) => /^GET .*\/azureAsyncOperation\//.test(p)),
      'polled Azure-AsyncOperation',
    );
    assert.ok(paths.some((p) => /^DELETE /.test(p)));
    assert.ok(sim.requests.filter((r) => r.path !== '/msi/token').every((r) => r.token === 'valid'));

    const failed = JSON.parse((await run('will-fail')).out || '{}');
    assert.match(failed.error?.message ?? '', /could not be made|failed/i);
    assert.equal(sim.server('medicapp-rg', 'will-fail'), undefined, 'a failed restore leaves no server');
    assert.ok(sim.operations().some((op) => op.status === 'Failed' && op.error?.code === 'RestoreFailed'));
  });

  it('refuses restores that the real service refuses', async () => {
    const t = await token();
    const put = (name: string, properties: Record<string, unknown>) =>
      call('PUT', `${SERVER.replace('medicappdbprod', name)}?api-version=2025-08-01`, { token: t, body: { location: 'francecentral', properties } });
    assert.equal(
      (await put('medicappdbprod', { createMode: 'PointInTimeRestore', sourceServerResourceId: SERVER, pointInTimeUTC: new Date().toISOString() })).status,
      409,
    );
    assert.equal(
      (await put('x1', { createMode: 'PointInTimeRestore', sourceServerResourceId: `${SERVER}zz`, pointInTimeUTC: new Date().toISOString() })).status,
      404,
    );
    const tooOld = await put('x2', {
      createMode: 'PointInTimeRestore',
      sourceServerResourceId: SERVER,
      pointInTimeUTC: new Date(Date.now() - 90 * 86_400_000).toISOString(),
    });
    assert.equal(dig(tooOld.json(), 'error.code'), 'InvalidPointInTimeRestoreTime');
    assert.equal(dig((await put('x3', { createMode: 'Create' })).json(), 'error.code'), 'UnsupportedCreateMode');
  });
});

describe('Resource Manager simulator start-up failure', () => {
  it('removes its CA (and its private key) when its port is taken', async () => {
    const scenario = await loadScenarioFile(join(ROOT, 'examples/scenarios/healthy.yaml'));
    const first = await startSimulator({ scenario });
    // A private TMPDIR, so that other processes' restorecheck-ca-* directories cannot confuse the count.
    const saved = process.env.TMPDIR;
    const tmp = await mkdtemp(join(tmpdir(), 'restorecheck-catest-'));
    process.env.TMPDIR = tmp;
    try {
      const port = Number(new URL(first.endpoint).port);
      await assert.rejects(startSimulator({ scenario, port }), /EADDRINUSE/);
      assert.deepEqual(await readdir(tmp), [], 'no CA directory or key is left behind');
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
      await first.stop();
      await rm(tmp, { recursive: true, force: true });
    }
  });
});

describe('restorecheck simulator (command)', () => {
  it('prints the endpoint and the variables to export, serves, and stops on SIGINT', async () => {
    const child = spawn(process.execPath, [BIN, 'simulator', '--scenario', join(ROOT, 'examples/scenarios/healthy.yaml')], {
      env: { PATH: process.env.PATH, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
    try {
      for (let i = 0; i < 100 && !/azure\.subscriptionId/.test(out); i++) await new Promise((resolve) => setTimeout(resolve, 100));
      const vars = Object.fromEntries([...out.matchAll(/^export (\w+)='([^']*)'$/gm)].map((m) => [m[1], m[2]]));
      assert.ok(vars.NODE_EXTRA_CA_CERTS && existsSync(vars.NODE_EXTRA_CA_CERTS), out + err);
      assert.match(vars.IDENTITY_ENDPOINT ?? '', /^https:\/\/127\.0\.0\.1:\d+\/msi\/token$/);
      assert.ok((vars.IDENTITY_HEADER ?? '').length >= 16);
      assert.match(out, /# azure\.resourceManagerEndpoint: https:\/\/127\.0\.0\.1:\d+/);
      assert.match(out, /# blob endpoint of medicappstorage: https:\/\/127\.0\.0\.1:\d+\/medicappstorage$/m);
      child.kill('SIGINT');
      assert.equal(await closed, 0, err);
      assert.ok(!existsSync(vars.NODE_EXTRA_CA_CERTS!), 'the CA is removed at stop');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('names the problem in a bad scenario (exit 2)', async () => {
    const child = spawn(process.execPath, [BIN, 'simulator', '--scenario', join(ROOT, 'package.json')], {
      env: { PATH: process.env.PATH, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.equal(code, 2);
    assert.match(err, /unrecognized key|Unrecognized key/i);
  });
});
