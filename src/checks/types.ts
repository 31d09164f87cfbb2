/**
 * The check contract (architecture.md, "The check contract"). One check, one file, one id.
 * A check gets everything through its context: no SDK imports, no module singletons.
 */
import type { ArchiveVerification } from '../archive/verify-archive.js';
import type { BackupOutcome } from '../backup/outcome.js';
import type { Config } from '../config/schema.js';
import type { StoredReport } from '../evidence/report-directory.js';
import type { BlobDrillOutcome } from '../restore/blob-drill-outcome.js';
import type { InPlaceOutcome } from '../restore/in-place-outcome.js';
import type { RestoreOutcome } from '../restore/outcome.js';
import type { Gateways } from '../run/gateways.js';
import type { ControlRef, Evidence, FleetResource, Logger, Severity } from '../vocabulary.js';
import type { LocalText } from './messages.js';

/** What a check needs configured; when absent the check is `skipped` with the reason (listed by `list-checks`). */
export type Need = 'database' | 'azurePostgres' | 'azureStorage' | 'archive';

/**
 * What a check uses that the run itself produced: the restore test's outcome (restore-test), the reports stored in
 * report.dir (restore-test-freshness). Not configuration, so not in `needs`: a run that lacks one is a misuse, an `error`.
 */
export type RunInput = 'restore' | 'storedReports' | 'backup' | 'inPlace' | 'blobDrill';

/** Which command's report the check belongs to. */
export type CheckCommand = 'check' | 'verify' | 'restore-test' | 'backup' | 'restore';

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
  /**
   * What to do, with the az CLI command where one exists, commands between backticks (the reporters render them as code).
   * Names the run knows are written as placeholders (`<resource-group>`, `<server>`, `<account>`, `<days>`…): `list-checks`
   * shows them as they are, and the runner fills them from the configuration through `slots` (fillRemediation).
   */
  remediation: string;
  /** The same texts in French, with the same placeholders and the commands unchanged. Required: every check speaks both. */
  fr: CheckTexts;
  /** The values of the remediation's placeholders for a run's configuration (placeholder without its brackets → value). */
  slots?(config: Config): Record<string, string | number | undefined>;
  controls: ControlRef[];
  needs: readonly Need[];
  command: CheckCommand;
}

/** A check's texts in one language. */
export interface CheckTexts {
  title: string;
  description: string;
  risk: string;
  remediation: string;
}

/**
 * Fills a remediation's `<name>` placeholders with the slots' values; a placeholder without a value stays as it is
 * (`list-checks`, or a configuration that lacks the section), so the text is always pasteable once the gaps are filled.
 */
export function fillRemediation(template: string, slots: Record<string, string | number | undefined> | undefined): string {
  if (!slots) return template;
  return template.replace(/<([a-z][a-z0-9-]*)>/g, (whole, name: string) => {
    const value = slots[name];
    return value === undefined ? whole : String(value);
  });
}

/**
 * What a check concludes. One per check and run: a check covering several things of one resource (tables, say) puts
 * them in one message and its evidence. In fleet mode the runner runs the check once per resource, and the report
 * holds one entry per check and resource (CheckResult.resource; contract.md, "issue 17: fleet mode").
 * A check that cannot evaluate throws (EvaluationError with a hint): the runner records `error`.
 */
export interface Finding {
  status: 'pass' | 'fail' | 'warn' | 'skipped';
  /**
   * One sentence for auditors: the resource, the observed value, the expected value. A catalog message (messages.ts)
   * so that it exists in every language; a plain string stays English only.
   */
  message: string | LocalText;
  evidence?: Evidence;
  /**
   * The fix for what was observed, when it differs from the check's general remediation (a command that cannot work in
   * the observed state must not be offered: pgflex-data-residency without geo-redundant backup, say).
   */
  remediation?: LocalText;
}

