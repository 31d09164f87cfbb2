/**
 * The one model every command produces and every reporter renders (contract.md, "The JSON report").
 * The JSON report is this object serialised; the other formats are pure functions of it.
 */
import { type ControlRef, type Evidence, type FleetResource, type JsonValue, SEVERITIES, type Severity, type Status } from '../vocabulary.js';

export interface CheckResult {
  id: string;
  /**
   * Fleet mode (azure.discover): the ARM id of the resource this finding is about. A check that covers N resources has
   * N findings, one per resource, as Prowler reports them; a single-resource report leaves it out.
   */
  resource?: string;
  title: string;
  status: Status;
  severity: Severity;
  message: string;
  evidence: Evidence;
  remediation: string;
  controls: ControlRef[];
  durationMs: number;
  /** For `error` (and `skipped`): what the user should do next. */
  hint?: string;
  /** For `error`: the kind of failure (auth, timeout, …) and Azure's request id when there was one. */
  errorKind?: string;
  requestId?: string;
  /** Set when the evidence was cut to report.maxEvidenceBytes; its size (JSON bytes) before the cut. */
  evidenceTruncated?: true;
  evidenceOriginalBytes?: number;
  /** The message's catalog key and parameters (checks/messages.ts): what renders it in another language (localize.ts). */
  messageKey?: string;
  messageParams?: Record<string, JsonValue>;
  /** The values filled into the remediation's placeholders; or, when the finding gave its own remediation, its key and parameters. */
  remediationParams?: Record<string, JsonValue>;
  remediationKey?: string;
}

/** The CI system that ran the command, from its standard variables (GitHub Actions, Azure DevOps). */
export interface CiInfo {
  provider: 'github-actions' | 'azure-devops';
  /** Who started the run (GITHUB_ACTOR, BUILD_REQUESTEDFOR). */
  actor?: string;
  runUrl?: string;
  workflow?: string;
  ref?: string;
}

/** Who ran the command. Every field is optional: only what the environment told. */
export interface RunWho {
  osUser?: string;
  host?: string;
  ci?: CiInfo;
  repository?: string;
  commit?: string;
}

/** What the command ran on, from the configuration (and the command line). Never a password. */
export interface RunTarget {
  subscriptionId?: string;
  /** ARM resource ids. */
  postgresServerId?: string;
  storageAccountId?: string;
  storageContainer?: string;
  serverFqdn?: string;
  /** `url` is the database URL with its password masked. */
  database?: { host: string; port: number; name?: string; user?: string; url: string };
  /** verify / restore-test --archive: the archive file. */
  archive?: string;
}

export interface Provenance {
  who: RunWho;
  target: RunTarget;
}

export type Outcome = 'pass' | 'fail' | 'incomplete';

export interface RunInfo {
  id: string;
  command: string;
  environment: string;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  /** Failures below this severity did not count toward the outcome. */
  failOn: Severity;
}

/** Fleet mode (azure.discover, issue 17): what was in scope, what this run evaluated, and the shard reports merged into it. */
export interface FleetInfo {
  /** The query's scope: the subscriptions (or every one the identity can read) and the tag a resource must carry. */
  scope: { subscriptions: string[] | 'all'; tag: Record<string, string> };
  /**
   * Every resource in scope (Resource Graph's answer, plus the explicitly configured ones), sorted by id: the evidence of
   * what the fleet was, so that a resource that dropped out of scope is visible between two reports. The whole fleet,
   * whatever the shard.
   */
  discovered: FleetResource[];
  /** `--shard K/N`: this run evaluated the resources whose id hash falls in shard K of N. Absent: every resource. */
  shard?: { index: number; count: number };
  /** The ids this run evaluated (its shard's share, or all). */
  evaluated: string[];
  /** `report merge`: the shard reports joined into this one, by shard, with their SHA-256 (the link to each shard's chain). */
  mergedFrom?: { shard: { index: number; count: number }; runId: string; file: string; sha256: string }[];
  /**
   * `restore-test` in fleet mode only: which of this shard's Flexible Servers were due (restoreTest.everyDays), which were
   * restored (picked, at most restoreTest.maxServers), which stay due for the next run (deferred) and which are not due
   * yet (restore/fleet-restore-plan.ts). `evaluated` is `picked`'s ids.
   */
  restorePlan?: FleetRestorePlan;
}

