/**
 * The judgement every restore-<component> check shares (src/checks/restore-component-texts.ts), exercised on each check
 * through the real runner: each test file calls componentRestoreCheckTests for its component. The outcomes are built
 * here; the sessions that produce them are tested against real servers in test/selfhosted/*-restore.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ComponentRestoreResult, RestoreOutcome } from '../../src/restore/outcome.js';
import type { ComponentName } from '../../src/selfhosted/component.js';
import { healthy, judge } from './restore-judge.js';

type Component = Exclude<ComponentName, 'postgres'>;

function restored(member: string, overrides: Partial<ComponentRestoreResult> = {}): ComponentRestoreResult {
  return {
    members: [member],
    state: 'restored',
    target: 'throwaway server on 127.0.0.1:41234',
    restoreSeconds: 3.2,
    comparison: { restored: { count: 200 }, matched: ['count'], differences: [], notCompared: [] },
    cleanup: { removed: ['throwaway server'], leftover: [] },
    ...overrides,
  };
}

async function verdict(component: Component, result: ComponentRestoreResult | undefined, outcome: RestoreOutcome = healthy()) {
  outcome.components = result ? { [component]: result } : {};
  return (await judge(outcome))[`restore-${component}`]!;
}

export function componentRestoreCheckTests(component: Component, member: string): void {
  describe(`restore-${component}`, () => {
    it('passes when everything compared is equal, naming what', async () => {
      const r = await verdict(component, restored(member));
      assert.equal(r.status, 'pass');
      assert.match(r.message, /equal to the metadata: count/);
      assert.deepEqual((r.evidence as Record<string, unknown>).matched, ['count']);
    });

    it('fails on a difference, and says it', async () => {
      const r = await verdict(
        component,
        restored(member, { comparison: { restored: { count: 0 }, matched: [], differences: ['0 restored, the metadata records 200'], notCompared: [] } }),
      );
      assert.equal(r.status, 'fail');
      assert.match(r.message, /0 restored, the metadata records 200/);
    });

    it('warns, never passes, when the metadata records nothing to compare with', async () => {
      const r = await verdict(
        component,
        restored(member, { comparison: { restored: { count: 12 }, matched: [], differences: [], notCompared: ['the count (the metadata records none)'] } }),
      );
      assert.equal(r.status, 'warn');
      assert.match(r.message, /not compared with anything for: the count/);
      const empty = await verdict(component, restored(member, { comparison: { restored: {}, matched: [], differences: [], notCompared: [] } }));
      assert.equal(empty.status, 'warn', 'a comparison of nothing is not a pass');
    });

    it('fails when the member failed verification, even though the restore went through', async () => {
      const r = await verdict(component, restored(member, { discarded: 'the gzip stream is truncated' }));
      assert.equal(r.status, 'fail');
      assert.match(r.message, /failed verification \(the gzip stream is truncated\).*discarded/);
    });

    it('fails when the content does not restore; errors when we could not tell', async () => {
      const refused = await verdict(
        component,
        restored(member, { state: 'failed', failure: { kind: 'restore-failed', message: 'the server refused it', hint: 'fix the backup' } }),
      );
      assert.equal(refused.status, 'fail');
      assert.match(refused.message, /did not restore: the server refused it/);
      const tool = await verdict(
        component,
        restored(member, { state: 'failed', failure: { kind: 'tool', message: 'the throwaway server did not start', hint: 'see its log' } }),
      );
      assert.equal(tool.status, 'error');
      assert.match(tool.message, /did not start/);
    });

    it('is skipped with the reason when the machine lacks the tools, or when the archive lacks the member', async () => {
      const missing = await verdict(component, {
        members: [member],
        state: 'skipped',
        reason: 'the tools are not installed',
        cleanup: { removed: [], leftover: [] },
      });
      assert.equal(missing.status, 'skipped');
      assert.match(missing.message, /Not restore-tested on this machine: the tools are not installed/);
      const absent = await verdict(component, undefined);
      assert.equal(absent.status, 'skipped');
      assert.match(absent.message, new RegExp(`holds no ${member.replace(/\./g, '\\.')}`));
    });

    it('is skipped for a restore test that is not of an archive', async () => {
      const outcome = healthy();
      outcome.method = 'azure-point-in-time';
      const r = (await judge(outcome))[`restore-${component}`]!;
      assert.equal(r.status, 'skipped');
    });
  });
}
