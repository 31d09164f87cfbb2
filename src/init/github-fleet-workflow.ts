/**
 * The GitHub Actions workflow `init --fleet` writes (issue 17): the monthly check of a whole fleet split into N jobs by
 * GitHub's own matrix (`--shard K/N`, a stable 1/N of the discovered resources each), every shard's reports kept as an
 * artifact even when its check fails, and one last job that downloads them all and merges them into the fleet's report
 * (`restorecheck report merge`), whose exit code is the fleet's; then the restore-test job restores the servers due
 * (`restore-test` in fleet mode) and deletes what it leaves. No scheduler of our own: the CI engine runs the jobs.
 */
import { CONFIG_FILE, SIGNING_KEY_SECRET, SIGNING_KEY_VARIABLE } from './config-document.js';
import { CommentedYaml } from './commented-yaml.js';
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
import { AZURE_LOGIN, GITHUB_CLIENT_IP_STEP, githubMonthlyComments, githubSecretEnv } from './github-workflow.js';
import { type InitAnswers, shardCountOf } from './init-answers.js';

/** This job's place in the matrix, as GitHub spells it in an expression. */
const SHARD = '${{ matrix.shard }}';

/** The artifact of shard K: `shard-K`, so that the merge job's download puts it in shard-reports/shard-K. */
const SHARD_ARTIFACT = `shard-${SHARD}`;

/**
 * The check jobs ran (passed or failed), as opposed to skipped or cancelled: the single-server workflow's condition for
 * its restore test, at the level of jobs. `needs.check` needs check among the job's needs (only direct ones are in it).
 */
const CHECK_RAN = "${{ !cancelled() && (needs.check.result == 'success' || needs.check.result == 'failure') }}";

export function githubFleetWorkflowData(answers: InitAnswers): Record<string, unknown> {
  const count = shardCountOf(answers);
  if (count === undefined) throw new Error('githubFleetWorkflowData: answers without --fleet'); // planInit asks only with --fleet
  const secretEnv = githubSecretEnv(answers);
  const install = [
    { uses: 'actions/checkout@v7' },
    { uses: 'actions/setup-node@v7', with: { 'node-version': CI_NODE_MAJOR } },
    { name: 'Install restorecheck', run: installCommandLine(answers, '$RESTORECHECK_VERSION') },
  ];
  const login = { name: 'Azure login (OIDC)', ...AZURE_LOGIN };
  const setup = [...install, login];
  return {
    name: `restorecheck fleet (${answers.environment})`,
    on: {
      schedule: [{ cron: MONTHLY_CRON }],
      workflow_dispatch: {},
    },
    permissions: { 'id-token': 'write', contents: 'read' },
    concurrency: { group: `restorecheck-${answers.environment}`, 'cancel-in-progress': false },
    env: { RESTORECHECK_VERSION: PINNED_VERSION },
    jobs: {
      check: {
        name: `check (shard ${SHARD}/${count})`,
        'runs-on': 'ubuntu-latest',
        'timeout-minutes': 120,
        strategy: { 'fail-fast': false, matrix: { shard: Array.from({ length: count }, (_, i) => i + 1) } },
        steps: [
          ...setup,
          { name: 'restorecheck check (this shard)', run: shardCheckCommandLine(SHARD, count), env: secretEnv },
          {
            name: "Upload this shard's reports",
            if: 'always()',
            uses: 'actions/upload-artifact@v7',
            with: { name: SHARD_ARTIFACT, path: `${SHARD_REPORTS_DIR}/shard-${SHARD}/`, 'if-no-files-found': 'warn' },
          },
        ],
      },
      merge: {
        needs: 'check',
        if: 'always()',
        'runs-on': 'ubuntu-latest',
        'timeout-minutes': 30,
        steps: [
          ...setup,
          { name: "Download every shard's reports", uses: 'actions/download-artifact@v7', with: { pattern: 'shard-*', path: SHARD_REPORTS_DIR } },
          { name: 'restorecheck report merge', run: mergeCommandLine(), env: secretEnv },
          {
            name: 'Upload the merged report',
            if: 'always()',
            uses: 'actions/upload-artifact@v7',
            with: { name: `restorecheck-reports-${answers.environment}`, path: `${REPORTS_DIR}/`, 'if-no-files-found': 'warn' },
          },
        ],
      },
      'restore-test': {
        needs: ['check', 'merge'],
        if: CHECK_RAN,
        'runs-on': 'ubuntu-latest',
        'timeout-minutes': 180,
        steps: [
          ...install,
          GITHUB_CLIENT_IP_STEP,
          login,
          { name: 'Delete what an earlier run left behind', run: cleanupCommandLine(), env: secretEnv, 'continue-on-error': true },
          { name: 'restorecheck restore-test', id: 'restore-test', run: restorecheckCommandLine('restore-test'), env: secretEnv },
          { name: 'Azure login again, for the cleanup', if: 'always()', ...AZURE_LOGIN },
          { name: 'restorecheck restore-test cleanup', if: 'always()', run: cleanupCommandLine(), env: secretEnv },
          {
            name: 'Upload the restore-test reports',
            if: 'always()',
            uses: 'actions/upload-artifact@v7',
            with: { name: `restorecheck-restore-test-${answers.environment}`, path: `${REPORTS_DIR}/`, 'if-no-files-found': 'warn' },
          },
        ],
      },
    },
  };
}