/** One server in a fleet restore plan, with the record its place in the plan rests on. */
export interface PlannedRestore {
  /** ARM id of the Flexible Server. */
  id: string;
  name: string;
  /** When the run of its newest successful restore test on record began (ISO 8601 UTC); null: none on record. */
  lastSuccessAt: string | null;
  /** The stored report that records it (file name in the report directory); null with lastSuccessAt. */
  lastReport: string | null;
  /** The UTC date (YYYY-MM-DD) from which it is due: lastSuccessAt's date plus everyDays; null: due now (never restored). */
  dueOn: string | null;
  /** Its own period, when an override (azure.discover.overrides[].restoreTest.everyDays) gives it one other than the plan's. */
  everyDays?: number;
}

/** The restore plan of a fleet run (FleetInfo.restorePlan), as plain JSON. */
export interface FleetRestorePlan {
  /** restoreTest.everyDays and restoreTest.maxServers (null: no cap) as applied. */
  everyDays: number;
  maxServers: number | null;
  /** When the plan was made (ISO 8601 UTC): a server is due when this instant's UTC date reaches its dueOn. */
  plannedAt: string;
  /** Due and restored by this run, in the order they were started: never restored first, then the oldest success. */
  picked: PlannedRestore[];
  /** Due, but past maxServers: first in line next run (same order). */
  deferred: PlannedRestore[];
  /** Restored successfully within everyDays, by dueOn then id. */
  notDue: PlannedRestore[];
}

export interface RunResult {
  schemaVersion: 1;
  tool: { name: 'restorecheck'; version: string };
  run: RunInfo;
  /** Sorted by id, then resource (compareFindings). In fleet mode, one entry per check and resource: a finding. */
  checks: CheckResult[];
  summary: Record<Status, number>;
  outcome: Outcome;
  /** Who ran it and on what (issue 13); absent in reports written before 0.2. */
  provenance?: Provenance;
  /** Fleet mode only (azure.discover). */
  fleet?: FleetInfo;
  /** SHA-256 of the previous report in the same directory (the tamper-evident chain). */
  previousReportSha256?: string | null;
  /**
   * SHA-256 (hex) of each file rendered from this report beside it (HTML, Markdown, JUnit, PDF), by file name:
   * those files are rendered first, so they cannot list themselves, but the JSON (and its signature) covers them.
   */
  renderedFiles?: Record<string, string>;
  /** The key that signed this report (key id: SHA-256 of its SPKI DER, hex); null: not signed, integrity only, not authenticity. */
  signedBy?: { algorithm: 'Ed25519'; keyId: string } | null;
  /** Ed25519 signature (base64) of the canonical JSON of this report without this field (evidence/signing.ts). */
  signature?: string;
}

/** The report's order: by check id, then by resource id (a check's single-resource finding, without one, first). */
export function compareFindings(a: Pick<CheckResult, 'id' | 'resource'>, b: Pick<CheckResult, 'id' | 'resource'>): number {
  if (a.id !== b.id) return a.id < b.id ? -1 : 1;
  const ra = a.resource?.toLowerCase() ?? '';
  const rb = b.resource?.toLowerCase() ?? '';
  return ra < rb ? -1 : ra > rb ? 1 : 0;
}

/** Counts findings (in fleet mode, one per check and resource). */
export function summarise(checks: CheckResult[]): Record<Status, number> {
  const summary: Record<Status, number> = { pass: 0, fail: 0, warn: 0, error: 0, skipped: 0 };
  for (const check of checks) summary[check.status]++;
  return summary;
}

/** True when `severity` is at least as severe as `threshold`. */
export function atLeast(severity: Severity, threshold: Severity): boolean {
  return SEVERITIES.indexOf(severity) <= SEVERITIES.indexOf(threshold);
}

/**
 * fail: a failure at or above `failOn`; else incomplete: something could not be evaluated;
 * else pass (warnings and failures below the threshold allowed). Never pass with an error.
 */
export function computeOutcome(checks: CheckResult[], failOn: Severity): Outcome {
  if (checks.some((c) => c.status === 'fail' && atLeast(c.severity, failOn))) return 'fail';
  if (checks.some((c) => c.status === 'error')) return 'incomplete';
  return 'pass';
}

/** Exit codes of contract.md: 0 pass, 1 fail, 2 incomplete. */
export function exitCodeFor(outcome: Outcome): 0 | 1 | 2 {
  return outcome === 'pass' ? 0 : outcome === 'fail' ? 1 : 2;
}
