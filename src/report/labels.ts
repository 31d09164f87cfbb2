/**
 * Every user-visible label the reporters add around the report's own text, in one table, so that a second language
 * is one more table of the same shape (issue 13). Check titles, messages and remediation come from the checks.
 */
const EN = {
  run: 'Run',
  ranBy: 'Ran by',
  osUser: 'OS user',
  host: 'Host',
  ciProvider: 'CI',
  ciActor: 'CI actor',
  ciRun: 'CI run',
  workflow: 'Workflow',
  ref: 'Branch or tag',
  repository: 'Repository',
  commit: 'Commit',
  subscription: 'Subscription',
  postgresServer: 'Flexible Server',
  serverFqdn: 'Server FQDN',
  storageAccount: 'Storage account',
  storageContainer: 'Container',
  database: 'Database',
  databaseUrl: 'Database URL',
  databaseValue: (name: string | undefined, host: string, port: number, user: string | undefined) =>
    `${name ?? '(default)'} on ${host}:${port}${user ? ` as ${user}` : ''}`,
  archive: 'Archive',
  on: 'on',
  byRequirement: 'By requirement',
  unmetRequirements: 'Requirements not met',
  requirement: 'Requirement',
  evidencedBy: 'Evidenced by',
  status: 'Status',
  remediation: 'Remediation',
  hint: 'Hint',
  controls: 'Controls',
  noRequirement: 'No check cites a requirement.',
  // The headings and facts the formats had before 0.2, moved here from each reporter.
  reportKicker: 'restorecheck report',
  overviewHead: { status: 'Status', check: 'Check', compliantState: 'Compliant state', severity: 'Severity' },
  evidence: 'Evidence',
  value: 'Value',
  noTrendValue: 'No value yet in the reports of this directory.',
  trends: 'Trends',
  trendFacts: (runs: number, environment: string) => `across ${runs} report${runs === 1 ? '' : 's'} of ${environment} in the report directory`,
  noTrendYet: 'no report of this directory holds a value to plot yet',
  /** The trend charts' titles and units (report/trends.ts ids and units); the English ones are trends.ts's own. */
  trendTitle: {} as Record<string, string>,
  trendUnit: {} as Record<string, string>,
  dateUtc: 'Date (UTC)',
  finishedUtc: 'Finished (UTC)',
  duration: 'Duration',
  toolVersion: 'Tool version',
  exitCode: 'Exit code',
  runId: 'Run id',
  summaryHeading: (n: number) => `Summary: ${n} check${n === 1 ? '' : 's'}`,
  checksAtAGlance: 'Checks at a glance',
  noCheckSelected: 'No check selected.',
  detailsAndEvidence: 'Details and evidence',
  severityFact: (severity: string) => `severity ${severity}`,
  errorKindFact: 'error kind',
  requestId: 'request id',
  footerRecord: 'This document is rendered from the JSON report of the same name, which is the record. Previous report in the chain (SHA-256):',
  footerVerify: 'Verify the chain with',
  unsigned: 'Integrity only, not authenticity: this report is not signed (no report.signingKey).',
  signedWith: (keyId: string) => `Signed (Ed25519) with key id ${keyId}: check with restorecheck report verify DIR --public-key FILE.`,
  previousNotRecorded: 'not recorded',
  previousNone: 'none (first report)',
  markdownHead: { environment: 'Environment', command: 'Command', started: 'Started', duration: 'Duration', tool: 'Tool', outcome: 'Outcome' },
  checksCount: (n: number) => `${n} checks`,
  /** The status counts of the summary lines (console, Markdown). */
  counted: { pass: 'pass', fail: 'fail', warn: 'warn', error: 'error', skipped: 'skipped' },
  monthlyChecklist: 'Monthly checklist',
  checklist: 'Checklist',
  noCheckSelectedMd: '_No check selected._',
  failOn: 'fail-on',
  previousReport: 'previous report sha256',
  exit: 'exit',
  fix: 'fix',
  hintLower: 'hint',
  outcome: 'outcome',
  noCheckConsole: '  (no check selected)',
  provider: { 'github-actions': 'GitHub Actions', 'azure-devops': 'Azure DevOps' } as Record<string, string>,
};

/** The shape every language's table must have: a missing or mistyped French label does not compile. */
export type Labels = typeof EN;
export type ReportLanguage = 'en' | 'fr';

/**
 * French, for the users' procedures and their ISO 27001 / HDS auditors. Terms follow the French edition of
 * ISO/IEC 27001 (« mesure », « exigence ») and are used the same way in every format.
 */
