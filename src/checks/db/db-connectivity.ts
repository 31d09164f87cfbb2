import { CONTROLS, type Check } from '../types.js';

const LOOPBACK = /^(localhost|127\.\d+\.\d+\.\d+|::1|\/.*)$/;

export const dbConnectivity: Check = {
  id: 'db-connectivity',
  title: 'The database accepts a read-only connection within the timeout',
  severity: 'critical',
  description: 'Opens a connection with the configured URL and sslmode, in a read-only session, and measures the round trip.',
  risk: 'A backup procedure that cannot even reach its database proves nothing; an unencrypted link exposes health data in transit.',
  remediation:
    'Check the server state (`az postgres flexible-server show -g RG -n SERVER --query state`), the firewall rules (`az postgres flexible-server firewall-rule list -g RG -n SERVER`), and the credentials behind the database URL.',
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
      ...(probe.tlsVersion ? { tlsVersion: probe.tlsVersion } : {}),
    };
    const host = probe.target.replace(/:\d+\/.*$/, '');
    if (!probe.readOnly) {
      return { status: 'warn', message: `Connected to ${probe.target} (PostgreSQL ${probe.serverVersion}), but the session is not read-only (a pooler may have dropped the startup options).`, evidence };
    }
    if (!probe.tls && !LOOPBACK.test(host)) {
      return { status: 'warn', message: `Connected to ${probe.target} (PostgreSQL ${probe.serverVersion}) in ${probe.connectMs} ms, but without TLS; expected an encrypted connection (sslmode=verify-full).`, evidence };
    }
    return {
      status: 'pass',
      message: `Connected to ${probe.target} (PostgreSQL ${probe.serverVersion}) in ${probe.connectMs} ms, ${probe.tls ? `TLS ${probe.tlsVersion ?? 'on'}` : 'without TLS (local connection)'}, read-only session, round trip ${probe.latencyMs} ms.`,
      evidence,
    };
  },
};
