/**
 * The simulator's own vocabulary, shared by its modules and re-exported by resource-manager.ts
 * (where importers have always found it): a server as the simulator holds it, the restore and
 * delete hooks, and the record kept of every request.
 */
import type { ScenarioServer } from './scenario.js';

/** A server as the simulator holds it: the scenario's description plus what restores and deletes change. */
export interface SimulatedServer extends ScenarioServer {
  fullyQualifiedDomainName?: string;
  createMode?: string;
  sourceServerResourceId?: string;
  pointInTimeUTC?: string;
  /** FirewallRules_CreateOrUpdate on this server, by rule name (lower case); they go with the server. */
  firewallRules?: Record<string, { name: string; startIpAddress: string; endIpAddress: string }>;
}

export interface PointInTimeRestoreRequest {
  source: SimulatedServer;
  /** The new server, already listed with state Provisioning. */
  target: SimulatedServer;
  pointInTime: Date;
  /** The scenario's lro.durationMs (a server's own `restore.durationSeconds` is more specific). */
  durationMs: number;
}

/** Fields a restore hook may set on the new server (e.g. where a real PostgreSQL copy listens). */
export interface RestoredServerUpdate {
  fullyQualifiedDomainName?: string;
  /** Tests only: replace the new server's tags (someone changing them before restorecheck's DELETE). */
  tags?: Record<string, string>;
}

/**
 * Where a caller plugs in real work behind the long-running operations (the restore-test issue:
 * "create a real PostgreSQL cluster copy"). A hook that throws makes the operation Failed; throw
 * ArmOperationError to choose the ARM error code.
 */
export interface SimulatorHooks {
  pointInTimeRestore?(request: PointInTimeRestoreRequest): Promise<RestoredServerUpdate | undefined>;
  deleteServer?(server: SimulatedServer): Promise<void>;
  /** Where a server without a scenario address answers (the real PostgreSQL behind it), so that clients can probe it. */
  fullyQualifiedDomainName?(server: SimulatedServer): string | undefined;
  /** Called first when the simulator stops: end the hooks' work in progress and release what they hold. */
  stop?(): Promise<void>;
}

export interface RequestRecord {
  method: string;
  path: string;
  query: string;
  /** Whether a bearer token came along, and whether the simulator had issued it. */
  token: 'none' | 'valid' | 'invalid';
  status: number;
  /** `blob`: a request to the blob data plane (blobEndpoint); absent: Resource Manager or the token endpoint. */
  plane?: 'blob';
  /** The JSON body of a PUT, as the simulator parsed it (tests show what restorecheck sent). */
  body?: unknown;
}