const FR: Labels = {
  run: 'Exécution',
  ranBy: 'Exécuté par',
  osUser: 'Utilisateur système',
  host: 'Hôte',
  ciProvider: 'CI',
  ciActor: 'Acteur CI',
  ciRun: 'Exécution CI',
  workflow: 'Workflow',
  ref: 'Branche ou tag',
  repository: 'Dépôt',
  commit: 'Commit',
  subscription: 'Abonnement',
  postgresServer: 'Flexible Server',
  serverFqdn: 'FQDN du serveur',
  storageAccount: 'Compte de stockage',
  storageContainer: 'Conteneur',
  database: 'Base de données',
  databaseUrl: 'URL de la base',
  databaseValue: (name: string | undefined, host: string, port: number, user: string | undefined) =>
    `${name ?? '(par défaut)'} sur ${host}:${port}${user ? ` en tant que ${user}` : ''}`,
  archive: 'Archive',
  on: 'sur',
  byRequirement: 'Par exigence',
  unmetRequirements: 'Exigences non satisfaites',
  requirement: 'Exigence',
  evidencedBy: 'Preuves apportées par',
  status: 'Statut',
  remediation: 'Remédiation',
  hint: 'Conseil',
  controls: 'Mesures',
  noRequirement: 'Aucun contrôle ne cite d’exigence.',
  reportKicker: 'rapport restorecheck',
  overviewHead: { status: 'Statut', check: 'Contrôle', compliantState: 'État conforme', severity: 'Gravité' },
  evidence: 'Preuves',
  value: 'Valeur',
  noTrendValue: 'Aucune valeur encore dans les rapports de ce répertoire.',
  trends: 'Tendances',
  trendFacts: (runs: number, environment: string) => `sur ${runs} rapport${runs > 1 ? 's' : ''} de ${environment} dans le répertoire des rapports`,
  noTrendYet: 'aucun rapport de ce répertoire ne contient encore de valeur à tracer',
  trendTitle: {
    'core-row-counts': 'Nombre de lignes des tables principales',
    'backup-age': 'Âge de la sauvegarde la plus récente',
    'restore-time': 'Durée de restauration',
  } as Record<string, string>,
  trendUnit: { rows: 'lignes', hours: 'heures', seconds: 'secondes' } as Record<string, string>,
  dateUtc: 'Date (UTC)',
  finishedUtc: 'Fin (UTC)',
  duration: 'Durée',
  toolVersion: 'Version de l’outil',
  exitCode: 'Code de sortie',
  runId: 'Identifiant d’exécution',
  summaryHeading: (n: number) => `Synthèse : ${n} contrôle${n > 1 ? 's' : ''}`,
  checksAtAGlance: 'Vue d’ensemble des contrôles',
  noCheckSelected: 'Aucun contrôle sélectionné.',
  detailsAndEvidence: 'Détails et preuves',
  severityFact: (severity: string) => `gravité ${severity}`,
  errorKindFact: 'type d’erreur',
  requestId: 'identifiant de requête',
  footerRecord: 'Ce document est rendu à partir du rapport JSON du même nom, qui fait foi. Rapport précédent dans la chaîne (SHA-256) :',
  footerVerify: 'Vérifier la chaîne avec',
  unsigned: 'Intégrité seulement, pas d’authenticité : ce rapport n’est pas signé (pas de report.signingKey).',
  signedWith: (keyId: string) => `Signé (Ed25519) avec la clé d’identifiant ${keyId} : à vérifier avec restorecheck report verify DIR --public-key FICHIER.`,
  previousNotRecorded: 'non enregistré',
  previousNone: 'aucun (premier rapport)',
  markdownHead: { environment: 'Environnement', command: 'Commande', started: 'Début', duration: 'Durée', tool: 'Outil', outcome: 'Résultat' },
  checksCount: (n: number) => `${n} contrôle${n > 1 ? 's' : ''}`,
  counted: { pass: 'conforme', fail: 'non conforme', warn: 'avertissement', error: 'erreur', skipped: 'ignoré' },
  monthlyChecklist: 'Liste de contrôle mensuelle',
  checklist: 'Liste de contrôle',
  noCheckSelectedMd: '_Aucun contrôle sélectionné._',
  failOn: 'échec si',
  previousReport: 'sha256 du rapport précédent',
  exit: 'sortie',
  fix: 'correction',
  hintLower: 'conseil',
  outcome: 'résultat',
  noCheckConsole: '  (aucun contrôle sélectionné)',
  provider: { 'github-actions': 'GitHub Actions', 'azure-devops': 'Azure DevOps' } as Record<string, string>,
};

/** Statuses and severities in each language: the words an auditor expects in a conformity report. */
export const STATUS_WORDS: Record<ReportLanguage, Record<'pass' | 'fail' | 'warn' | 'error' | 'skipped', string>> = {
  en: { pass: 'PASS', fail: 'FAIL', warn: 'WARN', error: 'ERROR', skipped: 'SKIPPED' },
  fr: { pass: 'CONFORME', fail: 'NON CONFORME', warn: 'AVERTISSEMENT', error: 'ERREUR', skipped: 'IGNORÉ' },
};
export const SEVERITY_WORDS: Record<ReportLanguage, Record<'critical' | 'high' | 'medium' | 'low' | 'info', string>> = {
  en: { critical: 'critical', high: 'high', medium: 'medium', low: 'low', info: 'info' },
  fr: { critical: 'critique', high: 'élevée', medium: 'moyenne', low: 'faible', info: 'info' },
};

export const LABELS_BY_LANGUAGE: Record<ReportLanguage, Labels> = { en: EN, fr: FR };

/** The labels of a language; English when none is given (the default, and what every reporter used before). */
export function labelsFor(language: ReportLanguage | undefined): Labels {
  return LABELS_BY_LANGUAGE[language ?? 'en'];
}

/** The English table, under its old name, for the reporters not yet given a language. */
export const LABELS = EN;

/** Human names of the controls the checks cite, keyed `framework control`; an unknown one is shown by its id alone. */
export const CONTROL_NAMES: Record<string, string> = {
  'ISO27001:2022 A.5.30': 'ICT readiness for business continuity',
  'ISO27001:2022 A.5.34': 'Privacy and protection of PII',
  'ISO27001:2022 A.8.13': 'Information backup',
  'ISO27001:2022 A.8.14': 'Redundancy of information processing facilities',
  'ISO27001:2022 A.8.15': 'Logging',
  'ISO27001:2022 A.8.32': 'Change management',
};
