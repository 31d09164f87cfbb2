/**
 * The restore tests of the self-hosted components other than PostgreSQL (issue 15), driven by the one read of the
 * archive: verify-archive hands each member to `tap` as it reads it (member-tap.ts), the component's session loads it
 * into its own throwaway server, and once the archive is read and judged `finish` compares what each restored with
 * metadata.json's `components.<name>` and removes everything.
 *
 * - A session starts as early as possible: when metadata.json (first in archives restorecheck writes) says the
 *   component is in the archive, else when its member's first bytes arrive. An empty server reveals nothing.
 * - A component whose tools this machine lacks is not started: its result is `skipped` with the reason.
 * - The members come one after another (the archive is one stream); the comparisons and removals run concurrently.
 * - Whatever happens (a failed load, a deadline, Ctrl-C), every session started is disposed before `finish` returns,
 *   and `dispose` does the same for a run that never reaches `finish`.
 */
import type { Readable } from 'node:stream';
import type { MemberConsumer } from '../archive/member-tap.js';
import type { ArchiveMetadata } from '../archive/metadata.js';
import type { Config } from '../config/schema.js';
import { EvaluationError, RestoreFailedError, describeError } from '../errors.js';
import type { ComponentName, ComponentRestoreTest, RestoreSession } from '../selfhosted/component.js';
import { COMPONENTS } from '../selfhosted/components.js';
import type { JsonValue, Logger } from '../vocabulary.js';
import type { Discard } from './discard.js';
import type { ComponentRestoreResult, StepFailure } from './outcome.js';

type Component = Exclude<ComponentName, 'postgres'>;

export interface ComponentRestoresOptions {
  config: Config;
  runId: string;
  signal: AbortSignal;
  log: Logger;
  /** When the restore test started (performance.now()): a component's restore time counts from there. */
  startedAt: number;
  /** The components restore-tested; default every one with a restore test (PostgreSQL has its own path). */
  registry?: Partial<Record<Component, ComponentRestoreTest>>;
}

interface Slot {
  name: Component;
  test: ComponentRestoreTest;
  members: Set<string>;
  /** Why it is not restore-tested here (asked once). */
  unavailable: Promise<string | undefined>;
  session?: Promise<RestoreSession>;
  /** Members fed so far. */
  fed: string[];
  loads: Promise<void>[];
  loadFailure?: StepFailure;
  loadedAt?: number;
  /** Its session has been disposed (by finish). */
  removed?: boolean;
}

function failureOf(error: unknown, signal: AbortSignal): StepFailure {
  if (signal.aborted) return { kind: 'timeout', message: 'the restore test was interrupted or ran out of time', hint: 'run it again; raise --timeout' };
  if (error instanceof RestoreFailedError) return { kind: 'restore-failed', message: error.message, hint: error.hint };
  if (error instanceof EvaluationError) return { kind: error.kind, message: error.message, hint: error.hint };
  return { kind: 'internal', message: describeError(error), hint: 'run the restore test again; report it if it persists' };
}

/** Which component's restore test a member belongs to. */
function registryOf(options: ComponentRestoresOptions): Partial<Record<Component, ComponentRestoreTest>> {
  if (options.registry) return options.registry;
  const registry: Partial<Record<Component, ComponentRestoreTest>> = {};
  for (const name of ['mariadb', 'mongodb', 'redis', 'minio'] as const) {
    const test = COMPONENTS[name].restoreTest;
    if (test) registry[name] = test;
  }
  return registry;
}

export class ComponentRestores {
  private readonly slots: Slot[];
  private readonly byMember = new Map<string, Slot>();
  private disposed?: Promise<void>;

  constructor(private readonly options: ComponentRestoresOptions) {
    const registry = registryOf(options);
    this.slots = (Object.entries(registry) as [Component, ComponentRestoreTest][]).map(([name, test]) => {
      const slot: Slot = {
        name,
        test,
        members: new Set(COMPONENTS[name].members),
        unavailable: test.unavailable().catch((error: unknown) => `its tools could not be checked (${describeError(error)})`),
        fed: [],
        loads: [],
      };
      for (const member of slot.members) this.byMember.set(member, slot);
      return slot;
    });
  }

  /** metadata.json has been read: start the servers of the components it lists, before their members arrive. */
  onMetadata(metadata: ArchiveMetadata): void {
    const listed = new Set([
      ...Object.keys(metadata.members ?? {}),
      ...Object.entries((metadata.components ?? {}) as Record<string, JsonValue>)
        .filter(([, facts]) => facts !== null && typeof facts === 'object' && !Array.isArray(facts) && facts.backed_up !== false)
        .flatMap(([name]) => COMPONENTS[name as ComponentName]?.members ?? []),
    ]);
    for (const slot of this.slots) if ([...slot.members].some((m) => listed.has(m))) void this.start(slot).catch(() => undefined);
  }

