/**
 * The Azure DevOps pipeline `init --fleet` writes (issue 17): the fleet's check split into N jobs by the engine's own
 * slicing (`strategy: parallel: N`, each job `--shard $(System.JobPositionInPhase)/$(System.TotalJobsInPhase)`), every
 * shard's reports published even when its check fails, then one merge job that downloads them and merges them into the
 * fleet's report, whose exit code is the fleet's, then the restore-test job that restores the servers due and deletes
 * what it leaves.
 */
import { CONFIG_FILE, SIGNING_KEY_SECRET, SIGNING_KEY_VARIABLE } from './config-document.js';
import { CommentedYaml } from './commented-yaml.js';
import { AZURE_CLIENT_IP_STEP, SERVICE_CONNECTION, azureCliTask, azureMonthlyComments } from './azure-pipeline.js';
import {
  CI_NODE_MAJOR,
  CLIENT_IP_VARIABLE,
  MONTHLY_CRON,
  PINNED_VERSION,
  REPORTS_DIR,
  SHARD_REPORTS_DIR,
  cleanupCommandLine,
  installCommandLine,
  installComment,
  mergeCommandLine,
  restorecheckCommandLine,
  shardCheckCommandLine,
} from './ci-commands.js';
import { type InitAnswers, shardCountOf } from './init-answers.js';

/** This job's place among the parallel jobs (1-based) and their number, as Azure DevOps expands them in a script. */
const POSITION = '$(System.JobPositionInPhase)';
const TOTAL = '$(System.TotalJobsInPhase)';

/**
 * The check jobs ran (passed or failed), as opposed to skipped or cancelled: the single-server pipeline's condition for
 * its restore test, at the level of jobs. `dependencies.check` needs check in the job's dependsOn (only direct ones are in it).
 */
const CHECK_RAN = "and(not(canceled()), in(dependencies.check.result, 'Succeeded', 'SucceededWithIssues', 'Failed'))";

