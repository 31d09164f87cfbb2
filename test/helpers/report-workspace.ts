/**
 * A temp directory with a configuration whose database is a closed port on this machine: `check`
 * then produces a real report (errors: connection refused) in milliseconds, with no service to start.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CliResult, runCli } from './cli.js';

/** Planted in the database URL: it must appear in no report, log line or output. */
export const CANARY_PASSWORD = 'canary-Pw-7f3e9c1b';

export interface Workspace {
  root: string;
  config: string;
  reports: string;
  cleanup(): void;
}

export function makeWorkspace(environment = 'production'): Workspace {
  const root = mkdtempSync(join(tmpdir(), 'restorecheck-reports-'));
  const config = join(root, 'restorecheck.yaml');
  writeFileSync(
    config,
    [
      `environment: ${environment}`,
      'database:',
      `  url: postgres://auditor:${CANARY_PASSWORD}@127.0.0.1:1/medicapp`,
      '  connectTimeoutMs: 2000',
      '  coreTables: [{ name: patients }, { name: public.documents }]',
      '',
    ].join('\n'),
  );
  return { root, config, reports: join(root, 'reports'), cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

/** `restorecheck check` into the workspace's report directory (or `outDir`) with the given formats. */
export function runCheck(ws: Workspace, formats: string[] = ['json'], options: { outDir?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  const args = ['check', '--config', ws.config, '--out-dir', options.outDir ?? ws.reports, ...formats.flatMap((f) => ['--format', f])];
  return runCli(args, { cwd: ws.root, ...(options.env ? { env: options.env } : {}) });
}