export function renderGithubFleetWorkflow(answers: InitAnswers): string {
  const count = shardCountOf(answers);
  const check = ['jobs', 'check', 'steps'] as const;
  const merge = ['jobs', 'merge', 'steps'] as const;
  const restore = ['jobs', 'restore-test', 'steps'] as const;
  return githubMonthlyComments(
    new CommentedYaml(githubFleetWorkflowData(answers), [
      `restorecheck: monthly proof that the backups of the ${answers.environment} fleet are real (every tagged server and account).`,
      `Written by \`restorecheck init --fleet\` (restorecheck ${PINNED_VERSION}); see the README, "Set up for your subscription".`,
      '',
      `The check runs as ${count} jobs of one matrix, each on a stable share of the fleet (--shard K/${count}: a resource's`,
      'share depends only on its id), then the merge job joins their reports into the one report of the fleet.',
      `More jobs: change the matrix and the /${count} of --shard together (or run init --fleet --shards N again).`,
      '',
      'Before the first run, in the repository settings (Secrets and variables → Actions):',
      '  variables AZURE_CLIENT_ID, AZURE_TENANT_ID, AZURE_SUBSCRIPTION_ID: the app registration that has a',
      '    federated credential for this repository (OIDC: no client secret is stored anywhere), with Reader on',
      '    every subscription azure.discover searches, and the roles the restore test needs (README);',
      `  secret ${answers.databaseUrlEnv}: the database URL of a read-only role (${CONFIG_FILE} reads \${${answers.databaseUrlEnv}}).`,
      ...(answers.sign === 'yes'
        ? [`  secret ${SIGNING_KEY_SECRET}: the Ed25519 private key (PEM) that signs the reports (${CONFIG_FILE} reads \${${SIGNING_KEY_VARIABLE}}).`]
        : []),
      '',
      'A failed check (exit 1) or one that could not be evaluated (exit 2) fails its shard job; the merge job runs',
      "anyway and exits with the fleet's code (0 pass, 1 a check failed, 2 incomplete, or a shard missing or refused),",
      'so the workflow fails like a single check would. Then the restore-test job restores the servers due',
      '(restoreTest.everyDays, maxServers, parallel in restorecheck.yaml) and deletes them; a failed one fails it too.',
      '',
      ...installComment(answers),
    ]),
  )
    .above(
      ['concurrency'],
      'One run at a time, never cancelled half-way: two runs would merge each other’s shards, and a cancelled restore',
      'test would leave its servers behind until `restorecheck restore-test cleanup`.',
    )
    .above(
      ['jobs', 'check', 'strategy'],
      "fail-fast: false: a shard that fails must not cancel the others, whose reports the merge needs. GitHub's matrix",
      'is the scheduler: restorecheck runs none of its own.',
    )
    .above(
      [...check, 4],
      'Read-only. Discovers the whole fleet (each shard records it), checks this shard’s share of it, and writes the',
      `JSON record and the Markdown checklist to ${SHARD_REPORTS_DIR}/shard-K/. Only shard 1 also runs the run-wide checks`,
      '(the database, restore-test-freshness). restorecheck appends the checklist to $GITHUB_STEP_SUMMARY itself.',
    )
    .above([...check, 5], 'always(): a failed shard’s report is what the merge, and the auditor, need most.')
    .above(
      ['jobs', 'merge', 'if'],
      'always(): merge whatever the shards said, even when one failed; a shard that left no report is named by the merge,',
      'which then refuses (exit 2) rather than write a report that claims a fleet it does not cover.',
    )
    .above([...merge, 3], 'For report.store when it is configured (the merge is the job that stores the fleet’s report).')
    .above([...merge, 4], `Each artifact shard-K into ${SHARD_REPORTS_DIR}/shard-K/.`)
    .above(
      [...merge, 5],
      "Verifies each shard directory's report chain, takes its newest shard report, and writes the merged report where",
      'check writes its reports (reports/, report.dir, report.store), chained and signed as a check report is.',
      ...(answers.sign === 'yes'
        ? ['Once the public key is committed, add --public-key restorecheck-signing.pub.pem: a shard report it did not sign is then refused.']
        : []),
    )
    .above(
      [...merge, 6],
      'always(): the merged report of a failing fleet is the evidence you need most.',
      ...(answers.reportStore
        ? ["The report store is the record (the merge uploaded its files there); this artifact is a copy for the run's page."]
        : ['Artifacts expire (90 days by default): keep the monthly reports somewhere lasting for the auditor.']),
    )
    .above(['jobs', 'restore-test', 'needs'], 'After the merge, never beside it: both write the record (report.dir, report.store), one job at a time.')
    .above(
      ['jobs', 'restore-test', 'if'],
      'Runs even when the check failed: a failing setting (say, a short retention) says nothing about whether the',
      'backups restore, and the month it fails is when the restore test matters most. It is skipped only when the',
      'check jobs never ran or the run was cancelled.',
    )
    .after(['jobs', 'restore-test', 'timeout-minutes'], 'restore-test stops each server after 60 minutes (--timeout)')
    .above(
      [...restore, 3],
      `Exports ${CLIENT_IP_VARIABLE} for every later step: a public-access restore copy gets a firewall rule for it`,
      `once ${CONFIG_FILE} says \`clientIp: \${${CLIENT_IP_VARIABLE}}\` (README, "Networking"). Never fails the job.`,
    )
    .above(
      [...restore, 4],
      'The login session lasts about an hour and cannot be refreshed (azure/login#180): keep one run of restores',
      'within it (restoreTest.maxServers servers, restoreTest.parallel at once).',
    )
    .above(
      [...restore, 5],
      'Restore servers that an earlier run left behind (its runner died mid-restore) are found by their tags and',
      'deleted once their restorecheck-expires tag has passed. A failed deletion does not stop this run: the',
      'cleanup step at the end tries again, and fails the job if it fails again.',
    )
    .above(
      [...restore, 6],
      'Fleet mode: restores the discovered servers due (never restored, or whose last successful restore test on record',
      'is restoreTest.everyDays days old or more), the oldest first, each as a NEW server from a backup that is then',
      'deleted, so the identity needs more than Reader (README, "Set up for your subscription"). Writes its reports to',
      'reports/ and the record. `restorecheck restore-test --dry-run` prints the plan without restoring anything.',
    )
    .above(
      [...restore, 8],
      'always(): a cancelled, failed or timed-out restore test may leave its servers (copies of production)',
      'behind; this deletes them (with a fresh login: the restore test may have used up the last one).',
      'A deletion that fails here fails the job (exit 2).',
    )
    .above(
      [...restore, 9],
      'always(): the reports of a failed or cancelled restore test are the evidence you need most.',
      ...(answers.reportStore ? ["The report store is the record (restore-test uploaded its files there); this artifact is a copy for the run's page."] : []),
    )
    .toString();
}
