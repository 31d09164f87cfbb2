/**
 * How restorecheck talks to the configured Redis server: redis-cli, directly or behind the source's exec prefix, the
 * password through REDISCLI_AUTH (never the command line). Shared by the backup (redis.ts) and the in-place restore
 * (redis-in-place.ts).
 */
import { EvaluationError } from '../errors.js';
import type { SourceOf } from './component.js';
import { type ToolCommand, startTool } from './tool-process.js';

type Source = SourceOf<'redis'>;
export const REDIS_TOOLS_PACKAGE = 'redis-tools';

export function redisConnection(source: Source): { args: string[]; env: Record<string, string> } {
  const url = new URL(source.url);
  const args = ['-h', url.hostname.replace(/^\[(.*)\]$/, '$1'), '-p', url.port || '6379'];
  if (url.protocol === 'rediss:') args.push('--tls');
  const user = url.username ? decodeURIComponent(url.username) : '';
  if (user !== '' && user !== 'default') args.push('--user', user);
  const db = url.pathname.replace(/^\//, '');
  if (/^\d+$/.test(db)) args.push('-n', db);
  return { args, env: url.password ? { REDISCLI_AUTH: decodeURIComponent(url.password) } : {} };
}

export function redisCommand(source: Source, tool: string, args: string[], env: Record<string, string> = {}): ToolCommand {
  return { component: 'redis', debianPackage: REDIS_TOOLS_PACKAGE, exec: source.exec, tool, args, env };
}

/**
 * One redis-cli command. redis-cli exits 0 on an error reply (and on a failed AUTH, which it prints to stderr), so each
 * answer is checked by its shape: `expect` says what a real answer looks like.
 */
export async function redisCli(source: Source, args: string[], expect: RegExp, signal: AbortSignal): Promise<string> {
  const { args: conn, env } = redisConnection(source);
  const tool = startTool(redisCommand(source, 'redis-cli', [...conn, ...args], env), signal);
  let out = '';
  tool.stdout.setEncoding('utf8');
  tool.stdout.on('data', (chunk: string) => {
    if (out.length < 1024 * 1024) out += chunk;
  });
  await tool.done;
  const text = out.replace(/\r\n/g, '\n');
  if (!expect.test(text)) {
    const said = [text.trim().split('\n')[0], tool.stderrTail().trim().split('\n').at(-1)].filter(Boolean).join(' / ');
    throw new EvaluationError(
      /NOAUTH|WRONGPASS|AUTH failed/i.test(said) ? 'auth' : /NOPERM/i.test(said) ? 'permission' : 'query',
      `redis: ${args[0]} failed: ${said.slice(0, 300) || 'no answer'}`,
      /NOAUTH|WRONGPASS|AUTH failed/i.test(said)
        ? 'check the password in selfHosted.sources.redis.url'
        : 'check that the user may run it (ACL), or that the command is not renamed',
    );
  }
  return text;
}
