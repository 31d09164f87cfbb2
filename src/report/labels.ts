/**
 * Every user-visible label the reporters add around the report's own text, in one table, so that a second language
 * is one more table of the same shape (issue 13). Check titles, messages and remediation come from the checks.
 */
export const LABELS = {
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
  provider: { 'github-actions': 'GitHub Actions', 'azure-devops': 'Azure DevOps' } as Record<string, string>,
} as const;

/** Human names of the controls the checks cite, keyed `framework control`; an unknown one is shown by its id alone. */
export const CONTROL_NAMES: Record<string, string> = {
  'ISO27001:2022 A.5.30': 'ICT readiness for business continuity',
  'ISO27001:2022 A.5.34': 'Privacy and protection of PII',
  'ISO27001:2022 A.8.13': 'Information backup',
  'ISO27001:2022 A.8.14': 'Redundancy of information processing facilities',
  'ISO27001:2022 A.8.15': 'Logging',
  'ISO27001:2022 A.8.32': 'Change management',
};
