/**
 * The in-place restore of `mongodb/dump.archive.gz` (issue 16): `mongorestore --drop --archive` into the configured
 * server (`restore.url`, default the source's url), directly or behind the exec prefix, fed the archive on its standard
 * input.
 *
 * No `--gzip`: the member is mongodump's `--archive --gzip` output, which is a gzip stream as a whole, and member-tap.ts
 * hands it over decompressed (as the restore test feeds it to `mongorestore --archive --dryRun`).
 *
 * The password never goes on a command line: locally it goes into a YAML `--config` file (mode 0600, in a folder of
 * ours, removed after), as the backup does. Behind an exec prefix that file would not be visible in the container, and
 * mongorestore's stdin carries the archive (the backup's "password on stdin" is not possible here), so the config file
 * is written inside the container: `sh -c 'umask 077 && cat > "$1"'` through the prefix, the password on its stdin, and
 * removed (`rm -f`) after, whatever happened.
 *
 * `--drop` drops each collection of the archive before restoring it: there is no aside-and-swap for MongoDB here, so a
 * failure once mongorestore has started leaves the database partly restored, which the error says. `restore.stop`
 * (e.g. the application that writes to it) runs before, `restore.start` after.
 *
 * NOT RUN HERE against a real MongoDB: the Database Tools and mongod are not installable on the machine this was
 * written on. The tests run our side only, with a fake `mongorestore` that records its arguments and input.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { EvaluationError, RestoreFailedError, describeError } from '../errors.js';
import { maskUrl } from '../secrets/redact.js';
import type { JsonValue } from '../vocabulary.js';
import type { InPlaceContext, InPlacePreflight, InPlaceRestore, InPlaceResult, RestoreComparison, SourceOf } from './component.js';
import { withRestoreState } from './in-place-state.js';
import { MONGO_TOOLS_PACKAGE, MongoToolsMissingError, splitMongoUrl, yamlString } from './mongodb-tools.js';
import { runCommands } from './service-commands.js';
import { REFUSED_ARCHIVE } from './throwaway-mongod.js';
import { type ToolCommand, ToolMissingError, runToolForOutput, startTool, toolVersion } from './tool-process.js';

type Source = SourceOf<'mongodb'>;
const MEMBER = 'mongodb/dump.archive.gz';
const STOP_WHAT = 'selfHosted.sources.mongodb.restore.stop';
const START_WHAT = 'selfHosted.sources.mongodb.restore.start';
/** The longest mongorestore may take (besides the run's own deadline): a large archive takes long. */
export const MONGORESTORE_TIMEOUT_MS = 6 * 60 * 60_000;
const SMALL_TIMEOUT_MS = 30_000;

function command(source: Source, tool: string, args: string[], stdin: 'pipe' | 'ignore' = 'ignore'): ToolCommand {
  return { component: 'mongodb', debianPackage: MONGO_TOOLS_PACKAGE, exec: source.exec, tool, args, stdin };
}

const targetUrl = (source: Source) => source.restore?.url ?? source.url;
const describeTarget = (source: Source) => `${maskUrl(targetUrl(source))}${source.exec ? ` via ${source.exec.join(' ')}` : ''}`;

const missing = (source: Source, error: unknown): unknown =>
  error instanceof ToolMissingError && !(error instanceof MongoToolsMissingError)
    ? new MongoToolsMissingError(source.exec, error.message.replace(/^.*\((.*)\)$/, '$1'), 'mongorestore')
    : error;

/** mongorestore's arguments (pure): never the password; `configFile` when the password is in one. */
export function mongorestoreArgs(source: Source, configFile?: string): string[] {
  const { uri } = splitMongoUrl(targetUrl(source));
  return [`--uri=${uri}`, '--drop', '--archive', ...(configFile ? [`--config=${configFile}`] : [])];
}

/** Where the password's config file is, and how it is removed. */
interface PasswordFile {
  path: string;
  remove(): Promise<void>;
}

async function passwordFile(source: Source, password: string, ctx: InPlaceContext): Promise<PasswordFile> {
  const text = `password: ${yamlString(password)}\n`;
  if (!source.exec) {
    const dir = await mkdtemp(join(tmpdir(), 'restorecheck-mongorestore-'));
    const path = join(dir, 'config.yaml');
    await writeFile(path, text, { mode: 0o600, flag: 'wx' });
    return { path, remove: () => rm(dir, { recursive: true, force: true }) };
  }
  // Inside the container: the prefix's view of /tmp. The password goes on the shell's stdin, never its arguments.
  const path = `/tmp/.restorecheck-mongorestore-${ctx.runId}.yaml`;
  const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(SMALL_TIMEOUT_MS)]);
  const writer = startTool(command(source, 'sh', ['-c', 'umask 077 && cat > "$1"', 'sh', path], 'pipe'), signal);
  writer.stdin!.end(text);
  writer.stdout.resume();
  await writer.done;
  return {
    path,
    remove: async () => {
      await runToolForOutput(command(source, 'rm', ['-f', path]), AbortSignal.timeout(SMALL_TIMEOUT_MS)).catch((error: unknown) => {
        ctx.log.info(`mongodb: could not remove ${path} through the exec prefix (${describeError(error)})`);
      });
    },
  };
}

/** mongorestore's own summary line (`N document(s) restored successfully. M document(s) failed to restore.`). */
function summary(stderr: string): { restored: number; failed: number } | undefined {
  const match = /(\d+) document\(s\) restored successfully\. (\d+) document\(s\) failed to restore/.exec(stderr);
  return match ? { restored: Number(match[1]), failed: Number(match[2]) } : undefined;
}

