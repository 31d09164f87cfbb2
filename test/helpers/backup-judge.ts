/**
 * Runs the backup-* checks through the real runner on a backup outcome built in memory (the end-to-end tests in
 * test/backup/ make real ones), so that each check's judgement is tested on every status.
 */
import type { z } from 'zod';
import type { BackupOutcome, ComponentOutcome } from '../../src/backup/outcome.js';
import { checksFor } from '../../src/checks/index.js';
import { configSchema } from '../../src/config/schema.js';
import type { CheckResult } from '../../src/run/result.js';
import { runChecks } from '../../src/run/runner.js';
import { COMPONENT_NAMES } from '../../src/selfhosted/component.js';
import { fakeGateways } from './fake-gateways.js';

/** An outcome where every component of `configured` was dumped (one member each). */
export function backupOutcome(configured: readonly string[] = ['postgres']): BackupOutcome {
  const components: ComponentOutcome[] = COMPONENT_NAMES.map((name) =>
    configured.includes(name)
      ? {
          name,
          status: 'done',
          source: `${name}://backup@db.internal`,
          tool: { name: `${name}-tool`, version: `${name}-tool 1.0` },
          members: [{ path: `${name}.member`, sha256: 'a'.repeat(64), size: 2048 }],
          facts: {},
          seconds: 1.5,
        }
      : { name, status: 'not-configured', members: [], facts: {} },
  );
  return { environment: 'dev', backupDir: '/var/backups/medicapp', fileName: 'medicapp_dev_20261201_030000.tar.gz', components, timings: {} };
}

export async function judgeBackup(
  outcome: BackupOutcome,
  sources: z.input<typeof configSchema>['selfHosted'] extends infer S ? (S extends { sources?: infer T } ? T : never) : never,
): Promise<Record<string, CheckResult>> {
  const config = configSchema.parse({ environment: 'dev', selfHosted: { name: 'medicapp', sources } });
  const result = await runChecks({ command: 'backup', checks: checksFor('backup'), config, gateways: fakeGateways(), inputs: { backup: outcome } });
  return Object.fromEntries(result.checks.map((c) => [c.id, c]));
}
