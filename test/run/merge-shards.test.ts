/**
 * `report merge`'s pure half (src/run/merge-shards.ts): three shard reports of one run become the fleet's one report,
 * with every finding as the shard wrote it, the summary and outcome recomputed, and mergedFrom naming each shard; and
 * every set of reports that is not the N shards of one run is refused, naming what is wrong.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UsageError } from '../../src/errors.js';
import { type ShardReportInput, mergeShards } from '../../src/run/merge-shards.js';
import { type RunResult, compareFindings } from '../../src/run/result.js';
import { fleetResources, shardReports } from '../helpers/shard-reports.js';

const OPTIONS = { runId: 'merged-run-id', who: { osUser: 'merger', host: 'merge-host' }, toolVersion: '9.9.9' };

const hex = (n: number) => n.toString(16).padStart(64, '0');

function inputs(reports: RunResult[]): ShardReportInput[] {
  return reports.map((report, i) => ({ report, file: `2026120${i + 1}T031700Z-production-check.json`, sha256: hex(i + 1), label: `shard-${i + 1}` }));
}

/** The refusal's message and hint, asserted to be a UsageError (exit 2 in the CLI). */
function refusal(given: ShardReportInput[]): { message: string; hint: string } {
  try {
    mergeShards(given, OPTIONS);
  } catch (error) {
    assert.ok(error instanceof UsageError, `a UsageError, not ${String(error)}`);
    return { message: error.message, hint: error.hint };
  }
  assert.fail('the merge was not refused');
}

