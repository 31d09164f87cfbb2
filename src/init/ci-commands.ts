/**
 * What both CI pipelines run, in one place, so the GitHub workflow and the Azure DevOps pipeline
 * cannot disagree on the schedule, the version, the commands or where the reports go.
 */
import { TOOL_VERSION } from '../version.js';
import { CLIENT_IP_VARIABLE, CONFIG_FILE, REPORTS_DIR, SIGNING_KEY_SECRET, SIGNING_KEY_VARIABLE } from './config-document.js';
import type { InitAnswers } from './init-answers.js';
import { type InstallSource, ON_NPM_REGISTRY, installScript, parseInstallSource } from './install-source.js';

export { CLIENT_IP_VARIABLE, REPORTS_DIR };

/** 03:17 UTC on the 1st of each month: monthly, and off the hour, when hosted schedulers are least crowded. */
export const MONTHLY_CRON = '17 3 1 * *';

/** The version that wrote the pipeline is the version it runs; upgrading is a one-line change. */
export const PINNED_VERSION = TOOL_VERSION;

/** Every format an auditor or a CI view uses: the JSON record, the checklist, the HTML page, JUnit for the test tab. */
const FORMATS = ['json', 'markdown', 'html', 'junit'] as const;

/** `restorecheck <command> --config … --out-dir reports --format …` (restorecheck installed globally in an earlier step). */
export function restorecheckCommandLine(command: 'check' | 'restore-test'): string {
  return ['restorecheck', command, '--config', CONFIG_FILE, '--out-dir', REPORTS_DIR, ...FORMATS.flatMap((f) => ['--format', f])].join(' ');
}

/** Fleet mode (`init --fleet`): where each shard job writes its reports (`<dir>/shard-K`), and the merge job finds them. */
export const SHARD_REPORTS_DIR = 'shard-reports';

/** The formats of a shard report: the JSON record the merge reads, and the Markdown checklist for the shard job's summary. */
const SHARD_FORMATS = ['json', 'markdown'] as const;

/**
 * `restorecheck check --config … --shard K/N --out-dir shard-reports/shard-K …`, given how the CI engine spells this
 * job's position in its matrix (`${{ matrix.shard }}`, `$(System.JobPositionInPhase)`) and the number of jobs.
 */
export function shardCheckCommandLine(position: string, count: string | number): string {
  return [
    'restorecheck',
    'check',
    '--config',
    CONFIG_FILE,
    '--shard',
    `${position}/${count}`,
    '--out-dir',
    `${SHARD_REPORTS_DIR}/shard-${position}`,
    ...SHARD_FORMATS.flatMap((f) => ['--format', f]),
  ].join(' ');
}

/**
 * `restorecheck report merge shard-reports/shard-* --config … --out-dir reports …`: the shard reports joined into the one
 * report of the fleet, written where a check writes (reports/, report.dir, report.store), its exit code the fleet's.
 */
export function mergeCommandLine(): string {
  return [
    'restorecheck',
    'report',
    'merge',
    `${SHARD_REPORTS_DIR}/shard-*`,
    '--config',
    CONFIG_FILE,
    '--out-dir',
    REPORTS_DIR,
    ...FORMATS.flatMap((f) => ['--format', f]),
  ].join(' ');
}

/** The environment a deployment is backed up in (the archive's `<env>`), and the runner label the backup job asks for. */
export const BACKUP_ENVIRONMENT = 'production';
export const BACKUP_RUNNER_LABEL = 'restorecheck-backup';

/**
 * `restorecheck backup` before a deployment: the archive written and verified, its report kept (JSON, and the Markdown
 * checklist for the job summary). Any exit code but 0 fails the step, and the deployment after it does not run.
 */
export function backupCommandLine(): string {
  return [
    'restorecheck',
    'backup',
    '--config',
    CONFIG_FILE,
    '--environment',
    BACKUP_ENVIRONMENT,
    '--out-dir',
    REPORTS_DIR,
    '--format',
    'json',
    '--format',
    'markdown',
  ].join(' ');
}

/** The secrets of the selfHosted section init sketches in restorecheck.yaml (commented out until filled in). */
export const BACKUP_SECRET_VARIABLES = ['PGPASSWORD', 'BACKUP_SIGNING_KEY'] as const;

/**
 * The variables restorecheck.yaml needs to load (it is loaded whole): the database URL, the report signing key with
 * --sign, and the selfHosted secrets. The backup step and the rollback's restore step load the same file.
 */
export function selfHostedStepEnv(answers: InitAnswers): Record<string, string> {
  return {
    [answers.databaseUrlEnv]: `\${{ secrets.${answers.databaseUrlEnv} }}`,
    ...(answers.sign === 'yes' ? { [SIGNING_KEY_VARIABLE]: `\${{ secrets.${SIGNING_KEY_SECRET} }}` } : {}),
    ...Object.fromEntries(BACKUP_SECRET_VARIABLES.map((name) => [name, `\${{ secrets.${name} }}`])),
  };
}

