import type { ConnectionProbe, RolePrivileges } from '../../db/types.js';
import { messages, text } from '../messages.js';
import { CONTROLS, defineCheck, postgresSlots } from '../types.js';

/** sslmodes that encrypt (or not) without checking who is at the other end. */
const UNVERIFIED = new Set(['disable', 'allow', 'prefer', 'require']);

/** What makes an otherwise good connection a `warn`, as plain JSON (a message parameter), rendered in each language below. */
type Issue =
  | { kind: 'notReadOnly' }
  | { kind: 'noTls' | 'unverified'; sslMode: string }
  | { kind: 'verifyCa' }
  | { kind: 'superuser'; role: string }
  | { kind: 'writer'; role: string; writeAllData: boolean; writableTableCount: number; writableTables: string[] };

function connectionIssues(probe: ConnectionProbe): Issue[] {
  const issues: Issue[] = [];
  if (!probe.readOnly) issues.push({ kind: 'notReadOnly' });
  if (!probe.localHost) {
    if (!probe.tls) issues.push({ kind: 'noTls', sslMode: probe.sslMode });
    else if (UNVERIFIED.has(probe.sslMode)) issues.push({ kind: 'unverified', sslMode: probe.sslMode });
    else if (probe.sslMode === 'verify-ca') issues.push({ kind: 'verifyCa' });
  }
  const role = roleIssue(probe.role);
  if (role) issues.push(role);
  return issues;
}

function roleIssue(role: RolePrivileges): Issue | undefined {
  if (role.superuser) return { kind: 'superuser', role: role.name };
  if (!role.writeAllData && role.writableTableCount === 0) return undefined;
  return {
    kind: 'writer',
    role: role.name,
    writeAllData: role.writeAllData,
    writableTableCount: role.writableTableCount,
    writableTables: role.writableTables,
  };
}

function issueEn(issue: Issue): string {
  const enough = 'a read-only role (pg_read_all_data, or SELECT-only grants) is enough for restorecheck';
  switch (issue.kind) {
    case 'notReadOnly':
      return 'the session is not read-only (a pooler may have dropped the startup options)';
    case 'noTls':
      return `the connection is not encrypted (sslmode=${issue.sslMode}): anyone on the network path can read patient data; use sslmode=verify-full`;
    case 'unverified':
      return `sslmode=${issue.sslMode} encrypts but does not check the server certificate: a man in the middle can read patient data; use sslmode=verify-full`;
    case 'verifyCa':
      return 'sslmode=verify-ca checks the certificate chain but not the host name; use sslmode=verify-full';
    case 'superuser':
      return `role "${issue.role}" is a superuser; ${enough}`;
    case 'writer': {
      const can: string[] = [];
      if (issue.writeAllData) can.push('is a member of pg_write_all_data');
      if (issue.writableTableCount > 0) {
        const more = issue.writableTableCount > issue.writableTables.length ? `, … ${issue.writableTableCount} in all` : '';
        can.push(`can write to ${issue.writableTableCount} table${issue.writableTableCount > 1 ? 's' : ''} (${issue.writableTables.join(', ')}${more})`);
      }
      return `role "${issue.role}" ${can.join(' and ')}; ${enough}`;
    }
  }
}

function issueFr(issue: Issue): string {
  const enough = 'un rôle en lecture seule (pg_read_all_data, ou des droits SELECT uniquement) suffit à restorecheck';
  switch (issue.kind) {
    case 'notReadOnly':
      return 'la session n’est pas en lecture seule (un pooler a peut-être ignoré les options de démarrage)';
    case 'noTls':
      return `la connexion n’est pas chiffrée (sslmode=${issue.sslMode}) : quiconque se trouve sur le chemin réseau peut lire des données de patients ; utiliser sslmode=verify-full`;
    case 'unverified':
      return `sslmode=${issue.sslMode} chiffre mais ne vérifie pas le certificat du serveur : un intermédiaire peut lire des données de patients ; utiliser sslmode=verify-full`;
    case 'verifyCa':
      return 'sslmode=verify-ca vérifie la chaîne de certificats mais pas le nom d’hôte ; utiliser sslmode=verify-full';
    case 'superuser':
      return `le rôle « ${issue.role} » est superutilisateur ; ${enough}`;
    case 'writer': {
      const can: string[] = [];
      if (issue.writeAllData) can.push('est membre de pg_write_all_data');
      if (issue.writableTableCount > 0) {
        const more = issue.writableTableCount > issue.writableTables.length ? `, … ${issue.writableTableCount} en tout` : '';
        can.push(`peut écrire dans ${issue.writableTableCount} table${issue.writableTableCount > 1 ? 's' : ''} (${issue.writableTables.join(', ')}${more})`);
      }
      return `le rôle « ${issue.role} » ${can.join(' et ')} ; ${enough}`;
    }
  }
}

