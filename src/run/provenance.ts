/**
 * Who ran a report and on what (issue 13): read once by the CLI from its environment and configuration, and handed to
 * the runner as a plain object, so that the reporters stay pure and a test can pass any environment it likes.
 * Only names, ids and URLs: never a password (the database URL is shown through maskUrl).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { Config } from '../config/schema.js';
import { maskUrl } from '../secrets/redact.js';
import type { Provenance, RunTarget, RunWho } from './result.js';

export interface ProvenanceInput {
  env: NodeJS.ProcessEnv;
  config?: Config | undefined;
  /** verify / restore-test --archive: the archive file (its path as given, resolved). */
  archive?: string | undefined;
  /** Tests pass these; the default asks the operating system (guarded: userInfo throws for a uid without a passwd entry). */
  osUser?: string | undefined;
  host?: string | undefined;
  /** Outside CI: the commit checked out in this directory (or a parent) is recorded, read from .git without running git. */
  cwd?: string | undefined;
}

/** The commit HEAD names in the git repository holding `start`, read from the files (a few small reads, no process). */
export function gitCommitAt(start: string): string | undefined {
  try {
    let dir = resolve(start);
    for (let depth = 0; depth < 40; depth++) {
      const dotGit = join(dir, '.git');
      if (existsSync(dotGit)) {
        // A worktree or submodule has a `.git` file naming its git directory; refs may live in the common directory.
        const gitDir = statSync(dotGit).isDirectory()
          ? dotGit
          : resolve(
              dir,
              readFileSync(dotGit, 'utf8')
                .replace(/^gitdir:\s*/, '')
                .trim(),
            );
        const commonFile = join(gitDir, 'commondir');
        const common = existsSync(commonFile) ? resolve(gitDir, readFileSync(commonFile, 'utf8').trim()) : gitDir;
        const head = readFileSync(join(gitDir, 'HEAD'), 'utf8').trim();
        if (/^[0-9a-f]{40,64}$/.test(head)) return head;
        const ref = /^ref:\s*(refs\/\S+)$/.exec(head)?.[1];
        if (!ref || ref.split('/').includes('..')) return undefined;
        for (const base of [gitDir, common]) {
          const file = join(base, ref);
          if (existsSync(file)) return /^[0-9a-f]{40,64}$/.exec(readFileSync(file, 'utf8').trim())?.[0];
        }
        const packed = join(common, 'packed-refs');
        if (!existsSync(packed)) return undefined;
        const line = readFileSync(packed, 'utf8')
          .split('\n')
          .find((l) => l.endsWith(` ${ref}`));
        return line ? /^[0-9a-f]{40,64}/.exec(line)?.[0] : undefined;
      }
      const parent = dirname(dir);
      if (parent === dir || !isAbsolute(parent)) return undefined;
      dir = parent;
    }
  } catch {
    // not a readable repository: no commit recorded
  }
  return undefined;
}

const nonEmpty = (value: string | undefined): string | undefined => (value && value.trim() !== '' ? value.trim() : undefined);

function osUserName(): string | undefined {
  try {
    return nonEmpty(userInfo().username);
  } catch {
    return undefined;
  }
}

function hostName(): string | undefined {
  try {
    return nonEmpty(hostname());
  } catch {
    return undefined;
  }
}

