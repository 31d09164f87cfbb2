/** The refusals and bookkeeping of the Azure restore test that need no Azure: naming, resource groups, window, URL, ledger. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parseConfigText } from '../../src/config/load.js';
import { configSchema, type Config } from '../../src/config/schema.js';
import { ConfigError, UsageError } from '../../src/errors.js';
import {
  checkPointInTime,
  isRestoreServerName,
  resolveTarget,
  restoreNamePrefix,
  restoredDatabaseUrl,
  restoreServerName,
  taggedRunId,
} from '../../src/restore/azure-restore-plan.js';
import { currentProcess, ledgerPath, RestoreLedger, runIsOver, type LedgerRequest } from '../../src/restore/restore-ledger.js';

const AT = new Date('2026-11-21T03:07:59.999Z');
const config = (restoreTest: Record<string, unknown> = {}, server = 'medicappdbprod'): Config =>
  configSchema.parse({
    environment: 'test',
    azure: { subscriptionId: '00000000-0000-0000-0000-000000000000', postgres: { resourceGroup: 'Medicapp-RG', server } },
    restoreTest,
  });

describe('the new server', () => {
  it('is named <server>-restore-<YYYYMMDDHHmm> (UTC) in the source resource group by default', () => {
    assert.equal(restoreServerName('x', AT), 'x-202611210307');
    assert.deepEqual(resolveTarget(config(), AT), {
      resourceGroup: 'Medicapp-RG',
      name: 'medicappdbprod-restore-202611210307',
      source: { resourceGroup: 'Medicapp-RG', name: 'medicappdbprod' },
    });
    assert.equal(resolveTarget(config({ namePrefix: 'rt', targetResourceGroup: 'restore-rg' }), AT).name, 'rt-202611210307');
  });

  it("follows Azure's naming rules (3–63 characters), or is refused naming the key", () => {
    assert.equal(resolveTarget(config({ namePrefix: 'a'.repeat(50) }), AT).name.length, 63);
    assert.throws(
      () => resolveTarget(config({ namePrefix: 'a'.repeat(51) }), AT),
      (e: unknown) => e instanceof ConfigError && /restoreTest\.namePrefix/.test(e.problems[0]!),
    );
    assert.throws(() => resolveTarget(config({}, 'x'.repeat(60)), AT), ConfigError);
    assert.throws(() => config({ namePrefix: 'Prod' }), /lowercase/);
    assert.throws(() => config({ namePrefix: '-prod' }), /lowercase/);
  });

  it('lies in an allowed resource group (compared case-insensitively)', () => {
    assert.equal(resolveTarget(config({ targetResourceGroup: 'Restore-RG', allowedResourceGroups: ['restore-rg'] }), AT).resourceGroup, 'Restore-RG');
    assert.throws(() => resolveTarget(config({ targetResourceGroup: 'restore-rg', allowedResourceGroups: ['other'] }), AT), ConfigError);
    assert.throws(() => resolveTarget(config({ allowedResourceGroups: ['restore-rg'] }), AT), /Medicapp-RG is not among/);
  });

  it('is never the source', () => {
    assert.throws(() => resolveTarget(config({ namePrefix: 'prod' }, 'prod-202611210307'), AT), UsageError);
  });

  it('is recognised by cleanup by its prefix and minute stamp only (a tags-only deletion needs our name too)', () => {
    const prefix = restoreNamePrefix(config());
    assert.equal(prefix, 'medicappdbprod-restore');
    assert.equal(restoreNamePrefix(config({ namePrefix: 'rt' })), 'rt');
    assert.equal(isRestoreServerName('medicappdbprod-restore', resolveTarget(config(), AT).name), true);
    assert.equal(isRestoreServerName('medicappdbprod-restore', 'MedicappDBProd-Restore-202611210307'), true, 'Azure names are case-insensitive');
    for (const name of [
      'medicappdbprod-restore-20261121030', // 11 digits
      'medicappdbprod-restore-2026112103070', // 13 digits
      'medicappdbprod-restore-x-202611210307', // another prefix that starts like ours
      'medicappdbprod-restore202611210307',
      'medicappdbprod',
      'other-restore-202611210307',
    ]) {
      assert.equal(isRestoreServerName('medicappdbprod-restore', name), false, name);
    }
  });
});

describe('the point in time', () => {
  const source = { name: 'db', earliestRestoreDate: '2026-10-17T03:00:00.000Z' };
  it('lies within [earliestRestoreDate, now]', () => {
    checkPointInTime(new Date('2026-10-17T03:00:00.000Z'), source, AT);
    checkPointInTime(AT, source, AT);
    checkPointInTime(new Date('2000-01-01T00:00:00Z'), { name: 'db' }, AT); // unknown window: Azure decides
    assert.throws(() => checkPointInTime(new Date('2026-10-17T02:59:59.999Z'), source, AT), /before the earliest restore point of db/);
    assert.throws(() => checkPointInTime(new Date(AT.getTime() + 1), source, AT), /in the future/);
  });
});

describe("the restored server's URL", () => {
  it("is the source's with the host replaced: credentials, port, database and sslmode kept; ?host= dropped", () => {
    const url = restoredDatabaseUrl(
      'postgres://reader:s%40cret@prod.postgres.database.azure.com:6432/medicapp?sslmode=verify-full&host=/tmp',
      'copy.postgres.database.azure.com',
    );
    assert.equal(url, 'postgres://reader:s%40cret@copy.postgres.database.azure.com:6432/medicapp?sslmode=verify-full');
  });

  it("recognises restorecheck's tags only when both the creator and the run id are there", () => {
    assert.equal(taggedRunId({ tags: { 'restorecheck-created-by': 'restorecheck', 'restorecheck-run': 'r1' } }), 'r1');
    assert.equal(taggedRunId({ tags: { 'restorecheck-run': 'r1' } }), undefined);
    assert.equal(taggedRunId({}), undefined);
  });
});

describe('the ledger', () => {
  let dir: string | undefined;
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const request = (runId: string, over: Partial<LedgerRequest> = {}): LedgerRequest => ({
    event: 'requested',
    at: AT.toISOString(),
    runId,
    subscriptionId: 's',
    resourceGroup: 'rg',
    server: `srv-${runId}`,
    source: 'rg/db',
    expiresAt: AT.toISOString(),
    ...currentProcess(),
    ...over,
  });

  it('lives in restoreTest.ledgerDir, relative to the configuration file', () => {
    // config/load.ts resolves it from the file's directory (it was ledgerPath's second argument before).
    const loaded = (yaml: string) => parseConfigText(`environment: production\n${yaml}`, '/srv/conf/restorecheck.yaml', {}).config;
    assert.equal(ledgerPath(loaded('')), '/srv/conf/.restorecheck/ledger.jsonl');
    assert.equal(ledgerPath(loaded('restoreTest:\n  ledgerDir: /var/lib/restorecheck\n')), '/var/lib/restorecheck/ledger.jsonl');
  });

  it('folds its lines into runs and their last state, skipping lines it cannot read', async () => {
    dir = await mkdtemp(join(tmpdir(), 'restorecheck-ledger-'));
    const ledger = new RestoreLedger(join(dir, 'nested', 'ledger.jsonl'));
    assert.equal((await ledger.runs()).runs.size, 0, 'no file yet: no runs');
    await ledger.append(request('a'));
    await ledger.append(request('b'));
    await ledger.append({ event: 'deleted', at: AT.toISOString(), runId: 'a' });
    await appendFile(ledger.path, '{"event":"requested", truncated\n{"event":"bogus"}\n');
    await ledger.append({ event: 'kept', at: AT.toISOString(), runId: 'unknown' });
    const { runs, unreadable } = await ledger.runs();
    assert.equal(unreadable, 2);
    assert.deepEqual(
      [...runs].map(([id, r]) => [id, r.state, r.request.server]),
      [
        ['a', 'deleted', 'srv-a'],
        ['b', 'requested', 'srv-b'],
      ],
    );
  });

  it('presumes a run over only when its process is gone from this very host', () => {
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    assert.equal(runIsOver(request('x', { pid: Number(gone.stdout) })), true);
    assert.equal(runIsOver(request('x')), false, 'this process is alive');
    assert.equal(runIsOver(request('x', { pid: Number(gone.stdout), host: 'another-host' })), false);
  });
});
