/**
 * The official SDKs, in the test process, against the simulator's HTTPS listeners: a BlobServiceClient for its blob
 * data plane and a StorageManagementClient for Resource Manager, signed in by the unchanged ManagedIdentityCredential
 * through the simulator's IDENTITY_ENDPOINT / IDENTITY_HEADER (sim.env).
 *
 * Why an HTTP client with the CA rather than NODE_EXTRA_CA_CERTS: Node reads that variable only when a process
 * starts, and the simulator's CA is made after this one started. The client trusts the system roots plus the CA
 * file named by sim.env.NODE_EXTRA_CA_CERTS (TLS verification stays on); the SDKs' pipelines are otherwise their own.
 */
import { readFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { rootCertificates } from 'node:tls';
import { StorageManagementClient } from '@azure/arm-storage';
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import { createDefaultHttpClient, type HttpClient } from '@azure/core-rest-pipeline';
import { ManagedIdentityCredential } from '@azure/identity';
import { BlobServiceClient, newPipeline, type RequestPolicyFactory } from '@azure/storage-blob';
import type { RunningSimulator } from '../../src/simulator/resource-manager.js';

/** An HTTPS agent that trusts the simulator's CA (and the system's roots). */
const trustingAgent = (sim: RunningSimulator) => new Agent({ ca: [...rootCertificates, readFileSync(sim.env.NODE_EXTRA_CA_CERTS!, 'utf8')], keepAlive: false });

/** An HttpClient (core-rest-pipeline's, for @azure/identity and @azure/arm-storage) whose connections trust the simulator's CA. */
export function trustingHttpClient(sim: RunningSimulator): HttpClient {
  const agent = trustingAgent(sim);
  const inner = createDefaultHttpClient();
  return {
    sendRequest(request) {
      request.agent = agent;
      return inner.sendRequest(request);
    },
  };
}

/** Puts the simulator's managed-identity variables in this process's environment, where the credential reads them. */
export function useSimulatorIdentity(sim: RunningSimulator): void {
  process.env.IDENTITY_ENDPOINT = sim.env.IDENTITY_ENDPOINT;
  process.env.IDENTITY_HEADER = sim.env.IDENTITY_HEADER;
}

export function managedIdentity(sim: RunningSimulator): TokenCredential {
  useSimulatorIdentity(sim);
  return new ManagedIdentityCredential({ httpClient: trustingHttpClient(sim) });
}

/**
 * A credential that asks the simulator's identity endpoint at every call (the same App Service protocol the managed
 * identity uses). For tests that move the simulator's clock days ahead: ManagedIdentityCredential caches a token by
 * the real clock (in MSAL's cache, shared by every instance), so after the jump it would keep sending a token the
 * simulator, by its clock, has seen expire.
 */
export function uncachedIdentity(sim: RunningSimulator): TokenCredential {
  const ca = readFileSync(sim.env.NODE_EXTRA_CA_CERTS!, 'utf8');
  return {
    async getToken(scopes): Promise<AccessToken> {
      const resource = (Array.isArray(scopes) ? scopes[0]! : scopes).replace(/\/\.default$/, '');
      const url = `${sim.identityEndpoint}?api-version=2019-08-01&resource=${encodeURIComponent(resource)}`;
      const { request } = await import('node:https');
      const body = await new Promise<string>((resolve, reject) => {
        const req = request(url, { ca, headers: { 'x-identity-header': sim.identityHeader }, timeout: 30_000 }, (res) => {
          let text = '';
          res.setEncoding('utf8').on('data', (d: string) => (text += d));
          res.on('end', () => (res.statusCode === 200 ? resolve(text) : reject(new Error(`identity endpoint: ${res.statusCode} ${text}`))));
        });
        req.on('timeout', () => req.destroy(new Error('identity endpoint: timeout')));
        req.on('error', reject);
        req.end();
      });
      const parsed = JSON.parse(body) as { access_token: string; expires_on: string };
      // Said to expire within the SDK's refresh window (by the real clock), so that its bearer policy asks again at each request.
      return { token: parsed.access_token, expiresOnTimestamp: Date.now() + 60_000 };
    },
  };
}

/**
 * A BlobServiceClient for `account` on the simulator's blob data plane; no retries, so that a refusal is seen at once.
 * @azure/storage-blob takes an HttpClient of its older (core-http-compat) kind only, so the agent is set by a request
 * policy of its own pipeline instead.
 */
export function blobService(sim: RunningSimulator, account: string, credential: TokenCredential = managedIdentity(sim)): BlobServiceClient {
  const agent = trustingAgent(sim);
  const pipeline = newPipeline(credential, { retryOptions: { maxTries: 1, tryTimeoutInMs: 60_000 } });
  const trustTheSimulator: RequestPolicyFactory = {
    create: (next) => ({
      sendRequest(request) {
        request.agent = agent;
        return next.sendRequest(request);
      },
    }),
  };
  pipeline.factories.push(trustTheSimulator);
  return new BlobServiceClient(sim.blobEndpoint(account), pipeline);
}

/** @azure/arm-storage against the simulator's Resource Manager, as restorecheck's gateway builds it. */
export function storageManagement(sim: RunningSimulator): StorageManagementClient {
  return new StorageManagementClient(managedIdentity(sim), sim.subscriptionId, {
    endpoint: sim.endpoint,
    credentials: { scopes: [`${sim.endpoint}/.default`] },
    httpClient: trustingHttpClient(sim),
    retryOptions: { maxRetries: 0 },
  });
}
