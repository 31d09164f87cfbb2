/**
 * JUnit XML for CI test views: one testsuite per group (the id's prefix: db, pgflex, blob, archive,
 * restore…), one testcase per check; fail → <failure>, error → <error>, skipped → <skipped>.
 * Valid against the Ant JUnit XSD (test/fixtures/junit/JUnit.xsd): that schema requires
 * <properties>, <system-out> and <system-err> in every suite, `package` and `id` on aggregated
 * suites, no attribute on <testsuites>, and a timestamp without timezone (ours is UTC).
 * Fleet mode (issue 17): one testcase per finding, so a check on 400 resources is 400 testcases and the suite counts are
 * findings; the testcase is named `check-id (resource name)` and its classname ends with the resource's ARM id (the XSD
 * allows no property on a testcase), so that (classname, name) stays unique for CI views that key test history on it.
 */
import type { CheckResult, RunResult } from '../run/result.js';
import { escapeMarkup as x, escapeXmlAttribute as attr } from './escape.js';
import { authenticityLine, byAttention, controlText, evidenceEntries, evidenceValue, groupOf, inAttentionOrder, provenanceRows } from './presentation.js';
import { localizedMessage, localizedRemediation } from '../checks/localize.js';
import { type ReportLanguage, STATUS_WORDS, labelsFor } from './labels.js';
import type { Reporter } from './types.js';
import { type ResourceView, fleetView, isFleetReport } from './fleet-view.js';

/** The resources of a fleet report by lower-case id (their names); empty for a single-resource report. */
type Resources = Map<string, ResourceView>;

const seconds = (ms: number) => (ms / 1000).toFixed(3);

/** The body of a failure or error: everything an engineer needs without opening the HTML. */
function details(check: CheckResult, language: ReportLanguage): string {
  const LABELS = labelsFor(language);
  const lines = [localizedMessage(check, language)];
  if (check.resource !== undefined) lines.push(`${LABELS.resource}: ${check.resource}`);
  const evidence = evidenceEntries(check.evidence);
  if (evidence.length > 0) {
    lines.push('', `${LABELS.evidence}:`);
    for (const [key, value] of evidence) lines.push(`  ${key}: ${evidenceValue(value)}`);
  }
  if (check.hint) lines.push('', `${LABELS.hint}: ${check.hint}${check.requestId ? ` (${LABELS.requestId} ${check.requestId})` : ''}`);
  lines.push('', `${LABELS.remediation}: ${localizedRemediation(check, language)}`);
  if (check.controls.length > 0) lines.push(`${LABELS.controls}: ${check.controls.map(controlText).join('; ')}`);
  return lines.join('\n');
}

/** `pgflex-backup-retention (pg-prod-01)` for a finding on a resource; the check id alone otherwise. */
function caseName(check: CheckResult, resources: Resources): string {
  if (check.resource === undefined) return check.id;
  return `${check.id} (${resources.get(check.resource.toLowerCase())?.name ?? check.resource})`;
}

function testcase(check: CheckResult, language: ReportLanguage, resources: Resources): string {
  const message = localizedMessage(check, language);
  const classname = `restorecheck.${groupOf(check.id)}${check.resource ?? ''}`;
  const open = `    <testcase name="${attr(caseName(check, resources))}" classname="${attr(classname)}" time="${seconds(check.durationMs)}"`;
  switch (check.status) {
    case 'fail':
      return `${open}>\n      <failure message="${attr(message)}" type="${attr(`${check.severity}`)}">${x(details(check, language))}</failure>\n    </testcase>`;
    case 'error':
      return `${open}>\n      <error message="${attr(message)}" type="${attr(check.errorKind ?? 'error')}">${x(details(check, language))}</error>\n    </testcase>`;
    case 'skipped':
      return `${open}>\n      <skipped message="${attr(message)}"/>\n    </testcase>`;
    case 'pass':
    case 'warn':
      return `${open}/>`;
  }
}