/** Drops the keys whose value is undefined, so the JSON holds only what is known. */
function defined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** The CI system from its standard variables: GitHub Actions, then Azure DevOps. */
function ciOf(env: NodeJS.ProcessEnv): Pick<RunWho, 'ci' | 'repository' | 'commit'> {
  if (env.GITHUB_ACTIONS === 'true' || nonEmpty(env.GITHUB_RUN_ID)) {
    const server = nonEmpty(env.GITHUB_SERVER_URL) ?? 'https://github.com';
    const repository = nonEmpty(env.GITHUB_REPOSITORY);
    const runId = nonEmpty(env.GITHUB_RUN_ID);
    const attempt = nonEmpty(env.GITHUB_RUN_ATTEMPT);
    const runUrl =
      repository && runId
        ? `${server.replace(/\/+$/, '')}/${repository}/actions/runs/${runId}${attempt && attempt !== '1' ? `/attempts/${attempt}` : ''}`
        : undefined;
    return defined({
      ci: defined({
        provider: 'github-actions' as const,
        actor: nonEmpty(env.GITHUB_ACTOR),
        runUrl,
        workflow: nonEmpty(env.GITHUB_WORKFLOW),
        ref: nonEmpty(env.GITHUB_REF_NAME),
      }),
      repository: repository ? `${server.replace(/\/+$/, '')}/${repository}` : undefined,
      commit: nonEmpty(env.GITHUB_SHA),
    });
  }
  if (env.TF_BUILD === 'True' || nonEmpty(env.BUILD_BUILDID)) {
    const collection = nonEmpty(env.SYSTEM_COLLECTIONURI);
    const project = nonEmpty(env.SYSTEM_TEAMPROJECT);
    const buildId = nonEmpty(env.BUILD_BUILDID);
    const runUrl =
      collection && project && buildId
        ? `${collection.replace(/\/+$/, '')}/${encodeURIComponent(project)}/_build/results?buildId=${encodeURIComponent(buildId)}`
        : undefined;
    return defined({
      ci: defined({
        provider: 'azure-devops' as const,
        actor: nonEmpty(env.BUILD_REQUESTEDFOR),
        runUrl,
        workflow: nonEmpty(env.BUILD_DEFINITIONNAME),
        ref: nonEmpty(env.BUILD_SOURCEBRANCHNAME),
      }),
      repository: nonEmpty(env.BUILD_REPOSITORY_URI) ?? nonEmpty(env.BUILD_REPOSITORY_NAME),
      commit: nonEmpty(env.BUILD_SOURCEVERSION),
    });
  }
  return {};
}

const AZURE_PG_SUFFIX = /\.postgres\.database\.azure\.com$/i;

function targetOf(config: Config | undefined, archive: string | undefined): RunTarget {
  const target: RunTarget = {};
  const azure = config?.azure;
  if (azure) {
    target.subscriptionId = azure.subscriptionId;
    if (azure.postgres) {
      target.postgresServerId =
        `/subscriptions/${azure.subscriptionId}/resourceGroups/${azure.postgres.resourceGroup}` +
        `/providers/Microsoft.DBforPostgreSQL/flexibleServers/${azure.postgres.server}`;
    }
    if (azure.storage) {
      target.storageAccountId =
        `/subscriptions/${azure.subscriptionId}/resourceGroups/${azure.storage.resourceGroup}` +
        `/providers/Microsoft.Storage/storageAccounts/${azure.storage.account}`;
      if (azure.storage.container) target.storageContainer = azure.storage.container;
    }
  }
  if (config?.database) {
    try {
      const url = new URL(config.database.url);
      const host = decodeURIComponent(url.hostname);
      target.database = defined({
        host,
        port: url.port ? Number(url.port) : 5432,
        name: nonEmpty(decodeURIComponent(url.pathname.replace(/^\//, ''))),
        user: nonEmpty(decodeURIComponent(url.username)),
        url: maskUrl(config.database.url),
      });
      // A Flexible Server is reached at its FQDN: when the database URL names one, that is the server's.
      if (azure?.postgres && AZURE_PG_SUFFIX.test(host)) target.serverFqdn = host;
    } catch {
      // the configuration's schema already refused an unparsable URL
    }
  }
  if (archive) target.archive = archive;
  return target;
}

export function collectProvenance(input: ProvenanceInput): Provenance {
  const ci = ciOf(input.env);
  const who: RunWho = defined({
    osUser: 'osUser' in input ? input.osUser : osUserName(),
    host: 'host' in input ? input.host : hostName(),
    ...ci,
    ...(ci.commit === undefined && input.cwd ? { commit: gitCommitAt(input.cwd) } : {}),
  });
  return { who, target: targetOf(input.config, input.archive) };
}
