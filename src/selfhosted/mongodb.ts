/**
 * MongoDB: `mongodump --uri=<url without its password> --archive --gzip` → `mongodb/dump.archive.gz` (mongodump gzips
 * it already: written as is, not gzipped again).
 *
 * The password never goes on the command line (`ps` would show it):
 * - locally, it goes into a YAML `--config` file (`password: …`, mongodump 100.x reads password, uri and
 *   sslPEMKeyPassword from it), mode 0600 in the spool folder, deleted as soon as mongodump has exited;
 * - behind an exec prefix that file would not be visible in the container, so mongodump is given no password and
 *   reads it from its standard input (the MongoDB Database Tools read a password from stdin when it is not a
 *   terminal; `docker compose exec -T` passes stdin through).
 *
 * NOT RUN HERE: the MongoDB Database Tools are not packaged by Debian, and nothing may be downloaded on the machine
 * this was written on, so this path was never run against a real mongod. The tests cover the command line built
 * (`mongodumpArgs`: no password in it) and the missing tool; the archive format itself is checked by the verifier
 * (magic 0x8199e26d, terminator) on every archive.
 */
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EvaluationError } from '../errors.js';
import { maskUrl } from '../secrets/redact.js';
import type { BackupContext, ComponentBackup, SelfHostedComponent, SourceOf } from './component.js';
import { writeMember } from './member-writer.js';
import { mongodbInPlace } from './mongodb-in-place.js';
import { mongodbRestoreTest } from './throwaway-mongod.js';
import { MONGO_TOOLS_PACKAGE as PACKAGE, MongoToolsMissingError, splitMongoUrl, yamlString } from './mongodb-tools.js';
import { type ToolCommand, ToolMissingError, startTool, toolVersion } from './tool-process.js';

export { MongoToolsMissingError, splitMongoUrl } from './mongodb-tools.js';

type Source = SourceOf<'mongodb'>;
const MEMBER = 'mongodb/dump.archive.gz';
/** mongodump's arguments (pure): never the password; `configFile` when the password is in one. */
export function mongodumpArgs(source: Source, configFile?: string): string[] {
  const { uri } = splitMongoUrl(source.url);
  return [`--uri=${uri}`, '--archive', '--gzip', ...(configFile ? [`--config=${configFile}`] : [])];
}

function command(source: Source, args: string[]): ToolCommand {
  return { component: 'mongodb', debianPackage: PACKAGE, exec: source.exec, tool: 'mongodump', args };
}

function mongoMissing(source: Source, error: unknown): unknown {
  return error instanceof ToolMissingError ? new MongoToolsMissingError(source.exec, error.message.replace(/^.*\((.*)\)$/, '$1')) : error;
}

export const mongodb: SelfHostedComponent<'mongodb'> = {
  name: 'mongodb',
  members: [MEMBER],
  describe: (source) => `${maskUrl(source.url)}${source.exec ? ` via ${source.exec.join(' ')}` : ''}`,
  async toolVersion(source, signal) {
    try {
      return { name: 'mongodump', version: await toolVersion(command(source, []), signal) };
    } catch (error) {
      throw mongoMissing(source, error);
    }
  },
  async backup(source, ctx: BackupContext): Promise<ComponentBackup> {
    const { password } = splitMongoUrl(source.url);
    const version = await mongodb.toolVersion(source, ctx.signal);
    const configFile = password !== undefined && !source.exec ? join(ctx.spoolDir, '.mongodump-config.yaml') : undefined;
    if (configFile) await writeFile(configFile, `password: ${yamlString(password!)}\n`, { mode: 0o600, flag: 'wx' });
    try {
      const viaStdin = password !== undefined && source.exec !== undefined;
      const dump = startTool({ ...command(source, mongodumpArgs(source, configFile)), stdin: viaStdin ? 'pipe' : 'ignore' }, ctx.signal);
      if (viaStdin) dump.stdin!.end(`${password}\n`);
      const [written] = await Promise.all([
        writeMember(dump.stdout, MEMBER, `${ctx.spoolDir}/${MEMBER}`, { gzip: false, signal: ctx.signal, onProgress: ctx.progress }),
        dump.done.catch((error: unknown) => {
          throw mongoMissing(source, error);
        }),
      ]);
      if (written.size === 0) throw new EvaluationError('tool', 'mongodb: mongodump wrote nothing', 'run the mongodump command by hand to see why');
      return {
        members: [{ path: written.path, file: written.file, sha256: written.sha256, size: written.size }],
        facts: { tool_version: version.version, dump_bytes: written.size },
      };
    } finally {
      if (configFile) await rm(configFile, { force: true });
    }
  },
  restoreTest: mongodbRestoreTest,
  inPlace: mongodbInPlace,
};