  /** For verifyArchive's `tap`: the consumer of a member that belongs to a component restore-tested here. */
  tap(member: string): MemberConsumer | undefined {
    const slot = this.byMember.get(member);
    if (!slot) return undefined;
    slot.fed.push(member);
    return async (content: Readable) => {
      const load = this.load(slot, member, content);
      slot.loads.push(load);
      await load;
    };
  }

  private start(slot: Slot): Promise<RestoreSession> {
    slot.session ??= (async () => {
      const reason = await slot.unavailable;
      if (reason !== undefined) throw new Unavailable(reason);
      if (this.disposed) throw new EvaluationError('timeout', 'the restore test was stopped', 'run it again');
      const { config, runId, signal, log } = this.options;
      log.info(`restore-test: starting a throwaway ${slot.name} for ${[...slot.members].join(', ')}`);
      return slot.test.start({ config, runId, signal, log });
    })();
    return slot.session;
  }

  private async load(slot: Slot, member: string, content: Readable): Promise<void> {
    try {
      const session = await this.start(slot);
      if (slot.loadFailure) {
        // an earlier member of the component already failed: nothing more to load into it
        content.destroy();
        return;
      }
      this.options.log.info(`restore-test: restoring ${member} into ${session.target}`);
      await session.load(member, content);
      slot.loadedAt = performance.now();
    } catch (error) {
      content.destroy();
      if (error instanceof Unavailable) return;
      slot.loadFailure ??= failureOf(error, this.options.signal);
    }
  }

  /**
   * After the archive was read and judged: each component fed, compared (unless discarded or failed) and removed.
   * `discardReason(member)` says why a member's restore proves nothing (it, or the archive, failed verification).
   */
  async finish(input: {
    metadata: ArchiveMetadata | undefined;
    discardReason: (member: string) => Discard | undefined;
  }): Promise<Partial<Record<Component, ComponentRestoreResult>>> {
    const fed = this.slots.filter((slot) => slot.fed.length > 0);
    const results = await Promise.all(fed.map((slot) => this.finishOne(slot, input)));
    await this.dispose();
    return Object.fromEntries(results.map((r, i) => [fed[i]!.name, r]));
  }

  private async finishOne(
    slot: Slot,
    input: { metadata: ArchiveMetadata | undefined; discardReason: (member: string) => Discard | undefined },
  ): Promise<ComponentRestoreResult> {
    await Promise.all(slot.loads);
    const result: ComponentRestoreResult = { members: [...slot.fed], state: 'failed', cleanup: { removed: [], leftover: [] } };
    const reason = await slot.unavailable;
    if (reason !== undefined) return { ...result, state: 'skipped', reason };
    const discarded = slot.fed.map((m) => input.discardReason(m)).find((r) => r !== undefined);
    if (discarded) {
      result.discarded = discarded.reason;
      result.discardedBecause = discarded.status;
    }
    let session: RestoreSession | undefined;
    try {
      session = await this.start(slot);
      result.target = session.target;
      if (slot.loadedAt !== undefined) result.restoreSeconds = Math.round((slot.loadedAt - this.options.startedAt) / 10) / 100;
      if (slot.loadFailure) result.failure = slot.loadFailure;
      else if (!discarded) {
        const recorded = (input.metadata?.components as Record<string, JsonValue> | undefined)?.[slot.name];
        result.comparison = await session.compare(
          recorded !== null && typeof recorded === 'object' && !Array.isArray(recorded) ? (recorded as Record<string, JsonValue>) : undefined,
        );
        result.state = 'restored';
      }
    } catch (error) {
      result.failure = failureOf(error, this.options.signal);
    } finally {
      if (session) {
        slot.removed = true;
        try {
          result.cleanup = await session.dispose();
        } catch (error) {
          result.cleanup = { removed: [], leftover: [`${session.target} (${describeError(error)})`] };
        }
      }
    }
    return result;
  }

  /** Removes every server started (a run that stops before `finish`); safe to call twice. */
  dispose(): Promise<void> {
    this.disposed ??= (async () => {
      await Promise.all(
        this.slots.map(async (slot) => {
          if (slot.removed) return;
          slot.removed = true;
          const session = await slot.session?.catch(() => undefined);
          await session?.dispose().catch(() => undefined);
        }),
      );
    })();
    return this.disposed;
  }
}

/** The component's tools are missing here: not an error, its result is `skipped`. */
class Unavailable extends Error {}
