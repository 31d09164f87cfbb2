/**
 * What every gateway of one fleet run shares (issue 17): a fleet run makes one set of gateways per resource, hundreds of
 * them, each bound to its resource's subscription. They share one credential, so that a token is fetched once per
 * audience for the whole run (shared-tokens.ts), and one cap on the Resource Manager and Resource Graph requests in
 * flight at once, azure.maxParallelRequests (request-limiter.ts), since Azure throttles per identity.
 */
import type { AzureConfig } from '../config/schema.js';
import { createCredential } from './azure-settings.js';
import { RequestLimiter } from './request-limiter.js';
import { AzureSession, tokenTimeoutMs } from './session.js';
import { type SharedTokenCredential, sharedTokens } from './shared-tokens.js';
import type { ResourceGraphGateway } from './types.js';

export class AzureRun {
  private readonly credential: SharedTokenCredential;
  private readonly limiter: RequestLimiter;
  private readonly own: AzureSession;

  /** `config`: the run's azure section (its maxParallelRequests, endpoint, deadlines and retry bounds). */
  constructor(config: AzureConfig) {
    this.credential = sharedTokens(createCredential(tokenTimeoutMs(config)));
    this.limiter = new RequestLimiter(config.maxParallelRequests);
    this.own = new AzureSession(config, { credential: this.credential, limiter: this.limiter });
  }

  /** A session for one resource's configuration (its subscription), on the run's credential and request cap. */
  session(config: AzureConfig): AzureSession {
    return new AzureSession(config, { credential: this.credential, limiter: this.limiter });
  }

  /** Fleet discovery, on the run's credential and request cap. */
  resourceGraph(): ResourceGraphGateway {
    return this.own.resourceGraph();
  }

  /** Requests of the run in flight now and at most at once, under the cap; tokens asked of the identity. */
  stats(): { inFlight: number; peak: number; max: number; tokensFetched: number } {
    return { inFlight: this.limiter.inFlight, peak: this.limiter.peak, max: this.limiter.max, tokensFetched: this.credential.fetched };
  }
}