/**
 * The findings that make an otherwise good connection a `warn`. Each names the risk and the fix.
 * Exported for the unit test that feeds it a remote probe (tests may only use loopback addresses).
 */
export function connectionFindings(probe: ConnectionProbe): string[] {
  return connectionIssues(probe).map(issueEn);
}

const t = messages('db-connectivity', {
  warn: text<{ target: string; version: string; connectMs: number; issues: Issue[] }>(
    (p) => `Connected to ${p.target} (PostgreSQL ${p.version}) in ${p.connectMs} ms, but ${p.issues.map(issueEn).join('; ')}.`,
    (p) => `Connecté à ${p.target} (PostgreSQL ${p.version}) en ${p.connectMs} ms, mais ${p.issues.map(issueFr).join(' ; ')}.`,
  ),
  pass: text<{ target: string; version: string; connectMs: number; tls: boolean; tlsVersion: string | null; sslMode: string; role: string; latencyMs: number }>(
    (p) =>
      `Connected to ${p.target} (PostgreSQL ${p.version}) in ${p.connectMs} ms, ${p.tls ? `TLS ${p.tlsVersion ?? 'on'} (sslmode=${p.sslMode})` : 'without TLS (local connection)'}, ` +
      `read-only session as role "${p.role}" without write grants, round trip ${p.latencyMs} ms.`,
    (p) =>
      `Connecté à ${p.target} (PostgreSQL ${p.version}) en ${p.connectMs} ms, ${p.tls ? `TLS ${p.tlsVersion ?? 'actif'} (sslmode=${p.sslMode})` : 'sans TLS (connexion locale)'}, ` +
      `session en lecture seule avec le rôle « ${p.role} » sans droit d’écriture, aller-retour ${p.latencyMs} ms.`,
  ),
});

// A.8.13 (a backup procedure that reaches its database) and A.8.24 (TLS with a verified server certificate for health data in transit).
export const dbConnectivity = defineCheck({
  id: 'db-connectivity',
  title: 'The database accepts a read-only connection within the timeout',
  severity: 'critical',
  description:
    'Opens a connection with the configured URL and sslmode (verify-full by default for a remote host), in a read-only session, measures the round trip, ' +
    'and looks at what the role could do with its credentials (superuser, write grants).',
  risk: 'A backup procedure that cannot even reach its database proves nothing; an unencrypted or unverified link exposes health data in transit; a writer role in CI can change it.',
  remediation:
    'Check the server state (`az postgres flexible-server show -g <resource-group> -n <server> --query state`), the firewall rules (`az postgres flexible-server ' +
    'firewall-rule list -g <resource-group> -n <server>`), and the credentials behind the database URL. ' +
    'Use sslmode=verify-full and a role with SELECT-only grants (or pg_read_all_data).',
  fr: {
    title: 'La base de données accepte une connexion en lecture seule dans le délai imparti',
    description:
      'Ouvre une connexion avec l’URL et le sslmode configurés (verify-full par défaut pour un hôte distant), dans une session en lecture seule, mesure ' +
      'l’aller-retour et examine ce que le rôle pourrait faire avec ses identifiants (superutilisateur, droits d’écriture).',
    risk:
      'Une procédure de sauvegarde qui ne peut même pas joindre sa base ne prouve rien ; un lien non chiffré ou non vérifié expose des données de santé en ' +
      'transit ; un rôle en écriture dans la CI peut les modifier.',
    remediation:
      'Vérifier l’état du serveur (`az postgres flexible-server show -g <resource-group> -n <server> --query state`), les règles de pare-feu (`az postgres flexible-server ' +
      'firewall-rule list -g <resource-group> -n <server>`) et les identifiants de l’URL de la base. ' +
      'Utiliser sslmode=verify-full et un rôle limité à SELECT (ou pg_read_all_data).',
  },
  // The Azure names when the database is the configured Flexible Server; placeholders otherwise.
  slots: postgresSlots,
  controls: [CONTROLS.backup, CONTROLS.cryptography],
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
    const issues = connectionIssues(probe);
    const base = { target: probe.target, version: probe.serverVersion, connectMs: probe.connectMs };
    if (issues.length > 0) return { status: 'warn', message: t.warn({ ...base, issues }), evidence };
    const pass = { tls: probe.tls, tlsVersion: probe.tlsVersion ?? null, sslMode: probe.sslMode, role: probe.role.name, latencyMs: probe.latencyMs };
    return { status: 'pass', message: t.pass({ ...base, ...pass }), evidence };
  },
});
