/**
 * classifyRestoreFailure: each code of the table, each pattern, and the default for an unknown code.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classifyRestoreFailure, RESTORE_FAILURE_CODES, type RestoreFailureCause } from '../../src/azure/restore-failure-codes.js';

const KIND: Record<RestoreFailureCause, string> = {
  backup: 'restore-failed',
  quota: 'platform',
  network: 'config',
  key: 'config',
  internal: 'platform',
  refused: 'platform',
};

describe('classifyRestoreFailure', () => {
  const cases: Array<[string, string, RestoreFailureCause]> = [
    ['RestoreFailed', 'The copy of the source server failed.', 'backup'],
    ['PointInTimeRestoreFailed', 'The restore failed.', 'backup'],
    ['BackupNotFound', 'No backup covers the point in time.', 'backup'],
    ['QuotaExceeded', 'Operation could not be completed as it results in exceeding approved quota.', 'quota'],
    ['SubscriptionQuotaExceeded', 'Quota exceeded.', 'quota'],
    ['RegionalQuotaExceeded', 'Quota exceeded.', 'quota'],
    ['SkuNotAvailable', 'The requested SKU is not available in this region.', 'quota'],
    ['OperationNotAllowed', 'Operation results in exceeding quota limits of Core. Maximum allowed: 10, Current in use: 10', 'quota'],
    ['OperationNotAllowed', 'The operation is not allowed on a server in this state.', 'refused'],
    ['SubnetNotFound', "Subnet 'postgres' was not found.", 'network'],
    ['InvalidSubnetDelegation', 'The subnet is not delegated to Microsoft.DBforPostgreSQL/flexibleServers.', 'network'],
    ['InvalidSubnetSize', 'The subnet is too small.', 'network'],
    ['InsufficientSubnetSize', 'Not enough addresses.', 'network'],
    ['VirtualNetworkNotFound', 'The VNet was not found.', 'network'],
    ['PrivateDnsZoneNotFound', 'The private DNS zone was not found.', 'network'],
    ['AzureKeyVaultKeyNotFound', 'The key was not found.', 'key'],
    ['KeyVaultAccessForbidden', 'Access to the key vault is forbidden.', 'key'],
    ['InvalidKeyIdentifier', 'The key id is invalid.', 'key'],
    ['DataEncryptionFailed', 'Encryption failed.', 'key'],
    ['InternalServerError', "An unexpected error occured while processing the request. Tracking ID: '1b2c'", 'internal'],
    ['InternalError', 'Internal error.', 'internal'],
    ['ServiceUnavailable', 'Try later.', 'internal'],
    ['GatewayTimeout', 'Timed out.', 'internal'],
  ];
  for (const [code, message, cause] of cases) {
    it(`${code}${code === 'OperationNotAllowed' ? ` (${cause})` : ''} → ${cause}`, () => {
      const judged = classifyRestoreFailure(code, message);
      assert.equal(judged.cause, cause);
      assert.equal(judged.kind, KIND[cause]);
      assert.ok(judged.hint.length > 20);
      if (cause !== 'backup') assert.match(judged.hint, /^not the backup/);
    });
  }

  it('every code of the table has a case above', () => {
    const covered = new Set(cases.map(([code]) => code.toLowerCase()));
    for (const code of Object.keys(RESTORE_FAILURE_CODES)) assert.ok(covered.has(code), code);
  });

  it('matches codes case-insensitively', () => assert.equal(classifyRestoreFailure('internalservererror').cause, 'internal'));

  it('an unknown code, or none, counts against the backup (the recovery was not proven)', () => {
    assert.equal(classifyRestoreFailure('SomethingNewFromAzure', 'whatever').kind, 'restore-failed');
    assert.equal(classifyRestoreFailure('SomethingNewFromAzure').by, 'default');
    assert.equal(classifyRestoreFailure('RestoreFailed').by, 'table');
    assert.equal(classifyRestoreFailure('InvalidSubnetDelegation').by, 'pattern');
    assert.equal(classifyRestoreFailure(undefined).kind, 'restore-failed');
    // "Monkey" has a lower-case k: not a key problem.
    assert.equal(classifyRestoreFailure('MonkeyBusiness').cause, 'backup');
  });
});
