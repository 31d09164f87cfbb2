/**
 * The check contract (architecture.md, "The check contract"). One check, one file, one id.
 * A check gets everything through its context: no SDK imports, no module singletons.
 */
import type { ArchiveVerification } from '../archive/verify-archive.js';
import type { Config } from '../config/schema.js';
import type { StoredReport } from '../evidence/report-directory.js';
import type { RestoreOutcome } from '../restore/outcome.js';
import type { Gateways } from '../run/gateways.js';
import type { ControlRef, Evidence, Logger, Severity } from '../vocabulary.js';

/** What a check needs configured; when absent the check is `skipped` with the reason (listed by `list-checks`). */
export type Need = 'database' | 'azurePostgres' | 'azureStorage' | 'archive';

/**
 * What a check uses that the run itself produced: the restore test's outcome (restore-test), the reports stored in
 * report.dir (restore-test-freshness). Not configuration, so not in `needs`: a run that lacks one is a misuse, an `error`.
 */
export type RunInput = 'restore' | 'storedReports';

/** Which command's report the check belongs to. */
export type CheckCommand = 'check' | 'verify' | 'restore-test';

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
  needs: readonly Need[];
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

/** What every check gets. */
export interface BaseContext {
  /** Paths in it are absolute (config/load.ts resolves them from the configuration file's directory). */
  config: Config;
  gateways: Gateways;
  now(): Date;
  signal: AbortSignal;
  log: Logger;
}

type Present<T, K extends keyof T> = T & { [P in K]-?: NonNullable<T[P]> };
type AzureConfig = NonNullable<Config['azure']>;

/** What each need and run input guarantees in the context of a check that declares it. */
interface Provided {
  database: { config: Present<Config, 'database'> };
  azurePostgres: { config: { azure: Present<AzureConfig, 'postgres'> } };
  azureStorage: { config: { azure: Present<AzureConfig, 'storage'> } };
  /** The one streaming pass over the run's archive, made once and shared by every archive-* check. */
  archive: { archive: () => Promise<ArchiveVerification> };
  /** What this run's restore test found; the restore-* checks judge it. */
  restore: { restore: RestoreOutcome };
  /** The valid reports stored in report.dir, oldest first, each with its standing in the audit log. */
  storedReports: { config: { report: Present<NonNullable<Config['report']>, 'dir'> }; storedReports: () => Promise<StoredReport[]> };
}

type Intersection<U> = (U extends unknown ? (u: U) => void : never) extends (i: infer I) => void ? I : never;

/**
 * The context of a check that declares needs `N` and run inputs `U`: those config sections are present and those inputs
 * given, as types, because the runner does not run a check without them. So a check reads `ctx.config.azure.postgres`,
 * never `ctx.config.azure!.postgres!`.
 */
export type CheckContext<R extends Need | RunInput = never> = BaseContext & Intersection<Provided[R]>;

/** The context the runner builds: every input it has, whatever the check declared. */
export type RunContext = BaseContext & Partial<Provided['archive'] & Provided['restore'] & Omit<Provided['storedReports'], 'config'>>;

/** The inputs a run hands to its checks (runChecks' `inputs`). */
export type RunInputs = Omit<RunContext, keyof BaseContext>;

/** A check as written in its file (`defineCheck`), typed by what it declares. */
export interface CheckDefinition<N extends Need, U extends RunInput> extends CheckMeta {
  needs: readonly N[];
  uses?: readonly U[];
  /** Returns a skip reason when the check's own inputs are not configured (beyond `needs`). */
  notApplicable?(config: Config): string | undefined;
  run(ctx: CheckContext<N | U>): Promise<Finding>;
}

/** A check as the registry and the runner hold it. */
export interface Check extends CheckMeta {
  uses?: readonly RunInput[];
  notApplicable?(config: Config): string | undefined;
  /** Called only with the declared needs present and run inputs given (run/runner.ts makes sure). */
  run(ctx: RunContext): Promise<Finding>;
}

/** Declares a check: `needs` and `uses` type its context. */
export function defineCheck<const N extends Need = never, const U extends RunInput = never>(definition: CheckDefinition<N, U>): Check {
  return definition;
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
