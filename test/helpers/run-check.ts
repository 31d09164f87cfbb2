/**
 * Runs ONE check through the real runner, on an archive verification built in memory, and returns its result.
 * The unit tests of the archive-* checks reach the runner and the gateways only through here, so that a change of
 * the run's context API is adapted in this one file.
 */
import type { z } from 'zod';
import type { ArchiveVerification } from '../../src/archive/verify-archive.js';
import type { Check } from '../../src/checks/types.js';
import { configSchema } from '../../src/config/schema.js';
import type { CheckResult } from '../../src/run/result.js';
import { runChecks } from '../../src/run/runner.js';
import { NOW, verification } from './archive-verification.js';
import { fakeGateways } from './fake-gateways.js';

export interface RunCheckOptions {
  /**
   * What the run's archive input answers: a verification, or a function (that may reject, as verifyArchive does on
   * an unreadable file). Default: `verification()`, a sound archive. `null`: the run has no archive at all.
   */
  archive?: ArchiveVerification | (() => Promise<ArchiveVerification>) | null;
  /** The configuration as a file would give it; parsed by the real schema, so every default applies. */
  config?: Partial<z.input<typeof configSchema>>;
  /** The run's clock; default NOW, two hours after the default archive was made. */
  now?: Date;
}

export async function runCheck(check: Check, options: RunCheckOptions = {}): Promise<CheckResult> {
  const config = configSchema.parse({ environment: 'production', ...options.config });
  const given = options.archive === undefined ? verification() : options.archive;
  const archive = given === null ? undefined : typeof given === 'function' ? given : () => Promise.resolve(given);
  const now = options.now ?? NOW;
  const result = await runChecks({
    command: 'verify',
    checks: [check],
    config,
    gateways: fakeGateways(),
    inputs: archive ? { archive } : {},
    now: () => now,
  });
  const [only, ...others] = result.checks;
  if (!only || others.length > 0) throw new Error(`runCheck: expected one result for ${check.id}, got ${result.checks.length}`);
  return only;
}
