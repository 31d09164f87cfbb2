/**
 * The GitHub Actions workflow `init` writes: monthly and on demand, OIDC login (no secret stored),
 * `check` then `restore-test`, `restore-test cleanup` before and after them, every report kept as an artifact, the
 * checklist as the job summary.
 */
import { CONFIG_FILE, SIGNING_KEY_SECRET, SIGNING_KEY_VARIABLE } from './config-document.js';
import { CommentedYaml } from './commented-yaml.js';
import {
  CI_NODE_MAJOR,
  CLIENT_IP_VARIABLE,
  MONTHLY_CRON,
  PINNED_VERSION,
  REPORTS_DIR,
  cleanupCommandLine,
  detectClientIpScript,
  installCommandLine,
  installComment,
  restorecheckCommandLine,
} from './ci-commands.js';
import type { InitAnswers } from './init-answers.js';

export const GITHUB_WORKFLOW_FILE = '.github/workflows/restorecheck.yml';

/** The OIDC login; from repository variables, since ids are not secrets and a federated credential needs none. */
export const AZURE_LOGIN = {
  uses: 'azure/login@v3',
  with: {
    'client-id': '${{ vars.AZURE_CLIENT_ID }}',
    'tenant-id': '${{ vars.AZURE_TENANT_ID }}',
    'subscription-id': '${{ vars.AZURE_SUBSCRIPTION_ID }}',
  },
};

/**
 * Exports RESTORECHECK_CLIENT_IP for every later step of its job (restoreTest.clientIp); never fails the job. The fleet
 * workflow's restore-test job runs it too.
 */
export const GITHUB_CLIENT_IP_STEP = {
  name: 'Find the public IPv4 address of this runner',
  run: detectClientIpScript((value) => `echo "${CLIENT_IP_VARIABLE}=${value}" >> "$GITHUB_ENV"`),
  'continue-on-error': true,
};

/** The step ran (passed or failed), as opposed to skipped because setup failed or cancelled. */
const CHECK_RAN = "${{ !cancelled() && (steps.check.outcome == 'success' || steps.check.outcome == 'failure') }}";

/** Every restorecheck step loads the configuration, and an unset ${VAR} in it is an error: each gets both secrets. */
export function githubSecretEnv(answers: InitAnswers): Record<string, string> {
  return {
    [answers.databaseUrlEnv]: `\${{ secrets.${answers.databaseUrlEnv} }}`,
    ...(answers.sign === 'yes' ? { [SIGNING_KEY_VARIABLE]: `\${{ secrets.${SIGNING_KEY_SECRET} }}` } : {}),
  };
}

export function githubWorkflowData(answers: InitAnswers): Record<string, unknown> {
  const secretEnv = githubSecretEnv(answers);
  return {
    name: `restorecheck (${answers.environment})`,
    on: {
      schedule: [{ cron: MONTHLY_CRON }],
      workflow_dispatch: {},
    },
    permissions: { 'id-token': 'write', contents: 'read' },
    concurrency: { group: `restorecheck-${answers.environment}`, 'cancel-in-progress': false },
    env: { RESTORECHECK_VERSION: PINNED_VERSION },
    jobs: {
      restorecheck: {
        'runs-on': 'ubuntu-latest',
        'timeout-minutes': 120,
        steps: [
          { uses: 'actions/checkout@v7' },
          { uses: 'actions/setup-node@v7', with: { 'node-version': CI_NODE_MAJOR } },
          { name: 'Install restorecheck', run: installCommandLine(answers, '$RESTORECHECK_VERSION') },
          GITHUB_CLIENT_IP_STEP,
          { name: 'Azure login (OIDC)', ...AZURE_LOGIN },
          { name: 'Delete what an earlier run left behind', run: cleanupCommandLine(), env: secretEnv, 'continue-on-error': true },
          { name: 'restorecheck check', id: 'check', run: restorecheckCommandLine('check'), env: secretEnv },
          { name: 'Azure login again, for the restore test', if: CHECK_RAN, ...AZURE_LOGIN },
          { name: 'restorecheck restore-test', id: 'restore-test', if: CHECK_RAN, run: restorecheckCommandLine('restore-test'), env: secretEnv },
          { name: 'Azure login again, for the cleanup', if: 'always()', ...AZURE_LOGIN },
          { name: 'restorecheck restore-test cleanup', if: 'always()', run: cleanupCommandLine(), env: secretEnv },
          {
            name: 'Upload the reports',
            if: 'always()',
            uses: 'actions/upload-artifact@v7',
            with: { name: `restorecheck-reports-${answers.environment}`, path: `${REPORTS_DIR}/`, 'if-no-files-found': 'warn' },
          },
        ],
      },
    },
  };
}

