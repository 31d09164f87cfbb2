/**
 * Plain HTTPS calls to the simulator from the test process, trusting its CA (no SDK): what a test needs to assert the
 * simulator's answers themselves (status, headers, the body as sent), and a Resource Manager token from its identity endpoint.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { request } from 'node:https';
import type { RunningSimulator } from '../../src/simulator/resource-manager.js';

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json: () => unknown;
}

/** A value inside parsed JSON by dotted path (`error.details.1.code`), for assertions. */
export function dig(value: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((v, k) => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), value);
}

export interface SimulatorClient {
  call(method: string, path: string, options?: { token?: string; headers?: Record<string, string>; body?: unknown }): Promise<Answer>;
  /** A Resource Manager token from the simulator's identity endpoint. */
  token(resource?: string): Promise<string>;
}

export async function simulatorClient(sim: RunningSimulator): Promise<SimulatorClient> {
  const ca = await readFile(sim.caFile, 'utf8');
  const call: SimulatorClient['call'] = (method, path, options = {}) =>
    new Promise((resolve, reject) => {
      const headers = { ...(options.token ? { authorization: `Bearer ${options.token}` } : {}), 'content-type': 'application/json', ...options.headers };
      const req = request(new URL(path, sim.endpoint), { method, ca, headers, agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: () => JSON.parse(body) }));
      });
      req.on('error', reject);
      req.end(options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body));
    });
  return {
    call,
    async token(resource = sim.endpoint) {
      const answer = await call('GET', `/msi/token?api-version=2019-08-01&resource=${encodeURIComponent(resource)}`, {
        headers: { 'x-identity-header': sim.identityHeader },
      });
      assert.equal(answer.status, 200, answer.body);
      return dig(answer.json(), 'access_token') as string;
    },
  };
}