/** The words `restorecheck restore` asks for before it overwrites production without a terminal. */
export const PRODUCTION_CONFIRMATION = 'RESTORE PRODUCTION';

/** The shell variables the rollback step reads its inputs from (set in the step's env:, never spliced into the script). */
export const ROLLBACK_ENVIRONMENT_VARIABLE = 'ROLLBACK_ENVIRONMENT';
export const ROLLBACK_REASON_VARIABLE = 'ROLLBACK_REASON';

/**
 * `restorecheck restore … latest` as CI's rollback after a failed deployment: production takes the confirmation words
 * (restore refuses production without a terminal otherwise), any other environment --yes. The environment (other than
 * production) and the reason come from shell variables, double-quoted: the caller's text is data to the shell, never code.
 */
export function rollbackCommandLine(production: boolean): string {
  return [
    'restorecheck',
    'restore',
    '--config',
    CONFIG_FILE,
    '--environment',
    production ? BACKUP_ENVIRONMENT : `"$${ROLLBACK_ENVIRONMENT_VARIABLE}"`,
    'latest',
    ...(production ? ['--confirm', `"${PRODUCTION_CONFIRMATION}"`] : ['--yes']),
    '--reason',
    `"$${ROLLBACK_REASON_VARIABLE}"`,
    // The report into reports/, which the next step uploads (without it the report went to stdout only).
    '--out-dir',
    REPORTS_DIR,
    '--format',
    'json',
    '--format',
    'markdown',
  ].join(' ');
}

/**
 * The Node.js the CI files run restorecheck on: the Active LTS line (Node 20 reached its end of life in April 2026).
 * package.json's engines stay wider: this is what CI runs, not what restorecheck needs.
 */
export const CI_NODE_MAJOR = 24;

/** The install source of the answers (SOURCE as validated); a pipeline rendered without one (a test's answers) installs from npm. */
export function installSourceOf(answers: InitAnswers): InstallSource {
  const parsed = parseInstallSource(answers.installFrom ?? 'npm');
  if (!parsed.ok) throw new Error(`installFrom ${answers.installFrom}: ${parsed.problem}`); // validated before: a bug
  return parsed.source;
}

/** The install step's script, given how the pipeline spells a variable (`$NAME` in bash, `$(NAME)` in Azure DevOps). */
export function installCommandLine(answers: InitAnswers, versionVariable: string): string {
  return installScript(installSourceOf(answers), versionVariable);
}

/** The written file's word on where it installs from: said in its header comment, with how to change it. */
export function installComment(answers: InitAnswers): string[] {
  const source = installSourceOf(answers);
  const from =
    source.kind === 'npm'
      ? `the npm registry (restorecheck@${PINNED_VERSION})${ON_NPM_REGISTRY ? '' : `; restorecheck ${PINNED_VERSION} is not published there yet, so this step fails until it is`}`
      : source.kind === 'git'
        ? `the git repository ${source.spec} (npm builds it)`
        : `the release tarball ${source.spec}`;
  return [
    `The install step installs restorecheck ${PINNED_VERSION} from ${from}.`,
    'Another source: run init again with --install-from (restorecheck init --help).',
  ];
}

/**
 * `restorecheck restore-test cleanup --config …`: deletes restore servers an earlier or this run left behind (a killed
 * job, a cancelled run). On a fresh CI runner no ledger knows them, so it finds them by their tags (README).
 */
export function cleanupCommandLine(): string {
  return ['restorecheck', 'restore-test', 'cleanup', '--config', CONFIG_FILE].join(' ');
}

/**
 * The address service: api.ipify.org answers over IPv4 only (api64.ipify.org is its dual-stack twin), so even a dual-stack
 * runner gets its IPv4 address, the only kind a Flexible Server firewall rule takes; it answers with the bare address as
 * text, over HTTPS, with no key, and is the one the README already names.
 */
export const CLIENT_IP_SERVICE = 'https://api.ipify.org';

/**
 * A bash script that finds the runner's public IPv4 address and exports it as RESTORECHECK_CLIENT_IP, given how the
 * pipeline exports a variable to later steps (`exportLine` turns a shell expression into that command). It never
 * exits non-zero: without an address the restore test runs without a firewall rule (a private-access source needs
 * none), and anything that is not a dotted quad of 0-255 (an error page, a proxy's answer) is not exported.
 */
export function detectClientIpScript(exportLine: (value: string) => string): string {
  const octet = '(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])';
  return [
    `ip="$(curl -fsS --max-time 10 ${CLIENT_IP_SERVICE} || true)"`,
    `if [[ "$ip" =~ ^(${octet}\\.){3}${octet}$ ]]; then`,
    `  ${exportLine('$ip')}`,
    `  echo "${CLIENT_IP_VARIABLE}=$ip (a firewall rule on a public-access restore copy)"`,
    'else',
    `  echo "no public IPv4 address from ${CLIENT_IP_SERVICE}: ${CLIENT_IP_VARIABLE} is not set; the restore copy gets no firewall rule"`,
    'fi',
    '',
  ].join('\n');
}
