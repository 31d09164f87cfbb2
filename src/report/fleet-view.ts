/**
 * Fleet mode (azure.discover, issue 17) as the human formats show it: the report's findings grouped by the resource
 * they are about. The run-wide findings (database, report store…: no `resource`) come first, then one group per
 * resource, sorted by id, each with its name, kind, subscription and resource group (from `fleet.discovered` when the
 * resource is there, else read from its ARM id) and its own counts. One pass over the findings and a map keyed by the
 * lower-case id (Resource Manager compares ids without regard to case): linear in the number of findings, so a fleet of
 * 400 resources renders as fast per finding as a single server.
 */
import { createHash } from 'node:crypto';
import type { FleetResource, Status } from '../vocabulary.js';
import type { CheckResult, RunResult } from '../run/result.js';
import { KIND_WORDS, type ReportLanguage } from './labels.js';
import { STATUS_RANK, byAttention } from './presentation.js';

/** One resource of the fleet and its findings. */
export interface ResourceView {
  /** The ARM id, as the discovered list (else the first finding) spells it. */
  id: string;
  name: string;
  /** Known from the discovered list, or from the id's provider type; undefined for another type (then `type` names it). */
  kind: FleetResource['kind'] | undefined;
  /** `Microsoft.DBforPostgreSQL/flexibleServers`…, from the id; undefined when the id is not an ARM resource id. */
  type: string | undefined;
  subscriptionId: string | undefined;
  resourceGroup: string | undefined;
  location: string | undefined;
  tags: Record<string, string>;
  /** In fleet.discovered. */
  discovered: boolean;
  /** In fleet.evaluated (true when the report has no fleet section: its findings say it was evaluated). */
  evaluated: boolean;
  /** Its findings in attention order (failures first). */
  findings: CheckResult[];
  summary: Record<Status, number>;
  /** The worst status of its findings (fail, error, warn, pass, skipped); undefined when it has none. */
  status: Status | undefined;
  /** A stable HTML id for its section: `res-` and 12 hex digits of the SHA-256 of the lower-case id (never text from the id itself). */
  anchor: string;
}

export interface FleetView {
  /** The findings without a resource, in attention order. */
  runWide: CheckResult[];
  /** Every resource with at least one finding, sorted by id (lower case). */
  resources: ResourceView[];
  /** Every resource of the fleet: the discovered ones and any other a finding names, sorted by id (lower case). */
  all: ResourceView[];
}

/** A report is rendered per resource when it has a fleet section or any finding names its resource. */
export function isFleetReport(result: Pick<RunResult, 'checks' | 'fleet'>): boolean {
  return result.fleet !== undefined || result.checks.some((c) => c.resource !== undefined);
}

const KIND_OF_TYPE: Record<string, FleetResource['kind']> = {
  'microsoft.dbforpostgresql/flexibleservers': 'postgres',
  'microsoft.storage/storageaccounts': 'storage',
};

/** What an ARM id says of itself: `/subscriptions/S/resourceGroups/G/providers/NS/type/name`; each part undefined when absent. */
export function parseResourceId(id: string): { subscriptionId?: string; resourceGroup?: string; type?: string; name?: string } {
  const parts = id.split('/');
  const out: { subscriptionId?: string; resourceGroup?: string; type?: string; name?: string } = {};
  for (let i = 1; i + 1 < parts.length; i += 2) {
    const key = parts[i]!.toLowerCase();
    const value = parts[i + 1]!;
    if (key === 'subscriptions' && out.subscriptionId === undefined) out.subscriptionId = value;
    else if (key === 'resourcegroups' && out.resourceGroup === undefined) out.resourceGroup = value;
    else if (key === 'providers' && i + 3 < parts.length) {
      out.type = `${value}/${parts[i + 2]}`;
      out.name = parts[i + 3];
      break;
    }
  }
  if (out.name === undefined) out.name = parts.filter(Boolean).pop() ?? id;
  return out;
}

/** The section id of a resource: hashed, so that whatever the id holds never reaches an attribute or a URL fragment as is. */
export function resourceAnchor(id: string): string {
  return `res-${createHash('sha256').update(id.toLowerCase()).digest('hex').slice(0, 12)}`;
}

function emptySummary(): Record<Status, number> {
  return { pass: 0, fail: 0, warn: 0, error: 0, skipped: 0 };
}

function viewOf(id: string, known: FleetResource | undefined, evaluated: boolean): ResourceView {
  const parsed = parseResourceId(id);
  const type = parsed.type;
  return {
    id: known?.id ?? id,
    name: known?.name || parsed.name || id,
    kind: known?.kind ?? (type ? KIND_OF_TYPE[type.toLowerCase()] : undefined),
    type,
    subscriptionId: known?.subscriptionId || parsed.subscriptionId,
    resourceGroup: known?.resourceGroup || parsed.resourceGroup,
    location: known?.location || undefined,
    tags: known?.tags ?? {},
    discovered: known !== undefined,
    evaluated,
    findings: [],
    summary: emptySummary(),
    status: undefined,
    anchor: resourceAnchor(id),
  };
}

