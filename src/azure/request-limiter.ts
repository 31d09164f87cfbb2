/**
 * One cap on the Resource Manager and Resource Graph requests of a fleet run in flight at once (azure.maxParallelRequests):
 * Azure throttles per identity, so hundreds of resources checked together must queue their calls rather than collect 429s.
 *
 * The limiter is a pipeline policy placed after the bearer-token policy (so after the Retry phase): it holds a slot
 * for one attempt only, from sending to the answer. A retry's wait (Retry-After, back-off) happens in the retry policy,
 * outside it, and so does the token fetch, so neither keeps another resource's request waiting.
 */
import { bearerTokenAuthenticationPolicyName, type Pipeline, type PipelinePolicy, type PipelineRequest } from '@azure/core-rest-pipeline';
import { abortError } from '../deadline.js';

export const requestLimiterPolicyName = 'restorecheckRequestLimiter';

/** An AbortSignal, or the SDK's narrower AbortSignalLike (what a pipeline request carries). */
type SignalLike = NonNullable<PipelineRequest['abortSignal']>;

/** A counting semaphore, first come first served; a waiter whose signal aborts leaves the queue. */
export class RequestLimiter {
  private active = 0;
  private readonly queue: Array<() => void> = [];
  /** The most slots ever held at once (what a test compares with the simulator's own count). */
  peak = 0;

  constructor(readonly max: number) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`RequestLimiter: max must be a positive integer, not ${max}`);
  }

  /** Slots held now. */
  get inFlight(): number {
    return this.active;
  }

  /** Waits for a slot (an abort while waiting rejects with the SDK's AbortError); the returned function gives it back (once). */
  async acquire(signal?: SignalLike): Promise<() => void> {
    if (signal?.aborted) throw abortError();
    if (this.active < this.max) {
      this.take();
    } else {
      await new Promise<void>((resolve, reject) => {
        const grant = () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        };
        const onAbort = () => {
          const index = this.queue.indexOf(grant);
          if (index >= 0) this.queue.splice(index, 1);
          reject(abortError());
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        this.queue.push(grant);
      });
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.release();
    };
  }

  private take(): void {
    this.active++;
    this.peak = Math.max(this.peak, this.active);
  }

  private release(): void {
    const next = this.queue.shift();
    // The slot passes straight to the next waiter: the count does not drop in between, so nobody overtakes the queue.
    if (next) {
      next();
      return;
    }
    this.active--;
  }
}

function requestLimiterPolicy(limiter: RequestLimiter): PipelinePolicy {
  return {
    name: requestLimiterPolicyName,
    async sendRequest(request, next) {
      const release = await limiter.acquire(request.abortSignal);
      try {
        // Without a streamed body (restorecheck asks for none), the answer is read whole before next() resolves.
        return await next(request);
      } finally {
        release();
      }
    },
  };
}

/** Adds the limiter to a Resource Manager or Resource Graph pipeline, after its bearer-token policy. */
export function addRequestLimiter(pipeline: Pipeline, limiter: RequestLimiter): void {
  const hasBearer = pipeline.getOrderedPolicies().some((p) => p.name === bearerTokenAuthenticationPolicyName);
  pipeline.addPolicy(requestLimiterPolicy(limiter), { afterPhase: 'Sign', ...(hasBearer ? { afterPolicies: [bearerTokenAuthenticationPolicyName] } : {}) });
}
