/**
 * The check contract (architecture.md, "The check contract"). One check, one file, one id.
 * A check gets everything through its context: no SDK imports, no module singletons.
 */
import type { Config } from '../config/schema.js';
import type { Gateways } from '../run/gateways.js';

export type Severity = 'critical' | 'high' | 'medium' | 'low' | 'info';
export const SEVERITIES: readonly Severity[] = ['critical', 'high', 'medium', 'low', 'info'];

export type Status = 'pass' | 'fail' | 'warn' | 'error' | 'skipped';
export const STATUSES: readonly Status[] = ['pass', 'fail', 'warn', 'error', 'skipped'];

export interface ControlRef {
  framework: string;
  control: string;
}

/** What a check needs configured; when absent the check is `skipped` with the reason. */
export type Need = 'database' | 'azurePostgres' | 'azureStorage' | 'archive';

/** Which command's report the check belongs to. */
export type CheckCommand = 'check' | 'verify' | 'restore-test';

/** Plain JSON, so every report format can render it and golden files stay stable. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type Evidence = Record<string, JsonValue>;

export interface CheckMeta {
  /** kebab-case, equals the file name, stable forever (contract.md). */
  id: string;
  /** States the compliant state. */
  title: string;
  severity: Severity;
  /** What is evaluated. */
  description: string;
  /** Why an auditor cares. */
  risk: string;
  /** What to do, with the az CLI command where one exists. */
  remediation: string;
  controls: ControlRef[];
  needs: Need[];
  command: CheckCommand;
}

/**
 * What a check concludes. One per check: the report has one entry per check id (contract.md),
 * so a check covering several resources (tables, say) puts them in one message and its evidence.
 * A check that cannot evaluate throws (EvaluationError with a hint): the runner records `error`.
 */
export interface Finding {
  status: 'pass' | 'fail' | 'warn' | 'skipped';
  /** One sentence for auditors: the resource, the observed value, the expected value. */
  message: string;
  evidence?: Evidence;
}

export interface Logger {
  /** Progress and diagnostics for stderr; never part of a report. */
  info(message: string): void;
  debug(message: string): void;
}

export interface CheckContext {
  config: Config;
  /** Directory of the configuration file: relative paths in it are resolved from here. */
  configDir: string;
  gateways: Gateways;
  now(): Date;
  signal: AbortSignal;
  log: Logger;
}

export interface Check extends CheckMeta {
  /** Returns a skip reason when the check's own inputs are not configured (beyond `needs`). */
  notApplicable?(config: Config): string | undefined;
  run(ctx: CheckContext): Promise<Finding>;
}

/** Common control references, so that every check cites them the same way. */
export const CONTROLS = {
  backup: { framework: 'ISO27001:2022', control: 'A.8.13' },
  redundancy: { framework: 'ISO27001:2022', control: 'A.8.14' },
  continuity: { framework: 'ISO27001:2022', control: 'A.5.30' },
  logging: { framework: 'ISO27001:2022', control: 'A.8.15' },
  changeManagement: { framework: 'ISO27001:2022', control: 'A.8.32' },
  dataLocation: { framework: 'ISO27001:2022', control: 'A.5.34' },
  hdsBackup: { framework: 'HDS', control: 'Référentiel HDS v2 — sauvegarde et restauration des données de santé' },
  hdsIntegrity: { framework: 'HDS', control: 'Référentiel HDS v2 — intégrité des données de santé' },
  hdsLocation: { framework: 'HDS', control: 'Référentiel HDS v2 — localisation des données dans l’EEE' },
} as const satisfies Record<string, ControlRef>;
