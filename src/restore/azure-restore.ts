/**
 * The Azure path of `restore-test`: point-in-time restore of the Flexible Server to a NEW server.
 * Not built yet: the command refuses it with a clear message until it is.
 */
import type { Logger } from '../checks/types.js';
import type { Config } from '../config/schema.js';
import { UsageError } from '../errors.js';
import type { Gateways } from '../run/gateways.js';
import type { RestoreOutcome } from './outcome.js';
import type { SignedDocumentProbe } from './restored-database.js';

export interface AzureRestoreOptions {
  config: Config;
  gateways: Gateways;
  runId: string;
  pointInTime?: Date;
  keep: boolean;
  timeoutMs: number;
  signal: AbortSignal;
  log: Logger;
  signedDocument?: SignedDocumentProbe;
}

export async function restoreAzurePointInTime(options: AzureRestoreOptions): Promise<RestoreOutcome> {
  void options;
  throw new UsageError('the Azure point-in-time restore test is not built yet', 'use `restorecheck restore-test --archive FILE` for a self-hosted archive');
}

/** `restore-test cleanup`: deletes expired servers that carry restorecheck's tags and ledger entry. */
export async function cleanupExpiredRestores(options: { config: Config; gateways: Gateways; log: Logger; now: Date }): Promise<{ deleted: string[]; kept: string[] }> {
  void options;
  throw new UsageError('restore-test cleanup is not built yet', 'it comes with the Azure restore test');
}
