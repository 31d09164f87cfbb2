/**
 * The spool folder of one backup: `<backupDir>/.restorecheck-spool-<stem>-<random>/`, on the backup file system so the
 * finished archive is renamed into place, never copied. It holds the dumps while they are written, metadata.json and
 * `<file>.tar.gz.partial`; nothing in it has a final name, and `verify`/`retention` never look inside.
 *
 * Nothing is left behind:
 *  - on success, failure, Ctrl-C or SIGTERM the run removes the folder (finally);
 *  - on SIGKILL (or a crash) a watchdog, a small detached process started with the folder, sees the backup's pid gone
 *    and removes it; the dump tools die with their pipes (SIGPIPE);
 *  - and if the watchdog was killed too, the next backup in the directory removes every spool folder whose owner
 *    (pid and process start time, in owner.json) is gone.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ownerAlive, processStartTime } from '../process-owner.js';

export const SPOOL_PREFIX = '.restorecheck-spool-';

interface SpoolOwner {
  pid: number;
  /** Field 22 of /proc/<pid>/stat: a reused pid has another start time. */
  startTime: number | null;
  startedAt: string;
}

/**
 * The watchdog's whole program (node -e): polls the owner; when it is gone, removes the folder and exits. It exits too
 * when the folder is gone (the backup removed it itself). Kept tiny so that it costs nothing while a dump runs.
 */
const WATCHDOG = `
const [pid, start, dir] = process.argv.slice(1);
const fs = require('node:fs');
const startOf = (p) => { try { const s = fs.readFileSync('/proc/' + p + '/stat', 'utf8'); return s.slice(s.lastIndexOf(')') + 2).split(' ')[19]; } catch { return null; } };
const alive = () => { try { process.kill(Number(pid), 0); } catch (e) { if (e.code === 'ESRCH') return false; } return start === '' || startOf(pid) === start; };
setInterval(() => {
  if (!fs.existsSync(dir)) process.exit(0);
  if (!alive()) { try { fs.rmSync(dir, { recursive: true, force: true }); } finally { process.exit(0); } }
}, 250);
`;

export interface Spool {
  dir: string;
  /** Removes the folder and stops the watchdog. Idempotent. */
  remove(): Promise<void>;
}

/** Creates the spool folder of a backup named `stem` in `backupDir`, with its owner record and watchdog. */
export async function createSpool(backupDir: string, stem: string): Promise<Spool> {
  const dir = join(backupDir, `${SPOOL_PREFIX}${stem}-${randomBytes(4).toString('hex')}`);
  await mkdir(dir, { mode: 0o700 });
  const owner: SpoolOwner = { pid: process.pid, startTime: processStartTime(process.pid), startedAt: new Date().toISOString() };
  await writeFile(join(dir, 'owner.json'), `${JSON.stringify(owner)}\n`);
  const watchdog = spawn(process.execPath, ['-e', WATCHDOG, String(process.pid), String(owner.startTime ?? ''), dir], {
    detached: true,
    stdio: 'ignore',
  });
  watchdog.on('error', () => undefined); // without it the sweep below still cleans up, at the next backup
  watchdog.unref();
  let removed = false;
  return {
    dir,
    async remove() {
      if (removed) return;
      removed = true;
      await rm(dir, { recursive: true, force: true });
      watchdog.kill('SIGTERM');
    },
  };
}

/** Removes the spool folders of `backupDir` whose backup is gone (killed with its watchdog). Returns their names. */
export async function sweepAbandonedSpools(backupDir: string): Promise<string[]> {
  const removed: string[] = [];
  for (const name of await readdir(backupDir).catch(() => [] as string[])) {
    if (!name.startsWith(SPOOL_PREFIX)) continue;
    const dir = join(backupDir, name);
    let owner: SpoolOwner | undefined;
    try {
      owner = JSON.parse(await readFile(join(dir, 'owner.json'), 'utf8')) as SpoolOwner;
    } catch {
      owner = undefined; // no owner record: killed between mkdir and writeFile
    }
    if (owner && typeof owner.pid === 'number' && ownerAlive(owner)) continue;
    await rm(dir, { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}
