/**
 * Configuration file → `${VAR}` interpolation → strict validation.
 * Every problem is collected and reported at once, each as `key.path: message`.
 */
import { readFile } from 'node:fs/promises';
import { dirname, extname, isAbsolute, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from '../errors.js';
import { Redactor, looksSecretName, registerEnvironmentSecrets } from '../secrets/redact.js';
import { isPem, loadPublicKey, loadSigningKey } from '../evidence/signing.js';
import { configSchema, type Config } from './schema.js';

export interface LoadedConfig {
  config: Config;
  /** Knows every secret value the configuration carries. */
  redactor: Redactor;
  path: string;
}

/** Key paths whose values are secrets whatever variable they came from. */
const SECRET_PATHS = new Set(['azure.storage.connectionString']);

const VAR = /\$\$|\$\{([^}]*)\}/g;

/** Reads, interpolates and validates a configuration file. Throws ConfigError listing every problem. */
export async function loadConfigFile(path: string, env: NodeJS.ProcessEnv = process.env): Promise<LoadedConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'file not found' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'permission denied' : String(code ?? error);
    throw new ConfigError([`${path}: cannot read the configuration file (${why})`], 'pass an existing YAML or JSON file with --config FILE');
  }
  return parseConfigText(text, path, env);
}

/** Parses configuration text (YAML, or JSON when the file name ends in .json). */
export function parseConfigText(text: string, path: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  const raw = parseDocumentText(text, path);
  const redactor = new Redactor();
  registerEnvironmentSecrets(redactor, env);
  const problems: string[] = [];
  const problemPaths = new Set<string>();
  const unset = new Set<string>();
  const interpolated = interpolate(raw, [], env, redactor, problems, problemPaths, unset);

  const parsed = configSchema.safeParse(interpolated, { reportInput: true });
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const key = issue.path.map(String).join('.');
      if (problemPaths.has(key)) continue; // the missing variable already explains it
      problems.push(...formatIssue(issue));
    }
  }
  if (problems.length > 0)
    throw unset.size > 0 ? new ConfigError(problems, unsetVariablesHint([...unset], problems.length > unset.size)) : new ConfigError(problems);
  const config = resolvePaths(parsed.data as Config, dirname(resolve(path)));
  const signingKey = config.report?.signingKey;
  if (signingKey !== undefined) {
    // The PEM itself (from ${VAR}, or inline): a secret whatever the variable is called, so masked in every output.
    if (isPem(signingKey)) {
      redactor.add(signingKey);
      for (const line of signingKey.split(/\r?\n/)) if (line.length >= 16 && !line.startsWith('-----')) redactor.add(line.trim());
    }
    loadSigningKey(signingKey); // a key that cannot sign is a configuration error now (exit 2), not after an hour-long run
  }

  const backupKey = config.selfHosted?.signingKey;
  if (backupKey !== undefined) {
    if (isPem(backupKey)) {
      redactor.add(backupKey);
      for (const line of backupKey.split(/\r?\n/)) if (line.length >= 16 && !line.startsWith('-----')) redactor.add(line.trim());
    }
    loadSigningKey(backupKey, 'selfHosted.signingKey');
  }

  // A public key that cannot verify is a configuration error now (exit 2), not a failed check after an hour-long read.
  if (config.archives?.publicKey !== undefined) loadPublicKey(config.archives.publicKey, 'archives.publicKey');

  // Secrets carried by the validated configuration, whatever variable (if any) they came from.
  if (config.database) redactor.addFromConnectionString(config.database.url);
  const sources = config.selfHosted?.sources;
  for (const url of [sources?.postgres?.url, sources?.mariadb?.url, sources?.mongodb?.url, sources?.redis?.url]) redactor.addFromConnectionString(url);
  redactor.add(sources?.mariadb?.password);
  redactor.addFromConnectionString(config.azure?.storage?.connectionString);
  redactor.add(config.azure?.storage?.connectionString);
  return { config, redactor, path };
}

/**
 * Paths in a configuration file are relative to that file, wherever the command runs from
 * (a scheduled job's working directory is not the user's).
 */
function resolvePaths(config: Config, dir: string): Config {
  const at = (p: string) => (isAbsolute(p) ? p : resolve(dir, p));
  if (config.database?.alembic.migrationsDir) config.database.alembic.migrationsDir = at(config.database.alembic.migrationsDir);
  if (config.report?.dir) config.report.dir = at(config.report.dir);
  if (config.report?.signingKey && !isPem(config.report.signingKey)) config.report.signingKey = at(config.report.signingKey);
  if (config.archives?.dir) config.archives.dir = at(config.archives.dir);
  if (config.archives?.publicKey) config.archives.publicKey = at(config.archives.publicKey);
  // Defaulted by the schema (.restorecheck): beside the configuration file too.
  config.restoreTest.ledgerDir = at(config.restoreTest.ledgerDir);
  // The smoke command runs where the team's tests are: beside the configuration file unless it says otherwise.
  if (config.restoreTest.smokeCommand) config.restoreTest.smokeCommand.cwd = at(config.restoreTest.smokeCommand.cwd ?? '.');
  const selfHosted = config.selfHosted;
  if (selfHosted) {
    if (selfHosted.backupDir) selfHosted.backupDir = at(selfHosted.backupDir);
    if (selfHosted.gitDir) selfHosted.gitDir = at(selfHosted.gitDir);
    if (selfHosted.signingKey && !isPem(selfHosted.signingKey)) selfHosted.signingKey = at(selfHosted.signingKey);
    // Behind an exec prefix a path is the container's, not this machine's: left as written.
    const { redis, minio } = selfHosted.sources;
    if (redis?.dataDir && !redis.exec) redis.dataDir = at(redis.dataDir);
    if (minio && !minio.exec) minio.dataDir = at(minio.dataDir);
  }
  return config;
}

