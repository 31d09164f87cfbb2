import type { ConnectionProbe, RolePrivileges } from '../../db/types.js';
import { CONTROLS, defineCheck } from '../types.js';

/** sslmodes that encrypt (or not) without checking who is at the other end. */
const UNVERIFIED = new Set(['disable', 'allow', 'prefer', 'require']);

/**
 * The findings that make an otherwise good connection a `warn`. Each names the risk and the fix.
 * Exported for the unit test that feeds it a remote probe (tests may only use loopback addresses).
 */
export function connectionFindings(probe: ConnectionProbe): string[] {
  const findings: string[] = [];
  if (!probe.readOnly) findings.push('the session is not read-only (a pooler may have dropped the startup options)');
  if (!probe.localHost) {
    if (!probe.tls) {
      findings.push(`the connection is not encrypted (sslmode=${probe.sslMode}): anyone on the network path can read patient data; use sslmode=verify-full`);
    } else if (UNVERIFIED.has(probe.sslMode)) {
      findings.push(
        `sslmode=${probe.sslMode} encrypts but does not check the server certificate: a man in the middle can read patient data; use sslmode=verify-full`,
      );
    } else if (probe.sslMode === 'verify-ca') {
      findings.push('sslmode=verify-ca checks the certificate chain but not the host name; use sslmode=verify-full');
    }
  }
  const role = roleFinding(probe.role);
  if (role) findings.push(role);
  return findings;
}

function roleFinding(role: RolePrivileges): string | undefined {
  const enough = 'a read-only role (pg_read_all_data, or SELECT-only grants) is enough for restorecheck';
  if (role.superuser) return `role "${role.name}" is a superuser; ${enough}`;
  const can: string[] = [];
  if (role.writeAllData) can.push('is a member of pg_write_all_data');
  if (role.writableTableCount > 0) {
    const more = role.writableTableCount > role.writableTables.length ? `, … ${role.writableTableCount} in all` : '';
    can.push(`can write to ${role.writableTableCount} table${role.writableTableCount > 1 ? 's' : ''} (${role.writableTables.join(', ')}${more})`);
  }
  return can.length ? `role "${role.name}" ${can.join(' and ')}; ${enough}` : undefined;
}

export const dbConnectivity = defineCheck({
  id: 'db-connectivity',
  title: 'The database accepts a read-only connection within the timeout',
  severity: 'critical',
  description:
    'Opens a connection with the configured URL and sslmode (verify-full by default for a remote host), in a read-only session, measures the round trip, ' +
    'and looks at what the role could do with its credentials (superuser, write grants).',
  risk: 'A backup procedure that cannot even reach its database proves nothing; an unencrypted or unverified link exposes health data in transit; a writer role in CI can change it.',
  remediation:
    'Check the server state (`az postgres flexible-server show -g RG -n SERVER --query state`), the firewall rules (`az postgres flexible-server ' +
    'firewall-rule list -g RG -n SERVER`), and the credentials behind the database URL. ' +
    'Use sslmode=verify-full and a role with SELECT-only grants (or pg_read_all_data).',
  controls: [CONTROLS.backup, CONTROLS.hdsBackup],
  needs: ['database'],
  command: 'check',
  async run(ctx) {
    const probe = await ctx.gateways.database().probe();
    const evidence = {
      serverVersion: probe.serverVersion,
      tls: probe.tls,
      latencyMs: probe.latencyMs,
      connectMs: probe.connectMs,
      readOnly: probe.readOnly,
      target: probe.target,
      sslMode: probe.sslMode,
      sslModeExplicit: probe.sslModeExplicit,
      localHost: probe.localHost,
      role: {
        name: probe.role.name,
        superuser: probe.role.superuser,
        writeAllData: probe.role.writeAllData,
        writableTableCount: probe.role.writableTableCount,
        writableTables: probe.role.writableTables,
      },
      ...(probe.tlsVersion ? { tlsVersion: probe.tlsVersion } : {}),
    };
    const findings = connectionFindings(probe);
    if (findings.length > 0) {
      return {
        status: 'warn',
        message: `Connected to ${probe.target} (PostgreSQL ${probe.serverVersion}) in ${probe.connectMs} ms, but ${findings.join('; ')}.`,
        evidence,
      };
    }
    const tls = probe.tls ? `TLS ${probe.tlsVersion ?? 'on'} (sslmode=${probe.sslMode})` : 'without TLS (local connection)';
    return {
      status: 'pass',
      message:
        `Connected to ${probe.target} (PostgreSQL ${probe.serverVersion}) in ${probe.connectMs} ms, ${tls}, read-only session as ` +
        `role "${probe.role.name}" without write grants, round trip ${probe.latencyMs} ms.`,
      evidence,
    };
  },
});
