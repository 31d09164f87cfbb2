/**
 * The Azure DevOps pipeline `init` writes: the same schedule and commands (cleanup included) as the GitHub workflow,
 * through AzureCLI@2 tasks on a workload-identity-federation service connection (no secret stored).
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

export const AZURE_PIPELINE_FILE = '.azure-pipelines/restorecheck.yml';

/** The service connection's name; must be known when the pipeline is compiled, so it is written here, not in a runtime variable. */
export const SERVICE_CONNECTION = 'restorecheck';

/** Sets RESTORECHECK_CLIENT_IP for every later task of its job (restoreTest.clientIp); never fails the run. The fleet pipeline's restore-test job runs it too. */
export const AZURE_CLIENT_IP_STEP = {
  script: detectClientIpScript((value) => `echo "##vso[task.setvariable variable=${CLIENT_IP_VARIABLE}]${value}"`),
  displayName: 'Find the public IPv4 address of this agent',
  continueOnError: true,
};

/** Set by the check task before it runs restorecheck: Azure DevOps conditions cannot ask whether an earlier task ran. */
const CHECK_RAN_VARIABLE = 'RESTORECHECK_CHECK_RAN';

/** An AzureCLI@2 task on the service connection, running `script` with the secrets restorecheck.yaml reads mapped in. */
export function azureCliTask(displayName: string, script: string, answers: InitAnswers, condition?: string): Record<string, unknown> {
  return {
    task: 'AzureCLI@2',
    displayName,
    ...(condition ? { condition } : {}),
    inputs: {
      azureSubscription: SERVICE_CONNECTION,
      scriptType: 'bash',
      scriptLocation: 'inlineScript',
      inlineScript: `${script}\n`,
      failOnStandardError: false,
    },
    // Secret variables are not in the environment unless mapped, one by one.
    env: {
      [answers.databaseUrlEnv]: `$(${answers.databaseUrlEnv})`,
      ...(answers.sign === 'yes' ? { [SIGNING_KEY_VARIABLE]: `$(${SIGNING_KEY_SECRET})` } : {}),
    },
  };
}

export function azurePipelineData(answers: InitAnswers): Record<string, unknown> {
  return {
    trigger: 'none',
    pr: 'none',
    schedules: [{ cron: MONTHLY_CRON, displayName: `restorecheck ${answers.environment}, monthly`, branches: { include: ['main'] }, always: true }],
    pool: { vmImage: 'ubuntu-latest' },
    variables: { RESTORECHECK_VERSION: PINNED_VERSION },
    jobs: [
      {
        job: 'restorecheck',
        displayName: `restorecheck (${answers.environment})`,
        timeoutInMinutes: 120,
        steps: [
          { checkout: 'self' },
          { task: 'NodeTool@0', displayName: `Node ${CI_NODE_MAJOR}`, inputs: { versionSpec: `${CI_NODE_MAJOR}.x` } },
          { script: installCommandLine(answers, '$(RESTORECHECK_VERSION)'), displayName: 'Install restorecheck' },
          AZURE_CLIENT_IP_STEP,
          { ...azureCliTask('Delete what an earlier run left behind', cleanupCommandLine(), answers), continueOnError: true },
          azureCliTask('restorecheck check', `echo "##vso[task.setvariable variable=${CHECK_RAN_VARIABLE}]true"\n${restorecheckCommandLine('check')}`, answers),
          azureCliTask(
            'restorecheck restore-test',
            restorecheckCommandLine('restore-test'),
            answers,
            `and(not(canceled()), eq(variables['${CHECK_RAN_VARIABLE}'], 'true'))`,
          ),
          azureCliTask('restorecheck restore-test cleanup', cleanupCommandLine(), answers, 'always()'),
          {
            task: 'PublishTestResults@2',
            displayName: 'Publish the checks as test results',
            condition: 'always()',
            inputs: { testResultsFormat: 'JUnit', testResultsFiles: `${REPORTS_DIR}/*.xml`, testRunTitle: `restorecheck ${answers.environment}` },
          },
          {
            script: `for f in ${REPORTS_DIR}/*.md; do [ -f "$f" ] && echo "##vso[task.uploadsummary]$PWD/$f"; done; true`,
            displayName: 'Show the checklists on the run summary',
            condition: 'always()',
          },
          {
            task: 'PublishPipelineArtifact@1',
            displayName: 'Publish the reports',
            condition: 'always()',
            inputs: { targetPath: REPORTS_DIR, artifact: 'restorecheck-reports-$(System.JobAttempt)' },
          },
        ],
      },
    ],
  };
}

