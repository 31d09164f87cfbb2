/**
 * A managed-identity endpoint that accepts the connection and never answers (a CI runner whose
 * identity sidecar hangs): `restorecheck check` must end within the run deadline, with an error that
 * names the identity endpoint, rather than print its report and then hang until the CI job is killed.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../helpers/cli.js';

let dir: string;
let hung: Server;
const sockets = new Set<Socket>();

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'restorecheck-hung-identity-'));
  // Accepts, reads, never writes.
  hung = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => hung.listen(0, '127.0.0.1', resolve));
});

after(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise<void>((resolve) => hung.close(() => resolve()));
  await rm(dir, { recursive: true, force: true });
});

describe('a hung managed-identity endpoint', () => {
  it('ends the run within its deadline with an error naming the identity endpoint', { timeout: 120_000 }, async () => {
    const runTimeoutMs = 6_000;
    const port = (hung.address() as { port: number }).port;
    const configPath = join(dir, 'config.json');
    await writeFile(
      configPath,
      JSON.stringify({
        environment: 'hung',
        azure: {
          subscriptionId: '00000000-0000-0000-0000-000000000000',
          resourceManagerEndpoint: 'https://127.0.0.1:9',
          postgres: { resourceGroup: 'medicapp-rg', server: 'medicappdbprod' },
          requestTimeoutMs: 2_000,
        },
        limits: { runTimeoutMs, checkTimeoutMs: runTimeoutMs },
      }),
    );
    const started = Date.now();
    const result = await runCli(['check', '--config', configPath, '--format', 'json'], {
      env: { IDENTITY_ENDPOINT: `http://127.0.0.1:${port}/msi/token`, IDENTITY_HEADER: 'hung-identity-header' },
      // Far beyond the deadline: a process that hangs is killed here and the asserts below fail.
      timeoutMs: runTimeoutMs + 60_000,
    });
    const elapsed = Date.now() - started;
    assert.equal(result.signal, null, `the process had to be killed after ${elapsed} ms:\n${result.stdout}\n${result.stderr}`);
    assert.ok(elapsed < runTimeoutMs + 20_000, `exited after ${elapsed} ms`);
    assert.equal(result.code, 2, result.stderr);
    const report = JSON.parse(result.stdout) as { checks: Array<{ id: string; status: string; message: string; errorKind?: string }> };
    const state = report.checks.find((c) => c.id === 'pgflex-server-state');
    assert.ok(state, result.stdout);
    assert.equal(state.status, 'error');
    assert.match(state.message, /managed[- ]identity endpoint .*did not answer|identity endpoint .*no answer/i, state.message);
  });
});
