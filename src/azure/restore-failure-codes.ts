/**
 * Whose fault a point-in-time restore that Azure ends as Failed is, by Azure's error code: the backup's (the
 * restore-provision check fails, exit 1), or the platform's or the configuration's (quota, network, key, an internal
 * error: the check is `error`, exit 2; the backup was not tried, so nothing is proven either way). Pure, one table.
 *
 * Microsoft documents no list of the codes a Flexible Server restore ends with. The table holds the codes Resource
 * Manager and the network and Key Vault providers use for these causes; the patterns catch their relatives
 * (InvalidSubnetDelegation, KeyVaultAccessForbidden, …).
 *
 * An unknown code is the backup's fault, on purpose: Azure tried to restore and did not produce a server, so the
 * recovery is not proven, and excusing it as "the platform's" would turn a real backup problem into a "run again". A
 * wrongly excused failure is silent (exit 2 reads as "could not check"); a wrongly blamed one is investigated.
 */
import type { EvaluationErrorKind } from '../errors.js';

export type RestoreFailureCause = 'backup' | 'quota' | 'network' | 'key' | 'internal' | 'refused';

export interface RestoreFailureClass {
  cause: RestoreFailureCause;
  /** `restore-failed`: the backup did not restore (fail). Anything else: we could not evaluate the backup (error). */
  kind: 'restore-failed' | EvaluationErrorKind;
  /** What the user should do next. */
  hint: string;
  /** How the code was recognised: the table, a pattern, or not at all (the default: the backup's fault). */
  by: 'table' | 'pattern' | 'default';
}

const HINTS: Record<RestoreFailureCause, string> = {
  backup:
    'the backup did not restore: see the activity log of the resource group in the Azure portal; run the restore again, and open a support case with ' +
    'the request id if it fails again',
  quota:
    "not the backup: the subscription's quota (vCores, servers) in this region is used up: request a quota increase (Azure portal, Quotas), or " +
    'delete unused servers, then run again',
  network:
    "not the backup: the restore's network is wrong: the subnet (the source's, or restoreTest.network) must exist, be delegated to " +
    'Microsoft.DBforPostgreSQL/flexibleServers and have free addresses, and the private DNS zone must be linked to its VNet',
  key:
    "not the backup: the customer-managed key cannot be used: the key must exist and be enabled, and the restored server's identity needs get, " +
    'wrapKey and unwrapKey on it (Key Vault access policy or the Key Vault Crypto Service Encryption User role)',
  internal: 'not the backup: Azure had an internal error: run the restore test again later; if it persists, open a support case with the request id',
  refused: "not the backup: Azure refused the operation in this subscription or region: read Azure's message, fix the cause, and run again",
};

const KINDS: Record<RestoreFailureCause, RestoreFailureClass['kind']> = {
  backup: 'restore-failed',
  quota: 'platform',
  network: 'config',
  key: 'config',
  internal: 'platform',
  refused: 'platform',
};

/** Exact codes, case-insensitive. */
export const RESTORE_FAILURE_CODES: Readonly<Record<string, RestoreFailureCause>> = {
  // Codes that say the restore itself (the backup) failed.
  restorefailed: 'backup',
  pointintimerestorefailed: 'backup',
  backupnotfound: 'backup',
  // Quota and capacity.
  quotaexceeded: 'quota',
  subscriptionquotaexceeded: 'quota',
  regionalquotaexceeded: 'quota',
  skunotavailable: 'quota',
  // Network.
  subnetnotfound: 'network',
  virtualnetworknotfound: 'network',
  privatednszonenotfound: 'network',
  insufficientsubnetsize: 'network',
  // Internal errors of the platform.
  internalservererror: 'internal',
  internalerror: 'internal',
  serviceunavailable: 'internal',
  gatewaytimeout: 'internal',
};

/** Relatives of the table's codes, tried in order after it. */
const PATTERNS: ReadonlyArray<[RegExp, RestoreFailureCause]> = [
  [/quota/i, 'quota'],
  [/subnet|virtualnetwork|vnet|privatedns/i, 'network'],
  // Capital K: KeyVault…, …KeyNotFound, InvalidKey…; not "monkey".
  [/KeyVault|Key(?=[A-Z]|$)|^Key|Encryption/, 'key'],
];

/** The class of a restore that Azure ended as Failed with `code` (and `message`, which tells an OperationNotAllowed about quota). */
export function classifyRestoreFailure(code: string | undefined, message = ''): RestoreFailureClass {
  const of = (cause: RestoreFailureCause, by: RestoreFailureClass['by']): RestoreFailureClass => ({ cause, kind: KINDS[cause], hint: HINTS[cause], by });
  if (!code) return of('backup', 'default');
  if (code.toLowerCase() === 'operationnotallowed') return of(/quota|limit/i.test(message) ? 'quota' : 'refused', 'table');
  const exact = RESTORE_FAILURE_CODES[code.toLowerCase()];
  if (exact) return of(exact, 'table');
  const matched = PATTERNS.find(([pattern]) => pattern.test(code));
  return matched ? of(matched[1], 'pattern') : of('backup', 'default');
}
