/**
 * What the tests of one self-hosted component module need around it: a spool folder and a BackupContext, the file's
 * own SHA-256 and size (to compare with what the module returned), an exec-prefix wrapper script that logs its calls,
 * and sources parsed by the real configuration schema (so that a test never feeds a module what the schema refuses).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfigText } from '../../src/config/load.js';
import { selfHostedSchema } from '../../src/config/schema.js';
import type { BackupContext, ComponentName, SourceOf } from '../../src/selfhosted/component.js';
import { SILENT_LOGGER } from '../../src/vocabulary.js';

const { config } = parseConfigText('environment: test\n', 'restorecheck.yaml', {});

/** A source as selfHosted.sources.<name> parses it (defaults applied; a source the schema refuses throws). */
export function parseSource<N extends ComponentName>(name: N, source: Record<string, unknown>): SourceOf<N> {
  const parsed = selfHostedSchema.parse({ name: 'medicapp', sources: { [name]: source } });
  return parsed.sources[name] as SourceOf<N>;
}

export interface Workspace {
  dir: string;
  /** A fresh spool folder and context for one backup (progress calls are recorded). */
  context(options?: { signal?: AbortSignal }): Promise<BackupContext & { progressCalls: number[] }>;
  /**
   * An exec prefix like `docker compose exec -T <service>`: a shell script that appends its arguments (one line per
   * call) to `log`, drops its first argument (the service) and execs the rest.
   */
  wrapper(name?: string): Promise<{ exec: string[]; log: string; calls(): Promise<string[]> }>;
  remove(): Promise<void>;
}

export async function workspace(label: string): Promise<Workspace> {
  const dir = await mkdtemp(join(tmpdir(), `restorecheck-${label}-`));
  let spools = 0;
  return {
    dir,
    async context(options = {}) {
      const spoolDir = join(dir, `spool-${++spools}`);
      const progressCalls: number[] = [];
      return {
        spoolDir,
        signal: options.signal ?? AbortSignal.timeout(300_000),
        log: SILENT_LOGGER,
        progress: (bytes: number) => progressCalls.push(bytes),
        config,
        progressCalls,
      };
    },
    async wrapper(name = 'exec-wrapper') {
      const script = join(dir, `${name}.sh`);
      const log = join(dir, `${name}.log`);
      await writeFile(script, `#!/bin/sh\nprintf '%s\\n' "$*" >> '${log}'\nshift\nexec "$@"\n`);
      await chmod(script, 0o755);
      return {
        exec: [script, 'the-service'],
        log,
        calls: async () => (await readFile(log, 'utf8').catch(() => '')).split('\n').filter(Boolean),
      };
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

/** The SHA-256 and size of a file, read again from disk. */
export async function fileDigest(file: string): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return { sha256: hash.digest('hex'), size: (await stat(file)).size };
}

/** Runs `fn` with PATH set to `path` (restored after), for the "tool not installed" cases. */
export async function withPath<T>(path: string, fn: () => Promise<T>): Promise<T> {
  const saved = process.env.PATH;
  process.env.PATH = path;
  try {
    return await fn();
  } finally {
    process.env.PATH = saved;
  }
}
