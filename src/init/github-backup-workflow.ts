/**
 * The "backup before deploy" workflow `init --backup-before-deploy` writes beside the monthly one: a reusable workflow
 * (workflow_call) that a deploy workflow `needs:` before it deploys, as `backup.sh production && verify-backup.sh ||
 * exit 1` did. It runs on a self-hosted runner on the server of the stack (the dumps run there, through `docker compose
 * exec`, and the archive stays on its disk), and fails unless `restorecheck backup` exits 0: an archive written and
 * verified. The report is kept as an artifact whatever happened.
 */
import { CommentedYaml } from './commented-yaml.js';
import { CONFIG_FILE } from './config-document.js';
import {
  BACKUP_ENVIRONMENT,
  BACKUP_RUNNER_LABEL,
  BACKUP_SECRET_VARIABLES,
  CI_NODE_MAJOR,
  PINNED_VERSION,
  REPORTS_DIR,
  backupCommandLine,
  installCommandLine,
  selfHostedStepEnv,
} from './ci-commands.js';
import { GITHUB_ROLLBACK_WORKFLOW_FILE, rollbackCallerLines } from './github-rollback-workflow.js';
import type { InitAnswers } from './init-answers.js';

export const GITHUB_BACKUP_WORKFLOW_FILE = '.github/workflows/restorecheck-backup.yml';

export function githubBackupWorkflowData(answers: InitAnswers): Record<string, unknown> {
  const env = selfHostedStepEnv(answers);
  return {
    name: `restorecheck backup before deploy (${BACKUP_ENVIRONMENT})`,
    on: { workflow_call: {}, workflow_dispatch: {} },
    permissions: { contents: 'read' },
    concurrency: { group: `restorecheck-backup-${BACKUP_ENVIRONMENT}`, 'cancel-in-progress': false },
    env: { RESTORECHECK_VERSION: PINNED_VERSION },
    jobs: {
      backup: {
        'runs-on': ['self-hosted', BACKUP_RUNNER_LABEL],
        'timeout-minutes': 240,
        steps: [
          { uses: 'actions/checkout@v7' },
          { uses: 'actions/setup-node@v7', with: { 'node-version': CI_NODE_MAJOR } },
          { name: 'Install restorecheck', run: installCommandLine(answers, '$RESTORECHECK_VERSION') },
          { name: 'restorecheck backup', id: 'backup', run: backupCommandLine(), env },
          {
            name: 'Upload the backup report',
            if: 'always()',
            uses: 'actions/upload-artifact@v7',
            with: { name: `restorecheck-backup-${BACKUP_ENVIRONMENT}-\${{ github.run_id }}`, path: `${REPORTS_DIR}/`, 'if-no-files-found': 'warn' },
          },
        ],
      },
    },
  };
}

export function renderGithubBackupWorkflow(answers: InitAnswers): string {
  const steps = ['jobs', 'backup', 'steps'] as const;
  return new CommentedYaml(githubBackupWorkflowData(answers), [
    `restorecheck: a verified backup of ${BACKUP_ENVIRONMENT} before every deployment, or no deployment.`,
    `Written by \`restorecheck init --backup-before-deploy\` (restorecheck ${PINNED_VERSION}); see the README, "Backup before deploy".`,
    '',
    answers.rollbackOnFailure === 'yes'
      ? `Call it from the deploy workflow, make the deployment wait for it, and roll a failed deployment back (${GITHUB_ROLLBACK_WORKFLOW_FILE}):`
      : 'Call it from the deploy workflow, and make the deployment wait for it:',
    '  jobs:',
    '    backup:',
    `      uses: ./${GITHUB_BACKUP_WORKFLOW_FILE}`,
    '      secrets: inherit',
    '    deploy:',
    '      needs: backup          # runs only when the backup passed (exit 0: written and verified)',
    '      ...',
    ...(answers.rollbackOnFailure === 'yes' ? rollbackCallerLines().map((line) => `  ${line}`) : []),
    '',
    'Before the first run:',
    `  a self-hosted runner on the server of the stack, with the label ${BACKUP_RUNNER_LABEL} (Settings → Actions → Runners),`,
    '    allowed to run `docker compose exec` and to write selfHosted.backupDir;',
    `  the selfHosted section of ${CONFIG_FILE} filled in and uncommented;`,
    `  secrets ${BACKUP_SECRET_VARIABLES.join(', ')} (and those of any other source you add to the env below).`,
  ])
    .above(['on', 'workflow_call'], 'A deploy workflow calls it (uses: + needs:).')
    .above(['on', 'workflow_dispatch'], 'Or by hand, from the Actions tab.')
    .above(['concurrency'], 'One backup at a time, never cancelled half-way (a cancelled one leaves nothing with a final name, all the same).')
    .above(['jobs', 'backup', 'runs-on'], 'The server of the stack: the dumps run there, and the archive stays on its disk.')
    .above(
      [...steps, 3],
      'Dumps every configured component, writes the archive, its sidecar (and .sig with selfHosted.signingKey), then',
      'verifies it. Exit 0 only for an archive that passed: any other exit code fails this step, the job, and the',
      'deployment that needs it. Add --prune to apply the retention policy after a backup that passed.',
    )
    .above([...steps, 4], 'always(): the report of a failed backup is the one you need.')
    .toString();
}
