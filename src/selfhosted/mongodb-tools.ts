/**
 * What the MongoDB Database Tools need from us, shared by the backup (mongodb.ts, mongodump) and the in-place restore
 * (mongodb-in-place.ts, mongorestore): the URL without its password, the password for a 0600 `--config` file, and the
 * missing-tool error whose hint says where the tools are (Debian has no package for them).
 */
import { ToolMissingError } from './tool-process.js';

/** The package of MongoDB's own apt repository (repo.mongodb.org), not of Debian. */
export const MONGO_TOOLS_PACKAGE = 'mongodb-database-tools';

/** mongodump missing: the Debian hint would be wrong (Debian has no such package), so this one says where it is. */
export class MongoToolsMissingError extends ToolMissingError {
  override readonly hint: string;
  constructor(exec: readonly string[] | undefined, detail: string, tool = 'mongodump') {
    super('mongodb', tool, MONGO_TOOLS_PACKAGE, exec, detail);
    this.hint = exec
      ? `make sure the container has ${tool} (the official mongo image does), or change selfHosted.sources.mongodb.exec`
      : `the MongoDB Database Tools are not packaged by Debian: run ${tool} where it is, in the mongo container, with ` +
        'selfHosted.sources.mongodb.exec: [docker, compose, exec, -T, mongodb] (or install mongodb-database-tools from repo.mongodb.org)';
  }
}

/** The URL without its password, and the password (percent-decoded) if there is one. */
export function splitMongoUrl(url: string): { uri: string; password?: string } {
  const parsed = new URL(url);
  const password = parsed.password ? decodeURIComponent(parsed.password) : undefined;
  parsed.password = '';
  return { uri: parsed.toString(), ...(password !== undefined ? { password } : {}) };
}

/** A YAML double-quoted scalar (JSON's escaping is valid YAML). */
export const yamlString = (value: string) => JSON.stringify(value);