/** The comments every monthly Azure DevOps pipeline of `init` carries on its trigger, schedule and pinned version. */
export function azureMonthlyComments(yaml: CommentedYaml): CommentedYaml {
  return yaml
    .above(['trigger'], 'Not on pushes or pull requests: on the schedule below, or run by hand.')
    .above(['schedules', 0], 'At 03:17 UTC on the 1st of every month, from main (edit the branch if yours differs).')
    .quoted(['schedules', 0, 'cron'])
    .after(['schedules', 0, 'always'], 'run even when nothing changed since the last run')
    .after(['variables', 'RESTORECHECK_VERSION'], 'the version that wrote this file; change it to upgrade');
}

export function renderAzurePipeline(answers: InitAnswers): string {
  const steps = ['jobs', 0, 'steps'] as const;
  return azureMonthlyComments(
    new CommentedYaml(azurePipelineData(answers), [
      `restorecheck: monthly proof that the backups of ${answers.environment} are real and restorable (Azure DevOps).`,
      `Written by \`restorecheck init\` (restorecheck ${PINNED_VERSION}); see the README, "Set up for your subscription".`,
      '',
      'Before the first run:',
      `  a service connection named "${SERVICE_CONNECTION}" (Azure Resource Manager, workload identity federation: no secret stored),`,
      '    whose identity has the roles the README lists;',
      `  a secret pipeline variable ${answers.databaseUrlEnv}: the database URL of a read-only role (${CONFIG_FILE} reads \${${answers.databaseUrlEnv}});`,
      ...(answers.sign === 'yes'
        ? [
            `  a secret pipeline variable ${SIGNING_KEY_SECRET}: the Ed25519 private key (PEM) that signs the reports (${CONFIG_FILE} reads \${${SIGNING_KEY_VARIABLE}});`,
          ]
        : []),
      '  a pipeline created from this file (Pipelines → New pipeline → Existing Azure Pipelines YAML file).',
      '',
      'A failed check (exit 1) or one that could not be evaluated (exit 2) fails its task, and so the run.',
      '',
      ...installComment(answers),
    ]),
  )
    .after(['jobs', 0, 'timeoutInMinutes'], 'restore-test stops itself after 60 minutes (--timeout)')
    .above(
      [...steps, 3],
      `Sets ${CLIENT_IP_VARIABLE} for every later task: a public-access restore copy gets a firewall rule for it`,
      `once ${CONFIG_FILE} says \`clientIp: \${${CLIENT_IP_VARIABLE}}\` (README, "Networking"). Never fails the run: without`,
      'an address the restore test runs without a firewall rule, and a private-access source needs none.',
    )
    .above(
      [...steps, 4],
      'Each AzureCLI@2 task logs in afresh. A restore server an earlier run left behind (its agent died',
      'mid-restore) is found by its tags and deleted once its restorecheck-expires tag has passed. A failed',
      'deletion does not stop this run: the cleanup task at the end tries again, and fails the run if it fails again.',
    )
    .above(
      [...steps, 5],
      'Read-only. Each AzureCLI@2 task logs in afresh, so the restore test gets a full token lifetime.',
      'failOnStandardError stays false: restorecheck writes its diagnostics to stderr; the exit code decides.',
    )
    .above(
      [...steps, 6],
      'Runs even when check failed: a failing setting says nothing about whether the backups restore.',
      'Skipped only when check never ran (setup failed) or the run was cancelled. It creates a NEW server',
      'from a backup and deletes it, so the identity needs more than Reader.',
    )
    .above(
      [...steps, 7],
      'always(): a cancelled, failed or timed-out restore test may leave its server (a copy of production)',
      'behind; this deletes it. A deletion that fails here fails the run (exit 2).',
    )
    .above(
      [...steps, 8],
      'always(): the reports of a failed run are the evidence you need most.',
      ...(answers.reportStore ? ["The report store is the record (each task uploaded its files there); the artifact below is a copy for the run's page."] : []),
    )
    .toString();
}