/** Runs mongorestore fed the archive; returns its stderr tail. */
async function runMongorestore(source: Source, content: Readable, configFile: string | undefined, ctx: InPlaceContext): Promise<string> {
  const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(MONGORESTORE_TIMEOUT_MS)]);
  const tool = startTool(command(source, 'mongorestore', mongorestoreArgs(source, configFile), 'pipe'), signal);
  tool.stdout.resume();
  let bytes = 0;
  let contentError: unknown;
  const fed = pipeline(async function* () {
    try {
      for await (const chunk of content as AsyncIterable<Buffer>) {
        bytes += chunk.length;
        ctx.progress(bytes);
        yield chunk;
      }
    } catch (error) {
      contentError = error;
      throw error;
    }
  }, tool.stdin!);
  const [feeding, done] = await Promise.allSettled([fed, tool.done]);
  // The member itself broke (verification says why): whatever mongorestore made of part of an archive is no restore.
  if (contentError !== undefined) throw contentError;
  if (done.status === 'rejected') {
    const error = missing(source, done.reason);
    const said = tool.stderrTail().trim().split('\n').slice(-3).join(' / ').slice(0, 600);
    if (error instanceof EvaluationError && error.kind === 'tool' && !(error instanceof ToolMissingError) && REFUSED_ARCHIVE.test(said)) {
      throw new RestoreFailedError(
        `mongodb: mongorestore refused the archive: ${said}`,
        'the MongoDB member of this archive is damaged: take a new backup, and check the copies of this one',
      );
    }
    throw error;
  }
  // mongorestore exited 0 but stopped reading (a broken pipe): it did not restore the whole archive.
  if (feeding.status === 'rejected') {
    throw new EvaluationError(
      'tool',
      `mongodb: mongorestore exited before it had read the whole archive (${describeError(feeding.reason)})`,
      'run mongorestore by hand to see why',
    );
  }
  return tool.stderrTail();
}

function compare(stderr: string, recorded: Record<string, JsonValue> | undefined): RestoreComparison {
  const counts = summary(stderr);
  const restored: Record<string, JsonValue> = counts ? { documents_restored: counts.restored, documents_failed: counts.failed } : {};
  if (typeof recorded?.tool_version === 'string') restored.dump_tool_version = recorded.tool_version;
  const comparison: RestoreComparison = { restored, matched: [], differences: [], notCompared: [] };
  if (!counts) comparison.notCompared.push('documents restored (mongorestore printed no summary)');
  else if (counts.failed > 0) comparison.differences.push(`mongorestore failed to restore ${counts.failed} documents (${counts.restored} restored)`);
  // mongodump records no per-collection counts in metadata.json (contract.md: tool_version, dump_bytes only).
  comparison.notCompared.push('per-collection document counts (the metadata records none)');
  return comparison;
}

export const mongodbInPlace: InPlaceRestore<'mongodb'> = {
  async preflight(source, ctx): Promise<InPlacePreflight> {
    try {
      await toolVersion(command(source, 'mongorestore', []), AbortSignal.any([ctx.signal, AbortSignal.timeout(SMALL_TIMEOUT_MS)]));
    } catch (error) {
      throw missing(source, error);
    }
    return { target: describeTarget(source) };
  },

  async restore(source, member, content, recorded, ctx): Promise<InPlaceResult> {
    if (member !== MEMBER) throw new EvaluationError('internal', `mongodb: no in-place restore for member ${member}`, 'report this as a bug');
    const target = describeTarget(source);
    const steps: string[] = [];
    const { password } = splitMongoUrl(targetUrl(source));
    let started = false;
    let stopped = false;
    let restored = false;
    let file: PasswordFile | undefined;
    try {
      if (password !== undefined) file = await passwordFile(source, password, ctx);
      stopped = source.restore?.stop !== undefined;
      steps.push(...(await runCommands(source.restore?.stop, STOP_WHAT, { signal: ctx.signal, log: ctx.log })));
      const began = performance.now();
      started = true;
      const stderr = await runMongorestore(source, content, file?.path, ctx);
      restored = true;
      const comparison = compare(stderr, recorded);
      steps.push(
        `restored the archive with mongorestore --drop (${((performance.now() - began) / 1000).toFixed(1)} s${typeof comparison.restored.documents_restored === 'number' ? `, ${comparison.restored.documents_restored} documents` : ''})`,
      );
      steps.push(...(await runCommands(source.restore?.start, START_WHAT, { signal: ctx.signal, log: ctx.log })));
      return { target, steps, comparison };
    } catch (error) {
      const state = restored
        ? 'the archive was restored, but restore.start failed: start the services by hand'
        : started
          ? 'mongorestore --drop may already have dropped and replaced some collections: the database is partly restored (the safety backup holds the data from before the restore)'
          : 'nothing was changed in the database';
      let again = '';
      if (stopped && !restored && source.restore?.start && !ctx.signal.aborted) {
        again = await runCommands(source.restore.start, START_WHAT, { signal: ctx.signal, log: ctx.log }).then(
          () => '; restore.start was run again',
          (failed: unknown) => `; running restore.start again failed too (${describeError(failed)})`,
        );
      }
      throw withRestoreState(error, `${state}${again}`);
    } finally {
      await file?.remove();
    }
  },
};