const byKey = (a: { key: string }, b: { key: string }) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

/** The findings grouped by resource (see the header). Pure; linear in findings plus discovered resources (and a sort). */
export function fleetView(result: Pick<RunResult, 'checks' | 'fleet'>): FleetView {
  const discovered = new Map<string, FleetResource>();
  for (const resource of result.fleet?.discovered ?? []) discovered.set(resource.id.toLowerCase(), resource);
  const evaluated = result.fleet ? new Set(result.fleet.evaluated.map((id) => id.toLowerCase())) : undefined;
  const views = new Map<string, ResourceView>();
  const runWide: CheckResult[] = [];
  for (const finding of result.checks) {
    if (finding.resource === undefined) {
      runWide.push(finding);
      continue;
    }
    const key = finding.resource.toLowerCase();
    let view = views.get(key);
    if (!view) {
      // A finding is proof its resource was evaluated, whatever fleet.evaluated lists.
      view = viewOf(finding.resource, discovered.get(key), true);
      views.set(key, view);
    }
    view.findings.push(finding);
    view.summary[finding.status]++;
  }
  for (const view of views.values()) {
    view.findings.sort(byAttention);
    view.status = view.findings[0]?.status;
  }
  const withFindings = [...views.entries()].map(([key, view]) => ({ key, view })).sort(byKey);
  const all = [...withFindings];
  for (const [key, resource] of discovered) {
    if (!views.has(key)) all.push({ key, view: viewOf(resource.id, resource, evaluated?.has(key) ?? false) });
  }
  all.sort(byKey);
  return { runWide: [...runWide].sort(byAttention), resources: withFindings.map((e) => e.view), all: all.map((e) => e.view) };
}

/** Resources needing a reader first: the worst status first (failures, errors, warnings, passes, skips, none), then by id. */
export function byResourceAttention(a: ResourceView, b: ResourceView): number {
  const rank = (v: ResourceView) => (v.status === undefined ? 5 : STATUS_RANK[v.status]);
  return rank(a) - rank(b) || (a.id.toLowerCase() < b.id.toLowerCase() ? -1 : a.id.toLowerCase() > b.id.toLowerCase() ? 1 : 0);
}

/** A resource needs a reader's attention when one of its findings failed, could not be evaluated, or warns. */
export function needsAttention(view: Pick<ResourceView, 'summary'>): boolean {
  return view.summary.fail + view.summary.error + view.summary.warn > 0;
}

/** One check id's findings across the fleet: the overview and "by requirement" show a check once, with its counts. */
export interface CheckAggregate {
  id: string;
  /** The first finding in attention order: the worst, whose status and severity stand for the check. */
  worst: CheckResult;
  findings: CheckResult[];
  summary: Record<Status, number>;
  /** How many of its findings name a resource. */
  resources: number;
}

/** The findings gathered by check id, in attention order of each check's worst finding. Linear (a map), then a sort. */
export function byCheckId(findings: readonly CheckResult[]): CheckAggregate[] {
  const groups = new Map<string, CheckAggregate>();
  for (const finding of findings) {
    let group = groups.get(finding.id);
    if (!group) {
      group = { id: finding.id, worst: finding, findings: [], summary: emptySummary(), resources: 0 };
      groups.set(finding.id, group);
    }
    group.findings.push(finding);
    group.summary[finding.status]++;
    if (finding.resource !== undefined) group.resources++;
    if (byAttention(finding, group.worst) < 0) group.worst = finding;
  }
  return [...groups.values()].sort((a, b) => byAttention(a.worst, b.worst));
}

/** The anchors of one HTML document: each asked-for id once; a repeat gets `-2`, `-3`… so that no two elements share an id. */
export function anchorSet(): (wanted: string) => string {
  const used = new Map<string, number>();
  return (wanted) => {
    const seen = used.get(wanted);
    if (seen === undefined) {
      used.set(wanted, 1);
      return wanted;
    }
    let n = seen + 1;
    while (used.has(`${wanted}-${n}`)) n++;
    used.set(wanted, n);
    used.set(`${wanted}-${n}`, 1);
    return `${wanted}-${n}`;
  };
}

/** The resource's kind in words (PostgreSQL Flexible Server, storage account); another type by its provider type. Plain text. */
export function kindText(view: Pick<ResourceView, 'kind' | 'type'>, language: ReportLanguage): string {
  return view.kind ? KIND_WORDS[language][view.kind] : (view.type ?? '?');
}

/** Attention order for counts: what needs a reader first. */
const COUNT_ORDER = ['fail', 'error', 'warn', 'pass', 'skipped'] as const;

/** `1 fail, 2 pass`: the non-zero counts, failures first, in the words given. Plain text. */
export function countsText(summary: Record<Status, number>, words: Record<Status, string>, separator = ', '): string {
  return COUNT_ORDER.filter((s) => summary[s] > 0)
    .map((s) => `${summary[s]} ${words[s]}`)
    .join(separator);
}
