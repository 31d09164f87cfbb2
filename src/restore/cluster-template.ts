/**
 * initdb once per server, then a copy: a throwaway cluster's data directory is a copy of a pristine one that initdb
 * made for the same binaries with the same arguments. initdb takes about 0.75 s (it bootstraps the catalogs and runs
 * hundreds of statements in single-user mode); copying its 40 MB result takes about 0.25 s. Every restore test and
 * every test cluster pays it on its critical path (issue 15's bench: 0.5 s of a 7.6 s baseline).
 *
 * The template is never run: it is the data directory as initdb left it, before any server started on it, copied
 * before the first start. A prepared template (throwaway-cluster.ts's PreparedTemplate: a restore cluster's scratch
 * database and role) is that copy after our own SQL ran on it once, on a Unix socket, before anything untrusted. It lives under the PostgreSQL cache (npm-postgres-server.ts's postgresCacheDir, e.g.
 * /var/cache/restorecheck/postgres/templates/<key>/data), owned by this process's user and writable by nobody else:
 * the sandbox user that runs the servers (and reads untrusted dumps into them) can read it but never change it, so
 * one restore cannot plant something (a setting, a function in template1) in the next one's server.
 *
 * The key is the server binaries (path, size and modification time of initdb and postgres: an upgrade changes them),
 * initdb's arguments and the locale environment. The superuser's password is not in the key: the template's is a
 * random one thrown away, and startCluster sets the cluster's own after the start.
 *
 * Any problem with the cache (not writable, someone else's, a half-made entry) falls back to running initdb: the
 * cache only ever saves time.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, lstat, mkdir, mkdtemp, realpath, rename, rm, stat, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { postgresCacheDir } from './npm-postgres-server.js';

const run = promisify(execFile);

/** What changes the data directory initdb writes: the binaries, their arguments, the locale they inherit. */
export async function templateKey(binDir: string, initdbArgs: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const binaries = await Promise.all(
    ['initdb', 'postgres'].map(async (tool) => {
      const file = await realpath(join(binDir, tool));
      const info = await stat(file);
      return { file, size: info.size, mtimeMs: info.mtimeMs };
    }),
  );
  const locale = { LANG: env.LANG ?? null, LC_ALL: env.LC_ALL ?? null };
  return createHash('sha256').update(JSON.stringify({ binaries, initdbArgs, locale })).digest('hex').slice(0, 32);
}

export function templatesDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(postgresCacheDir(env), 'templates');
}

/** A directory we own and nobody else can write: the only kind whose content we copy into a cluster. */
async function ownedAndClosed(path: string): Promise<boolean> {
  try {
    const info = await lstat(path);
    return info.isDirectory() && info.uid === userInfo().uid && (info.mode & 0o022) === 0;
  } catch {
    return false;
  }
}

/** The template's data directory for `key`, when a complete and safe one is cached. */
export async function cachedTemplate(key: string, env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  const root = templatesDir(env);
  const entry = join(root, key);
  // The entry appears by rename, whole: its existence means complete. Each level must be ours and closed.
  if (!(await ownedAndClosed(root)) || !(await ownedAndClosed(entry)) || !(await ownedAndClosed(join(entry, 'data')))) return undefined;
  return join(entry, 'data');
}

/**
 * Keeps a copy of `dataDir` (fresh from initdb, never started) as the template for `key`. Files are copied as this
 * process's user, readable by all (the sandbox user copies them back) and writable by us alone. Best effort: a
 * failure leaves no entry (the copy is made aside and renamed into place), and a concurrent run's entry wins.
 */
export async function saveTemplate(key: string, dataDir: string, env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  const root = templatesDir(env);
  let aside: string | undefined;
  try {
    await mkdir(root, { recursive: true, mode: 0o755 });
    if (!(await ownedAndClosed(root))) return false;
    aside = await mkdtemp(join(root, `.${key}-`));
    await chmod(aside, 0o755);
    await run('cp', ['-R', '--no-preserve=mode,ownership', dataDir, join(aside, 'data')], { timeout: 120_000 });
    await run('chmod', ['-R', 'go-w,a+rX', join(aside, 'data')], { timeout: 60_000 });
    const madeBy = { by: 'restorecheck', at: new Date().toISOString() };
    await writeFile(join(aside, 'made-by.json'), `${JSON.stringify(madeBy)}\n`, { mode: 0o644 });
    await rename(aside, join(root, key));
    return true;
  } catch {
    // Another run saved it first (rename onto a non-empty directory), or the cache is not writable: initdb it is.
    if (aside) await rm(aside, { recursive: true, force: true }).catch(() => undefined);
    return false;
  }
}
