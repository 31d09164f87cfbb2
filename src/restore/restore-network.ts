/**
 * How a restored server is reached, decided before Azure is asked for it:
 *
 * - its network block: the source's by default (as the Azure CLI's restore copies it), or another
 *   delegated subnet and private DNS zone from restoreTest.network. A VNet-integrated server cannot
 *   be restored to public access, and a restore sent without a network block asks for exactly that;
 * - a customer-managed-key source's identity and key, repeated, or the copy cannot read its own data;
 * - whether this machine reaches the source at all (a TCP connect to its endpoint): the copy lands in
 *   the same network, so a source unreachable from here means a copy unreachable from here, found out
 *   only after Azure has created (and billed) it;
 * - the firewall rule a public-access copy needs for this machine (restoreTest.clientIp).
 */
import { connect } from 'node:net';
import type { FlexibleServer, ServerDataEncryption, ServerIdentity, ServerNetwork } from '../azure/types.js';
import type { Config } from '../config/schema.js';

export interface RestoreNetworkPlan {
  /** What the PUT carries; undefined when Resource Manager did not describe the source's network (Azure's default then applies). */
  network?: ServerNetwork;
  /** Public access: the copy is reached through its firewall rules. */
  publicAccess: boolean;
  /** For the evidence: where the network block came from. */
  from: 'restoreTest.network' | 'the source' | 'unknown';
}

/** The network block of the restore: restoreTest.network, else the source's (its subnet and DNS zone, or its public access setting). */
export function restoreNetwork(source: FlexibleServer, configured: Config['restoreTest']['network']): RestoreNetworkPlan {
  if (configured) {
    return {
      network: { delegatedSubnetResourceId: configured.delegatedSubnetResourceId, privateDnsZoneArmResourceId: configured.privateDnsZoneArmResourceId },
      publicAccess: false,
      from: 'restoreTest.network',
    };
  }
  const n = source.network;
  if (n?.delegatedSubnetResourceId) {
    // As in Azure's own VNet examples: a subnet and a zone, no publicNetworkAccess (it applies only to servers outside a VNet).
    const network: ServerNetwork = { delegatedSubnetResourceId: n.delegatedSubnetResourceId };
    if (n.privateDnsZoneArmResourceId) network.privateDnsZoneArmResourceId = n.privateDnsZoneArmResourceId;
    return { network, publicAccess: false, from: 'the source' };
  }
  if (n?.publicNetworkAccess) {
    return { network: { publicNetworkAccess: n.publicNetworkAccess }, publicAccess: n.publicNetworkAccess.toLowerCase() === 'enabled', from: 'the source' };
  }
  return { publicAccess: false, from: 'unknown' };
}

/** A customer-managed-key source (dataEncryption.type AzureKeyVault): its identity and key as the restore must repeat them; else nothing. */
export function customerManagedKey(source: FlexibleServer): { identity?: ServerIdentity; dataEncryption?: ServerDataEncryption } {
  const encryption = source.dataEncryption;
  if (encryption?.type?.toLowerCase() !== 'azurekeyvault') return {};
  const dataEncryption: ServerDataEncryption = { type: encryption.type };
  for (const key of ['primaryKeyURI', 'primaryUserAssignedIdentityId', 'geoBackupKeyURI', 'geoBackupUserAssignedIdentityId'] as const) {
    if (encryption[key]) dataEncryption[key] = encryption[key];
  }
  const ids = source.identity?.userAssignedIdentityIds ?? [];
  return { dataEncryption, ...(ids.length > 0 ? { identity: { type: source.identity?.type ?? 'UserAssigned', userAssignedIdentityIds: ids } } : {}) };
}

/** The firewall rule's name: recognisably ours and this run's (Azure allows 1–128 of letters, digits, `-` and `_`). */
export const firewallRuleName = (runId: string) => `restorecheck-${runId.replace(/[^\w-]/g, '-')}`.slice(0, 128);

/** The port the copy will be read on: database.url's (the restored server is read with its URL, host replaced), else 5432. */
export function databasePort(databaseUrl: string): number {
  try {
    const port = new URL(databaseUrl).port;
    return port ? Number(port) : 5432;
  } catch {
    return 5432;
  }
}

export type ReachProbe = { reachable: true; ms: number } | { reachable: false; reason: string };

/** One TCP connect to host:port, bounded by `timeoutMs` (DNS included); never throws. */
export function probeTcp(host: string, port: number, timeoutMs: number, signal?: AbortSignal): Promise<ReachProbe> {
  return new Promise((resolve) => {
    const started = performance.now();
    const socket = connect({ host, port, signal });
    const finish = (result: ReachProbe) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => finish({ reachable: false, reason: `no answer within ${timeoutMs} ms` }), timeoutMs);
    socket.once('connect', () => finish({ reachable: true, ms: Math.round(performance.now() - started) }));
    socket.once('error', (error: NodeJS.ErrnoException) => finish({ reachable: false, reason: error.code ?? error.message }));
  });
}
