/**
 * Azurite's blob service (npm `azurite`) for tests: loopback, a free port, in memory, no telemetry,
 * and an account of our own whose key is a random canary (AZURITE_ACCOUNTS), so that a test can
 * grep every output for it. Stop it in an `after()` hook.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BIN = join(import.meta.dirname, '../../node_modules/.bin/azurite-blob');

export interface Azurite {
  account: string;
  /** Base64 account key (a canary: it must never appear in any output). */
  accountKey: string;
  /** http://127.0.0.1:PORT/ACCOUNT */
  blobEndpoint: string;
  connectionString: string;
  stop(): Promise<void>;
}

export async function startAzurite(account = 'medicappstorage'): Promise<Azurite> {
  const accountKey = randomBytes(32).toString('base64');
  const dir = await mkdtemp(join(tmpdir(), 'restorecheck-azurite-'));
  const child = spawn(
    BIN,
    ['--blobHost', '127.0.0.1', '--blobPort', '0', '--skipApiVersionCheck', '--disableTelemetry', '--inMemoryPersistence', '--silent'],
    { cwd: dir, env: { PATH: process.env.PATH, HOME: process.env.HOME, AZURITE_ACCOUNTS: `${account}:${accountKey}` }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const started = new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Azurite did not start within 20 s:\n${output}`)), 20_000);
    const onData = (data: Buffer) => {
      output += data.toString();
      const m = /listens on http:\/\/127\.0\.0\.1:(\d+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Azurite exited with ${code}:\n${output}`));
    });
  });
  let port: number;
  try {
    port = await started;
  } catch (error) {
    child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  const blobEndpoint = `http://127.0.0.1:${port}/${account}`;
  return {
    account,
    accountKey,
    blobEndpoint,
    connectionString: `DefaultEndpointsProtocol=http;AccountName=${account};AccountKey=${accountKey};BlobEndpoint=${blobEndpoint};`,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
