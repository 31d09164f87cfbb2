/**
 * Azurite's blob service (npm `azurite`), for the demo sandbox and the tests: loopback, a free port,
 * in memory, no telemetry (it would try to reach the internet), and an account of our own whose key
 * is random (AZURITE_ACCOUNTS) — so a test can grep every output for it as a canary.
 * Started with --skipApiVersionCheck: @azure/storage-blob speaks a newer API version than Azurite knows.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { EvaluationError } from '../errors.js';

/**
 * The Azurite the demo fetches when none is installed beside restorecheck. Azurite is a devDependency (186 MB with its
 * dependencies, for the demo and the tests only), so a global install of restorecheck does not carry it; this is the
 * version package-lock.json pins for the tests (test/simulator/azurite-locate.test.ts checks they agree).
 */
export const AZURITE_VERSION = '3.35.0';

export interface Azurite {
  account: string;
  /** Base64 account key. */
  accountKey: string;
  /** http://127.0.0.1:PORT/ACCOUNT */
  blobEndpoint: string;
  connectionString: string;
  stop(): Promise<void>;
}

const BLOB_ENTRY = ['dist', 'src', 'blob', 'main.js'];

/** The azurite-blob entry point of the package installed beside restorecheck (a checkout's devDependencies), if any. */
function installedAzurite(): string | undefined {
  try {
    return join(dirname(createRequire(import.meta.url).resolve('azurite/package.json')), ...BLOB_ENTRY);
  } catch {
    return undefined;
  }
}

export interface LocateOptions {
  /** The installed package's entry; default: resolved from restorecheck's own node_modules. */
  installed?: () => string | undefined;
  /** Where a fetched Azurite is kept; default: $XDG_CACHE_HOME/restorecheck, or ~/.cache/restorecheck. */
  cacheRoot?: string;
  /** The npm command that fetches it; default: `npm` on PATH. */
  npm?: string;
  log?: (message: string) => void;
}

/**
 * The azurite-blob entry point (resolved, not looked up on PATH): the installed package, else the one fetched before
 * into the cache, else fetched now from the npm registry (the only network the demo uses), once, into the cache.
 * Installed into a temporary folder and renamed: an interrupted fetch never leaves a half-installed Azurite in use.
 */
export async function locateAzurite(options: LocateOptions = {}): Promise<string> {
  const installed = (options.installed ?? installedAzurite)();
  if (installed && existsSync(installed)) return installed;
  const root = options.cacheRoot ?? join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'restorecheck');
  const home = join(root, `azurite-${AZURITE_VERSION}`);
  const entry = join(home, 'node_modules', 'azurite', ...BLOB_ENTRY);
  if (existsSync(entry)) return entry;
  (options.log ?? (() => undefined))(
    `Azurite is not installed with restorecheck (only the demo uses it): fetching azurite@${AZURITE_VERSION} from the npm registry into ${home} (once, about 190 MB)…`,
  );
  await mkdir(root, { recursive: true });
  const partial = await mkdtemp(join(root, `azurite-${AZURITE_VERSION}.partial-`));
  try {
    const args = ['install', '--prefix', partial, '--no-save', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error', `azurite@${AZURITE_VERSION}`];
    const { code, output } = await runQuietly(options.npm ?? 'npm', args);
    if (code !== 0 || !existsSync(join(partial, 'node_modules', 'azurite', ...BLOB_ENTRY)))
      throw new EvaluationError(
        'tool',
        `could not fetch azurite@${AZURITE_VERSION} with npm (${code === null ? 'npm not found' : `exit ${code}`}): ${output.trim().split('\n').slice(-3).join(' / ')}`,
        `the demo needs Azurite: check that npm can reach its registry, or install it yourself: npm install --global azurite@${AZURITE_VERSION}, then run the demo from a checkout (npm ci)`,
      );
    // Another demo may have finished the same fetch meanwhile: its copy is as good.
    await rename(partial, home).catch(async () => {
      if (!existsSync(entry)) throw new EvaluationError('tool', `could not move the fetched Azurite into ${home}`, `remove ${home} and run the demo again`);
    });
  } finally {
    await rm(partial, { recursive: true, force: true });
  }
  return entry;
}

/** Runs a command, its output kept for an error message; code null when it could not start. */
function runQuietly(command: string, args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    let output = '';
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.once('error', (error) => resolve({ code: null, output: String(error) }));
    child.once('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

export async function startAzurite(account = 'medicappstorage', options: LocateOptions = {}): Promise<Azurite> {
  const entry = await locateAzurite(options);
  const accountKey = randomBytes(32).toString('base64');
  const dir = await mkdtemp(join(tmpdir(), 'restorecheck-azurite-'));
  const child = spawn(
    process.execPath,
    [entry, '--blobHost', '127.0.0.1', '--blobPort', '0', '--skipApiVersionCheck', '--disableTelemetry', '--inMemoryPersistence', '--silent'],
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