export function azureFleetPipelineData(answers: InitAnswers): Record<string, unknown> {
  const count = shardCountOf(answers);
  if (count === undefined) throw new Error('azureFleetPipelineData: answers without --fleet'); // planInit asks only with --fleet
  const setup = [
    { checkout: 'self' },
    { task: 'NodeTool@0', displayName: `Node ${CI_NODE_MAJOR}`, inputs: { versionSpec: `${CI_NODE_MAJOR}.x` } },
    { script: installCommandLine(answers, '$(RESTORECHECK_VERSION)'), displayName: 'Install restorecheck' },
  ];
  return {
    trigger: 'none',
    pr: 'none',
    schedules: [{ cron: MONTHLY_CRON, displayName: `restorecheck ${answers.environment} fleet, monthly`, branches: { include: ['main'] }, always: true }],
    pool: { vmImage: 'ubuntu-latest' },
    variables: { RESTORECHECK_VERSION: PINNED_VERSION },
    jobs: [
      {
        job: 'check',
        displayName: `restorecheck check (${answers.environment}), one shard per job`,
        timeoutInMinutes: 120,
        strategy: { parallel: count },
        steps: [
          ...setup,
          azureCliTask('restorecheck check (this shard)', shardCheckCommandLine(POSITION, TOTAL), answers),
          {
            task: 'PublishPipelineArtifact@1',
            displayName: "Publish this shard's reports",
            condition: 'always()',
            inputs: { targetPath: `${SHARD_REPORTS_DIR}/shard-${POSITION}`, artifact: `shard-${POSITION}` },
          },
        ],
      },
      {
        job: 'merge',
        displayName: `restorecheck report merge (${answers.environment})`,
        dependsOn: 'check',
        condition: 'succeededOrFailed()',
        timeoutInMinutes: 30,
        steps: [
          ...setup,
          {
            task: 'DownloadPipelineArtifact@2',
            displayName: "Download every shard's reports",
            inputs: { buildType: 'current', itemPattern: 'shard-*/**', targetPath: `$(System.DefaultWorkingDirectory)/${SHARD_REPORTS_DIR}` },
          },
          azureCliTask('restorecheck report merge', mergeCommandLine(), answers),
          {
            task: 'PublishTestResults@2',
            displayName: 'Publish the checks as test results',
            condition: 'always()',
            inputs: { testResultsFormat: 'JUnit', testResultsFiles: `${REPORTS_DIR}/*.xml`, testRunTitle: `restorecheck ${answers.environment} fleet` },
          },
          {
            script: `for f in ${REPORTS_DIR}/*.md; do [ -f "$f" ] && echo "##vso[task.uploadsummary]$PWD/$f"; done; true`,
            displayName: 'Show the checklist on the run summary',
            condition: 'always()',
          },
          {
            task: 'PublishPipelineArtifact@1',
            displayName: 'Publish the merged report',
            condition: 'always()',
            inputs: { targetPath: REPORTS_DIR, artifact: 'restorecheck-reports-$(System.JobAttempt)' },
          },
        ],
      },
      {
        // A job name takes letters, digits and _ only.
        job: 'restore_test',
        displayName: `restorecheck restore-test (${answers.environment})`,
        dependsOn: ['check', 'merge'],
        condition: CHECK_RAN,
        timeoutInMinutes: 180,
        steps: [
          ...setup,
          AZURE_CLIENT_IP_STEP,
          { ...azureCliTask('Delete what an earlier run left behind', cleanupCommandLine(), answers), continueOnError: true },
          azureCliTask('restorecheck restore-test', restorecheckCommandLine('restore-test'), answers),
          azureCliTask('restorecheck restore-test cleanup', cleanupCommandLine(), answers, 'always()'),
          {
            task: 'PublishTestResults@2',
            displayName: 'Publish the restore test as test results',
            condition: 'always()',
            inputs: {
              testResultsFormat: 'JUnit',
              testResultsFiles: `${REPORTS_DIR}/*.xml`,
              testRunTitle: `restorecheck ${answers.environment} fleet restore test`,
            },
          },
          {
            script: `for f in ${REPORTS_DIR}/*.md; do [ -f "$f" ] && echo "##vso[task.uploadsummary]$PWD/$f"; done; true`,
            displayName: 'Show the checklist on the run summary',
            condition: 'always()',
          },
          {
            task: 'PublishPipelineArtifact@1',
            displayName: 'Publish the restore-test reports',
            condition: 'always()',
            inputs: { targetPath: REPORTS_DIR, artifact: 'restorecheck-restore-test-$(System.JobAttempt)' },
          },
        ],
      },
    ],
  };
}

