/** The registry of self-hosted components: one line per engine (architecture.md, "One component, one module"). */
import { COMPONENT_NAMES, type ComponentName, type SelfHostedComponent, type Sources } from './component.js';
import { mariadb } from './mariadb.js';
import { minio } from './minio.js';
import { mongodb } from './mongodb.js';
import { postgres } from './postgres.js';
import { redis } from './redis.js';

/** Every engine (a full record: an engine without its module does not compile). */
export const COMPONENTS: { [N in ComponentName]: SelfHostedComponent<N> } = {
  postgres,
  mariadb,
  mongodb,
  redis,
  minio,
};

/** The component module of `name`, with the configured source (undefined: not configured). */
export function configuredComponent<N extends ComponentName>(
  name: N,
  sources: Sources,
): { module: SelfHostedComponent<N>; source: NonNullable<Sources[N]> } | undefined {
  const source = sources[name];
  if (source === undefined) return undefined;
  return { module: COMPONENTS[name] as SelfHostedComponent<N>, source: source as NonNullable<Sources[N]> };
}

/** The members an archive of these sources holds: metadata.json and each configured component's (the default requiredMembers). */
export function expectedMembers(sources: Sources): string[] {
  return ['metadata.json', ...COMPONENT_NAMES.filter((name) => sources[name] !== undefined).flatMap((name) => COMPONENTS[name].members)];
}
