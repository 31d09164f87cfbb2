/**
 * Runs test/helpers/fleet-driver.ts in a child process against a running simulator (its CA trusted through
 * NODE_EXTRA_CA_CERTS, its managed identity through IDENTITY_ENDPOINT/IDENTITY_HEADER, HOME a temp directory so that
 * no developer sign-in is found), and returns what each step gave.
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { RunningSimulator } from '../../src/simulator/resource-manager.js';
import type { DriverJob, StepResult } from './fleet-driver.js';

const DRIVER = join(import.meta.dirname, 'fleet-driver.ts');

/** A run's configuration for the simulator: its endpoint and subscription, and `azure` changed by `azure`. */
export function simulatorConfig(sim: RunningSimulator, azure: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    environment: 'fleet-test',
    azure: { subscriptionId: sim.subscriptionId, resourceManagerEndpoint: sim.endpoint, maxRetryAfterSeconds: 5, ...azure },
  };
}

let jobs = 0;

/** Runs the job's steps in one child process; `dir` holds the job file and serves as the child's HOME. */
export async function drive(sim: RunningSimulator, dir: string, job: DriverJob): Promise<StepResult[]> {
  const file = join(dir, `fleet-job-${++jobs}.json`);
  await writeFile(file, JSON.stringify(job));
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', DRIVER, file], {
    env: { PATH: process.env.PATH ?? '', HOME: dir, AZURE_CONFIG_DIR: join(dir, 'no-az'), ...sim.env },
    timeout: 300_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(stdout) as StepResult[];
}
