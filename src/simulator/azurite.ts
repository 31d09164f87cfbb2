/**
 * Azurite's blob service (npm `azurite`), for the demo sandbox and the tests: loopback, a free port,
 * in memory, no telemetry (it would try to reach the internet), and an account of our own whose key
 * is random (AZURITE_ACCOUNTS) — so a test can grep every output for it as a canary.
 * Started with --skipApiVersionCheck: @azure/storage-blob speaks a newer API version than Azurite knows.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { EvaluationError } from '../errors.js';

export interface Azurite {
  account: string;
  /** Base64 account key. */
  accountKey: string;
  /** http://127.0.0.1:PORT/ACCOUNT */
  blobEndpoint: string;
  connectionString: string;
  stop(): Promise<void>;
}

/** The azurite-blob entry point of the installed package (resolved, not looked up on PATH). */
function azuriteBlobEntry(): string {
  try {
    const pkg = createRequire(import.meta.url).resolve('azurite/package.json');
    return join(dirname(pkg), 'dist', 'src', 'blob', 'main.js');
  } catch {
    throw new EvaluationError('tool', 'the azurite package is not installed', 'run `npm ci` in the restorecheck checkout (azurite comes with it)');
  }
}

export async function startAzurite(account = 'medicappstorage'): Promise<Azurite> {
  const accountKey = randomBytes(32).toString('base64');
  const dir = await mkdtemp(join(tmpdir(), 'restorecheck-azurite-'));
  const child = spawn(
    process.execPath,
    [azuriteBlobEntry(), '--blobHost', '127.0.0.1', '--blobPort', '0', '--skipApiVersionCheck', '--disableTelemetry', '--inMemoryPersistence', '--silent'],
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
  // A parent that dies must not leave Azurite listening.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const blobEndpoint = `http://127.0.0.1:${port}/${account}`;
  return {
    account,
    accountKey,
    blobEndpoint,
    connectionString: `DefaultEndpointsProtocol=http;AccountName=${account};AccountKey=${accountKey};BlobEndpoint=${blobEndpoint};`,
    async stop() {
      process.off('exit', killOnExit);
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        // A cleared timer: a pending one would keep the caller's process alive for its 5 s.
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([exited, new Promise((resolve) => (timer = setTimeout(resolve, 5000)))]);
        clearTimeout(timer);
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