describe('mergeShards', () => {
  it('joins three shards: every finding identical, sorted, summary and outcome recomputed, mergedFrom by shard', () => {
    const shards = shardReports();
    // Given out of order: the merge orders by shard index.
    const given = inputs(shards);
    const merged = mergeShards([given[2]!, given[0]!, given[1]!], OPTIONS);

    const all = shards.flatMap((s) => s.checks);
    assert.equal(merged.checks.length, all.length);
    for (const finding of all) {
      const same = merged.checks.filter((c) => c.id === finding.id && c.resource === finding.resource);
      assert.equal(same.length, 1, `${finding.id} ${finding.resource ?? '(run-wide)'} once`);
      assert.deepEqual(same[0], finding);
    }
    assert.deepEqual(merged.checks, [...all].sort(compareFindings));
    // Run-wide findings (shard 1's) sort first within their id: here they are the only ones of their ids.
    assert.ok(merged.checks.some((c) => c.id === 'db-connectivity' && c.resource === undefined));

    // Recomputed from the findings: shard 3's failure fails the fleet, though shards 1 and 2 passed.
    assert.deepEqual(
      shards.map((s) => s.outcome),
      ['pass', 'pass', 'fail'],
    );
    assert.equal(merged.outcome, 'fail');
    assert.deepEqual(merged.summary, { pass: all.filter((c) => c.status === 'pass').length, fail: 1, warn: 1, error: 0, skipped: 0 });

    assert.deepEqual(merged.run, {
      id: 'merged-run-id',
      command: 'check',
      environment: 'production',
      startedAt: '2026-12-01T03:17:01.000Z',
      finishedAt: '2026-12-01T03:17:16.000Z',
      durationMs: 15_000,
      failOn: 'low',
    });
    assert.deepEqual(merged.tool, { name: 'restorecheck', version: '9.9.9' });
    assert.deepEqual(merged.provenance, { who: OPTIONS.who, target: shards[0]!.provenance!.target });

    const fleet = merged.fleet!;
    assert.equal(fleet.shard, undefined, 'the merged report is no shard');
    assert.deepEqual(fleet.discovered, fleetResources());
    assert.deepEqual(fleet.scope, shards[0]!.fleet!.scope);
    assert.deepEqual(
      fleet.evaluated,
      fleetResources().map((r) => r.id),
      'the union of what the shards evaluated: the whole fleet, sorted',
    );
    assert.deepEqual(fleet.mergedFrom, [
      { shard: { index: 1, count: 3 }, runId: shards[0]!.run.id, file: given[0]!.file, sha256: hex(1) },
      { shard: { index: 2, count: 3 }, runId: shards[1]!.run.id, file: given[1]!.file, sha256: hex(2) },
      { shard: { index: 3, count: 3 }, runId: shards[2]!.run.id, file: given[2]!.file, sha256: hex(3) },
    ]);
    // No chain field comes from a shard: the writer adds the merged report's own.
    for (const key of ['previousReportSha256', 'renderedFiles', 'signedBy', 'signature']) assert.equal(key in merged, false, key);
  });

  it('leaves the shard reports as they were, and passes when no finding fails', () => {
    const shards = shardReports({ failing: false });
    const before = structuredClone(shards);
    const merged = mergeShards(inputs(shards), OPTIONS);
    assert.deepEqual(shards, before);
    assert.equal(merged.outcome, 'pass');
    merged.checks[0]!.evidence.changed = true;
    assert.equal(
      shards.flatMap((s) => s.checks).some((c) => 'changed' in c.evidence),
      false,
      'findings are copies',
    );
  });

  it('an error in one shard makes the fleet incomplete; failOn applies to the merged findings', () => {
    const shards = shardReports({ failing: false });
    const broken = shards[1]!.checks[0]!;
    broken.status = 'error';
    broken.message = 'Not evaluated: Azure answered 403.';
    assert.equal(mergeShards(inputs(shards), OPTIONS).outcome, 'incomplete');

    const failing = shardReports();
    for (const shard of failing) shard.run.failOn = 'critical'; // the failure is high: below the threshold
    assert.equal(mergeShards(inputs(failing), OPTIONS).outcome, 'pass');
  });

  describe('refuses', () => {
    it('a report without fleet, or without fleet.shard', () => {
      const shards = inputs(shardReports());
      delete shards[1]!.report.fleet;
      assert.match(refusal(shards).message, /^shard-2 is not a fleet report \(it has no fleet section/);
      const unsharded = inputs(shardReports());
      delete unsharded[2]!.report.fleet!.shard;
      assert.match(refusal(unsharded).message, /^shard-3 is not a shard report \(it has no fleet\.shard: it was written by a run without --shard\)/);
      const merged = mergeShards(inputs(shardReports()), OPTIONS);
      const again = refusal([...inputs(shardReports()).slice(0, 2), { report: merged, file: 'm.json', sha256: hex(9), label: 'merged' }]);
      assert.match(again.message, /^merged is not a shard report \(it has no fleet\.shard: it is itself a merged report\)/);
      assert.match(refusal([]).message, /^no shard report to merge/);
    });

    it('shard counts that differ', () => {
      const shards = inputs(shardReports());
      shards[2]!.report.fleet!.shard = { index: 3, count: 4 };
      const { message, hint } = refusal(shards);
      assert.equal(message, 'the shard reports disagree on the number of shards: shard-1 is shard 1/3, shard-3 is shard 3/4');
      assert.match(hint, /every job of one run has the same N/);
    });

    it('a missing shard, naming it', () => {
      const { message, hint } = refusal(inputs(shardReports()).filter((_, i) => i !== 1));
      assert.equal(message, 'shard 2 of 3 is missing: the reports given are shards 1, 3');
      assert.match(hint, /pass the report directory of every shard job/);
      assert.equal(refusal(inputs(shardReports()).slice(0, 1)).message, 'shards 2, 3 of 3 are missing: the reports given are shard 1');
    });

    it('a shard given twice, naming both', () => {
      const shards = inputs(shardReports());
      shards[2]!.report.fleet!.shard = { index: 2, count: 3 };
      const { message } = refusal(shards);
      assert.equal(message, 'shard 2/3 is given twice: shard-2 and shard-3');
    });

    it('shards of another command, environment or failOn, or another scope', () => {
      const cases: Array<[(r: RunResult) => void, RegExp]> = [
        [(r) => (r.run.command = 'restore-test'), /^the shard reports differ in their command: shard-1 has check, shard-2 has restore-test/],
        [(r) => (r.run.environment = 'staging'), /^the shard reports differ in their environment: shard-1 has production, shard-2 has staging/],
        [(r) => (r.run.failOn = 'high'), /^the shard reports differ in their failOn: shard-1 has low, shard-2 has high/],
        [(r) => (r.fleet!.scope = { subscriptions: 'all', tag: { restorecheck: 'on' } }), /^the shard reports differ in their azure\.discover scope/],
      ];
      for (const [change, expected] of cases) {
        const shards = inputs(shardReports());
        change(shards[1]!.report);
        assert.match(refusal(shards).message, expected);
      }
    });

    it('shards that did not discover the same fleet, naming a few ids', () => {
      const shards = inputs(shardReports());
      const fleet = shards[2]!.report.fleet!;
      const dropped = fleet.discovered.splice(0, 4);
      fleet.discovered.push({ ...dropped[0]!, id: `${dropped[0]!.id}-new`, name: 'new' });
      const { message, hint } = refusal(shards);
      assert.match(message, /^the shards did not see the same fleet: shard-1 discovered 8 resources, shard-3 5; /);
      // Three ids named, the fourth counted; the one only shard 3 saw named too.
      assert.ok(
        message.includes(
          `only shard-1 has ${dropped
            .slice(0, 3)
            .map((r) => r.id)
            .join(', ')} (and 1 more)`,
        ),
        message,
      );
      assert.ok(message.includes(`only shard-3 has ${dropped[0]!.id}-new`), message);
      assert.match(hint, /the fleet changed between the shard jobs/);
      // The same ids in another case are the same fleet (Resource Manager ids are case-insensitive).
      const cased = inputs(shardReports());
      for (const r of cased[1]!.report.fleet!.discovered) r.id = r.id.toUpperCase();
      assert.equal(mergeShards(cased, OPTIONS).fleet!.discovered.length, 8);
    });

    it('a (check id, resource) pair in two shards, and run-wide findings outside shard 1', () => {
      const shards = inputs(shardReports());
      const stolen = shards[0]!.report.checks.find((c) => c.resource !== undefined)!;
      shards[1]!.report.checks.push(structuredClone({ ...stolen, resource: stolen.resource!.toUpperCase() }));
      const { message, hint } = refusal(shards);
      assert.equal(message, `the finding ${stolen.id} of ${stolen.resource!.toUpperCase()} is in two shard reports, shard-1 and shard-2`);
      assert.match(hint, /each resource belongs to one shard and only shard 1 runs the run-wide checks/);

      const runWide = inputs(shardReports());
      runWide[2]!.report.checks.push(structuredClone(runWide[0]!.report.checks.find((c) => c.id === 'db-connectivity')!));
      assert.equal(refusal(runWide).message, 'the run-wide finding db-connectivity (no resource) is in two shard reports, shard-1 and shard-3');

      // Every shard's discovery failed: each says so per check, without a resource; the hint says what that means.
      const undiscovered = inputs(shardReports());
      for (const shard of undiscovered.slice(0, 2)) {
        shard.report.checks.push({
          ...structuredClone(shard.report.checks[0]!),
          id: 'pgflex-backup-retention',
          status: 'error',
          message: 'Not evaluated: Resource Graph answered 403.',
        });
        delete shard.report.checks.at(-1)!.resource;
      }
      assert.match(
        refusal(undiscovered).hint,
        /^it is an error in both \(Not evaluated: Resource Graph answered 403\.\): if the fleet's discovery failed in every shard/,
      );

      // The runner's own discovery error (fleet/discoveryFailed), said by every shard: kept once, and the fleet cannot pass.
      const failedEverywhere = inputs(shardReports());
      for (const shard of failedEverywhere) {
        const error = { ...structuredClone(shard.report.checks[0]!), id: 'pgflex-backup-retention', status: 'error' as const };
        delete error.resource;
        Object.assign(error, { message: 'Not evaluated: the fleet could not be discovered (Azure Resource Graph): 403.', messageKey: 'fleet/discoveryFailed' });
        shard.report.checks.push(error);
      }
      const merged = mergeShards(failedEverywhere, OPTIONS);
      const said = merged.checks.filter((c) => c.messageKey === 'fleet/discoveryFailed');
      assert.equal(said.length, 1);
      assert.notEqual(merged.outcome, 'pass');
      assert.ok(merged.summary.error >= 1);
      // Only shard 2 could not discover: its error stays, so the merged report is incomplete too.
      const failedInOne = inputs(shardReports());
      const lone = {
        ...structuredClone(failedInOne[1]!.report.checks[0]!),
        id: 'pgflex-backup-retention',
        status: 'error' as const,
        messageKey: 'fleet/discoveryFailed',
      };
      delete lone.resource;
      failedInOne[1]!.report.checks.push(lone);
      const mergedOne = mergeShards(failedInOne, OPTIONS);
      assert.equal(mergedOne.checks.filter((c) => c.messageKey === 'fleet/discoveryFailed').length, 1);
      assert.notEqual(mergedOne.outcome, 'pass');

      const twice = inputs(shardReports());
      twice[1]!.report.checks.push(structuredClone(twice[1]!.report.checks[0]!));
      assert.match(refusal(twice).message, / is twice in shard-2$/);
    });
  });
});