/** The comments every monthly GitHub workflow of `init` carries on its triggers, OIDC permission and pinned version. */
export function githubMonthlyComments(yaml: CommentedYaml): CommentedYaml {
  return yaml
    .above(
      ['on', 'schedule'],
      'At 03:17 UTC on the 1st of every month (off the hour: GitHub delays schedules when busy).',
      'In a public repository GitHub disables schedules after 60 days without activity.',
    )
    .quoted(['on', 'schedule', 0, 'cron'])
    .above(['on', 'workflow_dispatch'], 'And on demand, from the Actions tab (Run workflow).')
    .after(['permissions', 'id-token'], "lets azure/login exchange GitHub's OIDC token for an Entra ID token")
    .after(['env', 'RESTORECHECK_VERSION'], 'the version that wrote this file; change it to upgrade');
}

export function renderGithubWorkflow(answers: InitAnswers): string {
  const steps = ['jobs', 'restorecheck', 'steps'] as const;
  return githubMonthlyComments(
    new CommentedYaml(githubWorkflowData(answers), [
      `restorecheck: monthly proof that the backups of ${answers.environment} are real and restorable.`,
      `Written by \`restorecheck init\` (restorecheck ${PINNED_VERSION}); see the README, "Set up for your subscription".`,
      '',
      'Before the first run, in the repository settings (Secrets and variables → Actions):',
      '  variables AZURE_CLIENT_ID, AZURE_TENANT_ID, AZURE_SUBSCRIPTION_ID: the app registration that has a',
      '    federated credential for this repository (OIDC: no client secret is stored anywhere);',
      `  secret ${answers.databaseUrlEnv}: the database URL of a read-only role (${CONFIG_FILE} reads \${${answers.databaseUrlEnv}}).`,
      ...(answers.sign === 'yes'
        ? [`  secret ${SIGNING_KEY_SECRET}: the Ed25519 private key (PEM) that signs the reports (${CONFIG_FILE} reads \${${SIGNING_KEY_VARIABLE}}).`]
        : []),
      ...(answers.reportStore ? ["The report store (report.store in restorecheck.yaml) keeps the record; the artifact is a copy for the run's page."] : []),
      '',
      'A failed check (exit 1) or a check that could not be evaluated (exit 2) fails its step, and so the job:',
      'the default shell stops on a non-zero exit code. Later steps still run where their `if:` says so.',
      '',
      ...installComment(answers),
    ]),
  )
    .above(
      ['concurrency'],
      'One run at a time, never cancelled half-way: a cancelled restore test would leave its server behind',
      'until `restorecheck restore-test cleanup`.',
    )
    .after(['jobs', 'restorecheck', 'timeout-minutes'], 'restore-test stops itself after 60 minutes (--timeout)')
    .above(
      [...steps, 3],
      `Exports ${CLIENT_IP_VARIABLE} for every later step: a public-access restore copy gets a firewall rule for it`,
      `once ${CONFIG_FILE} says \`clientIp: \${${CLIENT_IP_VARIABLE}}\` (README, "Networking"). Never fails the job: without`,
      'an address the restore test runs without a firewall rule, and a private-access source needs none.',
    )
    .above([...steps, 4], 'DefaultAzureCredential picks up the Azure CLI session this leaves.')
    .above(
      [...steps, 5],
      'A restore server that an earlier run left behind (its runner died mid-restore) is found by its tags and',
      'deleted once its restorecheck-expires tag has passed. A failed deletion does not stop this run: the',
      'cleanup step at the end tries again, and fails the job if it fails again.',
    )
    .above(
      [...steps, 6],
      'Read-only. Writes the JSON record, the Markdown checklist, the HTML page and JUnit XML to reports/.',
      'No step is needed for the job summary: restorecheck appends the Markdown checklist to',
      '$GITHUB_STEP_SUMMARY itself whenever GitHub sets it.',
    )
    .above(
      [...steps, 7],
      'The login session lasts about an hour and cannot be refreshed (azure/login#180); a fresh one gives',
      'the restore test, which can take most of an hour, the whole of it.',
    )
    .above(
      [...steps, 8],
      'Runs even when check failed: a failing setting (say, a short retention) says nothing about whether',
      'the backups restore, and the month it fails is when the restore test matters most. It is skipped only',
      'when check never ran (setup or login failed) or the run was cancelled. It creates a NEW server from a',
      'backup and deletes it, so the identity needs more than Reader (README, "Set up for your subscription").',
    )
    .above(
      [...steps, 9],
      'always(): a cancelled, failed or timed-out restore test may leave its server (a copy of production)',
      'behind; this deletes it (with a fresh login: the restore test may have used up the last one).',
      'A deletion that fails here fails the job (exit 2).',
    )
    .above(
      [...steps, 11],
      'always(): the reports of a failed or cancelled run are the evidence you need most.',
      ...(answers.reportStore
        ? ["The report store is the record (each step uploaded its files there); this artifact is a copy for the run's page."]
        : ['Artifacts expire (90 days by default): keep the monthly reports somewhere lasting for the auditor.']),
    )
    .toString();
}