export function renderAzureFleetPipeline(answers: InitAnswers): string {
  const count = shardCountOf(answers);
  return azureMonthlyComments(
    new CommentedYaml(azureFleetPipelineData(answers), [
      `restorecheck: monthly proof that the backups of the ${answers.environment} fleet are real (Azure DevOps).`,
      `Written by \`restorecheck init --fleet\` (restorecheck ${PINNED_VERSION}); see the README, "Set up for your subscription".`,
      '',
      `The check runs as ${count} parallel jobs, each on a stable share of the fleet (--shard K/${count}), then the merge job`,
      "joins their reports into the fleet's one report. More jobs: change `parallel` (the shard count follows it).",
      '',
      'Before the first run:',
      `  a service connection named "${SERVICE_CONNECTION}" (Azure Resource Manager, workload identity federation: no secret stored),`,
      '    whose identity has Reader on every subscription azure.discover searches, and the roles the restore test needs (README);',
      `  a secret pipeline variable ${answers.databaseUrlEnv}: the database URL of a read-only role (${CONFIG_FILE} reads \${${answers.databaseUrlEnv}});`,
      ...(answers.sign === 'yes'
        ? [
            `  a secret pipeline variable ${SIGNING_KEY_SECRET}: the Ed25519 private key (PEM) that signs the reports (${CONFIG_FILE} reads \${${SIGNING_KEY_VARIABLE}});`,
          ]
        : []),
      '  a pipeline created from this file (Pipelines → New pipeline → Existing Azure Pipelines YAML file).',
      '',
      'A failed check fails its shard job; the merge job runs anyway and exits with the fleet code (0 pass, 1 a check',
      'failed, 2 incomplete, or a shard missing or refused), so the run fails like a single check would. Then the',
      'restore-test job restores the servers due (restoreTest.everyDays, maxServers, parallel in restorecheck.yaml) and',
      'deletes them; a failed one fails the run too.',
      '',
      ...installComment(answers),
    ]),
  )
    .after(['jobs', 0, 'strategy', 'parallel'], 'the number of shards: each job gets System.JobPositionInPhase of System.TotalJobsInPhase')
    .above(
      ['jobs', 0, 'steps', 3],
      'Read-only. Discovers the whole fleet, checks this job’s share of it, and writes the JSON record and the Markdown',
      `checklist to ${SHARD_REPORTS_DIR}/shard-K/. Only shard 1 also runs the run-wide checks (the database, restore-test-freshness).`,
    )
    .above(
      ['jobs', 0, 'steps', 4],
      'always(): a failed shard’s report is what the merge, and the auditor, need most. An artifact name is used once',
      'per run: to retry a shard, run the whole pipeline again rather than only its failed jobs.',
    )
    .above(
      ['jobs', 1, 'condition'],
      'Merge whatever the shards said, even when one failed (not when the run was cancelled); a shard that left no',
      'report is named by the merge, which then refuses (exit 2).',
    )
    .above(['jobs', 1, 'steps', 3], `Every artifact shard-K into ${SHARD_REPORTS_DIR}/shard-K/.`)
    .above(
      ['jobs', 1, 'steps', 4],
      "Verifies each shard directory's report chain, takes its newest shard report, and writes the merged report where",
      'check writes its reports (reports/, report.dir, report.store), chained and signed as a check report is.',
    )
    .above(
      ['jobs', 1, 'steps', 7],
      'always(): the merged report of a failing fleet is the evidence you need most.',
      ...(answers.reportStore ? ["The report store is the record (the merge uploaded its files there); this artifact is a copy for the run's page."] : []),
    )
    .above(['jobs', 2, 'dependsOn'], 'After the merge, never beside it: both write the record (report.dir, report.store), one job at a time.')
    .above(
      ['jobs', 2, 'condition'],
      'Runs even when the check failed: a failing setting says nothing about whether the backups restore. Skipped only',
      'when the check jobs never ran or the run was cancelled.',
    )
    .after(['jobs', 2, 'timeoutInMinutes'], 'restore-test stops each server after 60 minutes (--timeout)')
    .above(
      ['jobs', 2, 'steps', 3],
      `Sets ${CLIENT_IP_VARIABLE} for every later task: a public-access restore copy gets a firewall rule for it`,
      `once ${CONFIG_FILE} says \`clientIp: \${${CLIENT_IP_VARIABLE}}\` (README, "Networking"). Never fails the run.`,
    )
    .above(
      ['jobs', 2, 'steps', 4],
      'Each AzureCLI@2 task logs in afresh. Restore servers an earlier run left behind (its agent died mid-restore)',
      'are found by their tags and deleted once their restorecheck-expires tag has passed. A failed deletion does not',
      'stop this run: the cleanup task at the end tries again, and fails the run if it fails again.',
    )
    .above(
      ['jobs', 2, 'steps', 5],
      'Fleet mode: restores the discovered servers due (never restored, or whose last successful restore test on record',
      'is restoreTest.everyDays days old or more), the oldest first, each as a NEW server from a backup that is then',
      'deleted, so the identity needs more than Reader. Writes its reports to reports/ and the record.',
    )
    .above(
      ['jobs', 2, 'steps', 6],
      'always(): a cancelled, failed or timed-out restore test may leave its servers (copies of production)',
      'behind; this deletes them. A deletion that fails here fails the run (exit 2).',
    )
    .above(
      ['jobs', 2, 'steps', 9],
      'always(): the reports of a failed restore test are the evidence you need most.',
      ...(answers.reportStore ? ["The report store is the record (restore-test uploaded its files there); this artifact is a copy for the run's page."] : []),
    )
    .toString();
}