function property(name: string, value: string): string {
  return `      <property name="${name}" value="${attr(value)}"/>`;
}

export const junitReporter: Reporter = {
  extension: 'xml',
  render(result: RunResult, { language = 'en' } = { color: false }) {
    const STATUS_WORD = STATUS_WORDS[language];
    const resources: Resources = new Map();
    if (isFleetReport(result)) for (const view of fleetView(result).all) resources.set(view.id.toLowerCase(), view);
    const groups = new Map<string, CheckResult[]>();
    for (const check of inAttentionOrder(result.checks)) {
      const group = groupOf(check.id);
      // Pushed, not copied: a fleet's group holds thousands of findings.
      const members = groups.get(group);
      if (members) members.push(check);
      else groups.set(group, [check]);
    }
    // The XSD's timestamp has no timezone: the UTC instant without its `Z` (and without milliseconds).
    const timestamp = result.run.startedAt.slice(0, 19);
    const properties = [
      property('environment', result.run.environment),
      property('command', result.run.command),
      property('runId', result.run.id),
      property('toolVersion', result.tool.version),
      property('startedAt', result.run.startedAt),
      property('outcome', result.outcome),
      property('failOn', result.run.failOn),
      ...(result.previousReportSha256 === undefined ? [] : [property('previousReportSha256', result.previousReportSha256 ?? '')]),
      // Who ran it and on what: provenance.<key>, the JSON's names.
      ...provenanceRows(result.provenance).map((row) => property(`provenance.${row.key}`, row.value)),
      ...(authenticityLine(result, labelsFor(language)) ? [property('authenticity', authenticityLine(result, labelsFor(language)))] : []),
      // Fleet mode: what was in scope, this run's shard, and the shard reports merged into it (fleet.<key>, the JSON's names).
      ...(result.fleet
        ? [
            property('fleet.discovered', String(result.fleet.discovered.length)),
            property('fleet.evaluated', String(result.fleet.evaluated.length)),
            ...(result.fleet.shard ? [property('fleet.shard', `${result.fleet.shard.index}/${result.fleet.shard.count}`)] : []),
            ...(result.fleet.mergedFrom ?? []).map((m) =>
              property(`fleet.mergedFrom.${m.shard.index}/${m.shard.count}`, `${m.file} sha256:${m.sha256} run:${m.runId}`),
            ),
          ]
        : []),
    ].join('\n');
    // The real host (the XSD's hostname is the host the suite ran on), `localhost` when unknown.
    const host = result.provenance?.who.host ?? 'localhost';
    // The suite holding the worst check first (a CI view lists failures first), then by name.
    const worst = (group: string) => groups.get(group)![0]!;
    const order = [...groups.keys()].sort((a, b) => byAttention(worst(a), worst(b)) || (a < b ? -1 : a > b ? 1 : 0));
    const suites = order.map((group, index) => {
      const checks = groups.get(group)!;
      const count = (status: CheckResult['status']) => checks.filter((c) => c.status === status).length;
      const time = seconds(checks.reduce((sum, c) => sum + c.durationMs, 0));
      // Passes and warnings have no child element in JUnit: their message and evidence go to system-out.
      const out = checks.map((c) => `${STATUS_WORD[c.status]} ${caseName(c, resources)}: ${localizedMessage(c, language)}`).join('\n');
      return [
        `  <testsuite name="${attr(group)}" package="restorecheck.${attr(result.run.command)}" id="${index}" timestamp="${timestamp}" hostname="${attr(host)}" ` +
          `tests="${checks.length}" failures="${count('fail')}" errors="${count('error')}" skipped="${count('skipped')}" time="${time}">`,
        '    <properties>',
        properties,
        '    </properties>',
        ...checks.map((c) => testcase(c, language, resources)),
        `    <system-out>${x(out)}</system-out>`,
        '    <system-err/>',
        '  </testsuite>',
      ].join('\n');
    });
    return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>\n${suites.join('\n')}${suites.length ? '\n' : ''}</testsuites>\n`;
  },
};
