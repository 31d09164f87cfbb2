/**
 * blob-recovery-drill's judgement of a drill outcome, branch by branch, through the real runner and configuration
 * schema. The drill itself (restore/blob-recovery-drill.ts) runs against the simulator's blob data plane in
 * test/azure/blob-recovery-drill.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checks } from '../../../src/checks/index.js';
import { renderKey } from '../../../src/checks/messages.js';
import { parseConfigText } from '../../../src/config/load.js';
import type { BlobDrillOutcome } from '../../../src/restore/blob-recovery-drill.js';
import type { CheckResult } from '../../../src/run/result.js';
import { runChecks } from '../../../src/run/runner.js';
import { fakeGateways } from '../../helpers/fake-gateways.js';

const CONFIG = `environment: production
azure:
  subscriptionId: 00000000-0000-0000-0000-000000000000
  storage:
    resourceGroup: medicapp-rg
    account: medicappstorage
    container: documents
    drill: { container: restorecheck-drill }
`;

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);

/** A drill that went well on an account with versioning, fresh on each call. */
function recovered(): BlobDrillOutcome {
  return {
    where: 'container restorecheck-drill of storage account medicappstorage',
    canary: 'restorecheck-drill/20261203T101500Z-1234abcd.bin',
    versioning: true,
    steps: ['upload', 'overwrite', 'delete', 'list', 'recover', 'verify', 'cleanup'].map((name) => ({ name: name as never, ok: true, seconds: 0.1 })),
    seconds: 0.7,
    listed: { deletedBase: false, versions: 2 },
    recovery: { by: 'promote-version', versionId: '2026-12-03T10:15:00.2000000Z' },
    sha256: { expected: B, recovered: B, overwritten: A, overwrittenKept: A },
    verdict: 'recovered',
    cleanup: { status: 'deleted', remaining: 0 },
  };
}

async function judge(drill: BlobDrillOutcome | undefined, config = CONFIG): Promise<CheckResult> {
  const check = checks.find((c) => c.id === 'blob-recovery-drill')!;
  const result = await runChecks({
    command: 'restore-test',
    checks: [check],
    config: parseConfigText(config, 'test.yaml', {}).config,
    gateways: fakeGateways(),
    inputs: drill ? { blobDrill: drill } : {},
    log: { info: () => undefined, debug: () => undefined, warn: () => undefined } as never,
  });
  return result.checks[0]!;
}

describe('blob-recovery-drill', () => {
  it('passes when the canary came back with its content, and says how and how long it took', async () => {
    const r = await judge(recovered());
    assert.equal(r.status, 'pass', r.message);
    assert.match(
      r.message,
      /came back by promoting its previous version .*SHA-256 bbbbbbbbbbbbbbbb…\); the canary and its versions were then deleted for good\. The drill took 0\.7 s/,
    );
    assert.equal((r.evidence.steps as unknown[]).length, 7);
    assert.equal(r.evidence.canary, 'restorecheck-drill/20261203T101500Z-1234abcd.bin');
    const fr = renderKey(r.messageKey!, r.messageParams as never, 'fr')!;
    assert.match(fr, /Un témoin supprimé dans le conteneur restorecheck-drill du compte de stockage medicappstorage est revenu par promotion/);
  });
  it('says the canary is left to expire when the account does not allow a permanent delete', async () => {
    const drill = { ...recovered(), cleanup: { status: 'left-to-expire' as const, remaining: 1, remainingRetentionDays: 14 } };
    const r = await judge(drill);
    assert.equal(r.status, 'pass', r.message);
    assert.match(r.message, /soft delete keeps 1 entry of it, which expire in 14 days/);
  });
  it('warns when the canary could not be deleted afterwards', async () => {
    const r = await judge({ ...recovered(), cleanup: { status: 'failed', remaining: -1 } });
    assert.equal(r.status, 'warn', r.message);
    assert.match(r.message, /delete it by hand/);
  });
  it('fails when the deleted canary is gone at once', async () => {
    const { recovery: _r, ...rest } = recovered();
    const r = await judge({ ...rest, versioning: false, listed: { deletedBase: false, versions: 0 }, verdict: 'gone', sha256: { expected: B } });
    assert.equal(r.status, 'fail', r.message);
    assert.match(r.message, /was gone at once/);
  });
  it('fails when it was listed but not brought back, or came back with other content, or lost its overwritten version', async () => {
    assert.equal((await judge({ ...recovered(), verdict: 'not-restorable' })).status, 'fail');
    const other = await judge({ ...recovered(), verdict: 'mismatch', sha256: { expected: B, recovered: A } });
    assert.equal(other.status, 'fail');
    assert.match(other.message, /SHA-256 aaaaaaaaaaaaaaaa… instead of bbbbbbbbbbbbbbbb…/);
    const lost = await judge({ ...recovered(), verdict: 'mismatch', sha256: { expected: B, recovered: B, overwritten: A } });
    assert.equal(lost.status, 'fail');
    assert.match(lost.message, /overwritten content is not kept as a previous version/);
  });
  it('is an error, naming the role, when a step was refused', async () => {
    const drill: BlobDrillOutcome = {
      ...recovered(),
      verdict: undefined,
      failure: {
        step: 'upload',
        kind: 'permission',
        message: '403 on PUT blob x AuthorizationPermissionMismatch: the identity lacks Storage Blob Data Contributor on container restorecheck-drill',
        hint: 'the identity needs Storage Blob Data Contributor on container restorecheck-drill',
      },
    };
    const r = await judge(drill);
    assert.equal(r.status, 'error', r.message);
    assert.match(r.message, /could not upload the canary in container restorecheck-drill .*Storage Blob Data Contributor on container restorecheck-drill/);
    // The steps that ran stay beside the error.
    assert.equal((r.evidence.failure as { step: string }).step, 'upload');
    assert.equal(r.evidence.canary, 'restorecheck-drill/20261203T101500Z-1234abcd.bin');
  });
  it('is skipped without azure.storage.drill', async () => {
    const r = await judge(undefined, CONFIG.replace('    drill: { container: restorecheck-drill }\n', ''));
    assert.equal(r.status, 'skipped', r.message);
    assert.match(r.message, /azure\.storage\.drill is not configured/);
  });
  it('refuses a drill container that is the documents container (exit 2 from the CLI)', () => {
    assert.throws(
      () => parseConfigText(CONFIG.replace('container: restorecheck-drill', 'container: documents'), 'test.yaml', {}),
      /must not be the documents container/,
    );
  });
});