function parseDocumentText(text: string, path: string): unknown {
  if (extname(path).toLowerCase() === '.json') {
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      throw new ConfigError([`${path}: not valid JSON (${(error as Error).message})`]);
    }
  }
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((e) => `${path}: not valid YAML: ${e.message.split('\n')[0]}`),
      'fix the YAML syntax at the line shown (indentation, a missing colon, a duplicated key)',
    );
  }
  const value = doc.toJS() as unknown;
  if (value === null || value === undefined) throw new ConfigError([`${path}: the configuration file is empty`]);
  return value;
}

/**
 * What to do about `${NAME}` references whose variable is not set: the variable lives in the environment of the process,
 * not in the file, so the fix is an `export` (or, in CI, the step's `env:`), not an edit.
 */
function unsetVariablesHint(names: string[], otherProblems: boolean): string {
  const exports = names.map((name) => `export ${name}=…`).join('; ');
  const rest = otherProblems ? '; fix the other problems in the configuration file' : '';
  return `${exports} in the shell before running restorecheck (in a CI job: set ${names.length === 1 ? 'it' : 'them'} in the step's env, from a secret)${rest}, then run it again`;
}

function interpolate(
  value: unknown,
  path: string[],
  env: NodeJS.ProcessEnv,
  redactor: Redactor,
  problems: string[],
  problemPaths: Set<string>,
  unset: Set<string>,
): unknown {
  if (typeof value === 'string') {
    const key = path.join('.');
    const result = value.replace(VAR, (match, name: string | undefined) => {
      if (match === '$$') return '$';
      if (!name || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
        problems.push(`${key}: "\${${name ?? ''}}" is not a valid variable reference (use \${NAME}, or $$ for a literal $)`);
        problemPaths.add(key);
        return '';
      }
      const replacement = env[name];
      if (replacement === undefined) {
        problems.push(`${key}: environment variable ${name} is not set`);
        problemPaths.add(key);
        unset.add(name);
        return '';
      }
      if (looksSecretName(name) || SECRET_PATHS.has(key)) {
        redactor.add(replacement);
        redactor.addFromConnectionString(replacement);
      }
      return replacement;
    });
    return result;
  }
  if (Array.isArray(value)) return value.map((item, i) => interpolate(item, [...path, String(i)], env, redactor, problems, problemPaths, unset));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = interpolate(v, [...path, k], env, redactor, problems, problemPaths, unset);
    return out;
  }
  return value;
}

function formatIssue(issue: z.core.$ZodIssue): string[] {
  const key = issue.path.map(String).join('.') || '(top level)';
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((k) => {
        const full = issue.path.length ? `${key}.${k}` : k;
        const suggestion = suggestKey(issue.path.map(String), k);
        return `${full}: unknown key${suggestion ? ` (did you mean "${suggestion}"?)` : ''}`;
      });
    case 'invalid_type':
      if (issue.input === undefined) return [`${key}: required`];
      return [`${key}: expected ${issue.expected}, got ${describeInput(issue.input)}`];
    case 'invalid_value':
      return [`${key}: must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`];
    default:
      return [`${key}: ${issue.message}`];
  }
}

function describeInput(input: unknown): string {
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'a list';
  if (typeof input === 'object') return 'an object';
  return `${typeof input} ${JSON.stringify(input)}`;
}

/** The known key closest to a misspelt one, found by walking the schema to the same place. */
function suggestKey(path: string[], unknown: string): string | undefined {
  let node: unknown = configSchema;
  for (const part of path) {
    node = unwrap(node);
    const shape = objectShape(node);
    if (shape) node = shape[part];
    else if (/^\d+$/.test(part)) node = arrayElement(node);
    else return undefined;
  }
  const shape = objectShape(unwrap(node));
  if (!shape) return undefined;
  let best: { key: string; distance: number } | undefined;
  for (const key of Object.keys(shape)) {
    const distance = editDistance(key.toLowerCase(), unknown.toLowerCase());
    if (distance <= Math.max(2, Math.floor(key.length / 4)) && (!best || distance < best.distance)) best = { key, distance };
  }
  return best?.key;
}

interface ZodInternals {
  _zod?: { def?: { type?: string; innerType?: unknown; shape?: Record<string, unknown>; element?: unknown; in?: unknown } };
}

function unwrap(node: unknown): unknown {
  let current = node as ZodInternals | undefined;
  for (let i = 0; i < 10 && current?._zod?.def; i++) {
    const def = current._zod.def;
    if (def.innerType) current = def.innerType as ZodInternals;
    else if (def.type === 'pipe' && def.in) current = def.in as ZodInternals;
    else break;
  }
  return current;
}

function objectShape(node: unknown): Record<string, unknown> | undefined {
  const def = (node as ZodInternals | undefined)?._zod?.def;
  return def?.type === 'object' ? def.shape : undefined;
}

function arrayElement(node: unknown): unknown {
  const def = (node as ZodInternals | undefined)?._zod?.def;
  return def?.type === 'array' ? def.element : undefined;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length]!;
}