/** What every check gets. */
export interface BaseContext {
  /** Paths in it are absolute (config/load.ts resolves them from the configuration file's directory). */
  config: Config;
  gateways: Gateways;
  now(): Date;
  signal: AbortSignal;
  log: Logger;
  /** Fleet mode (azure.discover): the discovered resource this run judges, as Resource Graph described it. */
  fleetResource?: FleetResource;
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
  /** What this run's blob recovery drill did, step by step (restore-test with azure.storage.drill); blob-recovery-drill judges it. */
  blobDrill: { blobDrill: BlobDrillOutcome };
  /** What this run's backup did, component by component; the backup-* checks judge it. */
  backup: { backup: BackupOutcome };
  /** What this run's in-place restore did (`restorecheck restore`); the restored-* and restore-* checks of its report judge it. */
  inPlace: { inPlace: InPlaceOutcome };
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
export type RunContext = BaseContext &
  Partial<
    Provided['archive'] & Provided['restore'] & Provided['backup'] & Provided['inPlace'] & Provided['blobDrill'] & Omit<Provided['storedReports'], 'config'>
  >;

/** The inputs a run hands to its checks (runChecks' `inputs`). */
export type RunInputs = Omit<RunContext, keyof BaseContext>;

/** A check as written in its file (`defineCheck`), typed by what it declares. */
export interface CheckDefinition<N extends Need, U extends RunInput> extends CheckMeta {
  needs: readonly N[];
  uses?: readonly U[];
  /** Returns a skip reason when the check's own inputs are not configured (beyond `needs`). */
  notApplicable?(config: Config): string | LocalText | undefined;
  run(ctx: CheckContext<N | U>): Promise<Finding>;
}

/** A check as the registry and the runner hold it. */
export interface Check extends CheckMeta {
  uses?: readonly RunInput[];
  notApplicable?(config: Config): string | LocalText | undefined;
  /** Called only with the declared needs present and run inputs given (run/runner.ts makes sure). */
  run(ctx: RunContext): Promise<Finding>;
}

/** Declares a check: `needs` and `uses` type its context. */
export function defineCheck<const N extends Need = never, const U extends RunInput = never>(definition: CheckDefinition<N, U>): Check {
  return definition;
}

/**
 * The requirements the checks cite, each once, so that every check cites them the same way (and the reports can group
 * the checks by requirement). Each check file says in a comment why it cites what it cites.
 *
 * ISO/IEC 27001:2022 Annex A controls, by their number and short title.
 *
 * HDS v2 (référentiel de certification HDS, arrêté du 26 avril 2024, 31 exigences; in force for new candidates since
 * 16 November 2024): only EXI 28 is cited, the hosting (storage) of health data on the territory of an EEA state,
 * which the residency checks evidence. Sources: the ministry's statement quoted by Archimag
 * (https://archimag.com/univers-data/2024/05/17/h%C3%A9bergement-donnees-sante-referentiel-publie-journal-officiel:
 * "l'hébergement physique des données de santé doit être réalisé exclusivement sur le territoire d'un pays situé au
 * sein de l'Espace Economique Européen"), the 31 exigences (https://www.delsolavocats.com/Le-nouveau-referentiel-de-certification-Hebergeur-de-Donnees-de-Sante-HDS-en-cours-d-adoption,
 * https://desmarais-avocats.fr/?p=1519); exigences 28 to 31 are the sovereignty ones. The numbers of the HDS
 * requirements on backup/restore, traceability and integrity were not found stated by a credible source, so none is
 * cited: HDS v2 builds on ISO 27001, whose controls below carry those requirements. Do not add an HDS number here
 * without its source.
 */
export const CONTROLS = {
  backup: { framework: 'ISO27001:2022', control: 'A.8.13', title: 'Information backup' },
  redundancy: { framework: 'ISO27001:2022', control: 'A.8.14', title: 'Redundancy of information processing facilities' },
  continuity: { framework: 'ISO27001:2022', control: 'A.5.30', title: 'ICT readiness for business continuity' },
  logging: { framework: 'ISO27001:2022', control: 'A.8.15', title: 'Logging' },
  changeManagement: { framework: 'ISO27001:2022', control: 'A.8.32', title: 'Change management' },
  records: { framework: 'ISO27001:2022', control: 'A.5.33', title: 'Protection of records' },
  privacy: { framework: 'ISO27001:2022', control: 'A.5.34', title: 'Privacy and protection of PII' },
  cryptography: { framework: 'ISO27001:2022', control: 'A.8.24', title: 'Use of cryptography' },
  deletion: { framework: 'ISO27001:2022', control: 'A.8.10', title: 'Information deletion' },
  hdsLocation: { framework: 'HDS v2', control: 'EXI 28', title: 'Hosting of health data in the EEA' },
} as const satisfies Record<string, ControlRef>;

/** The French titles of CONTROLS (the control ids stay as they are). */
export const CONTROL_TITLES_FR: Record<string, string> = {
  'ISO27001:2022 A.8.13': 'Sauvegarde des informations',
  'ISO27001:2022 A.8.14': 'Redondance des moyens de traitement de l’information',
  'ISO27001:2022 A.5.30': 'Préparation des TIC à la continuité d’activité',
  'ISO27001:2022 A.8.15': 'Journalisation',
  'ISO27001:2022 A.8.32': 'Gestion des changements',
  'ISO27001:2022 A.5.33': 'Protection des enregistrements',
  'ISO27001:2022 A.5.34': 'Vie privée et protection des DCP',
  'ISO27001:2022 A.8.24': 'Utilisation de la cryptographie',
  'ISO27001:2022 A.8.10': 'Suppression des informations',
  'HDS v2 EXI 28': 'Hébergement des données de santé dans l’EEE',
};

/** Slots of the checks on azure.postgres. */
export function postgresSlots(config: Config): Record<string, string | number | undefined> {
  const pg = config.azure?.postgres;
  // `--backup-retention` accepts 7 to 35 days: a larger minimum is capped so that the command offered works
  // (pgflex-backup-retention says what to do beyond it).
  const days = pg?.minRetentionDays === undefined ? undefined : Math.min(Math.max(pg.minRetentionDays, 7), 35);
  return { 'resource-group': pg?.resourceGroup, server: pg?.server, days };
}

/** Slots of the checks on azure.storage. */
export function storageSlots(config: Config): Record<string, string | number | undefined> {
  const st = config.azure?.storage;
  return { 'resource-group': st?.resourceGroup, account: st?.account, container: st?.container, days: st?.minSoftDeleteDays };
}
