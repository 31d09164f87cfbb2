/**
 * Azure Resource Manager's asynchronous-operation pattern (the `Azure-AsyncOperation` contract):
 * an accepted PUT or DELETE answers 202 with an operation URL; polling it says `InProgress` until
 * the work settles as `Succeeded` or `Failed` (with an ARM error). The work itself is a promise
 * supplied by the caller, which is where a restore test plugs in a real PostgreSQL copy.
 */
import { randomUUID } from 'node:crypto';

export type OperationStatus = 'InProgress' | 'Succeeded' | 'Failed' | 'Canceled';

export interface Operation {
  id: string;
  kind: 'restore' | 'delete' | 'firewall-rule';
  /** The resource path the operation acts on (ARM id). */
  resourceId: string;
  location: string;
  status: OperationStatus;
  startTime: string;
  endTime?: string;
  error?: { code: string; message: string };
}

export class OperationTracker {
  private readonly operations = new Map<string, Operation>();
  private readonly pending = new Set<Promise<void>>();

  constructor(private readonly now: () => Date) {}

  /** Starts tracking `work`; its rejection becomes a Failed operation with the error's code and message. */
  start(kind: Operation['kind'], resourceId: string, location: string, work: () => Promise<void>): Operation {
    const op: Operation = { id: randomUUID(), kind, resourceId, location, status: 'InProgress', startTime: this.now().toISOString() };
    this.operations.set(op.id, op);
    const settled = Promise.resolve()
      .then(work)
      .then(
        () => {
          op.status = 'Succeeded';
        },
        (error: unknown) => {
          op.status = 'Failed';
          const e = error as { code?: string; message?: string };
          op.error = { code: e.code ?? 'InternalServerError', message: e.message ?? String(error) };
        },
      )
      .finally(() => {
        op.endTime = this.now().toISOString();
        this.pending.delete(settled);
      });
    this.pending.add(settled);
    return op;
  }

  get(id: string): Operation | undefined {
    return this.operations.get(id);
  }

  list(): Operation[] {
    return [...this.operations.values()];
  }

  /** Waits for every operation still running (the simulator's stop waits for its hooks). */
  async settle(): Promise<void> {
    await Promise.allSettled([...this.pending]);
  }
}

/** An ARM-style error raised by operation work (a hook may throw one). */
export class ArmOperationError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}
